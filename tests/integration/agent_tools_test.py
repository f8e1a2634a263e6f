#!/usr/bin/env python3
"""The agent's long-running processes and MCP tools in `cadre run --yes`,
against scripted models (OpenAI streaming format) behind the real router.

1. A test watcher started with start_process (on a terminal in the sandbox,
   allow-listed by the user) re-runs when the executor's edit lands in the
   shadow; its new failure wakes the executor after it said it was done; the
   executor reads the output, fixes the file, and the fix is applied. The
   watcher's output streams to the terminal and the watcher is gone after.
2. An MCP server from the user's config (the well-behaved fixture) is started
   for the task and its tool, called by the executor model, answers through
   the same dispatcher, Gate and audit trail.
3. Over the wire, an editor task: find_symbol on the session's index, a REPL
   approved through cadre/approval.request, its output as process_output
   events, gone with the task.

Usage: agent_tools_test.py --cadre build/cadre
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
ROOT = os.path.dirname(os.path.dirname(HERE))
PASSED, FAILED = [], []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


def state_dir(cadre, env, project):
    """The project's state directory, as cadre names it (`cadre index` makes it)."""
    subprocess.run([cadre, "index", project], env=env, capture_output=True, timeout=60)
    base = os.path.join(env["XDG_STATE_HOME"], "cadre")
    found = [d for d in os.listdir(base) if d.startswith(os.path.basename(project) + "-")]
    return os.path.join(base, found[0])


WATCH = r"""last=''
while true; do
  cur=$(cat calc.py)
  if [ "$cur" != "$last" ]; then
    last=$cur
    if python3 -c 'from calc import add; assert add(2, 3) == 5' 2>/dev/null; then echo 'watch: all passed'; else echo 'watch: 1 FAILED (add is gone)'; fi
  fi
  sleep 0.1
done
"""

RENAME = "calc.py\n<<<<<<< SEARCH\ndef add(a, b):\n=======\ndef plus(a, b):\n>>>>>>> REPLACE\n"
FIX = "calc.py\n<<<<<<< SEARCH\n    return a + b\n=======\n    return a + b\n\n\nadd = plus  # old name, still used\n>>>>>>> REPLACE\n"

WATCH_SCENARIO = {"models": {
    "plan-model": [{"text": '{"steps": [{"title": "rename add to plus", "files": ["calc.py"]}], "criteria": ["tests pass"]}'}],
    "exec-model": [
        {"tool_calls": [{"name": "start_process", "arguments": {"command": "sh watch.sh", "why": "keep the tests running"}}]},
        {"tool_calls": [{"name": "edit_file", "arguments": {"edits": RENAME}}]},
        {"text": "Renamed add to plus."},
        # Woken by the watcher's failure:
        {"tool_calls": [{"name": "read_output", "arguments": {"process": "p1"}}]},
        {"tool_calls": [{"name": "edit_file", "arguments": {"edits": FIX}}]},
        {"text": "Kept add as an alias."},
        # Woken again by the watcher's pass:
        {"text": "The tests pass again."},
    ],
    "review-model": [{"text": '{"approved": true, "findings": []}'}],
}}

MCP_SCENARIO = {"models": {
    "plan-model": [{"text": '{"steps": [{"title": "ask the echo server, write its answer", "files": ["notes.txt"]}], "criteria": ["notes.txt has the echo"]}'}],
    "exec-model": [
        {"tool_calls": [{"name": "good__echo", "arguments": {"message": "ping from the executor"}}]},
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "notes.txt", "content": "echo: ping from the executor\n"}}]},
        {"text": "Wrote the echo to notes.txt."},
    ],
    "review-model": [{"text": '{"approved": true, "findings": []}'}],
}}


def start_models(tmp, name, scenario):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(scenario, f)
    portfile = os.path.join(tmp, name + ".port")
    log = os.path.join(tmp, name + ".log")
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "support", "models", "scripted_openai.py"),
                             "--scenario", path, "--log", log, "--port-file", portfile])
    for _ in range(200):
        if os.path.exists(portfile) and open(portfile).read():
            break
        time.sleep(0.05)
    return proc, "http://127.0.0.1:%s/v1" % open(portfile).read(), log


def requests_of(log, model):
    out = []
    with open(log) as f:
        for line in f:
            r = json.loads(line)
            if r.get("model") == model:
                out.append(r)
    return out


def user_config(home, base, extra=None):
    cfg = {"models": {"p": {"api": "openai", "baseUrl": base, "model": "plan-model"},
                      "e": {"api": "openai", "baseUrl": base, "model": "exec-model"},
                      "r": {"api": "openai", "baseUrl": base, "model": "review-model"}},
           "roles": {"planner": ["p"], "executor": ["e"], "reviewer": ["r"], "coordinator": ["e"], "worker": ["e"]},
           "lint": {"autodetect": False}}
    cfg.update(extra or {})
    os.makedirs(os.path.join(home, "config", "cadre"), exist_ok=True)
    with open(os.path.join(home, "config", "cadre", "config.json"), "w") as f:
        json.dump(cfg, f)


