#!/usr/bin/env python3
"""`cadre run --yes "TASK" DIR` headless against scripted models (OpenAI
streaming format): the plan, the tool calls and the review are printed, a
command that nobody allow-listed is refused (and the executor carries on),
the decision it proposes for project memory is not recorded (nothing
allow-lists it), the diff goes to stdout and is applied, and the audit chain
holds. Usage:

    cli_run_test.py --cadre build/cadre
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
PASSED, FAILED = [], []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


SCENARIO = {"models": {
    "plan-model": [{"text": '{"steps": [{"title": "rename the constant", "files": ["config.py"]}], "criteria": ["LIMIT is 20"]}'}],
    "exec-model": [
        {"tool_calls": [{"name": "run_command", "arguments": {"command": "python3 -c 'import config'", "why": "check it imports"}}]},
        {"tool_calls": [{"name": "edit_file", "arguments": {"edits": "config.py\n<<<<<<< SEARCH\nLIMIT = 10\n=======\nLIMIT = 20\n>>>>>>> REPLACE\n"}}]},
        {"tool_calls": [{"name": "propose_memory", "arguments": {"decision": "LIMIT stays a module constant"}}]},
        {"text": "LIMIT is now 20."},
    ],
    "review-model": [{"text": '{"approved": true, "findings": []}'}],
    # A rename that leaves an unchanged importer broken: cadre's consistency
    # check reports app.py, and the executor fixes it in a second round.
    "plan-2": [{"text": '{"steps": [{"title": "rename LIMIT to MAX_ITEMS", "files": ["config.py"]}], "criteria": ["MAX_ITEMS is 10"]}'}],
    "exec-2": [
        {"tool_calls": [{"name": "edit_file", "arguments": {"edits": "config.py\n<<<<<<< SEARCH\nLIMIT = 10\n=======\nMAX_ITEMS = 10\n>>>>>>> REPLACE\n"}}]},
        {"text": "Renamed."},
        {"tool_calls": [{"name": "write_file", "arguments": {"path": "app.py", "content": "from config import MAX_ITEMS\nprint(MAX_ITEMS)\n"}}]},
        {"text": "app.py follows the rename."},
    ],
    "review-2": [{"text": '{"approved": true, "findings": []}'}],
}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    tmp = tempfile.mkdtemp(prefix="cadre-run-")
    fake = None
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        with open(os.path.join(project, "config.py"), "w") as f:
            f.write("LIMIT = 10\n")
        with open(os.path.join(tmp, "scenario.json"), "w") as f:
            json.dump(SCENARIO, f)
        portfile = os.path.join(tmp, "port")
        fake = subprocess.Popen([sys.executable, os.path.join(HERE, "..", "support", "models", "scripted_openai.py"),
                                 "--scenario", os.path.join(tmp, "scenario.json"), "--log", os.path.join(tmp, "log"),
                                 "--port-file", portfile])
        for _ in range(100):
            if os.path.exists(portfile):
                break
            time.sleep(0.05)
        base = "http://127.0.0.1:%s/v1" % open(portfile).read()
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, "config", "cadre"))
        with open(os.path.join(home, "config", "cadre", "config.json"), "w") as f:
            json.dump({"models": {"p": {"api": "openai", "baseUrl": base, "model": "plan-model"},
                                  "e": {"api": "openai", "baseUrl": base, "model": "exec-model"},
                                  "r": {"api": "openai", "baseUrl": base, "model": "review-model"}},
                       "roles": {"planner": ["p"], "executor": ["e"], "reviewer": ["r"], "coordinator": ["e"], "worker": ["e"]}}, f)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))
        r = subprocess.run([cadre, "run", "--yes", "Raise LIMIT to 20", project], env=env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=120)
        print(r.stderr[-3000:])
        check(r.returncode == 0, "cadre run --yes exits 0 (got %d)" % r.returncode)
        check("rename the constant" in r.stderr and "→ edit_file" in r.stderr and "approved" in r.stderr,
              "the plan, the tool calls and the review are printed")
        check("refused (--yes approves nothing new): python3 -c 'import config'" in r.stderr,
              "a command nobody allow-listed is refused under --yes")
        check("-LIMIT = 10\n+LIMIT = 20\n" in r.stdout, "the diff goes to stdout")
        check("refused (--yes approves nothing new): an edit of " + os.path.join(project, ".cadre", "MEMORY.md") in r.stderr
              and "- LIMIT stays a module constant" in r.stderr and "(not recorded)" in r.stderr
              and not os.path.exists(os.path.join(project, ".cadre", "MEMORY.md")),
              "the proposed decision is shown, and --yes does not record it without an allow-list")
        check(open(os.path.join(project, "config.py")).read() == "LIMIT = 20\n", "the change is applied")
        v = subprocess.run([cadre, "audit", "verify", project], env=env, capture_output=True, text=True)
        check(v.returncode == 0, "the audit chain holds: " + v.stdout.strip())

        # The consistency check gates the change in `cadre run` too.
        second = os.path.join(tmp, "second")
        os.makedirs(second)
        for name, text in {"config.py": "LIMIT = 10\n", "app.py": "from config import LIMIT\nprint(LIMIT)\n"}.items():
            with open(os.path.join(second, name), "w") as f:
                f.write(text)
        home2 = os.path.join(tmp, "home2")
        os.makedirs(os.path.join(home2, "config", "cadre"))
        with open(os.path.join(home2, "config", "cadre", "config.json"), "w") as f:
            json.dump({"models": {"p": {"api": "openai", "baseUrl": base, "model": "plan-2"},
                                  "e": {"api": "openai", "baseUrl": base, "model": "exec-2"},
                                  "r": {"api": "openai", "baseUrl": base, "model": "review-2"}},
                       "roles": {"planner": ["p"], "executor": ["e"], "reviewer": ["r"], "coordinator": ["e"], "worker": ["e"]}}, f)
        env2 = dict(env, HOME=home2, XDG_CONFIG_HOME=os.path.join(home2, "config"), XDG_STATE_HOME=os.path.join(home2, "state"))
        r2 = subprocess.run([cadre, "run", "--yes", "Rename LIMIT to MAX_ITEMS", second], env=env2, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
        print(r2.stderr[-2000:])
        check(r2.returncode == 0 and "! app.py:1:" in r2.stderr and "(cadre-check)" in r2.stderr,
              "cadre run: the consistency check reports the importer the rename broke (exit %d)" % r2.returncode)
        check(open(os.path.join(second, "app.py")).read() == "from config import MAX_ITEMS\nprint(MAX_ITEMS)\n"
              and open(os.path.join(second, "config.py")).read() == "MAX_ITEMS = 10\n",
              "cadre run: the fixed change lands whole")
        usage = subprocess.run([cadre, "run"], env=env, capture_output=True, text=True)
        check(usage.returncode == 2 and "run needs" in usage.stderr, "no task is a usage error")
    finally:
        if fake:
            fake.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
