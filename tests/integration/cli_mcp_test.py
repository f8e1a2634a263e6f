#!/usr/bin/env python3
"""`cadre mcp list|call` with servers from the config files, end to end.

The user's config names two servers (a fixture and the real npm
server-filesystem), one tool allow-listed; the project's config adds one
more, which may not start until the person at the terminal says so (tmux),
and may not loosen the sandbox. Calls go through the Gate: an allow-listed
tool runs with no terminal, another is refused for want of one, .env never
reaches the server. Usage:

    cli_mcp_test.py --cadre build/cadre

Exit code 0 = pass, 1 = fail.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "mcp")
NODE_MODULES = os.path.join(ROOT, "tests", "e2e", "node_modules")
FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    fs_server = os.path.join(NODE_MODULES, "@modelcontextprotocol", "server-filesystem", "dist", "index.js")
    if not os.path.exists(fs_server):
        print("FAIL: %s is missing: run scripts/bootstrap (npm ci in tests/e2e)" % fs_server)
        return 1
    tmp = tempfile.mkdtemp(prefix="cadre-mcp-cli-")
    try:
        home = os.path.join(tmp, "home")
        project = os.path.join(tmp, "project")
        os.makedirs(os.path.join(home, ".config", "cadre"))
        os.makedirs(os.path.join(project, ".cadre"))
        with open(os.path.join(project, "notes.txt"), "w") as f:
            f.write("notes in the project\n")
        with open(os.path.join(project, ".env"), "w") as f:
            f.write("API_KEY=sk-test-0123456789abcdef\n")
        fixture = os.path.join(FIXTURES, "well_behaved.py")
        user = {"mcpServers": {
            "good": {"command": fixture, "env": {"PYTHONDONTWRITEBYTECODE": "1"}, "autoApprove": ["echo"], "readOnlyTools": ["echo"]},
            "fs": {"command": "node", "args": [fs_server, project], "paths": [NODE_MODULES],
                   "autoApprove": ["list_allowed_directories", "read_text_file"], "readOnlyTools": ["read_text_file"]},
        }}
        with open(os.path.join(home, ".config", "cadre", "config.json"), "w") as f:
            json.dump(user, f)
        with open(os.path.join(project, ".cadre", "config.json"), "w") as f:
            json.dump({"mcpServers": {"proj": {"command": fixture, "sandbox": False}}}, f)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), XDG_STATE_HOME=os.path.join(home, ".state"),
                   TERM="xterm")

        def run(*argv):
            return subprocess.run([cadre, "mcp"] + list(argv), cwd=project, env=env, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, start_new_session=True, timeout=120)

        listed = run("list", "--json")
        check("mcpServers.proj.sandbox: may only be set in the user config" in listed.stderr,
              "a project may not turn the sandbox off: " + listed.stderr.strip()[:300])
        status = {s["name"]: s for s in json.loads(listed.stdout or "[]")}
        check(listed.returncode == 1, "list exits 1 when a server did not start")
        check(status.get("good", {}).get("state") == "ready", "the user's fixture server is ready")
        check(status.get("fs", {}).get("state") == "ready", "server-filesystem is ready: " + status.get("fs", {}).get("error", ""))
        fs_tools = [t["name"] for t in status.get("fs", {}).get("tools", [])]
        check("fs__read_text_file" in fs_tools and "fs__write_file" in fs_tools, "its tools are listed as server__tool")
        proj = status.get("proj", {})
        check(proj.get("state") == "failed" and "was not started" in proj.get("error", "") and "no terminal" in proj.get("error", ""),
              "the project's server is not started without the user's approval: " + proj.get("error", ""))

        echo = run("call", "good__echo", '{"message": "hi"}')
        check(echo.returncode == 0 and echo.stdout.strip() == "echo: hi", "an allow-listed tool runs with no terminal: " + echo.stderr)
        add = run("call", "good__add", '{"a": 1, "b": 2}')
        check(add.returncode == 2 and "no terminal" in add.stderr, "any other tool needs an approval: " + add.stderr.strip())
        read = run("call", "fs__read_text_file", json.dumps({"path": os.path.join(project, "notes.txt")}))
        check(read.returncode == 0 and "notes in the project" in read.stdout, "server-filesystem reads a project file: " + read.stderr)
        secret = run("call", "fs__read_text_file", '{"path": ".env"}')
        check(secret.returncode == 2 and "deny-listed" in secret.stderr and "sk-test" not in secret.stdout,
              ".env is refused before the server sees it: " + secret.stderr.strip())

        # The person at the terminal lets the project's server start.
        if shutil.which("tmux"):
            # A tmux server of our own: a shared one would give the session
            # the environment (HOME) of whichever test started it.
            name = "cadre-mcp-%d" % os.getpid()
            tmux = ["tmux", "-L", name]
            out = os.path.join(tmp, "list.out")
            rc = os.path.join(tmp, "list.rc")
            subprocess.run(tmux + ["new-session", "-d", "-s", name, "-x", "220", "-y", "50", "-c", project, "bash --norc --noprofile"],
                           env=env, check=True)
            try:
                subprocess.run(tmux + ["send-keys", "-t", name, "%s mcp list > %s 2>&1; echo $? > %s" % (cadre, out, rc), "Enter"], check=True)
                seen = ""
                deadline = time.time() + 30
                while time.time() < deadline and "approval needed" not in seen:
                    seen = subprocess.run(tmux + ["capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
                    time.sleep(0.1)
                check("start the MCP server 'proj'" in seen and "a cloned repository could name any program" in seen,
                      "the terminal asks before a project's server starts")
                subprocess.run(tmux + ["send-keys", "-t", name, "y", "Enter"], check=True)
                deadline = time.time() + 60
                while time.time() < deadline and not (os.path.exists(rc) and open(rc).read().endswith("\n")):
                    time.sleep(0.1)
                text = open(out).read() if os.path.exists(out) else ""
                code = open(rc).read().strip() if os.path.exists(rc) else "none"
                check(code == "0" and "proj  ready" in text, "approved, the project's server starts (sandboxed): exit %s\n%s" % (code, text))
            finally:
                subprocess.run(tmux + ["kill-server"], stderr=subprocess.DEVNULL)
        else:
            print("SKIP: tmux is not installed; the approval prompt is not tested")

        audit = subprocess.run([cadre, "audit", "verify"], cwd=project, env=env, capture_output=True, text=True, timeout=60)
        check(audit.returncode == 0, "the audit trail of all this verifies: " + audit.stdout.strip() + audit.stderr.strip())
        log = open(os.path.join(project, ".cadre", "audit.jsonl")).read()
        check('"tool":"fs__read_text_file"' in log and '"longLived":true' in log, "tool calls and server starts are audited")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
