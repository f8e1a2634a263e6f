#!/usr/bin/env python3
"""The agent loop's coordinator, context, memory and hooks over the wire,
with scripted models (tests/support/models/scripted_openai.py, OpenAI
streaming format) behind cadre's real router, real pyflakes and the real
sandbox. Each scenario has its own project, user config and `cadre serve`:

  coordinator  the planner splits the work between an implementation and a
               tests worker; they run at the same time on one shadow, each
               holding its own file; the tests worker's edit of the other's
               file and its claim of it are refused with the holder's name;
               the reviewer gets both files' diff in one review.
  compaction   a small configured window (contextTokens): the executor's
               conversation is compacted (the executor model summarizes),
               the next request still holds the plan and the memory but
               not the oldest tool result; MEMORY.md is in the first request.
  memory       decisions proposed with propose_memory and in the review are
               put to the user at the end of the task: declined, MEMORY.md
               is untouched; approved, it holds them; both audited.
  guarded      one task: a deny-listed read refused (the secret reaches no
               model), a failed edit reported to the model which retries, a
               delete blocked by the user's preTool hook (the model reads the
               reason, the client gets an event, the audit has the hook), a
               two-file change that passes; then a second task cancelled
               while its model stalls, the real files untouched.
Usage:

    agent_loop_test.py --cadre build/cadre
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from cadre_wire import Cadre, ModelServer, isolated_env, write_user_config  # noqa: E402
PASSED, FAILED = [], []
TERMINAL = ("ready", "failed", "cancelled", "no-change", "answered")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


def edit(path, search, replace):
    return {"name": "edit_file",
            "arguments": {"edits": "%s\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n" % (path, search, replace)}}


class Scenario:
    """A project, its scripted models and a `cadre serve --stdio` on it."""

    def __init__(self, cadre, tmp, name, files, models, user_config):
        self.cadre, self.dir = cadre, os.path.join(tmp, name)
        self.project = os.path.join(self.dir, "project")
        for path, text in files.items():
            full = os.path.join(self.project, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        self.models = ModelServer(self.dir, "scripted", {"models": models})
        self.env = isolated_env(os.path.join(self.dir, "home"))
        write_user_config(self.env, user_config(self.models.base))
        self.c = Cadre(cadre, cwd=self.project, env=self.env, stderr=open(os.path.join(self.dir, "cadre.log"), "w"))
        self.c.request("initialize", {"rootUri": "file://" + self.project,
                                      "capabilities": {"experimental": {"cadre": {"approvals": True}}}})
        self.c.notify("initialized", {})

    def close(self):
        self.c.p.kill()
        self.c.p.wait()
        self.models.stop()

    def run_task(self, task, prompt, decision="deny", on_event=None, timeout=90):
        """Starts a task and collects its events until it ends; approvals
        are answered with `decision`. Returns (events, approvals)."""
        self.c.decision, self.c.approvals = decision, []
        started = self.c.request("cadre/task.start", {"task": task, "prompt": prompt})
        events = []
        if "error" in started:
            return [{"kind": "status", "data": {"status": "not started", "message": started["error"]["message"]}}], []

        def ended(m):
            if m.get("method") != "cadre/task.event" or m["params"]["task"] != task:
                return False
            events.append(m["params"])
            if on_event:
                on_event(m["params"])
            return m["params"]["kind"] == "status" and m["params"]["data"]["status"] in TERMINAL
        try:
            self.c.wait_for(ended, timeout)
        except TimeoutError:
            pass  # the checks on the events say what was missing
        return events, list(self.c.approvals)

    def requests(self, model=None):
        return [r for r in self.models.requests() if model is None or r["model"] == model]

    def audit(self, kind):
        r = subprocess.run([self.cadre, "audit", "show", self.project, "--json", "--kind", kind], env=self.env,
                           capture_output=True, text=True)
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def read_file(self, path):
        with open(os.path.join(self.project, path)) as f:
            return f.read()


def models_config(base, names, **extra):
    models = {n: dict({"api": "openai", "baseUrl": base, "model": n + "-model"}, **extra.get(n, {})) for n in names}
    return models


def status_of(events):
    s = [e["data"] for e in events if e["kind"] == "status"]
    return s[-1] if s else None


def of(events, kind):
    return [e["data"] for e in events if e["kind"] == kind]


def text_of(request):
    return json.dumps(request["messages"])


# ---------------------------------------------------------------------------
CALC = "def add(a, b):\n    return a + b\n"
TEST_CALC = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
WORKERS_PLAN = {"steps": [{"title": "add mul(a, b) to calc.py", "files": ["calc.py"], "worker": "implementation"},
                          {"title": "test mul in test_calc.py", "files": ["test_calc.py"], "worker": "tests"}],
                "criteria": ["mul(a, b) returns a * b", "test_mul covers it"]}
IMPL = "the implementation worker"
TESTS = "the tests worker"


def coordinator(cadre, tmp):
    models = {
        "plan-model": [{"text": "```json\n" + json.dumps(WORKERS_PLAN) + "\n```"}],
        "work-model": [
            # The implementation worker takes a moment, so the tests worker's
            # turns happen while it works.
            {"match": IMPL, "delay": 1.5,
             "tool_calls": [edit("calc.py", "    return a + b\n", "    return a + b\n\n\ndef mul(a, b):\n    return a * b\n")]},
            {"match": IMPL, "text": "Added mul to calc.py."},
            {"match": TESTS, "tool_calls": [edit("calc.py", "    return a + b\n", "    return a + b  # tested\n")]},
            {"match": TESTS, "tool_calls": [{"name": "claim_files", "arguments": {"paths": ["calc.py"]}}]},
            {"match": TESTS, "tool_calls": [edit("test_calc.py", "from calc import add\n", "from calc import add, mul\n"),
                                            edit("test_calc.py", "    assert add(1, 2) == 3\n",
                                                 "    assert add(1, 2) == 3\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n")]},
            {"match": TESTS, "text": "Added test_mul."},
        ],
        # cadre's consistency check judges the shadow as a whole: test_calc.py's
        # new `from calc import mul` is fine because calc.py's mul is in the
        # same change, so the executor is never asked to fix anything.
        "exec-model": [{"text": "mul is defined in calc.py by the implementation worker; nothing to fix."}] * 2,
        "review-model": [{"text": '{"approved": true, "findings": []}'}],
    }
    s = Scenario(cadre, tmp, "coordinator", {"calc.py": CALC, "test_calc.py": TEST_CALC}, models, lambda base: {
        "models": models_config(base, ["plan", "work", "exec", "review"]),
        "roles": {"planner": ["plan"], "executor": ["exec"], "worker": ["work"], "reviewer": ["review"], "coordinator": ["exec"]}})
    try:
        events, _ = s.run_task("split", "Add mul(a, b) with a test.")
        check(status_of(events)["status"] == "ready", "coordinator: the task ends ready: %s" % json.dumps(status_of(events)))
        workers = of(events, "workers")
        check(workers and [w["name"] for w in workers[0]["workers"]] == ["implementation", "tests"] and
              workers[0]["workers"][0]["files"] == ["calc.py"] and workers[0]["workers"][1]["files"] == ["test_calc.py"],
              "coordinator: a workers event names each worker and the file it holds")
        calls = of(events, "toolCall")
        check({c.get("worker") for c in calls} == {"implementation", "tests"}, "coordinator: tool call events carry the worker's name")
        results = of(events, "toolResult")
        refused = [r for r in results if r.get("worker") == "tests" and not r["ok"]]
        check(len(refused) == 2 and all("calc.py is claimed by the worker 'implementation'" in r["text"] for r in refused),
              "coordinator: the tests worker's edit of calc.py and its claim of it are refused, naming the holder")
        work = s.requests("work-model")
        impl = [r for r in work if IMPL in text_of(r)]
        tests = [r for r in work if TESTS in text_of(r)]
        check(len(impl) == 2 and len(tests) == 4, "coordinator: each worker has its own conversation (%d, %d requests)" % (len(impl), len(tests)))
        check(any(impl[0]["_t"] < t["_t"] < impl[1]["_t"] for t in tests),
              "coordinator: the workers run at the same time (the tests worker's turns fall inside the implementation's)")
        check(all(IMPL not in text_of(t) for t in tests) and all("Added test_mul" not in text_of(r) for r in impl),
              "coordinator: neither worker sees the other's conversation")
        check("claimed by the worker 'implementation'" in text_of(tests[1]), "coordinator: the model reads the refusal as a tool error")
        review = s.requests("review-model")
        check(len(review) == 1 and "+def mul(a, b):" in text_of(review[0]) and "+def test_mul():" in text_of(review[0]),
              "coordinator: one review of both workers' changes together")
        checks = of(events, "diagnostics")
        found = [d for e in checks for d in e.get("introduced", [])]
        check(checks and all("cadre-check" in e.get("ran", []) for e in checks) and not found and not s.requests("exec-model"),
              "coordinator: an import of a name another worker added in the same change is not a problem (no fix round): %s" % json.dumps(found))
        diff = of(events, "diff")[-1]["diff"]
        check("+def mul(a, b):" in diff and "+def test_mul():" in diff and "# tested" not in diff,
              "coordinator: the final diff holds both files, without the refused edit")
        check(s.read_file("calc.py") == CALC, "coordinator: the real files are untouched until apply")
        audit = s.audit("tool_call")
        check(any(a.get("worker") == "tests" and a.get("tool") == "claim_files" and not a.get("ok") for a in audit),
              "coordinator: the refused claim is audited with the worker")
    finally:
        s.close()


# ---------------------------------------------------------------------------
def compaction(cadre, tmp):
    plan = {"steps": [{"title": "find where RETRIES is used", "files": []}], "criteria": ["PLAN-CRITERION-42"]}
    models = {
        "plan-model": [{"text": json.dumps(plan)}, {"text": json.dumps(plan)}],
        "exec-model": [
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "old.py"}}]},
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]},
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "b.py"}}]},
            # the summary cadre asks for before the next turn
            {"text": "SUMMARY-7: old.py defines RETRIES; a.py and b.py read it."},
            {"text": "Nothing needs to change."},
            # a second task whose summary request fails: the digest stands in
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "old.py"}}]},
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]},
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "b.py"}}]},
            {"fault": "status", "status": 400, "type": "invalid_request_error", "message": "scripted: no summary"},
            {"text": "Still nothing to change."},
        ],
        "review-model": [],
    }
    files = {"old.py": "OLD-MARKER-9 = 1\n" + "RETRIES = 3\n" * 200, "a.py": "from old import RETRIES\n",
             "b.py": "from old import RETRIES\n", ".cadre/MEMORY.md": "# Memory\n- MEMORY-RULE-5: tabs, never spaces\n"}
    s = Scenario(cadre, tmp, "compaction", files, models, lambda base: {
        "models": models_config(base, ["plan", "exec", "review"], exec={"contextTokens": 1500}),
        "roles": {"planner": ["plan"], "executor": ["exec"], "reviewer": ["review"], "coordinator": ["exec"], "worker": ["exec"]}})
    try:
        events, _ = s.run_task("long", "Where is RETRIES used?")
        check(status_of(events)["status"] == "no-change", "compaction: the task ends: %s" % json.dumps(status_of(events)))
        plan_req = s.requests("plan-model")
        check(plan_req and "MEMORY-RULE-5" in text_of(plan_req[0]), "memory: the planner's first request holds MEMORY.md")
        ex = s.requests("exec-model")
        check(len(ex) == 5 and "MEMORY-RULE-5" in text_of(ex[0]), "memory: the executor's first request holds MEMORY.md")
        comp = of(events, "compaction")
        check(len(comp) == 1 and comp[0]["summary"] == "model" and comp[0]["window"] == 1500 and
              comp[0]["afterTokens"] < comp[0]["beforeTokens"],
              "compaction: one compaction event, summary by the model, fewer tokens after: %s" % json.dumps(comp))
        check(len(ex) == 5 and "Conversation to summarize" in text_of(ex[3]) and "OLD-MARKER-9" in text_of(ex[3]) and not ex[3].get("tools"),
              "compaction: the summary is asked of the executor's model, without tools")
        check("OLD-MARKER-9" in text_of(ex[2]), "compaction: before it, the oldest tool result is in the conversation")
        after = text_of(ex[4])
        check("PLAN-CRITERION-42" in after and "MEMORY-RULE-5" in after and "SUMMARY-7" in after and "OLD-MARKER-9" not in after,
              "compaction: the next request keeps plan and memory, carries the summary, and drops the old tool result")
        check('"path\\": \\"b.py\\"' in after or "b.py" in after, "compaction: the latest turns are kept")
        audit = s.audit("model_request")
        check(any(a.get("role") == "compaction" for a in audit), "compaction: the summary request is audited")

        events, _ = s.run_task("long2", "Where is RETRIES used, again?")
        comp = of(events, "compaction")
        ex = s.requests("exec-model")
        check(status_of(events)["status"] == "no-change" and len(comp) == 1 and comp[0]["summary"] == "digest",
              "compaction: when the summary request fails, a digest stands in and the task goes on: %s" % json.dumps(comp))
        after = ex[-1]["messages"]
        summary = [m["content"] for m in after if m["role"] == "user" and m["content"].startswith("Summary of the earlier")]
        check(len(ex) == 10 and summary and '- called read_file {"path": "old.py"}' in summary[0] and
              not any(m["role"] == "tool" and m["content"].startswith("OLD-MARKER-9") for m in after) and
              "PLAN-CRITERION-42" in text_of(ex[-1]),
              "compaction: the digest names the calls it replaced (old.py's output gone); the plan stays")
    finally:
        s.close()


# ---------------------------------------------------------------------------
def memory(cadre, tmp):
    def task_models(n):
        return {
            "plan": {"text": '{"steps": [{"title": "price %d", "files": ["shop.py"]}], "criteria": ["ok"]}' % n},
            "exec": [{"tool_calls": [{"name": "propose_memory", "arguments": {"decision": "DECISION-%d: money is integer cents" % n,
                                                                                 "why": "no float rounding"}}]},
                     {"tool_calls": [edit("shop.py", "PRICE = %d\n" % (n - 1), "PRICE = %d\n" % n)]},
                     {"text": "Done."}],
            "review": {"text": '{"approved": true, "findings": [], "decisions": ["REVIEW-%d: prices live in shop.py"]}' % n},
        }
    t1, t2 = task_models(2), task_models(3)
    models = {"plan-model": [t1["plan"], t2["plan"]], "exec-model": t1["exec"] + t2["exec"],
              "review-model": [t1["review"], t2["review"]]}
    original = "# Project memory\n- tabs\n"
    s = Scenario(cadre, tmp, "memory", {"shop.py": "PRICE = 1\n", ".cadre/MEMORY.md": original}, models, lambda base: {
        "models": models_config(base, ["plan", "exec", "review"]),
        "roles": {"planner": ["plan"], "executor": ["exec"], "reviewer": ["review"], "coordinator": ["exec"], "worker": ["exec"]}})
    try:
        # PRICE = 1 → the first task edits 1 → 2 in its shadow (never applied).
        events, approvals = s.run_task("m1", "Set the price to 2", decision="deny")
        mem = of(events, "memory")
        check(status_of(events)["status"] == "ready", "memory: the first task ends ready")
        check(mem and mem[0]["decisions"] == ["DECISION-2: money is integer cents (why: no float rounding)",
                                              "REVIEW-2: prices live in shop.py"] and mem[0]["appended"] is False,
              "memory: the proposed decisions (tool and review) are an event; declined, not appended: %s" % json.dumps(mem))
        asked = [a for a in approvals if a["kind"] == "edit" and any(p.endswith(".cadre/MEMORY.md") for p in a["paths"])]
        check(len(asked) == 1 and "+- DECISION-2: money is integer cents" in asked[0]["diff"],
              "memory: the user is asked with the lines to be added")
        check(s.read_file(".cadre/MEMORY.md") == original, "memory: declined, MEMORY.md is untouched")
        # The second task starts from the real PRICE = 1 again: its script edits 2 → 3, so give it a file that says 2.
        with open(os.path.join(s.project, "shop.py"), "w") as f:
            f.write("PRICE = 2\n")
        events, approvals = s.run_task("m2", "Set the price to 3", decision="allowOnce")
        mem = of(events, "memory")
        check(mem and mem[0]["appended"] is True, "memory: approved, the memory event says appended")
        text = s.read_file(".cadre/MEMORY.md")
        check(text.startswith(original) and "- DECISION-3: money is integer cents (why: no float rounding)\n" in text and
              "- REVIEW-3: prices live in shop.py\n" in text and "DECISION-2" not in text and "m2: Set the price to 3" in text,
              "memory: approved, MEMORY.md keeps what it had and gains the task's decisions")
        appended = s.audit("memory_appended")
        denied = [d for d in s.audit("policy_denied") if d.get("what") == "memory"]
        check(len(appended) == 1 and "DECISION-3" in appended[0].get("text", "") and len(denied) == 1,
              "memory: the append and the refusal are both audited")
    finally:
        s.close()


# ---------------------------------------------------------------------------
HOOK = ("python3 -c 'import json,sys; c=json.load(sys.stdin); "
        "print(json.dumps({\"block\": \"HOOK-REASON: files are never deleted here\"}) if c[\"tool\"] == \"delete_file\" else \"\")'")


def guarded(cadre, tmp):
    models = {
        "plan-model": [
            {"text": '{"steps": [{"title": "greet says hello; cli.py prints it", "files": ["app.py", "cli.py"]}], '
                     '"criteria": ["greet() returns hello", "cli.py prints it"]}'},
            {"text": '{"steps": [{"title": "rewrite app.py", "files": ["app.py"]}], "criteria": []}'},
        ],
        "exec-model": [
            {"tool_calls": [{"name": "read_file", "arguments": {"path": ".env"}}]},
            {"tool_calls": [edit("app.py", "def greet_nonexistent():\n", "def greet():\n")]},
            {"tool_calls": [{"name": "delete_file", "arguments": {"path": "legacy.py"}}]},
            {"tool_calls": [edit("app.py", "    return 'hi'\n", "    return 'hello'\n"),
                            edit("cli.py", "greet()\n", "print(greet())\n")]},
            {"text": "greet says hello, and cli.py prints it."},
            # the second task: an edit, then the model stalls
            {"tool_calls": [{"name": "write_file", "arguments": {"path": "app.py", "content": "gone\n"}}]},
            {"fault": "stall", "seconds": 30},
        ],
        "review-model": [{"text": '{"approved": true, "findings": []}'}],
    }
    app = "def greet():\n    return 'hi'\n"
    cli = "from app import greet\n\ngreet()\n"
    files = {"app.py": app, "cli.py": cli, "legacy.py": "OLD = 1\n", ".env": "API_KEY=sk-SECRET-VALUE-31337\n"}
    s = Scenario(cadre, tmp, "guarded", files, models, lambda base: {
        "models": models_config(base, ["plan", "exec", "review"]),
        "roles": {"planner": ["plan"], "executor": ["exec"], "reviewer": ["review"], "coordinator": ["exec"], "worker": ["exec"]},
        "hooks": {"preTool": [{"command": HOOK, "tools": ["delete_file", "edit_file"]}], "timeoutSeconds": 20}})
    try:
        events, _ = s.run_task("hello", "Make greet say hello and print it from cli.py")
        check(status_of(events)["status"] == "ready", "guarded: the task ends ready: %s" % json.dumps(status_of(events)))
        results = of(events, "toolResult")
        check(len(results) == 5 and not results[0]["ok"] and "deny-listed" in results[0]["text"],
              "guarded: the deny-listed read is refused: %s" % (results[0]["text"] if results else None))
        check(all("SECRET-VALUE" not in json.dumps(r) for r in s.requests()), "guarded: the secret reaches no model")
        ex = s.requests("exec-model")
        told = [m for m in ex[2]["messages"] if m["role"] == "tool"]
        check(not results[1]["ok"] and len(told) == 2 and told[1]["content"].startswith("error"),
              "guarded: a failed edit is a tool error the model reads, and it carries on")
        hooks = [h for h in of(events, "hook") if h["event"] == "preTool"]
        blocked = [h for h in hooks if h["blocked"]]
        check(len(blocked) == 1 and blocked[0]["tool"] == "delete_file" and "HOOK-REASON" in blocked[0]["reason"],
              "guarded: the preTool hook blocks delete_file and the client gets an event")
        check(len(hooks) == 4, "guarded: the hook runs before the calls it names only (3 edit_file, 1 delete_file): %d" % len(hooks))
        check(not results[2]["ok"] and "HOOK-REASON: files are never deleted here" in text_of(ex[3]),
              "guarded: the model reads the hook's reason")
        diff = of(events, "diff")[-1]["diff"]
        check("legacy.py" not in diff and "+    return 'hello'" in diff and "+print(greet())" in diff,
              "guarded: the blocked delete never happened; the change spans both files")
        audit = s.audit("hook")
        check(any(a.get("blocked") and a.get("tool") == "delete_file" and "HOOK-REASON" in a.get("reason", "") for a in audit),
              "guarded: the audit has the hook's verdict")
        commands = [c for c in s.audit("command") if c.get("role") == "hook"]
        check(commands and all(c.get("sandboxed") for c in commands), "guarded: hooks ran sandboxed through the Gate")

        # A second task, cancelled while its model stalls after an edit.
        started = {}

        def on_event(e):
            if e["kind"] == "toolResult" and "t" not in started:
                started["t"] = time.time()
                s.c.send({"jsonrpc": "2.0", "id": 99, "method": "cadre/task.cancel", "params": {"task": "doomed"}})
        t0 = time.time()
        events, _ = s.run_task("doomed", "Rewrite app.py", on_event=on_event, timeout=25)
        check(status_of(events) and status_of(events)["status"] == "cancelled" and time.time() - t0 < 15,
              "cancel: the task ends cancelled long before the stalled model would answer")
        check(s.read_file("app.py") == app and s.read_file("cli.py") == cli, "cancel: the real files are untouched")
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    ap.add_argument("--only", help="run one scenario")
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    tmp = tempfile.mkdtemp(prefix="cadre-loop-")
    try:
        for scenario in (coordinator, compaction, memory, guarded):
            if args.only and scenario.__name__ != args.only:
                continue
            try:
                scenario(cadre, tmp)
            except Exception as e:  # a scenario that dies is a failure, the others still run
                check(False, "%s: %s: %s" % (scenario.__name__, type(e).__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
