#!/usr/bin/env python3
"""A full disk during checkpoint and apply, through the real binary, on small
tmpfs mounts (this test needs root to mount them; it is skipped otherwise).

Two mounts: one holds the project, one cadre's state (the checkpoint
repository). With the state disk full, cadre/checkpoint.create fails with a
clear error and cadre/shadow.apply (which checkpoints first) fails before it
touches a file. With the project disk full, the apply fails and every file is
still old, with no temp file left behind. Then space is freed and cadre is
restarted: the checkpoint repository opens with the checkpoint taken before
the disk filled, a new checkpoint is taken, and the same change (redone in
the new session: a task's shadow lives in its session) lands whole.
Usage:

    disk_full_test.py --cadre build/cadre

Exit code 0 = pass, 1 = fail, 77 = skipped (no permission to mount).
"""
import errno
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from cadre_wire import test_setup, Cadre, isolated_env  # noqa: E402

N = 5


def fill(directory):
    """Writes a file until the disk is full; returns its path."""
    path = os.path.join(directory, "filler")
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 8, 1):
            while True:
                try:
                    f.write(b"\0" * size)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return path


def old(i):
    return "original %d\n" % i


def new(i):
    return ("rewritten %d\n" % i) * 4000  # 50 KB each: more than a full disk has left


def main():
    _, cadre, check, tmp = test_setup("cadre-disk-full-")
    mounts = []
    s = None
    try:
        disk_project, disk_state = os.path.join(tmp, "disk-project"), os.path.join(tmp, "disk-state")
        for d, size in ((disk_project, "2m"), (disk_state, "8m")):
            os.makedirs(d)
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", d], capture_output=True, text=True)
            if r.returncode != 0:
                print("SKIP: cannot mount a tmpfs (%s)" % r.stderr.strip())
                return 77
            mounts.append(d)
        project = os.path.join(disk_project, "project")
        os.makedirs(project)
        files = [os.path.join(project, "f%d.txt" % i) for i in range(N)]
        for i, p in enumerate(files):
            with open(p, "w") as f:
                f.write(old(i))
        env = isolated_env(os.path.join(tmp, "home"), XDG_STATE_HOME=disk_state)
        state = lambda: [open(p).read() for p in files]  # noqa: E731
        log = open(os.path.join(tmp, "cadre.log"), "w")

        s = Cadre(cadre, project, env, stderr=log)
        s.initialize(project)
        first = s.request("cadre/checkpoint.create", {"message": "before the disk filled"}).get("result", {})
        check(first.get("created"), "a checkpoint is taken while there is space")
        for i in range(N):
            s.request("cadre/tools.call", {"name": "write_file", "task": "t", "arguments": {"path": "f%d.txt" % i, "content": new(i)}})

        # The state disk full: checkpoints fail, and so does an apply (it checkpoints first).
        filler = fill(disk_state)
        with open(files[0], "a") as f:
            f.write("an edit by the user\n")  # something for a checkpoint to store
        r = s.request("cadre/checkpoint.create", {"message": "disk full"})
        err = r.get("error", {}).get("message", "")
        check("error" in r and ("space" in err.lower() or "full" in err.lower()),
              "a checkpoint on a full disk is a clear error: " + err[:200])
        with open(files[0], "w") as f:
            f.write(old(0))
        r = s.request("cadre/shadow.apply", {"task": "t"}, timeout=60)
        err = r.get("error", {}).get("message", "")
        check("error" in r and ("space" in err.lower() or "full" in err.lower()),
              "an apply that cannot checkpoint first fails clearly: " + err[:200])
        check(state() == [old(i) for i in range(N)], "…and no file changed")
        os.remove(filler)

        # The project disk full: the apply fails and every file stays old.
        filler = fill(disk_project)
        r = s.request("cadre/shadow.apply", {"task": "t"}, timeout=60)
        err = r.get("error", {}).get("message", "")
        check("error" in r and ("space" in err.lower() or "full" in err.lower()),
              "an apply onto a full disk is a clear error: " + err[:200])
        check(state() == [old(i) for i in range(N)], "every file is still old after the failed apply")
        check(not [f for f in os.listdir(project) if f.startswith(".cadre-")], "no temp file is left in the project")
        check(s.request("cadre/ping").get("result") is not None, "the server still answers")
        s.kill()
        os.remove(filler)

        # Space again: a new cadre opens the repository and the apply lands.
        s = Cadre(cadre, project, env, stderr=log)
        s.initialize(project)
        listed = s.request("cadre/checkpoint.list").get("result", {}).get("checkpoints", [])
        check([c.get("message") for c in listed][:1] == ["before the disk filled"],
              "after a restart the checkpoint repository opens with the earlier checkpoint: %s" % [c.get("message") for c in listed])
        again = s.request("cadre/checkpoint.create", {"message": "space again"}).get("result", {})
        check("checkpoint" in again, "and takes new checkpoints")
        # A task's shadow lives in its session: the new session redoes the edits.
        for i in range(N):
            s.request("cadre/tools.call", {"name": "write_file", "task": "t", "arguments": {"path": "f%d.txt" % i, "content": new(i)}})
        r = s.request("cadre/shadow.apply", {"task": "t"}, timeout=60)
        check("result" in r and state() == [new(i) for i in range(N)], "the same change now lands whole: %s" % r.get("error"))
        verify = subprocess.run([cadre, "audit", "verify", project], env=env, capture_output=True, text=True)
        check(verify.returncode == 0, "the audit trail verifies: " + (verify.stdout + verify.stderr).strip()[:300])
        check(s.shutdown() == 0, "cadre exits cleanly")
    finally:
        if s:
            s.kill()
        for d in reversed(mounts):
            subprocess.run(["umount", "-l", d])
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
