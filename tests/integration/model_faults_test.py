#!/usr/bin/env python3
"""Model endpoints that fail in the middle of a task, through the real binary
and cadre's real router: a connection dropped mid-stream, an HTTP 500 in the
middle of the executor's work, a 429 with Retry-After, a stream that stalls.

Two scripted OpenAI-format servers: "flaky" plays the faults, "good" the
fallbacks. Task 1 meets every fault before the model had shown anything, so
the router falls back (or, for the 429, waits and retries the same model) and
the task still ends ready; the user's file changes only when the diff is
applied. Task 2's model drops the connection after part of its answer
streamed: another model would start the answer over, so the task fails with
a clear message, the user's file untouched and the server still answering.
Usage:

    model_faults_test.py --cadre build/cadre
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from cadre_wire import test_setup, Cadre, ModelServer, isolated_env, write_user_config  # noqa: E402

ORIGINAL = "def hello(name):\n    return 'hello ' + name\n"
STEP1 = "def hello(name):\n    return 'hello, ' + name\n"
FINAL = STEP1 + "\n\ndef bye(name):\n    return 'bye ' + name\n"
PLAN = ('```json\n{"steps": [{"title": "greet with a comma, add bye(name)", "files": ["greet.py"]}], '
        '"criteria": ["hello has a comma", "bye(name) exists"]}\n```')


def edit(search, replace):
    return {"name": "edit_file", "arguments": {"edits": "greet.py\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n" % (search, replace)}}


def main():
    _, cadre, check, tmp = test_setup("cadre-model-faults-")
    servers, s = [], None
    try:
        flaky = ModelServer(tmp, "flaky", {"models": {
            "plan-a": [{"fault": "drop"}],
            "exec-a": [{"fault": "status", "status": 429, "retry_after": "1", "type": "rate_limit_error"},
                       {"tool_calls": [edit("    return 'hello ' + name\n", "    return 'hello, ' + name\n")]},
                       {"fault": "status", "status": 500},
                       {"fault": "stall", "seconds": 20},
                       # task 2: part of the answer streams, then the connection drops
                       {"fault": "drop", "text": "I will now change "}],
        }})
        good = ModelServer(tmp, "good", {"models": {
            "plan-b": [{"text": PLAN}, {"text": PLAN}],
            "exec-b": [{"tool_calls": [edit("    return 'hello, ' + name\n", "    return 'hello, ' + name\n\n\ndef bye(name):\n    return 'bye ' + name\n")]},
                       {"text": "Done: comma added and bye(name) written."}],
            "review-b": [{"text": '{"approved": true, "findings": []}'}],
        }})
        servers = [flaky, good]
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        with open(os.path.join(project, "greet.py"), "w") as f:
            f.write(ORIGINAL)
        env = isolated_env(os.path.join(tmp, "home"))
        write_user_config(env, {
            "models": {"p1": {"api": "openai", "baseUrl": flaky.base, "model": "plan-a"},
                       "p2": {"api": "openai", "baseUrl": good.base, "model": "plan-b"},
                       "e1": {"api": "openai", "baseUrl": flaky.base, "model": "exec-a"},
                       "e2": {"api": "openai", "baseUrl": good.base, "model": "exec-b"},
                       "r1": {"api": "openai", "baseUrl": good.base, "model": "review-b"}},
            "roles": {"planner": ["p1", "p2"], "executor": ["e1", "e2"], "reviewer": ["r1"],
                      "coordinator": ["e1", "e2"], "worker": ["e1", "e2"]},
            "router": {"idleTimeoutMs": 1500, "breakerFailures": 50}})
        s = Cadre(cadre, project, env, stderr=open(os.path.join(tmp, "cadre.log"), "w"))
        s.initialize(project)

        status, events = s.task("Greet with a comma and add bye(name).", "faults")
        check(status["status"] == "ready", "task 1 ends ready despite drop, 429, 500 and stall: %s" % status)
        check(open(os.path.join(project, "greet.py")).read() == ORIGINAL, "the user's file is untouched before apply")
        fl = [(r["model"], r["_t"]) for r in flaky.requests()]
        gd = [r["model"] for r in good.requests()]
        check([m for m, _ in fl] == ["plan-a", "exec-a", "exec-a", "exec-a", "exec-a"],
              "the flaky server saw: the planner once, the executor four times (429, retry, 500, stall): %s" % [m for m, _ in fl])
        check(gd == ["plan-b", "exec-b", "exec-b", "review-b"],
              "the good server took over each failed request: %s" % gd)
        if len(fl) >= 3:
            gap = fl[2][1] - fl[1][1]
            check(gap >= 0.95, "the 429's Retry-After: 1 was honoured before the retry (%.2f s)" % gap)
        gd_t = [r["_t"] for r in good.requests()]
        if len(fl) >= 4 and len(gd_t) >= 3:
            cut = gd_t[2] - fl[3][1]
            check(1.4 <= cut < 10, "the stalled stream was given up after idleTimeoutMs (1.5 s), not its 20 s: %.2f s" % cut)
        r = s.request("cadre/shadow.apply", {"task": "faults"})
        check("result" in r and open(os.path.join(project, "greet.py")).read() == FINAL,
              "applied, the file holds both steps: the one before the 500 and the one after it")

        status, events = s.task("Change it again.", "dropped")
        msg = status.get("message", "")
        check(status["status"] == "failed", "task 2 fails when the stream drops after part of the answer: %s" % status)
        check("not retried elsewhere" in msg or "streamed" in msg, "…and says why it was not retried: " + msg)
        check(open(os.path.join(project, "greet.py")).read() == FINAL, "the user's file is untouched by the failed task")
        check(s.request("cadre/ping").get("result") is not None, "the server still answers")
        metrics = s.request("cadre/models.list").get("result", {}).get("metrics", [])
        e1 = [m for m in metrics if m.get("model") == "e1" or m.get("name") == "e1"]
        check(bool(e1) and e1[0].get("failures"), "the router counted e1's failures by kind: %s" % (e1[0].get("failures") if e1 else None))
        check(s.shutdown() == 0, "cadre exits cleanly")
    finally:
        if s:
            s.kill()
        for m in servers:
            m.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
