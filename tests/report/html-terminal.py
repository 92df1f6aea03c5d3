#!/usr/bin/env python3
"""-r html with a terminal on stdout and no -o: the page goes to $TMPDIR/pyinstr-*.html, the
path is printed as pyinstrument prints it, and xdg-open is handed the file (a stand-in here that
records its argument); without xdg-open the path alone is printed.

usage: html-terminal.py PYINSTR SESSION
"""
import os
import pty
import re
import subprocess
import sys
import tempfile
import time


def run_on_tty(argv, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out.decode("utf-8", "replace")


def main():
    pyinstr, session = os.path.abspath(sys.argv[1]), sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = os.path.join(tmp, "bin")
        os.mkdir(bin_dir)
        opened = os.path.join(tmp, "opened")
        with open(os.path.join(bin_dir, "xdg-open"), "w") as f:
            f.write(f'#!/bin/sh\necho "$1" > {opened}\n')
        os.chmod(os.path.join(bin_dir, "xdg-open"), 0o755)
        env = {"PATH": bin_dir, "TMPDIR": tmp, "HOME": tmp}

        out = run_on_tty([pyinstr, "--load", session, "-r", "html"], env)
        m = re.search(r"stdout is a terminal, so saved profile output to (\S+\.html)", out)
        assert m, out
        path = m.group(1)
        assert path.startswith(tmp + "/pyinstr-"), path
        with open(path, encoding="utf-8") as f:
            assert f.read().startswith("<!DOCTYPE html>")
        for _ in range(100):
            if os.path.exists(opened):
                break
            time.sleep(0.05)
        with open(opened) as f:
            assert f.read().strip() == path
        print("ok: the page went to", path, "and xdg-open was given it")

        env["PATH"] = os.path.join(tmp, "empty")
        out = run_on_tty([pyinstr, "--load", session, "-r", "html"], env)
        assert "saved profile output to" in out and "no xdg-open" in out, out
        print("ok: without xdg-open the path is printed")


if __name__ == "__main__":
    main()
