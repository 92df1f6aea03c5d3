/* pyinstr's HTML report. The page holds every thread's tree in timeline order (renderers/html.c);
 * this app aggregates, groups and filters it as pyinstrument's processors do, draws the call
 * tree and a canvas timeline, and never touches the network. Nothing here recurses: trees can be
 * thousands of frames deep. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("pyinstr-data").textContent);
  var FR = data.frames; /* [function, file, line, short path, app, class, hide, synthetic] */
  var SYN_SELF = 1, SYN_THREAD = 9;
  var COLOURS = [[0.6, "#FF4159"], [0.3, "#F5A623"], [0.15, "#D8CB2A"], [0.05, "#7ED321"]];

  var state = {
    view: "tree",
    thread: "all",
    search: "",
    collapse: "library",
    showRegex: "",
    hideRegex: "",
    removeImportlib: true,
    removeTracebackhide: true,
    threshold: 1, /* percent */
    timeFormat: "absolute",
    open: new Set(),
    openGroups: new Set(),
    touched: false,
    selected: null
  };

  /* ---- small helpers ------------------------------------------------------------------- */

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") e.textContent = attrs[k];
        else if (k === "class") e.className = attrs[k];
        else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
        else e.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) {
      if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  function fnName(f) {
    var fr = FR[f];
    return fr[5] ? fr[5] + "." + fr[0] : fr[0];
  }

  function isSynthetic(f) { return FR[f][7] !== 0; }

  function isThread(f) { return FR[f][7] === SYN_THREAD || FR[f][1] === "<thread>"; }

  /* the node key (function, file, line) as a string and as a small number */
  var keyOf = [], keyId = [], keyIds = new Map();
  function frameKey(i) {
    var fr = FR[i], k = fr[0] + "\u0000" + fr[1] + "\u0000" + fr[2] + (fr[7] === SYN_THREAD ? "\u0000" + i : "");
    if (!keyIds.has(k)) keyIds.set(k, keyIds.size);
    keyOf[i] = k;
    keyId[i] = keyIds.get(k);
  }
  FR.forEach(function (_, i) { frameKey(i); });

  function frameAdd(fr) {
    FR.push(fr);
    frameKey(FR.length - 1);
    return FR.length - 1;
  }

  /* the libraries a group hides: first part of each short path */
  function libraryName(f) {
    var p = FR[f][3] || FR[f][1] || "";
    var first = p.split(/[\\/]/).filter(function (x) { return x && x !== "." && x !== ".."; })[0];
    return (first || p).replace(/\.py$/, "");
  }

  var interval = data.session.max_interval || 0.001;
  var precision = Math.max(0, Math.min(6, Math.ceil(-Math.log10(interval))));

  function fmtTime(t, total) {
    if (state.timeFormat === "percent") return (total > 0 ? (100 * t / total) : 0).toFixed(1) + "%";
    return t.toFixed(precision);
  }

  function colour(p) {
    for (var i = 0; i < COLOURS.length; i++) if (p > COLOURS[i][0]) return COLOURS[i][1];
    return "#58984f";
  }

  /* ---- the trees as recorded ---------------------------------------------------------- */

  function buildTree(nodes) {
    /* times come in microseconds */
    var root = { f: nodes[0], time: nodes[1] / 1e6, children: [], parent: null, start: 0, depth: 0 };
    var stack = [[root, nodes[2]]];
    for (var i = 3; stack.length;) {
      var top = stack[stack.length - 1];
      if (top[1] === 0) { stack.pop(); continue; }
      top[1]--;
      var p = top[0];
      var n = { f: nodes[i], time: nodes[i + 1] / 1e6, children: [], parent: p, depth: p.depth + 1 };
      /* timeline order: a child starts where its older siblings end */
      var prev = p.children[p.children.length - 1];
      n.start = prev ? prev.start + prev.time : p.start;
      p.children.push(n);
      if (nodes[i + 2] > 0) stack.push([n, nodes[i + 2]]);
      i += 3;
    }
    return root;
  }

  var threads = data.threads.map(function (th, i) {
    var label = th.name + (th.id ? " (" + th.id + ")" : "");
    return { index: i, name: th.name, id: th.id, label: label, time: th.time,
             root: buildTree(th.nodes),
             labelFrame: frameAdd([label, null, 0, null, 1, null, 0, SYN_THREAD]) };
  });
  var allFrame = frameAdd(["All threads", null, 0, null, 1, null, 0, SYN_THREAD]);

  /* ---- processing (pyinstrument's processors, on a copy) ------------------------------ */

  /* nodes in post-order (children before parents) */
  function postOrder(root) {
    var out = [], stack = [root];
    while (stack.length) {
      var n = stack.pop();
      out.push(n);
      for (var i = 0; i < n.children.length; i++) stack.push(n.children[i]);
    }
    return out.reverse();
  }

  /* remove_importlib, remove_tracebackhide and aggregate_repeated_calls in one walk of the
   * recorded tree: a removed frame gives its children to its parent (its own time stays
   * there), and children with the same key merge, their times added */
  function aggregateFrom(src, removed) {
    var root = { f: src.f, time: src.time, children: [], parent: null, byKey: new Map() };
    var stack = [[src, root]];
    while (stack.length) {
      var pair = stack.pop(), s = pair[0], d = pair[1];
      for (var i = 0; i < s.children.length; i++) {
        var c = s.children[i];
        if (removed && removed(c)) {
          stack.push([c, d]);
          continue;
        }
        var k = keyId[c.f], n = d.byKey.get(k);
        if (!n) {
          n = { f: c.f, time: 0, children: [], parent: d, byKey: new Map() };
          d.byKey.set(k, n);
          d.children.push(n);
        }
        n.time += c.time;
        if (c.children.length) stack.push([c, n]);
      }
    }
    stack = [root];
    while (stack.length) {
      var m = stack.pop();
      m.byKey = null;
      m.children.sort(function (a, b) { return b.time - a.time; });
      for (var j = 0; j < m.children.length; j++) stack.push(m.children[j]);
    }
    return root;
  }

  function removeIrrelevant(root, fraction) {
    var total = root.time, stack = [root];
    while (stack.length) {
      var n = stack.pop();
      n.children = n.children.filter(function (c) { return total <= 0 || c.time / total >= fraction; });
      for (var i = 0; i < n.children.length; i++) stack.push(n.children[i]);
    }
  }

  function removeUnnecessarySelf(root) {
    postOrder(root).forEach(function (n) {
      if (n.children.length === 1 && FR[n.children[0].f][7] === SYN_SELF && !isSynthetic(n.f))
        n.children = [];
    });
  }

  function regexOrNull(src) {
    if (!src) return null;
    try { return new RegExp(src); } catch (e) { return undefined; }
  }

  /* group_library_frames_processor: a hidden frame with a hidden child starts a group that
   * takes in its hidden descendants */
  function groupLibrary(root, hidden) {
    var groups = [], stack = [root];
    while (stack.length) {
      var n = stack.pop();
      for (var i = n.children.length - 1; i >= 0; i--) {
        var c = n.children[i];
        stack.push(c);
        if (c.group || !hidden(c) || !c.children.some(hidden)) continue;
        var g = { root: c, frames: [], libs: [] };
        var inner = [c];
        while (inner.length) {
          var m = inner.pop();
          m.group = g;
          g.frames.push(m);
          var lib = libraryName(m.f);
          if (g.libs.indexOf(lib) < 0) g.libs.push(lib);
          for (var j = m.children.length - 1; j >= 0; j--)
            if (hidden(m.children[j])) inner.push(m.children[j]);
        }
        groups.push(g);
      }
    }
    return groups;
  }

  function pathKeys(root) {
    root.path = keyOf[root.f];
    var stack = [root];
    while (stack.length) {
      var n = stack.pop();
      for (var i = 0; i < n.children.length; i++) {
        var c = n.children[i];
        c.path = n.path + "\u0001" + keyOf[c.f];
        stack.push(c);
      }
    }
  }

  var processed = null;

  function process() {
    var roots = null;
    var removed = null;
    if (state.removeImportlib || state.removeTracebackhide) {
      removed = function (n) {
        var fr = FR[n.f];
        return (state.removeImportlib && (fr[1] || "").indexOf("<frozen importlib._bootstrap") >= 0) ||
               (state.removeTracebackhide && fr[6] === 1);
      };
    }
    if (state.thread === "all" && threads.length > 1) {
      var top = { f: allFrame, time: 0, children: [], parent: null };
      threads.forEach(function (th) {
        var r = aggregateFrom(th.root, removed);
        r.parent = top;
        /* a thread's tree starts at its <thread> frame unless its stem was trimmed */
        if (FR[r.f][1] !== "<thread>") {
          var label = { f: th.labelFrame, time: r.time, children: [r], parent: top };
          r.parent = label;
          r = label;
        }
        top.children.push(r);
        top.time += r.time;
      });
      roots = top;
    } else if (threads.length) {
      roots = aggregateFrom(threads[state.thread === "all" ? 0 : +state.thread].root, removed);
    }
    var errors = {};
    if (roots) {
      removeIrrelevant(roots, Math.max(0, +state.threshold || 0) / 100);
      removeUnnecessarySelf(roots);
      var hidden = null;
      if (state.collapse === "library") {
        hidden = function (n) { return !FR[n.f][4] && !isSynthetic(n.f) && !isThread(n.f); };
      } else if (state.collapse === "custom") {
        var show = regexOrNull(state.showRegex), hide = regexOrNull(state.hideRegex);
        if (show === undefined) errors.show = true;
        if (hide === undefined) errors.hide = true;
        hidden = function (n) {
          var file = FR[n.f][1] || "";
          if (isSynthetic(n.f) || isThread(n.f)) return false;
          if (show && show.test(file)) return false;
          if (hide && hide.test(file)) return true;
          return !FR[n.f][4];
        };
      }
      if (hidden) groupLibrary(roots, hidden);
      pathKeys(roots);
    }
    processed = { root: roots, errors: errors };
    if (!state.touched && roots) defaultOpen(roots);
  }

  /* open what is worth seeing: frames above a tenth of the total */
  function defaultOpen(root) {
    var stack = [root];
    while (stack.length) {
      var n = stack.pop();
      if (n.time >= 0.1 * root.time || n === root) {
        state.open.add(n.path);
        for (var i = 0; i < n.children.length; i++) stack.push(n.children[i]);
      }
    }
  }

  /* ---- the call tree ------------------------------------------------------------------ */

  function isHiddenInGroup(n) {
    var g = n.group;
    if (!g || g.root === n || state.openGroups.has(g.root.path)) return false;
    /* exit frames (a child outside the group) stay visible, as in pyinstrument */
    for (var i = 0; i < n.children.length; i++) if (n.children[i].group !== g) return false;
    return true;
  }

  /* the children shown under @n: hidden group members give way to their own children */
  function visibleChildren(n) {
    var out = [], stack = n.children.slice().reverse();
    while (stack.length) {
      var c = stack.pop();
      if (isHiddenInGroup(c)) {
        for (var i = c.children.length - 1; i >= 0; i--) stack.push(c.children[i]);
      } else {
        out.push(c);
      }
    }
    return out;
  }

  function matches(f) {
    if (!state.search) return false;
    var q = state.search.toLowerCase();
    var fr = FR[f];
    return fnName(f).toLowerCase().indexOf(q) >= 0 || (fr[1] || "").toLowerCase().indexOf(q) >= 0;
  }

  function highlight(text) {
    var q = state.search.toLowerCase();
    var i = q ? text.toLowerCase().indexOf(q) : -1;
    if (i < 0) return [text];
    return [text.slice(0, i), el("mark", { text: text.slice(i, i + q.length) }),
            text.slice(i + q.length)];
  }

  var rows = [];

  function renderTree(main) {
    var root = processed.root;
    rows = [];
    var box = el("div", { class: "tree", role: "tree" });
    if (!root) {
      main.appendChild(el("div", { class: "empty", text: "No samples were recorded." }));
      return;
    }
    var total = root.time;
    var stack = [[root, 0]];
    while (stack.length) {
      var item = stack.pop(), n = item[0], depth = item[1];
      var kids = visibleChildren(n), isOpen = state.open.has(n.path);
      rows.push({ node: n, depth: depth });
      box.appendChild(renderRow(n, depth, kids.length > 0, isOpen, total, rows.length - 1));
      if (isOpen)
        for (var i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
    }
    main.appendChild(box);
  }

  function renderRow(n, depth, hasKids, isOpen, total, index) {
    var fr = FR[n.f];
    var cls = "row";
    if (isThread(n.f)) cls += " thread";
    else if (isSynthetic(n.f)) cls += " synthetic";
    else if (fr[4]) cls += " app";
    if (n.group && n.group.root !== n) cls += " hiddenframe";
    if (matches(n.f)) cls += " match";
    if (state.selected === n.path) cls += " sel";
    var row = el("div", { class: cls, role: "treeitem", "data-index": index,
                          "aria-expanded": hasKids ? String(isOpen) : "false" });
    row.style.paddingLeft = (6 + depth * 16) + "px";
    row.appendChild(el("span", { class: "tog", text: hasKids ? (isOpen ? "\u25bc" : "\u25b6") : "" }));
    var time = el("span", { class: "time", text: fmtTime(n.time, total) });
    time.style.color = colour(total > 0 ? n.time / total : 0);
    row.appendChild(time);
    var name = el("span", { class: "name" }, highlight(fnName(n.f)));
    row.appendChild(name);
    if (isThread(n.f) && fr[1]) {
      row.appendChild(el("span", { class: "loc", text: "thread " + fr[2] }));
    } else if (fr[1] && !isSynthetic(n.f)) {
      var loc = (fr[3] || fr[1]) + (fr[2] ? ":" + fr[2] : "");
      row.appendChild(el("span", { class: "loc", title: fr[1] }, highlight(loc)));
    }
    if (n.group && n.group.root === n) {
      var g = n.group, opened = state.openGroups.has(n.path);
      var libs = g.libs.slice(0, 3).join(", ") + (g.libs.length > 3 ? "\u2026" : "");
      row.appendChild(el("span", {
        class: "group", "data-group": "1",
        title: opened ? "Collapse the library frames" : "Show the library frames",
        text: (opened ? "\u25be " : "\u25b8 ") + g.frames.length + " frames " +
              (opened ? "shown" : "hidden") + " (" + libs + ")"
      }));
    }
    return row;
  }

  function toggle(n, recursive) {
    state.touched = true;
    var open = !state.open.has(n.path);
    var stack = [n];
    while (stack.length) {
      var m = stack.pop();
      if (open) state.open.add(m.path); else state.open.delete(m.path);
      if (recursive) for (var i = 0; i < m.children.length; i++) stack.push(m.children[i]);
    }
  }

  function toggleGroup(n) {
    state.touched = true;
    if (state.openGroups.has(n.path)) state.openGroups.delete(n.path);
    else state.openGroups.add(n.path);
    state.open.add(n.path);
  }

  /* ---- the timeline ------------------------------------------------------------------- */

  var ROW_H = 18, LANE_GAP = 22;
  var tl = { start: 0, end: 0, lanes: [], canvas: null, drag: null };

  function timelineLanes() {
    var list = state.thread === "all" ? threads : [threads[+state.thread]];
    var lanes = [], end = 0;
    list.forEach(function (th) {
      if (!th) return;
      if (th.byDepth) {
        lanes.push({ thread: th, byDepth: th.byDepth });
        end = Math.max(end, th.root.start + th.root.time);
        return;
      }
      /* boxes by depth, each in time order, [self] left out */
      var byDepth = th.byDepth = [], stack = [th.root];
      while (stack.length) {
        var n = stack.pop();
        if (FR[n.f][7] !== SYN_SELF) {
          (byDepth[n.depth] = byDepth[n.depth] || []).push(n);
        }
        for (var i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
      }
      for (var d = 0; d < byDepth.length; d++) if (!byDepth[d]) byDepth[d] = [];
      lanes.push({ thread: th, byDepth: byDepth });
      end = Math.max(end, th.root.start + th.root.time);
    });
    var y = 0;
    lanes.forEach(function (l) {
      l.y = y;
      y += LANE_GAP + l.byDepth.length * ROW_H + 8;
    });
    return { lanes: lanes, end: end, height: y };
  }

  function boxColour(f, dim) {
    var fr = FR[f], h = 0, s = fr[0] + (fr[1] || "");
    if (isThread(f)) return dim ? "rgba(120,130,135,0.25)" : "#5f6a6f";
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    var hue = fr[4] ? 200 + (Math.abs(h) % 40) : 25 + (Math.abs(h) % 30);
    var light = fr[4] ? 52 : 42;
    return "hsla(" + hue + ",55%," + light + "%," + (dim ? 0.25 : 1) + ")";
  }

  function renderTimeline(main) {
    var info = timelineLanes();
    tl.lanes = info.lanes;
    if (!tl.end || tl.total !== info.end) { tl.start = 0; tl.end = info.end; tl.total = info.end; }
    var bar = el("div", { class: "tlbar" }, [
      el("button", { text: "\u2212", title: "Zoom out", onclick: function () { zoom(2, 0.5); } }),
      el("button", { text: "+", title: "Zoom in", onclick: function () { zoom(0.5, 0.5); } }),
      el("button", { text: "Reset", onclick: function () { tl.start = 0; tl.end = tl.total; draw(); } }),
      el("span", { text: "Scroll to zoom, drag to pan, hover for details." })
    ]);
    var wrap = el("div", { class: "timeline" });
    var canvas = el("canvas", { id: "timeline-canvas" });
    tl.canvas = canvas;
    tl.height = Math.max(info.height, 100);
    wrap.appendChild(bar);
    wrap.appendChild(canvas);
    main.appendChild(wrap);
    if (!info.lanes.length) {
      main.appendChild(el("div", { class: "empty", text: "No samples were recorded." }));
      return;
    }
    canvas.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = canvas.getBoundingClientRect();
      zoom(e.deltaY > 0 ? 1.25 : 0.8, (e.clientX - r.left) / r.width);
    }, { passive: false });
    canvas.addEventListener("mousedown", function (e) {
      tl.drag = { x: e.clientX, start: tl.start, end: tl.end };
      canvas.classList.add("drag");
    });
    window.addEventListener("mouseup", function () {
      tl.drag = null;
      canvas.classList.remove("drag");
    });
    canvas.addEventListener("mousemove", function (e) {
      var r = canvas.getBoundingClientRect();
      if (tl.drag) {
        var dt = (e.clientX - tl.drag.x) / r.width * (tl.drag.end - tl.drag.start);
        tl.start = tl.drag.start - dt;
        tl.end = tl.drag.end - dt;
        clampView();
        draw();
      }
      showTip(hit(e.clientX - r.left, e.clientY - r.top), e.clientX, e.clientY);
    });
    canvas.addEventListener("mouseleave", function () { showTip(null); });
    canvas.addEventListener("dblclick", function (e) {
      var r = canvas.getBoundingClientRect(), n = hit(e.clientX - r.left, e.clientY - r.top);
      if (n) { tl.start = n.start; tl.end = n.start + n.time; clampView(); draw(); }
    });
    draw();
  }

  function clampView() {
    var span = Math.max(tl.end - tl.start, tl.total * 1e-6, 1e-9);
    if (span > tl.total) span = tl.total;
    if (tl.start < 0) tl.start = 0;
    if (tl.start + span > tl.total) tl.start = tl.total - span;
    tl.end = tl.start + span;
  }

  function zoom(factor, at) {
    var span = tl.end - tl.start, pivot = tl.start + at * span;
    tl.start = pivot - (pivot - tl.start) * factor;
    tl.end = pivot + (tl.end - pivot) * factor;
    clampView();
    draw();
  }

  var AXIS_H = 20;

  function draw() {
    var c = tl.canvas;
    if (!c || !c.isConnected) return;
    var w = c.parentNode.clientWidth, h = tl.height + AXIS_H, dpr = window.devicePixelRatio || 1;
    c.width = w * dpr;
    c.height = h * dpr;
    c.style.width = w + "px";
    c.style.height = h + "px";
    var g = c.getContext("2d");
    g.scale(dpr, dpr);
    g.fillStyle = "#303538";
    g.fillRect(0, 0, w, h);
    var span = tl.end - tl.start, scale = w / (span || 1);
    /* the time axis */
    g.fillStyle = "#8f9a9e";
    g.font = "11px sans-serif";
    var step = Math.pow(10, Math.floor(Math.log10(span / 5 || 1)));
    if (span / step > 10) step *= 2;
    for (var t = Math.ceil(tl.start / step) * step; t <= tl.end; t += step) {
      var x = (t - tl.start) * scale;
      g.fillRect(x, 0, 1, AXIS_H - 4);
      g.fillText(+t.toFixed(6) + "s", x + 3, 11);
    }
    g.font = "12px sans-serif";
    tl.lanes.forEach(function (lane) {
      var y0 = AXIS_H + lane.y;
      g.fillStyle = "#5dade2";
      g.fillText(lane.thread.label, 6, y0 + 14);
      y0 += LANE_GAP;
      for (var d = 0; d < lane.byDepth.length; d++) {
        var list = lane.byDepth[d], y = y0 + d * ROW_H;
        for (var i = firstVisible(list, tl.start); i < list.length; i++) {
          var n = list[i];
          if (n.start > tl.end) break;
          var x0 = (n.start - tl.start) * scale, x1 = (n.start + n.time - tl.start) * scale;
          if (x1 - x0 < 0.3) continue;
          var dim = state.search && !matches(n.f);
          g.fillStyle = boxColour(n.f, dim);
          g.fillRect(Math.max(x0, 0), y, Math.min(x1, w) - Math.max(x0, 0) - 0.5, ROW_H - 1);
          if (state.search && !dim) {
            g.strokeStyle = "#ffd166";
            g.strokeRect(Math.max(x0, 0) + 0.5, y + 0.5, Math.min(x1, w) - Math.max(x0, 0) - 1.5, ROW_H - 2);
          }
          if (x1 - x0 > 30) {
            g.save();
            g.beginPath();
            g.rect(Math.max(x0, 0), y, Math.min(x1, w) - Math.max(x0, 0) - 2, ROW_H);
            g.clip();
            g.fillStyle = dim ? "rgba(255,255,255,0.4)" : "#fff";
            g.fillText(fnName(n.f), Math.max(x0, 0) + 3, y + 13);
            g.restore();
          }
        }
      }
    });
  }

  /* the first box of a depth (sorted by start) that may reach past @t */
  function firstVisible(list, t) {
    var lo = 0, hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid].start + list[mid].time < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function hit(x, y) {
    var w = tl.canvas.clientWidth, t = tl.start + x / w * (tl.end - tl.start);
    for (var l = 0; l < tl.lanes.length; l++) {
      var lane = tl.lanes[l], d = Math.floor((y - AXIS_H - lane.y - LANE_GAP) / ROW_H);
      if (d < 0 || d >= lane.byDepth.length) continue;
      var list = lane.byDepth[d], i = firstVisible(list, t);
      if (i < list.length && list[i].start <= t) return list[i];
    }
    return null;
  }

  var tip = el("div", { class: "tip", hidden: "" });

  function showTip(n, x, y) {
    if (!n) { tip.hidden = true; return; }
    var fr = FR[n.f];
    tip.textContent = "";
    tip.appendChild(el("div", {}, [el("span", { class: "t", text: fmtTime(n.time, tl.total) }),
                                   " " + fnName(n.f)]));
    if (fr[1]) tip.appendChild(el("div", { class: "f", text: fr[1] + (fr[2] ? ":" + fr[2] : "") }));
    tip.appendChild(el("div", { class: "f", text: "starts at " + n.start.toFixed(precision) + "s" +
                                    (fr[4] || isThread(n.f) ? "" : " \u00b7 library") }));
    tip.hidden = false;
    tip.style.left = Math.min(x + 14, window.innerWidth - 300) + "px";
    tip.style.top = (y + 14) + "px";
  }

  /* ---- the page ----------------------------------------------------------------------- */

  var app = document.getElementById("app");
  var mainEl, optionsEl, searchCount;

  function header() {
    var s = data.session;
    var when = new Date(s.start_time * 1000);
    var cpu = s.duration > 0 ? Math.round(100 * s.cpu_time / s.duration) + "%" : "n/a";
    var threadSel = el("select", { id: "thread-select", title: "Thread",
      onchange: function (e) { state.thread = e.target.value; state.touched = false; refresh(true); } },
      [el("option", { value: "all", text: "All threads (" + threads.length + ")" })].concat(
        threads.map(function (th) { return el("option", { value: String(th.index), text: th.label }); })));
    var search = el("input", { id: "search", type: "search", placeholder: "Search functions and files",
      oninput: function (e) { state.search = e.target.value; refresh(false); },
      onkeydown: function (e) { if (e.key === "Enter") revealMatches(); } });
    searchCount = el("span", { class: "meta", id: "search-count" });
    var viewTree = el("button", { id: "view-tree", text: "Call tree",
      onclick: function () { state.view = "tree"; refresh(false); } });
    var viewTl = el("button", { id: "view-timeline", text: "Timeline",
      onclick: function () { state.view = "timeline"; refresh(false); } });
    var optBtn = el("button", { id: "options-button", text: "View options",
      onclick: function () { optionsEl.hidden = !optionsEl.hidden; } });
    var meta = el("div", { class: "meta" }, [
      el("span", {}, ["Recorded: ", el("b", { text: when.toLocaleString() })]),
      el("span", {}, ["Duration: ", el("b", { text: s.duration.toFixed(3) + "s" })]),
      el("span", {}, ["Samples: ", el("b", { text: String(data.pyinstr.recorded_samples) })]),
      el("span", {}, ["CPU utilization: ", el("b", { text: cpu })]),
      el("span", {}, ["Threads: ", el("b", { text: String(threads.length) })])
    ]);
    app.appendChild(el("header", {}, [
      el("div", { class: "title", title: s.target_description, text: s.target_description || "pyinstr" }),
      meta,
      el("div", { class: "controls" }, [el("span", { class: "seg" }, [viewTree, viewTl]), threadSel,
                                         search, searchCount, optBtn])
    ]));
    var rs = data.pyinstr.resampled;
    if (rs) {
      app.appendChild(el("div", { class: "note", id: "resampled-note", text:
        "This session has " + data.pyinstr.recorded_samples + " samples, too many for this page: " +
        "pyinstr resampled it to " + rs.samples + " samples with an interval of " +
        rs.interval.toFixed(6) + " s, so each time here is within about one interval; the text, json and " +
        "pstats reports use every sample." }));
    }
    app.appendChild(optionsEl = options());
    app.appendChild(mainEl = el("main", { tabindex: "0", id: "main" }));
    app.appendChild(tip);
    return { tree: viewTree, timeline: viewTl };
  }

  function options() {
    function check(id, key, label) {
      var box = el("input", { type: "checkbox", id: id, onchange: function (e) {
        state[key] = e.target.checked; refresh(true); } });
      box.checked = state[key];
      return el("label", {}, [box, " " + label]);
    }
    var mode = el("select", { id: "collapse-mode", onchange: function (e) {
      state.collapse = e.target.value; custom.hidden = state.collapse !== "custom"; refresh(true); } }, [
      el("option", { value: "library", text: "Library code" }),
      el("option", { value: "custom", text: "Custom show/hide regex" }),
      el("option", { value: "disabled", text: "Disabled" })]);
    var showRe = el("input", { type: "text", id: "show-regex", placeholder: "show regex (file path)",
      oninput: function (e) { state.showRegex = e.target.value; refresh(true); } });
    var hideRe = el("input", { type: "text", id: "hide-regex", placeholder: "hide regex (file path)",
      oninput: function (e) { state.hideRegex = e.target.value; refresh(true); } });
    var custom = el("span", { hidden: "" }, [" ", showRe, " ", hideRe]);
    var threshold = el("input", { type: "number", id: "threshold", min: "0", max: "100", step: "0.1",
      value: String(state.threshold), oninput: function (e) { state.threshold = e.target.value; refresh(true); } });
    var fmt = el("select", { id: "time-format", onchange: function (e) {
      state.timeFormat = e.target.value; refresh(false); } }, [
      el("option", { value: "absolute", text: "Absolute (seconds)" }),
      el("option", { value: "percent", text: "Proportion of total" })]);
    return el("div", { class: "options", id: "options", hidden: "" }, [
      el("fieldset", {}, [el("legend", { text: "Collapse" }), mode, custom]),
      el("fieldset", {}, [el("legend", { text: "Remove" }),
        check("remove-importlib", "removeImportlib", "importlib"), " ",
        check("remove-tracebackhide", "removeTracebackhide", "__tracebackhide__")]),
      el("fieldset", {}, [el("legend", { text: "Hide frames below" }), threshold, " %"]),
      el("fieldset", {}, [el("legend", { text: "Time" }), fmt])
    ]);
  }

  var buttons = header();

  function refresh(reprocess) {
    if (reprocess || !processed) process();
    buttons.tree.className = state.view === "tree" ? "on" : "";
    buttons.timeline.className = state.view === "timeline" ? "on" : "";
    var sr = document.getElementById("show-regex"), hr = document.getElementById("hide-regex");
    sr.className = processed.errors.show ? "bad" : "";
    hr.className = processed.errors.hide ? "bad" : "";
    var scroll = mainEl.scrollTop;
    mainEl.textContent = "";
    if (state.view === "tree") renderTree(mainEl);
    else renderTimeline(mainEl);
    mainEl.scrollTop = scroll;
    var found = state.search ? countMatches() : 0;
    searchCount.textContent = state.search ? found + (found === 1 ? " match" : " matches") : "";
  }

  function countMatches() {
    var n = 0, stack = processed.root ? [processed.root] : [];
    while (stack.length) {
      var m = stack.pop();
      if (matches(m.f)) n++;
      for (var i = 0; i < m.children.length; i++) stack.push(m.children[i]);
    }
    return n;
  }

  /* open every frame above a match (and the groups hiding one), then show the first */
  function revealMatches() {
    if (!processed.root || !state.search) return;
    state.touched = true;
    var first = null, stack = [processed.root];
    while (stack.length) {
      var n = stack.pop();
      if (matches(n.f)) {
        if (!first) first = n;
        for (var p = n.parent; p; p = p.parent) {
          state.open.add(p.path);
          if (p.group) state.openGroups.add(p.group.root.path);
        }
        if (n.group) state.openGroups.add(n.group.root.path);
      }
      for (var i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
    if (first) state.selected = first.path;
    state.view = "tree";
    refresh(false);
    scrollToSelected();
  }

  function scrollToSelected() {
    var row = mainEl.querySelector(".row.sel");
    if (row) row.scrollIntoView({ block: "nearest" });
  }

  function selectIndex(i) {
    if (!rows.length) return;
    i = Math.max(0, Math.min(rows.length - 1, i));
    state.selected = rows[i].node.path;
    refresh(false);
    scrollToSelected();
  }

  mainEl.addEventListener("click", function (e) {
    var rowEl = e.target.closest(".row");
    if (!rowEl) return;
    var r = rows[+rowEl.getAttribute("data-index")];
    state.selected = r.node.path;
    if (e.target.closest("[data-group]")) toggleGroup(r.node);
    else toggle(r.node, e.altKey);
    refresh(false);
    mainEl.focus({ preventScroll: true });
  });

  mainEl.addEventListener("keydown", function (e) {
    if (state.view !== "tree") return;
    var i = -1;
    for (var k = 0; k < rows.length; k++) if (rows[k].node.path === state.selected) i = k;
    var r = rows[i], n = r && r.node;
    switch (e.key) {
      case "ArrowDown": selectIndex(i + 1); break;
      case "ArrowUp": selectIndex(i < 0 ? 0 : i - 1); break;
      case "ArrowRight":
        if (!n) { selectIndex(0); break; }
        if (!state.open.has(n.path) && visibleChildren(n).length) { toggle(n, e.altKey); refresh(false); }
        else selectIndex(i + 1);
        break;
      case "ArrowLeft":
        if (!n) break;
        if (state.open.has(n.path) && visibleChildren(n).length) { toggle(n, e.altKey); refresh(false); }
        else {
          for (var j = i - 1; j >= 0; j--) if (rows[j].depth < r.depth) { selectIndex(j); break; }
        }
        break;
      case "Enter": case " ":
        if (n) { toggle(n, e.altKey); refresh(false); }
        break;
      case "g":
        if (n && n.group) { toggleGroup(n.group.root); refresh(false); }
        break;
      default: return;
    }
    e.preventDefault();
  });

  window.addEventListener("resize", function () { if (state.view === "timeline") draw(); });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement.tagName !== "INPUT") {
      e.preventDefault();
      document.getElementById("search").focus();
    }
  });

  refresh(true);
  mainEl.focus({ preventScroll: true });
  window.pyinstrReport = { state: state, threads: threads, rows: function () { return rows; } };
})();
