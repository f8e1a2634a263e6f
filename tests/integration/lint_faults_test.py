#!/usr/bin/env python3
"""Linters that misbehave, through the real binary and the real sandbox: one
that hangs and one that floods its output without end. Each is configured in
the project (.cadre/config.json), approved like any command, and run by
cadre/shadow.lint on a task's change (twice each: on the files before and
after the change, for the delta). Each must be killed at its timeoutSeconds
(its process gone, not left behind) and reported as a problem naming the
linter; the flood must not grow cadre's memory (output is kept up to
security.commandMaxOutputKB and the rest drained), nor become diagnostics;
and the session keeps serving. Usage:

    lint_faults_test.py --cadre build/cadre
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from cadre_wire import test_setup, Cadre, isolated_env  # noqa: E402

HANG_SECONDS = "617"  # an odd number, so the test can find exactly its own sleep


def sleeping():
    out = subprocess.run(["pgrep", "-f", "sleep " + HANG_SECONDS], capture_output=True, text=True).stdout.split()
    return [p for p in out if p != str(os.getpid())]


def peak_rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    _, cadre, check, tmp = test_setup("cadre-lint-faults-")
    s = None
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(os.path.join(project, ".cadre"))
        with open(os.path.join(project, "a.py"), "w") as f:
            f.write("x = 1\n")
        lint = {"autodetect": False, "linters": [
            {"name": "hang", "command": ["sleep", HANG_SECONDS], "globs": ["*.py"], "timeoutSeconds": 2},
            {"name": "flood", "command": ["yes", "a.py:1:1: error: flood"], "globs": ["*.py"], "timeoutSeconds": 3},
        ]}
        with open(os.path.join(project, ".cadre", "config.json"), "w") as f:
            json.dump({"lint": lint}, f)
        env = isolated_env(os.path.join(tmp, "home"))
        s = Cadre(cadre, project, env, stderr=open(os.path.join(tmp, "cadre.log"), "w"))
        s.initialize(project)
        r = s.request("cadre/tools.call", {"name": "write_file", "task": "t", "arguments": {"path": "a.py", "content": "x = 2\n"}})
        check("result" in r, "the task's change is in the shadow")
        hwm_before = peak_rss_kb(s.p.pid)
        start = time.time()
        r = s.request("cadre/shadow.lint", {"task": "t"}, timeout=60)
        took = time.time() - start
        res = r.get("result", {})
        problems = res.get("problems", [])
        print("lint took %.1f s; problems: %s" % (took, json.dumps(problems)[:600]))
        hang = [p for p in problems if "hang" in json.dumps(p)]
        flood = [p for p in problems if "flood" in json.dumps(p)]
        check(hang and "timed out after 2 s" in json.dumps(hang[0]), "the hanging linter is reported as timed out after 2 s")
        check(not sleeping(), "the hanging linter's process was killed, not left behind")
        check(flood and "timed out after 3 s" in json.dumps(flood[0]), "the flooding linter is reported as timed out after 3 s")
        check(took < 2 * (2 + 3) + 8, "lint came back soon after the timeouts (2 × (2 s + 3 s)): %.1f s" % took)
        growth = (peak_rss_kb(s.p.pid) - hwm_before) / 1024
        check(growth < 64, "cadre's peak RSS grew by %.1f MB while the flood ran (bound: 64 MB)" % growth)
        check(len(res.get("diagnostics", [])) < 1000, "the flood did not become thousands of diagnostics")
        check(s.request("cadre/ping").get("result") is not None, "the session still answers")
        check(s.shutdown() == 0, "cadre exits cleanly")
    finally:
        if s:
            s.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
