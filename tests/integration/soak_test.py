#!/usr/bin/env python3
"""Soak: one `cadre serve --tcp` under mixed traffic for a long while,
watching its memory and file descriptors for growth. Opt-in: runs only with
CADRE_SOAK=1 (exit 77, skipped, otherwise); CADRE_SOAK_SECONDS sets the
duration (default 600).

Two client threads loop over cycles, each cycle on a new TCP connection:
initialize with the project, open 20 documents and edit them 50 times,
documentSymbol on each, workspace/symbol, pings, close the documents, run a
task against a scripted model (planner, executor, reviewer), diff and discard
its shadow, a checkpoint every fifth cycle, shutdown, disconnect. RSS and
open descriptors are sampled every 2 s. After a warm-up (the first quarter),
the run fails if RSS grows by more than 20% + 16 MB over the warm-up's peak,
or descriptors by more than 4 over the warm-up's count, or if any request
goes unanswered. Run it against the release build (ASan's quarantine alone
holds up to 256 MB): make soak.

    CADRE_SOAK=1 soak_test.py --cadre build/cadre
"""
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from cadre_wire import Cadre, test_setup, ModelServer, isolated_env, write_user_config  # noqa: E402

PLAN = '```json\n{"steps": [{"title": "rewrite notes.txt", "files": ["notes.txt"]}], "criteria": ["rewritten"]}\n```'
RSS_GROWTH_FACTOR, RSS_GROWTH_MB, FD_GROWTH = 1.20, 16, 4


def sample(pid):
    rss = 0
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir("/proc/%d/fd" % pid))


def cycle(port, project, n, worker):
    c = Cadre.tcp(port)
    try:
        c.initialize(project)
        uris = ["file://%s/w%d_doc%d.py" % (project, worker, i) for i in range(20)]
        for i, uri in enumerate(uris):
            c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                               "text": "def f%d(x):\n    return x\n" % i}})
        for e in range(50):
            uri = uris[e % len(uris)]
            c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2 + e},
                                                "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                                                              "end": {"line": 0, "character": 0}},
                                                                    "text": "def g%d(y):\n    return y\n" % e}]})
            if e % 10 == 0:
                c.request("cadre/ping")
        for uri in uris:
            r = c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
            if "result" not in r:
                raise RuntimeError("documentSymbol failed: %s" % r)
        c.request("workspace/symbol", {"query": "f1"})
        for uri in uris:
            c.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        task = "soak%d_%d" % (worker, n)
        status, _ = c.task("Rewrite notes.txt.", task, timeout=120)
        if status["status"] != "ready":
            raise RuntimeError("task ended %s" % status)
        c.request("cadre/shadow.diff", {"task": task})
        c.request("cadre/shadow.discard", {"task": task})
        if n % 5 == 0:
            c.request("cadre/checkpoint.create", {"message": "soak %d" % n})
        c.request("shutdown")
    finally:
        c.kill()


def main():
    if os.environ.get("CADRE_SOAK") != "1":
        print("SKIP: the soak runs only with CADRE_SOAK=1 (CADRE_SOAK_SECONDS, default 600)")
        return 77
    seconds = int(os.environ.get("CADRE_SOAK_SECONDS", "600"))
    _, cadre, check, tmp = test_setup("cadre-soak-")
    server, models = None, None
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        with open(os.path.join(project, "notes.txt"), "w") as f:
            f.write("notes\n")
        for i in range(30):
            with open(os.path.join(project, "m%d.py" % i), "w") as f:
                f.write("import os\n\ndef f%d(x):\n    return os.path.join(x, 'y')\n" % i)
        write = {"name": "write_file", "arguments": {"path": "notes.txt", "content": "rewritten\n"}}
        models = ModelServer(tmp, "soak", {"models": {
            "plan-model": {"by_turn": [{"text": PLAN}]},
            "exec-model": {"by_turn": [{"tool_calls": [write]}, {"text": "Done."}]},
            "review-model": {"by_turn": [{"text": '{"approved": true, "findings": []}'}]}}})
        env = isolated_env(os.path.join(tmp, "home"))
        write_user_config(env, {
            "models": {m: {"api": "openai", "baseUrl": models.base, "model": m + "-model"} for m in ("plan", "exec", "review")},
            "roles": {"planner": ["plan"], "executor": ["exec"], "reviewer": ["review"], "coordinator": ["exec"], "worker": ["exec"]}})
        log = os.path.join(tmp, "cadre.log")
        server = subprocess.Popen([cadre, "serve", "--tcp", "127.0.0.1:0"], cwd=project, env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        port = None
        deadline = time.time() + 30
        while port is None and time.time() < deadline:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log).read())
            port = int(m.group(1)) if m else None
            time.sleep(0.05)
        if not check(port is not None, "cadre listens on a TCP port"):
            return check.exit_code()

        stop = time.time() + seconds
        errors, cycles = [], [0, 0]

        def worker(w):
            n = 0
            while time.time() < stop and not errors:
                try:
                    cycle(port, project, n, w)
                except Exception as e:  # noqa: BLE001 - any failure ends the soak
                    errors.append("worker %d cycle %d: %r" % (w, n, e))
                n += 1
                cycles[w] = n

        threads = [threading.Thread(target=worker, args=(w,)) for w in (0, 1)]
        for t in threads:
            t.start()
        samples = []
        start = time.time()
        while any(t.is_alive() for t in threads):
            rss, fds = sample(server.pid)
            samples.append((time.time() - start, rss, fds))
            time.sleep(2)
        for t in threads:
            t.join()
        rss, fds = sample(server.pid)
        samples.append((time.time() - start, rss, fds))
        warm = [s for s in samples if s[0] <= seconds / 4] or samples[:1]
        rest = samples[len(warm):] or samples[-1:]
        warm_rss, warm_fds = max(s[1] for s in warm), warm[-1][2]
        end_rss, end_fds = max(s[1] for s in rest[-3:]), rest[-1][2]
        step = max(1, len(samples) // 12)
        print("samples (s, RSS MB, fds): " + ", ".join("(%.0f, %.1f, %d)" % s for s in samples[::step]))
        print("cycles: %d; warm-up peak RSS %.1f MB, end %.1f MB; fds after warm-up %d, at the end %d"
              % (sum(cycles), warm_rss, end_rss, warm_fds, end_fds))
        check(not errors, "every request answered and every task ready over %d cycles: %s" % (sum(cycles), errors[:1]))
        check(end_rss <= warm_rss * RSS_GROWTH_FACTOR + RSS_GROWTH_MB,
              "RSS after warm-up within +20%% + 16 MB (%.1f → %.1f MB)" % (warm_rss, end_rss))
        check(end_fds <= warm_fds + FD_GROWTH, "open descriptors within +4 (%d → %d)" % (warm_fds, end_fds))
        check(server.poll() is None, "cadre is still running")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        if models:
            models.stop()
        if check.failed:
            print("cadre's log ends with:\n" + "".join(open(os.path.join(tmp, "cadre.log"), errors="replace").readlines()[-30:]))
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
