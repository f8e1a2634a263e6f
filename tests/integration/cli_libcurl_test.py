#!/usr/bin/env python3
"""libcurl is loaded on first use, not at start-up (server/models/curl_api.hpp).

On the real binary, with the dynamic loader's own trace (LD_DEBUG=files):

1. `cadre --version` and `cadre index` load no libcurl at all (neither cadre
   nor any library it needs has it in DT_NEEDED).
2. `cadre models health` against a scripted OpenAI-compatible server
   loads libcurl.so.4 with dlopen and reaches the server.
3. With libcurl.so.4 hidden (bubblewrap binds /dev/null over it): `cadre
   index` still works; `cadre models health` and `cadre run` fail with a
   message naming libcurl.so.4 and the package, not a crash, and so does an
   MCP server over HTTP in `cadre mcp list`; `cadre serve --stdio` fails a
   task and a health request with that message and stays up (shutdown
   answered, clean exit).

Usage:

    cli_libcurl_test.py --cadre build/cadre

Exit code 0 = pass, 1 = fail.
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import cadre_wire  # noqa: E402
from cadre_wire import test_setup, Cadre, ModelServer, isolated_env, write_user_config, ldconfig_library, loader_lines, without_library  # noqa: E402

MISSING = "libcurl.so.4 could not be loaded"


def curl_lines(trace):
    return loader_lines(trace, "libcurl")


def main():
    _, cadre, check, tmp = test_setup("cadre-libcurl-")
    model = None
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        with open(os.path.join(project, "greet.py"), "w") as f:
            f.write("def hello(name):\n    return 'hello ' + name\n")
        model = ModelServer(tmp, "openai", {"models": {"plan-model": [{"text": "{\"steps\": [], \"criteria\": []}"}],
                                                       "exec-model": [{"text": "done"}],
                                                       "review-model": [{"text": "{\"approved\": true, \"findings\": []}"}]}})
        env = isolated_env(os.path.join(tmp, "home"))
        for k in ("LD_DEBUG", "LD_LIBRARY_PATH"):
            env.pop(k, None)
        write_user_config(env, {"models": {"p": {"api": "openai", "baseUrl": model.base, "model": "plan-model"},
                                           "e": {"api": "openai", "baseUrl": model.base, "model": "exec-model"},
                                           "r": {"api": "openai", "baseUrl": model.base, "model": "review-model"}},
                                "roles": {"planner": ["p"], "executor": ["e"], "reviewer": ["r"], "coordinator": ["e"], "worker": ["e"]}})
        traced = dict(env, LD_DEBUG="files")

        def expect(cond, what, out):
            cadre_wire.expect(check, cond, what, out)

        def run(argv, environ, timeout=60):
            return cadre_wire.run_command(argv, project, environ, timeout)

        # 1. Commands without a request never load libcurl.
        p = run([cadre, "--version"], traced)
        expect(p.returncode == 0 and p.stdout.startswith("cadre"), "cadre --version runs", p.out)
        check("file=libstdc++" in p.stderr, "the loader trace is on (LD_DEBUG=files)")
        check(not curl_lines(p.stderr), "cadre --version loads no libcurl: %s" % curl_lines(p.stderr))
        p = run([cadre, "index", project, "--json"], traced)
        expect(p.returncode == 0, "cadre index runs", p.out)
        check(not curl_lines(p.stderr), "cadre index loads no libcurl: %s" % curl_lines(p.stderr))

        # 2. The first request loads it, and the request works through it.
        p = run([cadre, "models", "health", "--json"], traced)
        check(any("libcurl.so.4" in l and "dynamically loaded" in l for l in curl_lines(p.stderr)),
              "models health dlopens libcurl.so.4: %s" % curl_lines(p.stderr))
        health = json.loads(p.stdout) if p.stdout.startswith("[") else []
        expect(p.returncode == 0 and len(health) == 3 and all(h["reachable"] and h["servesModel"] for h in health),
               "models health reaches the scripted server through it", p.out)

        # 3. Without libcurl: a clear error where a request is made, nothing else changes.
        lib = ldconfig_library(r"libcurl\.so\.4")
        if not check(lib is not None, "ldconfig knows libcurl.so.4 (to hide it)"):
            return check.exit_code()
        hidden = without_library(tmp, cadre, lib)
        probe = run(["bwrap", "--dev-bind", "/", "/", "--ro-bind", "/dev/null", lib, "--",
                     sys.executable, "-c", "import ctypes; ctypes.CDLL('libcurl.so.4')"], env)
        expect(probe.returncode != 0, "bubblewrap hides libcurl.so.4", probe.out)

        p = run([hidden, "index", project, "--json"], env)
        expect(p.returncode == 0 and json.loads(p.stdout)["languages"]["python"]["files"] == 1, "cadre index works without libcurl", p.out)

        p = run([hidden, "models", "health", "--json"], env)
        expect(p.returncode == 1, "models health exits 1 without libcurl (no crash)", p.out)
        health = json.loads(p.stdout) if p.stdout.startswith("[") else []
        expect(len(health) == 3 and all(not h["reachable"] and MISSING in h["error"] and "libcurl4 package" in h["error"] for h in health),
               "each endpoint's error names libcurl.so.4 and its package", p.out)

        p = run([hidden, "run", "--yes", "say hello", project], env, timeout=120)
        expect(p.returncode > 0, "cadre run fails without libcurl with an exit code, not a signal", p.out)
        expect(MISSING in p.stdout + p.stderr, "cadre run says libcurl.so.4 could not be loaded", p.out)

        mcp_env = dict(env, XDG_CONFIG_HOME=os.path.join(tmp, "mcp-config"))
        write_user_config(mcp_env, {"mcpServers": {"web": {"url": model.base.replace("/v1", "/mcp")}}})
        p = run([hidden, "mcp", "list"], mcp_env)
        expect(p.returncode == 1 and "web  failed" in p.stdout and MISSING in p.stdout,
              "cadre mcp list: the HTTP MCP server failed, naming libcurl.so.4", p.out)

        s = Cadre(hidden, cwd=project, env=env, stderr=open(os.path.join(tmp, "serve.log"), "w"))
        try:
            s.initialize(project)
            status, _ = s.task("Say hello.", "hello", timeout=60)
            check(status["status"] == "failed" and MISSING in json.dumps(status), "over the wire, the task fails naming libcurl.so.4")
            r = s.request("cadre/models.health", {})
            check("result" in r and len(r["result"]["endpoints"]) == 3 and all(MISSING in e["error"] for e in r["result"]["endpoints"]),
                  "cadre/models.health reports the missing libcurl per endpoint")
            check(s.shutdown() == 0, "the server is still up: shutdown answered, clean exit")
        finally:
            s.kill()
    finally:
        if model:
            model.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
