#!/usr/bin/env python3
"""A task end to end over the wire, with planner, executor and reviewer on
three different (scripted) models behind cadre's real router.

The scripted server (tests/support/models/scripted_openai.py) speaks the
OpenAI streaming format. The planner reads a file and plans; the executor
edits in the shadow and leaves a typo that pyflakes catches, gets the
problem back and fixes it; the reviewer (another model) asks for a docstring,
the executor adds it, the reviewer approves. The user's file is unchanged
until cadre/shadow.apply is approved; then it holds the reviewed change.
Every model request is audited. Usage:

    agent_task_test.py --cadre build/cadre
"""
import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PASSED, FAILED = [], []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


class Server:
    def __init__(self, cadre, project, env):
        self.p = subprocess.Popen([cadre, "serve", "--stdio"], cwd=project, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=open(os.path.join(project, "..", "cadre.log"), "w"))
        self.buf = b""

    def send(self, obj):
        body = json.dumps(obj).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def read(self, timeout):
        deadline = time.time() + timeout
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return json.loads(rest[:n])
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no message from cadre")
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise EOFError("cadre closed stdout")
                self.buf += chunk


def edit(path, search, replace):
    return {"name": "edit_file", "arguments": {"edits": "%s\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n" % (path, search, replace)}}


SCENARIO = {"models": {
    "plan-model": [
        {"tool_calls": [{"name": "read_file", "arguments": {"path": "greet.py"}}]},
        {"text": 'Here is the plan:\n```json\n{"steps": [{"title": "add farewell(name)", "files": ["greet.py"]}], '
                 '"criteria": ["farewell(name) returns \\"goodbye \\" + name", "it has a docstring"]}\n```'},
    ],
    "exec-model": [
        {"tool_calls": [edit("greet.py", "def hello(name):\n    return 'hello ' + name\n",
                             "def hello(name):\n    return 'hello ' + name\n\n\ndef farewell(name):\n    return 'goodbye ' + nam\n")]},
        {"text": "Added farewell."},
        {"tool_calls": [edit("greet.py", "    return 'goodbye ' + nam\n", "    return 'goodbye ' + name\n")]},
        {"text": "Fixed the typo."},
        {"tool_calls": [edit("greet.py", "def farewell(name):\n", "def farewell(name):\n    \"\"\"Say goodbye.\"\"\"\n")]},
        {"text": "Added the docstring."},
    ],
    "review-model": [
        {"text": '{"approved": false, "findings": ["farewell has no docstring"]}'},
        {"text": '{"approved": true, "findings": []}'},
    ],
}}

