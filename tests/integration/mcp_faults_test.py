#!/usr/bin/env python3
"""MCP servers that die in the middle of a call, through `cadre mcp call`
(the real binary, the real sandbox, the fixture servers of
tests/fixtures/mcp): one exits on its own mid-call, one is killed with
SIGKILL from outside while cadre waits for its answer. Each time cadre must
come back promptly with an error that says the server died, exit non-zero,
leave no process behind, and the next call (a fresh start of the server)
must work. Usage:

    mcp_faults_test.py --cadre build/cadre
"""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from cadre_wire import test_setup, isolated_env, write_user_config  # noqa: E402

FIXTURES = os.path.realpath(os.path.join(HERE, "..", "fixtures", "mcp"))


def pids_of(marker):
    out = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out if int(p) != os.getpid()]


def main():
    _, cadre, check, tmp = test_setup("cadre-mcp-faults-")
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        # A copy of the hanging fixture under a unique path, so pgrep finds only ours.
        hang = os.path.join(tmp, "fixtures", "hang_call_%d.py" % os.getpid())
        shutil.copytree(FIXTURES, os.path.dirname(hang))
        shutil.copy(os.path.join(FIXTURES, "hang_call.py"), hang)
        env = isolated_env(os.path.join(tmp, "home"), TERM="dumb")
        write_user_config(env, {"mcpServers": {
            "crash": {"command": os.path.join(FIXTURES, "crash.py"), "env": {"PYTHONDONTWRITEBYTECODE": "1"},
                      "autoApprove": ["boom", "echo"]},
            "hang": {"command": hang, "env": {"PYTHONDONTWRITEBYTECODE": "1"}, "autoApprove": ["hang", "echo"]}}})

        def call(tool, arguments="{}", timeout=60):
            return subprocess.Popen([cadre, "mcp", "call", tool, arguments], cwd=project, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

        start = time.time()
        p = call("crash__boom")
        out, err = p.communicate(timeout=60)
        took = time.time() - start
        print("crash__boom: exit %d in %.1f s: %s" % (p.returncode, took, err.strip()[:300]))
        check(p.returncode not in (0, None) and took < 20, "a server that exits mid-call fails the call promptly")
        check("exited with code 3" in err and "crashing on purpose" in err,
              "…with an error saying the server exited mid-call, with its last words: " + err.strip()[-300:])
        p = call("crash__echo")
        out, _ = p.communicate(timeout=60)
        check(p.returncode == 0 and "still here" in out, "the next call starts the server again and works")

        p = call("hang__hang")
        deadline = time.time() + 30
        while not pids_of(os.path.basename(hang)) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the call is in flight: the server sleeps in it
        victims = pids_of(os.path.basename(hang))
        check(bool(victims), "the hanging server is running its call")
        killed_at = time.time()
        for pid in victims:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        out, err = p.communicate(timeout=60)
        took = time.time() - killed_at
        print("hang__hang after SIGKILL of the server: exit %d in %.1f s: %s" % (p.returncode, took, err.strip()[:300]))
        check(p.returncode not in (0, None) and took < 20, "a server killed mid-call fails the call promptly (%.1f s)" % took)
        check("stopped during the" in err or "exited with code 137" in err, "…saying the server stopped: " + err.strip()[-300:])
        check(not pids_of(os.path.basename(hang)), "nothing of the killed server is left running")
        p = call("hang__echo")
        out, _ = p.communicate(timeout=60)
        check(p.returncode == 0 and "ok" in out, "a later call to the same server works")
        audit = subprocess.run([cadre, "audit", "verify"], cwd=project, env=env, capture_output=True, text=True, timeout=60)
        check(audit.returncode == 0, "the audit trail verifies: " + (audit.stdout + audit.stderr).strip()[:200])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
