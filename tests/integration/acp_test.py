#!/usr/bin/env python3
"""`cadre acp` driven by a scripted Agent Client Protocol client (ACP v1:
newline-delimited JSON-RPC on stdin/stdout), against scripted models in the
OpenAI streaming format behind cadre's real router, with the real sandbox.

One session, four prompts, then a second session with an MCP server:
  1. initialize, session/new, a prompt with a text block and a resource_link
     (read back through the client's fs/read_text_file: the editor's unsaved
     buffer reaches the planner); streamed updates (plan, thought and message
     chunks, tool calls with diffs); a command's permission answered
     "allow always"; the edit's permission answered "allow once"; the file
     on disk changed, audited, with a checkpoint to undo.
  2. a follow-up: the conversation so far reaches the planner; the same
     command runs without asking (the allow-always rule); the edit's
     permission rejected: the file is untouched, the turn ends normally.
  3. the planner stalls; session/cancel: stopReason "cancelled" at once.
  4. cancel while the edit's permission is pending (the client answers
     "cancelled" as ACP asks): stopReason "cancelled", the file untouched.
  5. session/new with the client's stdio MCP server: its start and its
     tool's call are asked; the tool's answer is the tool call's result.
Malformed lines, unknown methods and bad params are answered with JSON-RPC
errors while the session carries on; a line over the size cap is answered
and skipped; stdout carries nothing but ACP messages. Usage:

    acp_test.py --cadre build/cadre
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


class Client:
    """The client side of ACP's stdio transport: one JSON message per line."""

    def __init__(self, argv, cwd, env, log):
        self.p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=open(log, "w"))
        self.buf = b""
        self.not_json = []  # stdout lines that are not ACP messages
        self.next_id = 100
        self.parse_errors = []  # error replies with a null id (to lines that were not JSON)

    def send(self, obj):
        self.raw(json.dumps(obj).encode() + b"\n")

    def raw(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def read(self, timeout):
        deadline = time.time() + timeout
        while True:
            line, sep, rest = self.buf.partition(b"\n")
            if sep:
                self.buf = rest
                try:
                    return json.loads(line)
                except ValueError:
                    self.not_json.append(line)
                    continue
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no message from cadre acp")
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise EOFError("cadre acp closed stdout")
                self.buf += chunk

    def until_reply(self, rid, timeout, on_request=None, seen=None):
        """Reads until the answer to `rid`; updates go to `seen`, agent → client
        requests to `on_request` (which answers them)."""
        deadline = time.time() + timeout
        while True:
            m = self.read(deadline - time.time())
            if m.get("id") == rid and "method" not in m:
                return m
            if m.get("id") is None and "error" in m:
                self.parse_errors.append(m["error"])
            if m.get("method") == "session/update" and seen is not None:
                seen.append(m["params"])
            elif "method" in m and "id" in m:
                if on_request:
                    on_request(m)
                else:
                    self.send({"jsonrpc": "2.0", "id": m["id"], "error": {"code": -32601, "message": "not handled"}})


def edit(path, search, replace):
    return {"name": "edit_file", "arguments": {"edits": "%s\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n" % (path, search, replace)}}


PLAN = ('{"steps": [{"title": "add farewell(name)", "files": ["greet.py"]}], "criteria": ["farewell returns goodbye"], '
        '"decisions": ["farewell(name) lives next to hello(name)"]}')
ORIGINAL = "def hello(name):\n    return 'hello ' + name\n"
FINAL = ORIGINAL + "\n\ndef farewell(name):\n    return 'goodbye ' + name\n"
COMMAND = "python3 -c 'import greet'"

SCENARIO = {"models": {
    "plan-model": [
        # 1
        {"tool_calls": [{"name": "read_file", "arguments": {"path": "greet.py"}}]},
        {"text": "Thinking it over.\n```json\n" + PLAN + "\n```"},
        # 2
        {"text": '{"steps": [{"title": "shout", "files": ["greet.py"]}], "criteria": []}'},
        # 3: stalls until cadre hangs up
        {"stall": 60, "text": "never seen"},
        # 4
        {"text": '{"steps": [{"title": "whisper", "files": ["greet.py"]}], "criteria": []}'},
        # 5
        {"text": '{"steps": [{"title": "ask the echo server", "files": []}], "criteria": []}'},
    ],
    "exec-model": [
        # 1
        {"tool_calls": [edit("greet.py", ORIGINAL, FINAL)]},
        {"tool_calls": [{"name": "run_command", "arguments": {"command": COMMAND, "why": "check it imports"}}]},
        {"text": "Added farewell(name)."},
        # 2
        {"tool_calls": [{"name": "run_command", "arguments": {"command": COMMAND, "why": "check it still imports"}}]},
        {"tool_calls": [edit("greet.py", "    return 'hello ' + name\n", "    return 'HELLO ' + name\n")]},
        {"text": "Shouting now."},
        # 4
        {"tool_calls": [edit("greet.py", "    return 'hello ' + name\n", "    return 'psst ' + name\n")]},
        {"text": "Whispering now."},
        # 5
        {"tool_calls": [{"name": "good__echo", "arguments": {"message": "hi from the editor's server"}}]},
        {"text": "The echo server answered."},
    ],
    "review-model": [
        {"text": '{"approved": true, "findings": []}'},
        {"text": '{"approved": true, "findings": []}'},
        {"text": '{"approved": true, "findings": []}'},
    ],
}}


def kinds(updates):
    return [u["update"]["sessionUpdate"] for u in updates]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    tmp = tempfile.mkdtemp(prefix="cadre-acp-")
    fake = None
    c = None
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        target = os.path.join(project, "greet.py")
        with open(target, "w") as f:
            f.write(ORIGINAL)
        with open(os.path.join(project, ".env"), "w") as f:
            f.write("API_KEY=sk-secret-do-not-send\n")
        with open(os.path.join(tmp, "scenario.json"), "w") as f:
            json.dump(SCENARIO, f)
        log = os.path.join(tmp, "requests.jsonl")
        portfile = os.path.join(tmp, "port")
        # scripted_openai.py plus stalls (the Neovim tests' variant, which imports it unchanged).
        fake = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "e2e", "neovim", "scripted_models.py"),
                                 "--scenario", os.path.join(tmp, "scenario.json"), "--log", log, "--port-file", portfile])
        for _ in range(100):
            if os.path.exists(portfile):
                break
            time.sleep(0.05)
        base = "http://127.0.0.1:%s/v1" % open(portfile).read()
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, "config", "cadre"))
        with open(os.path.join(home, "config", "cadre", "config.json"), "w") as f:
            json.dump({"models": {"planner": {"api": "openai", "baseUrl": base, "model": "plan-model"},
                                  "writer": {"api": "openai", "baseUrl": base, "model": "exec-model"},
                                  "critic": {"api": "openai", "baseUrl": base, "model": "review-model"}},
                       "roles": {"planner": ["planner"], "executor": ["writer"], "reviewer": ["critic"],
                                 "coordinator": ["writer"], "worker": ["writer"]}}, f)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))

        h = subprocess.run([cadre, "acp", "--help"], capture_output=True, text=True, env=env)
        check(h.returncode == 0 and "Agent Client Protocol" in h.stdout, "cadre acp --help")

        c = Client([cadre, "acp", "--log-level", "debug"], project, env, os.path.join(tmp, "cadre.log"))
        # Before initialize, sessions are refused.
        r = c.until_reply(c.request("session/new", {"cwd": project, "mcpServers": []}), 10)
        check(r.get("error", {}).get("code") == -32600 and "initialize" in r["error"]["message"],
              "session/new before initialize is refused: %s" % r.get("error"))
        r = c.until_reply(c.request("initialize", {"protocolVersion": 1, "clientInfo": {"name": "acp-test", "version": "1"},
                                                   "clientCapabilities": {"fs": {"readTextFile": True, "writeTextFile": False},
                                                                          "terminal": False}}), 10)
        res = r.get("result", {})
        caps = res.get("agentCapabilities", {})
        check(res.get("protocolVersion") == 1 and res.get("authMethods") == [] and caps.get("loadSession") is False and
              caps.get("promptCapabilities", {}).get("embeddedContext") is True and res.get("agentInfo", {}).get("name") == "cadre",
              "initialize negotiates protocol version 1 and states the capabilities: %s" % json.dumps(res))

        # Malformed input is answered and the connection carries on.
        c.raw(b"this is not json\n")
        m = c.read(10)
        check(m.get("id") is None and m.get("error", {}).get("code") == -32700, "a malformed line gets a parse error: %s" % m)
        c.raw(b"\n   \n")  # blank lines are skipped silently
        r = c.until_reply(c.request("session/frobnicate", {}), 10)
        check(r.get("error", {}).get("code") == -32601, "an unknown method gets MethodNotFound")
        r = c.until_reply(c.request("session/new", {"cwd": "relative/dir", "mcpServers": []}), 10)
        check(r.get("error", {}).get("code") == -32602 and "cwd" in r["error"]["message"],
              "a relative cwd is InvalidParams naming the field: %s" % r.get("error"))
        r = c.until_reply(c.request("session/prompt", {"sessionId": "nope", "prompt": [{"type": "text", "text": "hi"}]}), 10)
        check(r.get("error", {}).get("code") == -32602 and "nope" in r["error"]["message"], "a prompt for an unknown session is refused")
        r = c.until_reply(c.request("session/prompt", {"sessionId": "nope", "prompt": [{"type": "image", "data": "", "mimeType": "image/png"}]}), 10)
        check(r.get("error", {}).get("code") == -32602 and "image" in r["error"]["message"], "image content (not offered) is refused")

        r = c.until_reply(c.request("session/new", {"cwd": project, "mcpServers": []}), 30)
        sid = r.get("result", {}).get("sessionId")
        check(isinstance(sid, str) and sid, "session/new returns a sessionId")

        # ---- 1: allow the command always, the edit once.
        asked = []

        def answer(choice_for):
            def on_request(m):
                asked.append(m)
                if m["method"] == "fs/read_text_file":
                    c.send({"jsonrpc": "2.0", "id": m["id"], "result": {"content": ORIGINAL + "# unsaved edit in the editor\n"}})
                elif m["method"] == "session/request_permission":
                    c.raw(b"{broken json in the middle of a turn\n")
                    c.send({"jsonrpc": "2.0", "id": m["id"], "result": {"outcome": choice_for(m["params"])}})
                else:
                    c.send({"jsonrpc": "2.0", "id": m["id"], "error": {"code": -32601, "message": "not handled"}})
            return on_request

        def choose1(params):
            kind = params["toolCall"].get("kind")
            return {"outcome": "selected", "optionId": "allow-always" if kind == "execute" else "allow-once"}

        seen = []
        rid = c.request("session/prompt", {"sessionId": sid, "prompt": [
            {"type": "text", "text": "Add a farewell(name) function next to hello."},
            {"type": "resource_link", "uri": "file://" + target, "name": "greet.py"},
            {"type": "resource_link", "uri": "file://" + os.path.join(project, ".env"), "name": ".env"}]})
        r = c.until_reply(rid, 120, answer(choose1), seen)
        check(r.get("result", {}).get("stopReason") == "end_turn", "prompt 1 ends with end_turn: %s" % r)
        check(open(target).read() == FINAL, "the file on disk holds the change after the edit was allowed")
        k = kinds(seen)
        check("plan" in k and "agent_thought_chunk" in k and "agent_message_chunk" in k and "tool_call" in k and
              "tool_call_update" in k, "updates stream: plan, thought and message chunks, tool calls: %s" % sorted(set(k)))
        plans = [u["update"] for u in seen if u["update"]["sessionUpdate"] == "plan"]
        check(plans and plans[0]["entries"][0]["content"].startswith("add farewell(name)") and
              plans[0]["entries"][0]["status"] == "pending" and plans[0]["entries"][0]["priority"] in ("high", "medium", "low") and
              all(e["status"] == "completed" for e in plans[-1]["entries"]),
              "plan entries come from the plan and end completed")
        message = "".join(u["update"]["content"]["text"] for u in seen if u["update"]["sessionUpdate"] == "agent_message_chunk")
        check("Added farewell(name)." in message and "Applied: 1 written" in message, "the executor's words are the message: %r" % message[-200:])
        calls = {u["update"]["toolCallId"]: u["update"] for u in seen if u["update"]["sessionUpdate"] == "tool_call"}
        titles = [(x["kind"], x["title"]) for x in calls.values()]
        check(("read", "Read greet.py") in titles and any(kd == "edit" and t.startswith("Edit greet.py") for kd, t in titles) and
              any(kd == "execute" and COMMAND in t for kd, t in titles), "tool calls carry kinds and titles: %s" % titles)
        read_call = [x for x in calls.values() if x["kind"] == "read"][0]
        check(read_call.get("locations") == [{"path": target}], "a tool call's locations are absolute paths")
        edit_id = [i for i, x in calls.items() if x["kind"] == "edit" and x["title"].startswith("Edit")][0]
        edit_done = [u["update"] for u in seen if u["update"]["sessionUpdate"] == "tool_call_update" and u["update"]["toolCallId"] == edit_id]
        diffs = [b for u in edit_done for b in u.get("content", []) if b.get("type") == "diff"]
        check(edit_done and edit_done[-1]["status"] == "completed" and diffs and diffs[0]["path"] == target and
              diffs[0]["oldText"] == ORIGINAL and diffs[0]["newText"] == FINAL, "an edit in the shadow shows as a diff")
        perms = [m for m in asked if m["method"] == "session/request_permission"]
        asked_in_turn = len(perms)
        memory = [m["params"] for m in perms if m["params"]["toolCall"]["title"] == "Edit .cadre/MEMORY.md"]
        check(len(memory) == 1 and "lives next to hello" in json.dumps(memory[0]["toolCall"]["content"]) and
              [o["kind"] for o in memory[0]["options"]] == ["allow_once", "allow_always", "reject_once"],
              "the plan's decision is put to the user as an edit of MEMORY.md")
        check("lives next to hello" in open(os.path.join(project, ".cadre", "MEMORY.md")).read(),
              "... allowed once, it is in MEMORY.md")
        perms = [m for m in perms if m["params"] not in memory]
        check(len(perms) == 2, "two more permissions asked (the command, the edit): %d" % len(perms))
        check(len(c.parse_errors) == asked_in_turn and all(e["code"] == -32700 for e in c.parse_errors),
              "broken lines sent mid-turn got parse errors and the turn went on: %s" % c.parse_errors)
        if len(perms) == 2:
            cmd, ed = perms[0]["params"], perms[1]["params"]
            opts = [o["kind"] for o in cmd["options"]]
            check(cmd["sessionId"] == sid and cmd["toolCall"]["kind"] == "execute" and COMMAND in cmd["toolCall"]["title"] and
                  cmd["toolCall"]["toolCallId"] in calls and opts == ["allow_once", "allow_always", "reject_once"],
                  "the command's permission is about its tool call, with allow_always: %s" % opts)
            check(ed["toolCall"]["kind"] == "edit" and [o["kind"] for o in ed["options"]] == ["allow_once", "reject_once"] and
                  any(b.get("type") == "diff" and b["path"] == target and b["newText"] == FINAL for b in ed["toolCall"]["content"]),
                  "the edit's permission shows the final diff (allow once / reject)")
            apply_updates = [u["update"] for u in seen if u["update"].get("toolCallId") == ed["toolCall"]["toolCallId"]]
            check(apply_updates and apply_updates[0]["sessionUpdate"] == "tool_call" and apply_updates[0]["status"] == "pending" and
                  apply_updates[-1]["status"] == "completed", "the apply is a tool call: pending, then completed")
        reads = [m for m in asked if m["method"] == "fs/read_text_file"]
        check(len(reads) == 1 and reads[0]["params"] == {"sessionId": sid, "path": target},
              "the linked file is read through the client's fs/read_text_file (the .env link is not)")
        requests = [json.loads(l) for l in open(log)]
        planner1 = json.dumps([q for q in requests if q["model"] == "plan-model"][0])
        check("# unsaved edit in the editor" in planner1, "the editor's buffer reached the planner")
        check("sk-secret-do-not-send" not in open(log).read(), "the deny-listed .env reached no model")
        check(c.not_json == [], "stdout carries ACP messages only")

        audit = subprocess.run([cadre, "audit", "show", project, "--json", "--kind", "edit_applied"], env=env,
                               capture_output=True, text=True)
        entries = [json.loads(l) for l in audit.stdout.splitlines() if l.strip()]
        check(len(entries) == 1 and entries[0].get("files", [{}])[0].get("path") == target, "the apply is audited")
        cps = subprocess.run([cadre, "checkpoints", "list", project, "--json"], env=env, capture_output=True, text=True)
        check("before applying task acp-" in cps.stdout, "a checkpoint was taken before the apply (undo)")

        # ---- 2: follow-up; the command is remembered; the edit rejected.
        asked.clear()
        seen = []
        rid = c.request("session/prompt", {"sessionId": sid, "prompt": [{"type": "text", "text": "Now make hello shout."}]})
        r = c.until_reply(rid, 120, answer(lambda p: {"outcome": "selected", "optionId": "reject-once"}), seen)
        check(r.get("result", {}).get("stopReason") == "end_turn", "a rejected edit ends the turn normally: %s" % r)
        check(open(target).read() == FINAL, "a rejected edit leaves the file untouched")
        perms = [m["params"]["toolCall"]["kind"] for m in asked if m["method"] == "session/request_permission"]
        check(perms == ["edit"], "the allow-always command ran without asking again; only the edit asked: %s" % perms)
        failed = [u["update"] for u in seen if u["update"]["sessionUpdate"] == "tool_call_update" and u["update"].get("status") == "failed"]
        check(failed and "declined" in json.dumps(failed[-1]), "the apply tool call is reported failed (declined)")
        requests = [json.loads(l) for l in open(log)]
        planner2 = json.dumps([q for q in requests if q["model"] == "plan-model"][2])
        check("Earlier in this conversation" in planner2 and "farewell" in planner2, "the follow-up carries the conversation")

        # ---- 3: cancel a stalled model.
        seen = []
        rid = c.request("session/prompt", {"sessionId": sid, "prompt": [{"type": "text", "text": "Something slow."}]})
        time.sleep(1.0)
        t0 = time.time()
        c.send({"jsonrpc": "2.0", "method": "session/cancel", "params": {"sessionId": sid}})
        r = c.until_reply(rid, 20, None, seen)
        check(r.get("result", {}).get("stopReason") == "cancelled" and time.time() - t0 < 5,
              "session/cancel stops a stalled turn with stopReason cancelled (%.1fs)" % (time.time() - t0))
        for _ in range(60):  # the model server notices the hang-up within its 50 ms poll
            stalls = [json.loads(l) for l in open(log + ".stalls")] if os.path.exists(log + ".stalls") else []
            if any(x.get("hungUp") for x in stalls):
                break
            time.sleep(0.05)
        check(any(x.get("hungUp") for x in stalls), "... cadre hung up on the stalled model request: %s" % stalls)
        check(open(target).read() == FINAL, "a cancelled turn leaves the file untouched")

        # ---- 4: cancel while the edit's permission is pending.
        seen = []
        pending = []

        def hold(m):
            if m["method"] == "session/request_permission":
                pending.append(m)
                c.send({"jsonrpc": "2.0", "method": "session/cancel", "params": {"sessionId": sid}})
                # ACP: the client answers pending permission requests with "cancelled".
                c.send({"jsonrpc": "2.0", "id": m["id"], "result": {"outcome": {"outcome": "cancelled"}}})
            else:
                c.send({"jsonrpc": "2.0", "id": m["id"], "error": {"code": -32601, "message": "not handled"}})

        rid = c.request("session/prompt", {"sessionId": sid, "prompt": [{"type": "text", "text": "Make hello whisper."}]})
        r = c.until_reply(rid, 120, hold, seen)
        check(pending and r.get("result", {}).get("stopReason") == "cancelled",
              "cancel during the edit's permission: stopReason cancelled: %s" % r)
        check(open(target).read() == FINAL, "... and the file is untouched")

        # ---- 5: a session with the client's MCP server: started with the
        # first prompt (asked first), its tool offered to the executor (asked).
        # The server runs in cadre's sandbox, which sees the system and the
        # workspace (read-only): the fixture goes into the project.
        servers = os.path.join(project, "servers")
        os.makedirs(servers)
        for name in ("well_behaved.py", "mcp_fixture.py"):
            shutil.copy2(os.path.join(HERE, "..", "fixtures", "mcp", name), servers)
        r = c.until_reply(c.request("session/new", {"cwd": project, "mcpServers": [
            {"name": "good", "command": os.path.join(servers, "well_behaved.py"), "args": [],
             "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}]}]}), 30)
        sid2 = r.get("result", {}).get("sessionId")
        check(sid2 and sid2 != sid, "a second session with an MCP server from the client")
        asked.clear()
        seen = []
        rid = c.request("session/prompt", {"sessionId": sid2, "prompt": [{"type": "text", "text": "Ask the echo server."}]})
        r = c.until_reply(rid, 120, answer(lambda p: {"outcome": "selected", "optionId": "allow-once"}), seen)
        check(r.get("result", {}).get("stopReason") == "end_turn", "the MCP prompt ends with end_turn: %s" % r)
        titles = [m["params"]["toolCall"]["title"] for m in asked if m["method"] == "session/request_permission"]
        check(len(titles) == 2 and all("good" in t for t in titles), "starting the client's server and calling its tool were asked: %s" % titles)
        done = [u["update"] for u in seen if u["update"]["sessionUpdate"] == "tool_call_update" and u["update"].get("status") == "completed"]
        check(any("echo: hi from the editor's server" in json.dumps(u) for u in done), "the MCP tool's answer is the tool call's result")

        # The session still answers.
        r = c.until_reply(c.request("session/frobnicate", {}), 10)
        check(r.get("error", {}).get("code") == -32601, "the connection still answers after all that")
        check(c.not_json == [], "stdout carried ACP messages only, all along")
        c.p.stdin.close()
        code = c.p.wait(20)
        check(code == 0, "cadre acp exits 0 when stdin closes (got %s)" % code)
        c = None

        # A line over the cap is answered and skipped; the next one is served.
        small = Client([cadre, "acp", "--max-message-bytes", "4096"], project, env, os.path.join(tmp, "cadre-small.log"))
        small.raw(b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1, "x": "' +
                  b"a" * 20000 + b'"}}\n')
        m = small.read(10)
        check(m.get("error", {}).get("code") == -32700 and "4096" in m["error"]["message"],
              "an over-long line gets a clear error: %s" % m.get("error"))
        r = small.until_reply(small.request("initialize", {"protocolVersion": 1}), 10)
        check(r.get("result", {}).get("protocolVersion") == 1, "the next line is served")
        small.p.stdin.close()
        small.p.wait(20)
    finally:
        if c:
            c.p.kill()
        if fake:
            fake.kill()
        if FAILED:
            for name in ("cadre.log",):
                p = os.path.join(tmp, name)
                if os.path.exists(p):
                    print("---- %s (tail)\n%s" % (name, open(p, errors="replace").read()[-6000:]))
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