FINAL = "def hello(name):\n    return 'hello ' + name\n\n\ndef farewell(name):\n    \"\"\"Say goodbye.\"\"\"\n    return 'goodbye ' + name\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    tmp = tempfile.mkdtemp(prefix="cadre-agent-")
    fake = None
    s = None
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        original = "def hello(name):\n    return 'hello ' + name\n"
        with open(os.path.join(project, "greet.py"), "w") as f:
            f.write(original)
        with open(os.path.join(tmp, "scenario.json"), "w") as f:
            json.dump(SCENARIO, f)
        log = os.path.join(tmp, "requests.jsonl")
        portfile = os.path.join(tmp, "port")
        fake = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "support", "models", "scripted_openai.py"),
                                 "--scenario", os.path.join(tmp, "scenario.json"), "--log", log, "--port-file", portfile])
        for _ in range(100):
            if os.path.exists(portfile):
                break
            time.sleep(0.05)
        port = open(portfile).read()
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, "config", "cadre"))
        base = "http://127.0.0.1:%s/v1" % port
        with open(os.path.join(home, "config", "cadre", "config.json"), "w") as f:
            json.dump({"models": {"planner": {"api": "openai", "baseUrl": base, "model": "plan-model"},
                                  "writer": {"api": "openai", "baseUrl": base, "model": "exec-model"},
                                  "critic": {"api": "openai", "baseUrl": base, "model": "review-model"}},
                       "roles": {"planner": ["planner"], "executor": ["writer"], "reviewer": ["critic"],
                                 "coordinator": ["writer"], "worker": ["writer"]}}, f)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))
        s = Server(cadre, project, env)
        s.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"rootUri": "file://" + project, "capabilities": {"experimental": {"cadre": {"approvals": True}}}}})
        while s.read(15).get("id") != 1:
            pass
        s.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        s.send({"jsonrpc": "2.0", "id": 2, "method": "cadre/task.start",
                "params": {"task": "farewell", "prompt": "Add a farewell(name) function next to hello."}})
        events, status = [], None
        deadline = time.time() + 90
        while time.time() < deadline:
            m = s.read(deadline - time.time())
            if m.get("method") == "cadre/task.event":
                events.append(m["params"])
                if m["params"]["kind"] == "status" and m["params"]["data"]["status"] in ("ready", "failed", "cancelled", "no-change"):
                    status = m["params"]["data"]
                    break
        kinds = [e["kind"] for e in events]
        check(status is not None and status["status"] == "ready", "the task ends ready for approval: %s" % json.dumps(status))
        check([e["seq"] for e in events] == list(range(1, len(events) + 1)), "events are numbered without gaps")
        plan = [e["data"] for e in events if e["kind"] == "plan"]
        check(plan and plan[0]["criteria"][1] == "it has a docstring", "the planner's JSON plan is an event")
        check(any(e["kind"] == "token" and e["data"]["role"] == "executor" for e in events), "executor tokens stream as events")
        calls = [e["data"] for e in events if e["kind"] == "toolCall"]
        check([c["name"] for c in calls] == ["read_file", "edit_file", "edit_file", "edit_file"], "tool calls are events: %s" % [c["name"] for c in calls])
        diags = [e["data"] for e in events if e["kind"] == "diagnostics"]
        check(diags and diags[0]["introduced"] and "undefined name 'nam'" in diags[0]["introduced"][0]["message"],
              "pyflakes' finding on the shadow goes back to the executor")
        reviews = [e["data"] for e in events if e["kind"] == "review"]
        check([r["approved"] for r in reviews] == [False, True] and reviews[0]["model"] == "critic",
              "the reviewer (another model) asks for a change, then approves")
        check(open(os.path.join(project, "greet.py")).read() == original, "the user's file is untouched before apply")

        requests = [json.loads(l) for l in open(log)]
        by_model = {}
        for r in requests:
            by_model.setdefault(r["model"], []).append(r)
        check(sorted(by_model) == ["exec-model", "plan-model", "review-model"], "planner, executor and reviewer are three models")
        fix_request = by_model["exec-model"][2]
        check(any("undefined name 'nam'" in (m.get("content") or "") for m in fix_request["messages"]),
              "the executor was told of the problem it introduced")
        check("+    \"\"\"Say goodbye.\"\"\"" not in json.dumps(by_model["review-model"][0]) and
              "farewell" in json.dumps(by_model["review-model"][0]), "the reviewer was sent the diff")
        check(all(r.get("stream") for r in requests) and by_model["exec-model"][0].get("tools"), "requests stream and carry tools")

        s.send({"jsonrpc": "2.0", "id": 3, "method": "cadre/shadow.apply", "params": {"task": "farewell"}})
        while True:
            m = s.read(15)
            if m.get("method") == "cadre/approval.request":
                check("+def farewell(name):" in m["params"]["diff"], "apply shows the diff for approval")
                s.send({"jsonrpc": "2.0", "id": m["id"], "result": {"decision": "allowOnce"}})
            if m.get("id") == 3:
                break
        check(open(os.path.join(project, "greet.py")).read() == FINAL, "after approval the file holds the reviewed change")
        audit = subprocess.run([cadre, "audit", "show", project, "--json", "--kind", "model_request"], env=env,
                               capture_output=True, text=True)
        lines = [json.loads(l) for l in audit.stdout.splitlines() if l.strip()]
        check(len(lines) == len(requests) and {l.get("role") for l in lines} == {"planner", "executor", "reviewer"},
              "every model request is audited with its role (%d of %d)" % (len(lines), len(requests)))
    finally:
        if s:
            s.p.kill()
        if fake:
            fake.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
