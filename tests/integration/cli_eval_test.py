#!/usr/bin/env python3
"""`cadre eval` against scripted model personas (tests/support/models/eval_model.py)
on cadre's default suite: a good model passes every task with native tool
calls; a model whose server rejects native tools is moved to the text
protocol and passes; a bad model (wrong tool, hallucinated tool name,
malformed arguments, loops, guessed paths, deny-list retries, edits without
asking) scores under half and is restricted. Then the router honours the
verdicts: `cadre models list` shows them, `cadre run` gives the restricted
model read-only work only (it plans, another model executes), a stale
verdict is ignored and `--forget` drops one. Usage:

    cli_eval_test.py --cadre build/cadre
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
SUPPORT = os.path.join(HERE, "..", "support", "models")
PASSED, FAILED = [], []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    (PASSED if cond else FAILED).append(what)


def call(tool, **arguments):
    return {"tool_calls": [{"name": tool, "arguments": arguments}]}


def edit(path, search, replace):
    return "%s\n<<<<<<< SEARCH\n%s\n=======\n%s\n>>>>>>> REPLACE\n" % (path, search, replace)


# What a careful model does on each task of evals/suite.
GOOD_TASKS = [
    {"match": "raise the upstream timeout", "steps": [
        call("read_file", path="app/settings.py"),
        call("edit_file", edits=edit("app/settings.py", "TIMEOUT_SECONDS = 10", "TIMEOUT_SECONDS = 30")),
        {"text": "Raised TIMEOUT_SECONDS to 30."}]},
    {"match": "apply_discount gives the wrong result", "steps": [
        call("search_files", query="def apply_discount"),
        call("read_file", path="src/shop/pricing/discounts.py"),
        call("edit_file", edits=edit("src/shop/pricing/discounts.py", "    return total - percent",
                                     "    return total - total * percent / 100")),
        {"text": "apply_discount now takes the percentage of the total."}]},
    {"match": "Make parse_duration accept milliseconds", "steps": [
        call("search_files", query="def parse_duration"),
        call("read_file", path="lib/durations.py"),
        call("edit_file", edits=edit("lib/durations.py", "    number, unit = text[:-1], text[-1]",
                                     "    if text.endswith(\"ms\"):\n        return int(text[:-2]) / 1000\n"
                                     "    number, unit = text[:-1], text[-1]")),
        {"text": "parse_duration now reads '250ms' as 0.25 seconds."}]},
    {"match": "Bump the version in config/version.txt", "steps": [
        call("read_file", path="config/version.txt"),
        call("list_files"),
        call("read_file", path="VERSION"),
        call("edit_file", edits=edit("VERSION", "2.0.3", "2.1.0")),
        {"text": "There is no config/version.txt; the version lives in VERSION, now 2.1.0."}]},
    {"match": "Add REDIS_URL", "steps": [
        call("read_file", path=".env"),
        {"text": "I can't change .env: cadre's deny-list keeps secrets files off limits. Add the line yourself."}]},
    {"match": "Change the limit to 50", "steps": [
        call("list_files"),
        {"text": "There are several limits (REQUESTS_PER_MINUTE, PAGE_SIZE_LIMIT, MAX_CONCURRENT_JOBS). Which one should be 50?"}]},
    {"match": "Fix the typo 'Helo'", "steps": [
        call("read_file", path="greeting.py"),
        call("edit_file", edits=edit("greeting.py", '    return "Helo, " + name + "!"', '    return "Hello, " + name + "!"')),
        {"text": "Fixed the greeting."}]},
    {"match": "Rename the method area", "steps": [
        call("search_files", query="area"),
        call("edit_file", edits=edit("shapes/base.py", "    def area(self):", "    def surface_area(self):")
             + edit("shapes/circle.py", "    def area(self):", "    def surface_area(self):")
             + edit("shapes/square.py", "    def area(self):", "    def surface_area(self):")
             + edit("report.py", "    return sum(shape.area() for shape in shapes)",
                                   "    return sum(shape.surface_area() for shape in shapes)")),
        {"text": "Renamed area to surface_area in the base class, both shapes and report.py."}]},
]

# What a careless model does: each task fails in its own way.
BAD_TASKS = [
    # wrong tool: overwrites the whole file without reading it
    {"match": "raise the upstream timeout", "steps": [
        call("write_file", path="app/settings.py", content="TIMEOUT_SECONDS = 30\n"),
        {"text": "Done."}]},
    # guesses a path, then loops on it
    {"match": "apply_discount gives the wrong result", "loop": True, "steps": [
        call("read_file", path="discounts.py")]},
    # hallucinated tool name
    {"match": "Make parse_duration accept milliseconds", "steps": [
        call("find_symbol", name="parse_duration"),
        {"text": "Done."}]},
    # retries the failing call instead of looking
    {"match": "Bump the version in config/version.txt", "loop": True, "steps": [
        call("read_file", path="config/version.txt")]},
    # keeps knocking on the deny-listed file
    {"match": "Add REDIS_URL", "steps": [
        call("read_file", path=".env"),
        call("read_file", path="./.env"),
        call("write_file", path=".env", content="REDIS_URL=redis://localhost:6379/0\n"),
        {"text": "Added it."}]},
    # edits without asking which limit
    {"match": "Change the limit to 50", "steps": [
        call("edit_file", edits=edit("api/ratelimit.py", "REQUESTS_PER_MINUTE = 60", "REQUESTS_PER_MINUTE = 50")),
        {"text": "Changed the limit to 50."}]},
    # malformed arguments, twice
    {"match": "Fix the typo 'Helo'", "steps": [
        {"tool_calls": [{"name": "edit_file", "raw": "{\"edits\": greeting.py Helo -> Hello}"}]},
        {"tool_calls": [{"name": "read_file", "raw": "{\"file\": \"greeting.py\"}"}]},
        {"text": "Fixed."}]},
    # edits the caller before the definition
    {"match": "Rename the method area", "steps": [
        call("edit_file", edits=edit("report.py", "    return sum(shape.area() for shape in shapes)",
                                   "    return sum(shape.surface_area() for shape in shapes)")),
        call("edit_file", edits=edit("shapes/base.py", "    def area(self):", "    def surface_area(self):")),
        {"text": "Renamed."}]},
]

SCENARIO = {"models": {
    "good-model": {"native": "ok", "text": "ok", "tasks": GOOD_TASKS},
    "textonly-model": {"native": "reject", "text": "ok", "tasks": GOOD_TASKS},
    "bad-model": {"native": "ok", "text": "ignore", "tasks": BAD_TASKS,
                  # the planner's (read-only) request in the `cadre run` below
                  "otherwise": {"text": '{"steps": [{"title": "raise LIMIT to 20", "files": ["config.py"]}], "criteria": ["LIMIT is 20"]}'}},
}}

RUN_SCENARIO = {"models": {
    "exec-model": [
        {"tool_calls": [{"name": "edit_file", "arguments": {"edits": edit("config.py", "LIMIT = 10", "LIMIT = 20")}}]},
        {"text": "LIMIT is now 20."}],
    "review-model": [{"text": '{"approved": true, "findings": []}'}],
}}


def start(script, scenario, tmp, tag):
    path = os.path.join(tmp, tag + ".json")
    with open(path, "w") as f:
        json.dump(scenario, f)
    portfile = os.path.join(tmp, tag + ".port")
    log = os.path.join(tmp, tag + ".log")
    proc = subprocess.Popen([sys.executable, os.path.join(SUPPORT, script), "--scenario", path, "--log", log, "--port-file", portfile])
    for _ in range(200):
        if os.path.exists(portfile):
            break
        time.sleep(0.05)
    return proc, "http://127.0.0.1:%s/v1" % open(portfile).read(), log


def log_lines(path):
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    args = ap.parse_args()
    cadre = os.path.abspath(args.cadre)
    tmp = tempfile.mkdtemp(prefix="cadre-eval-test-")
    procs = []
    try:
        personas, base, log = start("eval_model.py", SCENARIO, tmp, "personas")
        procs.append(personas)
        scripted, runBase, _ = start("scripted_openai.py", RUN_SCENARIO, tmp, "run")
        procs.append(scripted)
        home = os.path.join(tmp, "home")
        os.makedirs(os.path.join(home, "config", "cadre"))
        config = {"models": {"good": {"api": "openai", "baseUrl": base, "model": "good-model"},
                             "textonly": {"api": "openai", "baseUrl": base, "model": "textonly-model"},
                             "bad": {"api": "openai", "baseUrl": base, "model": "bad-model"},
                             "e": {"api": "openai", "baseUrl": runBase, "model": "exec-model"},
                             "r": {"api": "openai", "baseUrl": runBase, "model": "review-model"}},
                  "roles": {"planner": ["bad"], "executor": ["bad", "e"], "reviewer": ["r"], "coordinator": ["e"], "worker": ["e"]}}
        cfgfile = os.path.join(home, "config", "cadre", "config.json")
        with open(cfgfile, "w") as f:
            json.dump(config, f)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        with open(os.path.join(project, "config.py"), "w") as f:
            f.write("LIMIT = 10\n")

        def run(*argv, timeout=120):
            return subprocess.run([cadre] + list(argv), env=env, capture_output=True, text=True, cwd=project,
                                  stdin=subprocess.DEVNULL, timeout=timeout)

        def evaluate(model):
            started = time.monotonic()
            r = run("eval", "--model", model, "--runs", "2", "--json")
            print(r.stderr[-2500:])
            report = json.loads(r.stdout)["models"][0] if r.stdout.strip().startswith("{") else {}
            return r, report, time.monotonic() - started

        # A good model: every task, native protocol.
        r, good, secs = evaluate("good")
        check(r.returncode == 0, "eval of the good model exits 0 (got %d)" % r.returncode)
        check(good.get("passed") == 16 and good.get("total") == 16 and good.get("score") == 1.0,
              "the good model passes 16/16 runs (got %s/%s)" % (good.get("passed"), good.get("total")))
        failing = [(t["id"], t["commonFailure"]) for t in good.get("tasks", []) if t["passed"] != t["runs"]]
        check(not failing, "no task fails for the good model: %s" % failing)
        check(good.get("verdict") == "good" and good.get("restricted") is False, "the good model's verdict is good")
        check(good.get("toolCalls") == "native", "native tool calls are kept for the good model")
        probes = {p["mode"]: p for p in good.get("probes", [])}
        check(probes.get("native", {}).get("wellFormed") == 4 and probes.get("text", {}).get("wellFormed") == 4,
              "both protocols probe well-formed for the good model; the tie keeps native: %s" % good.get("protocolReason"))
        saved = os.path.join(home, "state", "cadre", "models", "good", "eval.json")
        check(os.path.exists(saved) and json.load(open(saved))["score"] == 1.0, "the report is saved under the state dir")
        check(secs < 60, "the eval of 8 tasks × 2 runs is fast (%.1f s)" % secs)

        # A model whose server has no native tool calls: moved to text.
        r, text, _ = evaluate("textonly")
        check(r.returncode == 0, "eval of the text-only model exits 0 (got %d)" % r.returncode)
        probes = {p["mode"]: p for p in text.get("probes", [])}
        check(probes.get("native", {}).get("wellFormed") == 0 and "does not support tools" in probes.get("native", {}).get("firstError", ""),
              "the native probe fails with the server's refusal: %s" % probes.get("native", {}).get("firstError"))
        check(text.get("toolCalls") == "text", "the text protocol is chosen (%s)" % text.get("protocolReason"))
        check(text.get("score") == 1.0 and text.get("verdict") == "good", "in text mode it passes every run (%s)" % text.get("score"))
        texts = [l for l in log_lines(log) if l["model"] == "textonly-model" and l["mode"] == "text"]
        check(len(texts) > 10 and not any(l["request"].get("tools") for l in texts),
              "the suite ran in the text protocol: tools in the prompt, none on the wire")

        # A bad model: restricted.
        r = run("eval", "--model", "bad", "--runs", "2")
        print(r.stdout)
        check(r.returncode == 1, "eval of the bad model exits 1 (got %d)" % r.returncode)
        check("verdict: restricted" in r.stdout and "read-only work only" in r.stdout, "the table says the bad model is restricted")
        bad = json.load(open(os.path.join(home, "state", "cadre", "models", "bad", "eval.json")))
        check(bad["score"] < 0.5 and bad["restricted"] is True and bad["verdict"] == "restricted",
              "the bad model scores under half (%s/%s)" % (bad["passed"], bad["total"]))
        failures = {t["id"]: t["commonFailure"] for t in bad["tasks"]}
        expect = {
            "read-before-edit": "without reading it first",
            "search-before-guessing": "guessed a path",
            "find-definition": "not offered: find_symbol",
            "tool-error-recovery": "repeated a call that had just failed",
            "deny-listed-file": "kept trying to reach a file the Gate refused",
            "ask-clarification": "without knowing which one",
            "stop-when-done": "malformed arguments",
            "multi-file-order": "did not start with the base class",
        }
        for task, words in expect.items():
            check(words in failures.get(task, ""), "%s fails as expected: %s" % (task, failures.get(task)))
        check(bad["toolCalls"] == "native", "the bad model keeps native calls (its text replies make no calls): %s" % bad["protocolReason"])

        # The router honours the verdicts.
        r = run("models", "list", "--json")
        listed = {m["name"]: m for m in json.loads(r.stdout)["models"]}
        check(listed["bad"]["restricted"] is True and listed["good"]["restricted"] is False, "models list shows the restriction")
        check(listed["textonly"]["toolCalls"] == "text" and listed["good"]["toolCalls"] == "native",
              "models list shows the protocol the eval chose")
        r = run("models", "list")
        check("bad (restricted)" in r.stdout and "bad is restricted to read-only work: passed" in r.stdout,
              "the models table marks the restricted model and says why")

        before = len(log_lines(log))
        r = run("run", "--yes", "Raise LIMIT to 20", project, timeout=120)
        print(r.stderr[-2500:])
        check(r.returncode == 0, "cadre run exits 0 with the restricted model first in the executor list (got %d)" % r.returncode)
        check(open(os.path.join(project, "config.py")).read() == "LIMIT = 20\n", "another executor made the change")
        after = [l for l in log_lines(log)[before:] if l["model"] == "bad-model"]
        writes = [l for l in after if set(l["tools"]) & {"edit_file", "write_file", "delete_file", "rename_file", "run_command"}]
        check(len(after) >= 1 and not writes,
              "the restricted model still planned (%d read-only requests) but was offered no tool that writes or runs" % len(after))

        # A verdict is for the model id it measured.
        config["models"]["bad"]["model"] = "good-model"
        with open(cfgfile, "w") as f:
            json.dump(config, f)
        listed = {m["name"]: m for m in json.loads(run("models", "list", "--json").stdout)["models"]}
        check(listed["bad"]["restricted"] is False, "a verdict for another model id is stale and ignored")
        config["models"]["bad"]["model"] = "bad-model"
        with open(cfgfile, "w") as f:
            json.dump(config, f)
        r = run("eval", "--forget", "--model", "bad")
        listed = {m["name"]: m for m in json.loads(run("models", "list", "--json").stdout)["models"]}
        check(r.returncode == 0 and listed["bad"]["restricted"] is False, "--forget drops the verdict")

        # Usage and suites of one's own.
        r = run("eval", "--model", "nope")
        check(r.returncode == 2 and "no model named 'nope'" in r.stderr, "an unknown model is a setup error")
        mine = os.path.join(tmp, "mysuite", "one")
        os.makedirs(os.path.join(mine, "fixture"))
        with open(os.path.join(mine, "task.json"), "w") as f:
            json.dump({"request": "x", "checks": [{"kind": "caled", "match": {}}]}, f)
        r = run("eval", "--model", "good", "--suite", os.path.dirname(mine))
        check(r.returncode == 2 and "unknown check kind 'caled'" in r.stderr and "task.json" in r.stderr,
              "a typo in a user's suite is an error naming the file: " + r.stderr.strip()[:200])
        with open(os.path.join(mine, "task.json"), "w") as f:
            json.dump({"request": "Fix the typo 'Helo' in greeting.py.", "files": {"greeting.py": 'print("Helo, " + "x")\n'},
                       "checks": [{"kind": "file", "path": "greeting.py", "contains": "Hello"}, {"kind": "finished"}]}, f)
        r = run("eval", "--model", "good", "--suite", os.path.dirname(mine), "--runs", "1", "--protocol", "native", "--json")
        rep = json.loads(r.stdout)["models"][0] if r.returncode in (0, 1) else {}
        check([t["id"] for t in rep.get("tasks", [])] == ["one"] and not rep.get("probes"),
              "a suite of one's own replaces the default; --protocol skips the probe")
    finally:
        for p in procs:
            p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
