#!/usr/bin/env python3
"""SIGKILL of cadre at many points of a task and its apply, through the real
binary, scripted models and the real router.

Each round runs a whole task (planner, executor writing four files in the
shadow, reviewer) and applies it, approved. The first round runs to the end
and times it; each later round is killed with SIGKILL at a random moment of
that span (seeded: the seed is printed), whether the models are streaming,
the linters running, the checkpoint being written or the files being
replaced (slowed by the CADRE_FAULT_APPLY_PAUSE_MS hook so that some kills
land there). A new cadre is then started on the project; once it answers,
the four files must be all as before the round or all as the round wrote
them, the checkpoint repository must open, and no temp file may be left.
At the end the audit chain must verify. Usage:

    crash_points_test.py --cadre build/cadre [--rounds 20] [--seed N]
"""
import os
import random
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from cadre_wire import Cadre, test_setup, ModelServer, isolated_env, write_user_config  # noqa: E402

FILES = ["f%d.txt" % i for i in range(4)]
PLAN = '```json\n{"steps": [{"title": "rewrite the four files", "files": %s}], "criteria": ["all four rewritten"]}\n```'


def scenario(version):
    writes = [{"name": "write_file", "arguments": {"path": f, "content": "%s version %d\n" % (f, version)}} for f in FILES]
    return {"models": {"plan-model": [{"text": PLAN % FILES.__repr__().replace("'", '"')}],
                       "exec-model": [{"tool_calls": writes}, {"text": "All four rewritten."}],
                       "review-model": [{"text": '{"approved": true, "findings": []}'}]}}


def contents(project):
    return [open(os.path.join(project, f)).read() for f in FILES]


def expected(version):
    return ["%s version %d\n" % (f, version) for f in FILES]


def main():
    args, cadre, check, tmp = test_setup("cadre-crash-points-", ("--rounds", {"type": int, "default": 20}),
                                         ("--seed", {"type": int, "default": int(time.time())}))
    rng = random.Random(args.seed)
    print("seed %d" % args.seed)
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        for f in FILES:
            with open(os.path.join(project, f), "w") as fh:
                fh.write("%s version 0\n" % f)
        env = isolated_env(os.path.join(tmp, "home"), CADRE_FAULT_APPLY_PAUSE_MS="60")
        log = open(os.path.join(tmp, "cadre.log"), "w")
        version, span = 0, None
        landed = {"before apply": 0, "mid-apply": 0, "after apply": 0}
        for rnd in range(args.rounds + 1):
            target = version + 1
            model = ModelServer(tmp, "r%d" % rnd, scenario(target))
            base = model.base
            write_user_config(env, {
                "models": {m: {"api": "openai", "baseUrl": base, "model": m + "-model"} for m in ("plan", "exec", "review")},
                "roles": {"planner": ["plan"], "executor": ["exec"], "reviewer": ["review"], "coordinator": ["exec"], "worker": ["exec"]}})
            s = Cadre(cadre, project, env, stderr=log)
            kill_at = None if rnd == 0 else rng.uniform(0, span)
            timer = None
            start = time.time()
            try:
                s.initialize(project)
                if kill_at is not None:
                    timer = threading.Timer(kill_at, s.p.kill)
                    timer.start()
                status, _ = s.task("Rewrite the four files.", "round%d" % rnd)
                if status["status"] == "ready":
                    s.request("cadre/shadow.apply", {"task": "round%d" % rnd}, timeout=60)
            except (EOFError, OSError, TimeoutError):
                pass
            took = time.time() - start
            if timer:
                timer.cancel()
            if rnd == 0:
                span = took
                check(contents(project) == expected(target), "an uninterrupted round applies all four files (%.2f s)" % took)
                s.shutdown()
                version = target
                model.stop()
                continue
            s.p.kill()
            s.p.wait()
            model.stop()
            now = contents(project)
            where = ("after apply" if now == expected(target) else "before apply" if now == expected(version) else "mid-apply")
            landed[where] += 1
            # A new cadre recovers at `initialized`; once it answers a ping, recovery is done.
            r = Cadre(cadre, project, env, stderr=log)
            try:
                r.initialize(project)
                r.request("cadre/ping")
                after = contents(project)
                whole = after in (expected(version), expected(target))
                check(whole, "round %d, killed at %.2f s (%s): files all old or all new after restart" % (rnd, kill_at, where))
                listed = r.request("cadre/checkpoint.list")
                check("result" in listed, "round %d: the checkpoint repository opens: %s" % (rnd, listed.get("error")))
                check(not [f for f in os.listdir(project) if f.startswith(".cadre-")], "round %d: no temp file left" % rnd)
                if after == expected(target):
                    version = target
                r.shutdown()
            finally:
                r.kill()
        print("kills landed: %s" % landed)
        verify = subprocess.run([cadre, "audit", "verify", project], env=env, capture_output=True, text=True)
        check(verify.returncode == 0, "the audit chain verifies after %d kills: %s" % (args.rounds, (verify.stdout + verify.stderr).strip()[:300]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
