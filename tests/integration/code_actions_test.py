#!/usr/bin/env python3
"""The agent-driven code actions end to end over the wire, with planner,
executor and reviewer on scripted models (OpenAI streaming format) behind
cadre's real router: textDocument/codeAction offers Explain, Fix (for the
diagnostic the editor shows), Refactor, Add docs, Generate tests and
Extract function; each action's own Command goes to workspace/executeCommand,
which answers {task}; the task's events stream; the result is a shadow diff
that cadre/shadow.apply lands after the user's approval, and the file on
disk changes. Explain answers in text and changes nothing. The prompt each
model got holds the selected code (and the diagnostic, for Fix).
cadre.applyInstruction restricts the task to the files the user named: the
model's write elsewhere is refused by the backend. Usage:

    code_actions_test.py --cadre build/cadre
"""
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from cadre_wire import Cadre, ModelServer, isolated_env, test_setup, write_user_config  # noqa: E402

GREET = (
    "def hello(name):\n"
    "    return 'hello ' + name\n"
    "\n"
    "\n"
    "def shout(name):\n"
    "    return hello(nam).upper()\n"
)
FAREWELL = "def bye(name):\n    return 'bye ' + name\n"


def edit(path, search, replace):
    return {"name": "edit_file", "arguments": {"edits": "%s\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n" % (path, search, replace)}}


def plan(title, files):
    return {"text": "```json\n" + json.dumps({"steps": [{"title": title, "files": files}], "criteria": ["it is done"]}) + "\n```"}


APPROVE = {"text": '{"approved": true, "findings": []}'}
EXPLANATION = "hello(name) greets someone: it returns 'hello ' followed by the name."
TEST_FILE = "from greet import hello\n\n\ndef test_hello():\n    assert hello('a') == 'hello a'\n"

SCENARIO = {"models": {
    "plan-model": [
        plan("fix the undefined name", ["greet.py"]),
        plan("write tests for hello", ["test_greet.py"]),
        plan("document hello", ["greet.py"]),
        plan("use an f-string", ["greet.py"]),
        plan("add type hints", ["greet.py", "farewell.py"]),
    ],
    "exec-model": [
        # Explain: text only.
        {"text": EXPLANATION},
        # Fix.
        {"tool_calls": [edit("greet.py", "    return hello(nam).upper()\n", "    return hello(name).upper()\n")]},
        {"text": "Fixed the typo."},
        # Generate tests.
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "test_greet.py", "content": TEST_FILE}}]},
        {"text": "Added test_greet.py."},
        # Add docs.
        {"tool_calls": [edit("greet.py", "def hello(name):\n", "def hello(name):\n    \"\"\"Greet `name`.\"\"\"\n")]},
        {"text": "Documented hello."},
        # Refactor.
        {"tool_calls": [edit("greet.py", "    return 'hello ' + name\n", "    return f'hello {name}'\n")]},
        {"text": "Used an f-string."},
        # Apply an instruction across two files: a write elsewhere is refused.
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "other.py", "content": "x = 1\n"}}]},
        {"tool_calls": [edit("greet.py", "def shout(name):\n", "def shout(name: str) -> str:\n"),
                        edit("farewell.py", "def bye(name):\n", "def bye(name: str) -> str:\n")]},
        {"text": "Added type hints to both files."},
    ],
    "review-model": [APPROVE, APPROVE, APPROVE, APPROVE, APPROVE],
}}

TERMINAL = ("ready", "failed", "cancelled", "no-change", "answered")


