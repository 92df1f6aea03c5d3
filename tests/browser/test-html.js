// Drive Debian's chromium over pyinstr's HTML report, as a person would.
// usage: node test-html.js REPORT.html ESCAPES.html SCREENSHOT-DIR
// REPORT.html is a real recording of target.py (two threads, json/re/difflib underneath);
// ESCAPES.html is the escaping session (tests/report/escaping.py), which must load cleanly and
// show its strange names verbatim. Exits 1 with a message on the first failed check.
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");

const [report, escapes, shots] = process.argv.slice(2);

function check(cond, what) {
  if (!cond) {
    console.error("FAIL: " + what);
    process.exitCode = 1;
    throw new Error(what);
  }
  console.log("ok: " + what);
}

async function rowNames(page) {
  return page.$$eval(".row .name", (els) => els.map((e) => e.textContent));
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-quic"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    const requests = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });

    await page.goto("file://" + path.resolve(report));
    await page.waitForSelector(".row");
    check(errors.length === 0, "the report loads with no console errors " + JSON.stringify(errors));
    let names = await rowNames(page);
    for (const fn of ["main_work", "encode_documents", "compare_lines"])
      check(names.some((n) => n.includes(fn)), `the call tree shows ${fn}`);
    check(await page.$(".row.thread") !== null, "all threads are shown with a row per thread");
    await page.screenshot({ path: path.join(shots, "1-call-tree.png") });

    // a library group: expand it, see more rows, collapse it again
    const group = page.locator(".row .group").first();
    check(await group.count() === 1, "a library group is shown");
    const before = (await rowNames(page)).length;
    const label = await group.textContent();
    check(/frames hidden/.test(label), "the group says its frames are hidden: " + label);
    await group.click();
    const opened = page.locator(".row .group", { hasText: "shown" }).first();
    check(await opened.count() === 1, "clicking the group shows its frames");
    const during = (await rowNames(page)).length;
    check(during > before, `expanding the group adds rows (${before} -> ${during})`);
    check(await page.$(".row.hiddenframe") !== null, "the library frames are marked as such");
    await page.screenshot({ path: path.join(shots, "2-group-expanded.png") });
    await opened.click();
    check((await rowNames(page)).length === before, "collapsing the group restores the rows");

    // keyboard: select the first row, go down, collapse with the left arrow
    await page.locator(".row").first().click();
    await page.keyboard.press("ArrowDown");
    check(await page.locator(".row.sel").count() === 1, "arrow keys move the selection");

    // the timeline and back
    await page.click("#view-timeline");
    await page.waitForSelector("#timeline-canvas");
    const box = await page.locator("#timeline-canvas").boundingBox();
    check(box && box.width > 500 && box.height > 100, "the timeline draws a canvas");
    await page.mouse.move(box.x + box.width * 0.3, box.y + 20 + 22 + 5);
    await page.waitForTimeout(100);
    const tip = await page.locator(".tip").isVisible();
    check(tip, "hovering the timeline shows a tooltip");
    await page.screenshot({ path: path.join(shots, "3-timeline.png") });
    await page.mouse.wheel(0, -600);
    await page.waitForTimeout(100);
    await page.screenshot({ path: path.join(shots, "4-timeline-zoomed.png") });
    await page.click("#view-tree");
    await page.waitForSelector(".row");
    check(await page.$("#timeline-canvas") === null, "back to the call tree");

    // one thread
    const options = await page.$$eval("#thread-select option", (os) => os.map((o) => [o.value, o.textContent]));
    const mainThread = options.find((o) => o[1].startsWith("MainThread"));
    const worker = options.find((o) => o[0] !== "all" && o !== mainThread);
    check(options.length === 3 && worker && mainThread,
          "the thread selector lists all threads, MainThread and the worker: " + JSON.stringify(options));
    await page.selectOption("#thread-select", worker[0]);
    names = await rowNames(page);
    check(names.some((n) => n.includes("compare_lines")) && !names.some((n) => n.includes("main_work")),
          "selecting the worker thread shows only its frames");
    await page.selectOption("#thread-select", mainThread[0]);
    names = await rowNames(page);
    check(names.some((n) => n.includes("main_work")) && !names.some((n) => n.includes("compare_lines")),
          "selecting MainThread shows only its frames");
    await page.screenshot({ path: path.join(shots, "5-main-thread.png") });
    await page.selectOption("#thread-select", "all");

    // search
    await page.fill("#search", "decode_doc");
    await page.press("#search", "Enter");
    const marks = await page.$$eval(".row.match mark", (ms) => ms.map((m) => m.textContent));
    check(marks.length > 0 && marks.every((m) => m === "decode_doc"), "search highlights the matches");
    check(/\d+ match/.test(await page.textContent("#search-count")), "search counts the matches");
    await page.screenshot({ path: path.join(shots, "6-search.png") });

    // options: time as a proportion, threshold
    await page.click("#options-button");
    await page.selectOption("#time-format", "percent");
    const times = await page.$$eval(".row .time", (ts) => ts.map((t) => t.textContent));
    check(times.length && times.every((t) => /%$/.test(t)), "the time format option shows proportions");
    await page.selectOption("#collapse-mode", "disabled");
    check(await page.$(".row .group") === null, "collapse mode 'Disabled' removes the groups");
    await page.screenshot({ path: path.join(shots, "7-options.png") });

    check(errors.length === 0, "no console errors after all that " + JSON.stringify(errors));
    check(requests.length === 0, "the page asked for nothing over the network " + JSON.stringify(requests));

    // the escaping session
    const page2 = await context.newPage();
    const errors2 = [];
    page2.on("console", (m) => { if (m.type() === "error") errors2.push(m.text()); });
    page2.on("pageerror", (e) => errors2.push(String(e)));
    await page2.addInitScript(() => { window.alert = () => { window.alertCalled = true; }; });
    await page2.goto("file://" + path.resolve(escapes));
    await page2.waitForSelector(".row");
    check(errors2.length === 0, "the escaping report loads with no errors " + JSON.stringify(errors2));
    const data = await page2.evaluate(() => JSON.parse(document.getElementById("pyinstr-data").textContent));
    const fns = data.frames.map((f) => f[0]);
    for (const want of ['quote"d', "back\\slash", "</script><script>alert(1)</script>",
                        "ctl\u0002\t\n\r\u001b\u001f\u007f", "na\u00efve_\u540d\u524d_\u{1f600}", "sep\u2028\u2029"])
      check(fns.includes(want), "the escaping report keeps " + JSON.stringify(want));
    check(fns.some((f) => f.includes("\udcff")), "invalid UTF-8 arrives as a lone surrogate");
    await page2.click("#options-button");
    await page2.selectOption("#collapse-mode", "disabled");
    await page2.fill("#threshold", "0");
    const shown = (await rowNames(page2)).join("\n");
    check(shown.includes("</script><script>alert(1)</script>"), "the call tree shows </script> as text");
    check(await page2.evaluate(() => !window.alertCalled), "nothing in the names ran");
    await page2.screenshot({ path: path.join(shots, "8-escaping.png") });
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  if (!process.exitCode) console.error(e);
  process.exitCode = 1;
});