def environment(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))
    return env


def processes_under(directory):
    """Processes whose working directory is inside `directory` (the watcher
    runs in the task's shadow copy, under this test's state directory)."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/cwd" % pid).startswith(directory + "/"):
                n += 1
        except OSError:
            pass
    return n


def watcher_scenario(cadre, tmp):
    project = os.path.join(tmp, "watch-project")
    os.makedirs(project)
    with open(os.path.join(project, "calc.py"), "w") as f:
        f.write("def add(a, b):\n    return a + b\n")
    with open(os.path.join(project, "watch.sh"), "w") as f:
        f.write(WATCH)
    home = os.path.join(tmp, "home-watch")
    models, base, log = start_models(tmp, "watch", WATCH_SCENARIO)
    try:
        user_config(home, base)
        # The user allow-listed the watcher before ("allow always" on `sh watch.sh`).
        approvals = state_dir(cadre, environment(home), project)
        with open(os.path.join(approvals, "approvals.json"), "w") as f:
            json.dump({"version": 1, "commands": [{"program": "sh", "args": ["watch.sh"]}]}, f)
        r = subprocess.run([cadre, "run", "--yes", "Rename add to plus", project], env=environment(home),
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=150)
        print(r.stderr[-4000:])
        check(r.returncode == 0, "cadre run --yes exits 0 (got %d)" % r.returncode)
        check("→ start_process" in r.stderr and "refused" not in r.stderr, "the allow-listed watcher starts, nothing refused")
        check("[p1] watch: all passed" in r.stderr and "[p1] watch: 1 FAILED (add is gone)" in r.stderr,
              "the watcher's output streams to the terminal as it runs")
        execs = requests_of(log, "exec-model")
        check(len(execs) == 7, "the executor answered 7 times, woken twice (got %d requests)" % len(execs))
        if len(execs) >= 4:
            wake = execs[3]["messages"][-1]
            check(wake["role"] == "user" and "watch: 1 FAILED (add is gone)" in wake["content"]
                  and "Process p1 (`sh watch.sh`)" in wake["content"],
                  "after 'done', the watcher's new failure is handed back to the executor")
        if len(execs) >= 5:
            read = execs[4]["messages"][-1]
            check(read["role"] == "tool" and "watch: 1 FAILED (add is gone)" in read["content"],
                  "read_output shows the failure")
        if len(execs) >= 7:
            check("watch: all passed" in execs[6]["messages"][-1]["content"], "the fix's pass wakes it once more")
        final = open(os.path.join(project, "calc.py")).read()
        check("def plus(a, b):" in final and "add = plus" in final, "the fixed change is applied")
        check(processes_under(os.path.realpath(home)) == 0, "the watcher is gone after the task")
        audit = [json.loads(l) for l in open(os.path.join(project, ".cadre", "audit.jsonl"))]
        check(any(e.get("kind") == "command" and e.get("command") == "bash -c sh watch.sh" and e.get("longLived") for e in audit)
              or any(e.get("kind") == "command" and "watch.sh" in str(e.get("command")) for e in audit),
              "the watcher's start is audited as a command")
    finally:
        models.kill()


def mcp_scenario(cadre, tmp):
    project = os.path.join(tmp, "mcp-project")
    os.makedirs(project)
    with open(os.path.join(project, "notes.txt"), "w") as f:
        f.write("nothing yet\n")
    home = os.path.join(tmp, "home-mcp")
    models, base, log = start_models(tmp, "mcp", MCP_SCENARIO)
    try:
        fixture = os.path.join(ROOT, "tests", "fixtures", "mcp", "well_behaved.py")
        user_config(home, base, {"mcpServers": {"good": {"command": fixture, "env": {"PYTHONDONTWRITEBYTECODE": "1"},
                                                         "autoApprove": ["echo"], "readOnlyTools": ["echo"]}}})
        r = subprocess.run([cadre, "run", "--yes", "Write what the echo server says", project], env=environment(home),
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=150)
        print(r.stderr[-3000:])
        check(r.returncode == 0, "cadre run --yes with an MCP server exits 0 (got %d)" % r.returncode)
        execs = requests_of(log, "exec-model")
        offered = [t["function"]["name"] for t in execs[0].get("tools", [])] if execs else []
        check("good__echo" in offered and "start_process" in offered and "find_symbol" in offered,
              "the executor is offered the MCP server's tool beside cadre's own")
        if len(execs) >= 2:
            result = execs[1]["messages"][-1]
            check(result["role"] == "tool" and "echo: ping from the executor" in result["content"],
                  "the MCP tool's answer reaches the model")
        check(open(os.path.join(project, "notes.txt")).read() == "echo: ping from the executor\n", "the change is applied")
        audit = [json.loads(l) for l in open(os.path.join(project, ".cadre", "audit.jsonl"))]
        check(any(e.get("kind") == "tool_call" and e.get("tool") == "good__echo" and e.get("ok") for e in audit),
              "the MCP call is audited like any tool call")
    finally:
        models.kill()


WIRE_SCENARIO = {"models": {
    "plan-model": [{"text": '{"steps": [{"title": "find hello, try it in a REPL"}], "criteria": []}'}],
    "exec-model": [
        {"tool_calls": [{"name": "find_symbol", "arguments": {"query": "hello"}}]},
        {"tool_calls": [{"name": "start_process", "arguments": {"command": "python3 -q -i", "watch": False, "why": "a REPL"}}]},
        {"tool_calls": [{"name": "send_input", "arguments": {"process": "p1", "text": "from greet import hello; print(hello('wire'))"}}]},
        {"text": "hello works; nothing to change."},
    ],
    "review-model": [],
}}


def wire_scenario(cadre, tmp):
    """An editor task over the wire: the session's index answers find_symbol,
    start_process is approved through cadre/approval.request, the REPL's
    output arrives as process_output events, and the REPL dies with the task."""
    sys.path.insert(0, HERE)
    from agent_task_test import Server
    project = os.path.join(tmp, "wire-project")
    os.makedirs(project)
    with open(os.path.join(project, "greet.py"), "w") as f:
        f.write("def hello(name):\n    return 'hello ' + name\n")
    home = os.path.join(tmp, "home-wire")
    models, base, log = start_models(tmp, "wire", WIRE_SCENARIO)
    s = None
    try:
        user_config(home, base)
        s = Server(cadre, project, environment(home))
        s.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"rootUri": "file://" + project, "capabilities": {"experimental": {"cadre": {"approvals": True}}}}})
        while s.read(15).get("id") != 1:
            pass
        s.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        time.sleep(1)  # the session indexes the project in the background
        s.send({"jsonrpc": "2.0", "id": 2, "method": "cadre/task.start", "params": {"task": "repl", "prompt": "Try hello in a REPL."}})
        events, asked, status = [], [], None
        deadline = time.time() + 90
        while time.time() < deadline and status is None:
            m = s.read(deadline - time.time())
            if m.get("method") == "cadre/approval.request":
                asked.append(m["params"].get("command"))
                s.send({"jsonrpc": "2.0", "id": m["id"], "result": {"decision": "allowOnce"}})
            elif m.get("method") == "cadre/task.event":
                events.append(m["params"])
                d = m["params"]["data"]
                if m["params"]["kind"] == "status" and d.get("status") in ("ready", "failed", "cancelled", "no-change"):
                    status = d
        # The exit of the REPL, killed at the task's end, follows the last status.
        end = time.time() + 10
        while time.time() < end and not any(e["kind"] == "process_output" and "exitCode" in e["data"] for e in events):
            m = s.read(end - time.time())
            if m.get("method") == "cadre/task.event":
                events.append(m["params"])
        check(status is not None and status["status"] == "no-change", "the editor task ends: %s" % json.dumps(status))
        results = {e["data"]["name"]: e["data"] for e in events if e["kind"] == "toolResult"}
        check("find_symbol" in results and "greet.py:1: function hello" in results["find_symbol"]["text"],
              "find_symbol answers from the session's index")
        check(asked == ["python3 -q -i"], "start_process is put to the user like a command: %s" % asked)
        out = "".join(e["data"].get("text", "") for e in events if e["kind"] == "process_output")
        check("hello wire" in out and ">>>" in out, "the REPL's terminal output streams as process_output events")
        check("send_input" in results and "hello wire" in results["send_input"]["text"], "send_input returns the REPL's answer")
        check(any(e["kind"] == "process_output" and e["data"].get("process") == "p1" and "exitCode" in e["data"] for e in events),
              "the REPL's end is an event too")
        check([e["seq"] for e in events] == list(range(1, len(events) + 1)), "process events are numbered with the rest")
        check(processes_under(os.path.realpath(home)) == 0 and processes_under(os.path.realpath(project)) == 0,
              "the REPL is gone after the task")
    finally:
        if s:
            s.p.kill()
        models.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    tmp = tempfile.mkdtemp(prefix="cadre-agent-tools-")
    try:
        watcher_scenario(cadre, tmp)
        mcp_scenario(cadre, tmp)
        wire_scenario(cadre, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