def main():
    args, cadre, check, tmp = test_setup("cadre-code-actions-")
    model = s = None
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        for name, text in (("greet.py", GREET), ("farewell.py", FAREWELL), ("other.py", "y = 2\n")):
            with open(os.path.join(project, name), "w") as f:
                f.write(text)
        model = ModelServer(tmp, "scripted", SCENARIO)
        env = isolated_env(os.path.join(tmp, "home"))
        write_user_config(env, {
            "models": {"planner": {"api": "openai", "baseUrl": model.base, "model": "plan-model"},
                       "writer": {"api": "openai", "baseUrl": model.base, "model": "exec-model"},
                       "critic": {"api": "openai", "baseUrl": model.base, "model": "review-model"}},
            "roles": {"planner": ["planner"], "executor": ["writer"], "reviewer": ["critic"], "coordinator": ["writer"],
                      "worker": ["writer"]}})
        s = Cadre(cadre, cwd=project, env=env, stderr=open(os.path.join(tmp, "cadre.log"), "w"))
        s.initialize(project)
        greet_uri = "file://" + os.path.join(project, "greet.py")

        def read(name):
            with open(os.path.join(project, name)) as f:
                return f.read()

        def run_command(cmd, timeout=90):
            """executeCommand with a code action's Command; (reply, events, final status data)."""
            r = s.request("workspace/executeCommand", {"command": cmd["command"], "arguments": cmd.get("arguments", [])})
            if "error" in r:
                return r, [], None
            task = r["result"]["task"]
            events = []
            while True:
                m = s.wait_for(lambda m: m.get("method") == "cadre/task.event" and m["params"]["task"] == task, timeout)
                events.append(m["params"])
                if m["params"]["kind"] == "status" and m["params"]["data"]["status"] in TERMINAL:
                    return r, events, m["params"]["data"]

        def apply(task):
            s.approvals.clear()
            r = s.request("cadre/shadow.apply", {"task": task}, timeout=60)
            return r, list(s.approvals)

        # The lightbulb: a range on shout() and the diagnostic the editor shows there.
        diagnostic = {"range": {"start": {"line": 5, "character": 17}, "end": {"line": 5, "character": 20}},
                      "severity": 1, "source": "pyflakes", "message": "undefined name 'nam'"}
        r = s.request("textDocument/codeAction", {
            "textDocument": {"uri": greet_uri},
            "range": {"start": {"line": 4, "character": 0}, "end": {"line": 5, "character": 29}},
            "context": {"diagnostics": [diagnostic]}})
        actions = r.get("result", [])
        by_command = {a["command"]["command"]: a for a in actions if "command" in a}
        check({"cadre.fix", "cadre.explain", "cadre.refactor", "cadre.addDocs", "cadre.generateTests", "cadre.extractFunction"}
              <= set(by_command), "codeAction offers fix, explain, refactor, add docs, generate tests, extract: %s" %
              sorted(by_command))
        fix = by_command.get("cadre.fix", {})
        check(fix.get("kind") == "quickfix" and fix.get("diagnostics") == [diagnostic] and "undefined name 'nam'" in fix.get("title", ""),
              "the fix action carries the editor's diagnostic: %s" % fix.get("title"))
        only = s.request("textDocument/codeAction", {"textDocument": {"uri": greet_uri},
                                                     "range": {"start": {"line": 4, "character": 0}, "end": {"line": 5, "character": 29}},
                                                     "context": {"diagnostics": [], "only": ["refactor"]}}).get("result", [])
        check(only and all(a.get("kind", "").startswith("refactor") for a in only), "context.only filters the kinds: %s" %
              [a.get("kind") for a in only])

        # Explain: the cursor in hello() — text only, nothing to apply.
        ex = s.request("textDocument/codeAction", {"textDocument": {"uri": greet_uri},
                                                   "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}},
                                                   "context": {"diagnostics": []}})["result"]
        explain = [a for a in ex if a.get("command", {}).get("command") == "cadre.explain"][0]
        r, events, status = run_command(explain["command"])
        answers = [e["data"] for e in events if e["kind"] == "answer"]
        check(status and status["status"] == "answered" and answers and answers[0]["text"] == EXPLANATION,
              "Explain: the answer arrives as an event, the task ends answered: %s" % status)
        diff = s.request("cadre/shadow.diff", {"task": r["result"]["task"]})["result"]
        check(diff["diff"] == "" and read("greet.py") == GREET, "Explain: no diff and no file changed")
        first = model.requests()[0]
        check(first["model"] == "exec-model" and "def hello(name):" in json.dumps(first["messages"]) and
              "def shout" not in json.dumps(first["messages"][-1]) and "Explain" in json.dumps(first["messages"]),
              "Explain: the model got the definition around the cursor (not the whole file)")

        # Fix, Generate tests, Add docs, Refactor: each applied after approval.
        steps = [
            ("cadre.fix", lambda: "hello(name).upper()" in read("greet.py"), "greet.py"),
            ("cadre.generateTests", lambda: os.path.exists(os.path.join(project, "test_greet.py")) and read("test_greet.py") == TEST_FILE,
             "test_greet.py"),
            ("cadre.addDocs", lambda: '    """Greet `name`."""\n' in read("greet.py"), "greet.py"),
            ("cadre.refactor", lambda: "return f'hello {name}'" in read("greet.py"), "greet.py"),
        ]
        for name, landed, path in steps:
            cmd = by_command[name]["command"]
            if name == "cadre.refactor":
                cmd = json.loads(json.dumps(cmd))
                cmd["arguments"][0]["instruction"] = "use an f-string"
            before = model.requests()
            r, events, status = run_command(cmd)
            kinds = [e["kind"] for e in events]
            check(status and status["status"] == "ready" and "plan" in kinds and "toolCall" in kinds and "review" in kinds,
                  "%s: task events from plan to review, ends ready: %s" % (name, status))
            task = r.get("result", {}).get("task")
            d = s.request("cadre/shadow.diff", {"task": task})["result"]
            check(path in d["diff"] and not landed(), "%s: the diff is in the shadow, the file untouched" % name)
            a, approvals = apply(task)
            check("result" in a and approvals and path in approvals[0].get("diff", ""),
                  "%s: apply asked for approval with the diff" % name)
            check(landed(), "%s: after approval the change is on disk" % name)
            check(a.get("result", {}).get("undo"), "%s: the apply returns a checkpoint to undo it" % name)
            sent = model.requests()[len(before):]
            prompt = json.dumps([m for r_ in sent for m in r_["messages"] if m.get("role") == "user"][:1])
            if name == "cadre.fix":
                check("undefined name 'nam'" in prompt and "hello(nam).upper()" in prompt and "pyflakes" in prompt,
                      "Fix: the prompt holds the diagnostic and the code: " + prompt[:600])
            if name == "cadre.refactor":
                check("use an f-string" in prompt, "Refactor: the prompt holds the user's instruction")

        # Apply an instruction across two files: only those may change.
        r, events, status = run_command({"command": "cadre.applyInstruction", "arguments": [{
            "instruction": "Add type hints", "uris": [greet_uri, "file://" + os.path.join(project, "farewell.py")]}]})
        results = [e["data"] for e in events if e["kind"] == "toolResult"]
        refused = [x for x in results if x["name"] == "write_file"]
        check(refused and not refused[0]["ok"] and "only edit the files the user chose" in refused[0]["text"],
              "applyInstruction: a write to another file is refused by cadre: %s" % (refused[0]["text"] if refused else None))
        check(status and status["status"] == "ready", "applyInstruction: ends ready: %s" % status)
        a, approvals = apply(r["result"]["task"])
        check("def shout(name: str) -> str:" in read("greet.py") and "def bye(name: str) -> str:" in read("farewell.py") and
              read("other.py") == "y = 2\n", "applyInstruction: both named files changed, the other did not")

        # Bad arguments get clear errors.
        r = s.request("workspace/executeCommand", {"command": "cadre.fix", "arguments": [{"uri": greet_uri,
                                                   "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}}]})
        check("error" in r and "diagnostic" in r["error"]["message"], "cadre.fix without a diagnostic: %s" % r.get("error"))
        r = s.request("workspace/executeCommand", {"command": "cadre.applyInstruction", "arguments": [{"instruction": "x", "uris": []}]})
        check("error" in r and "arguments[0].uris" in r["error"]["message"], "applyInstruction without files: %s" % r.get("error"))
        s.shutdown()
    finally:
        if s:
            s.kill()
        if model:
            model.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
