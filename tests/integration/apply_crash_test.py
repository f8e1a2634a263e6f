#!/usr/bin/env python3
"""kill -9 in the middle of a multi-file apply, through the real binary.

cadre serves a project that is a git repository. A task rewrites six files in
its shadow; cadre/shadow.apply is approved, and cadre (slowed between renames
by the CADRE_FAULT_APPLY_PAUSE_MS fault hook) is killed with SIGKILL while it
replaces them — the files are then a mix. A new cadre on the same project
rolls the interrupted apply back at `initialized`: every file is as it was.
A second, uninterrupted apply lands whole. The user's .git is byte-identical
throughout. Usage:

    apply_crash_test.py --cadre build/cadre

Exit code 0 = pass, 1 = fail.
"""
import argparse
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PASSED, FAILED = [], []
N = 6


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


class Server:
    def __init__(self, cadre, project, env):
        self.p = subprocess.Popen([cadre, "serve", "--stdio"], cwd=project, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""
        self.project = project

    def send(self, obj):
        body = json.dumps(obj).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def read(self, timeout=15):
        deadline = time.time() + timeout
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
                if len(rest) >= length:
                    self.buf = rest[length:]
                    return json.loads(rest[:length])
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no message from cadre")
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise EOFError("cadre closed stdout")
                self.buf += chunk

    def wait_for(self, pred, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.read(deadline - time.time())
            if pred(m):
                return m
        raise TimeoutError("expected message did not come")

    def start(self):
        uri = "file://" + self.project
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"rootUri": uri, "capabilities": {"experimental": {"cadre": {"approvals": True}}}}})
        self.wait_for(lambda m: m.get("id") == 1)
        self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})


def tree_hash(path):
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(p[len(path):].encode() + b"\0")
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def old(i):
    return "line one of file %d\nline two\n" % i


def new(i):
    return "REWRITTEN file %d\nby the task\n" % i


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    tmp = tempfile.mkdtemp(prefix="cadre-crash-")
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        for i in range(N):
            with open(os.path.join(project, "f%d.txt" % i), "w") as f:
                f.write(old(i))
        genv = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                    GIT_COMMITTER_EMAIL="t@t", HOME=tmp)
        subprocess.run(["git", "init", "-q"], cwd=project, check=True, env=genv)
        subprocess.run(["git", "add", "-A"], cwd=project, check=True, env=genv)
        subprocess.run(["git", "commit", "-qm", "base"], cwd=project, check=True, env=genv)
        git_before = tree_hash(os.path.join(project, ".git"))

        home = os.path.join(tmp, "home")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))
        state = lambda: [open(os.path.join(project, "f%d.txt" % i)).read() for i in range(N)]

        mixed = False
        for attempt, kill_after in enumerate((0.45, 0.3, 0.6, 0.8)):
            s = Server(cadre, project, dict(env, CADRE_FAULT_APPLY_PAUSE_MS="200"))
            s.start()
            for i in range(N):
                s.send({"jsonrpc": "2.0", "id": 10 + i, "method": "cadre/tools.call",
                        "params": {"name": "write_file", "task": "t", "arguments": {"path": "f%d.txt" % i, "content": new(i)}}})
                s.wait_for(lambda m, i=i: m.get("id") == 10 + i)
            s.send({"jsonrpc": "2.0", "id": 50, "method": "cadre/shadow.apply", "params": {"task": "t"}})
            req = s.wait_for(lambda m: m.get("method") == "cadre/approval.request")
            s.send({"jsonrpc": "2.0", "id": req["id"], "result": {"decision": "allowOnce"}})
            time.sleep(kill_after)
            s.p.send_signal(signal.SIGKILL)
            s.p.wait()
            now = state()
            news = sum(now[i] == new(i) for i in range(N))
            olds = sum(now[i] == old(i) for i in range(N))
            print("attempt %d: killed after %.2fs with %d new, %d old" % (attempt, kill_after, news, olds))
            if 0 < news < N:
                mixed = True
                break
            # Not mid-apply this time: undo and try another moment.
            for i in range(N):
                with open(os.path.join(project, "f%d.txt" % i), "w") as f:
                    f.write(old(i))
            shutil.rmtree(os.path.join(home, "state"), ignore_errors=True)
        check(mixed, "SIGKILL landed in the middle of the apply (a mix of old and new files on disk)")

        s = Server(cadre, project, env)
        s.start()
        msg = s.wait_for(lambda m: m.get("method") == "window/showMessage" and "interrupted" in m["params"]["message"])
        check("rolled back" in msg["params"]["message"], "the restarted cadre says it rolled back the interrupted apply")
        check(state() == [old(i) for i in range(N)], "after recovery every file is as it was before the apply")
        check(not [f for f in os.listdir(project) if f.startswith(".cadre-")], "no temp file is left in the project")

        for i in range(N):
            s.send({"jsonrpc": "2.0", "id": 10 + i, "method": "cadre/tools.call",
                    "params": {"name": "write_file", "task": "t2", "arguments": {"path": "f%d.txt" % i, "content": new(i)}}})
            s.wait_for(lambda m, i=i: m.get("id") == 10 + i)
        s.send({"jsonrpc": "2.0", "id": 60, "method": "cadre/shadow.apply", "params": {"task": "t2"}})
        req = s.wait_for(lambda m: m.get("method") == "cadre/approval.request")
        s.send({"jsonrpc": "2.0", "id": req["id"], "result": {"decision": "allowOnce"}})
        res = s.wait_for(lambda m: m.get("id") == 60)
        check(len(res.get("result", {}).get("written", [])) == N, "an uninterrupted apply writes all six files")
        check(state() == [new(i) for i in range(N)], "…and they hold the new content")
        check(tree_hash(os.path.join(project, ".git")) == git_before,
              "the user's .git is byte-identical after crash, recovery and apply (no objects, index or HEAD touched)")

        # Only when asked (and approved): the applied change on a new branch.
        index_before = open(os.path.join(project, ".git", "index"), "rb").read()
        head_before = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, env=genv).stdout
        s.send({"jsonrpc": "2.0", "id": 70, "method": "cadre/shadow.commitBranch", "params": {"task": "t2"}})
        req = s.wait_for(lambda m: m.get("method") == "cadre/approval.request")
        check("commit to a new branch 'cadre/t2'" in req["params"].get("diff", ""), "the commit is put to the user first")
        s.send({"jsonrpc": "2.0", "id": req["id"], "result": {"decision": "allowOnce"}})
        res = s.wait_for(lambda m: m.get("id") == 70).get("result", {})
        check(res.get("branch") == "cadre/t2" and len(res.get("files", [])) == N, "commitBranch made cadre/t2 with the six files")
        names = subprocess.run(["git", "diff", "--name-only", "HEAD", "cadre/t2"], cwd=project, capture_output=True,
                               text=True, env=genv).stdout.split()
        check(names == ["f%d.txt" % i for i in range(N)], "the branch holds exactly the applied change on top of HEAD")
        check(subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, env=genv).stdout == head_before
              and open(os.path.join(project, ".git", "index"), "rb").read() == index_before,
              "HEAD and the index are untouched by the branch commit")
        s.send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
        s.wait_for(lambda m: m.get("id") == 99)
        s.send({"jsonrpc": "2.0", "method": "exit"})
        s.p.wait(timeout=10)
        audit = subprocess.run([cadre, "audit", "verify", project], env=env, capture_output=True, text=True)
        check(audit.returncode == 0, "the audit chain is intact after the crash: " + audit.stdout.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
