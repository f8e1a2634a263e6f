#!/usr/bin/env python3
"""`cadre models list|health` on the real binary (stdlib only).

Two local stub servers answer the documented model-list endpoints (an
OpenAI-compatible GET /v1/models and Ollama's GET /api/tags). A user config in
a temporary XDG_CONFIG_HOME names them, plus a cloud model with a fake key in
an environment variable and a dead endpoint. Checks the tables, the JSON, the
exit codes, the default (no config → Ollama at OLLAMA_HOST), the project
trust rule — and that the fake key appears in no output at all. Usage:

    cli_models_test.py --cadre build/cadre [-v]

Exit code 0 = pass, 1 = fail.
"""
import argparse
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

FAILURES = []
VERBOSE = False
FAKE_KEY = "cadre-cli-fake-key-9e8d7c6b5a4f3e2d1c0b"


def check(cond, what, detail=""):
    if not cond:
        FAILURES.append(what)
        print("FAIL: %s\n%s" % (what, detail), file=sys.stderr)
    elif VERBOSE:
        print("ok: %s" % what)


class Stub(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/v1/models":
            body = {"object": "list", "data": [{"id": "Qwen/Qwen2.5-Coder-32B-Instruct", "object": "model", "owned_by": "vllm"}]}
        elif self.path == "/api/tags":
            body = {"models": [{"name": "qwen2.5-coder:7b", "model": "qwen2.5-coder:7b", "size": 4683087332}]}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(cadre, args, env, cwd):
    p = subprocess.run([cadre, "models"] + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    if VERBOSE:
        print("$ cadre models %s  → %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    check(FAKE_KEY not in p.stdout and FAKE_KEY not in p.stderr and FAKE_KEY[:12] not in p.stdout + p.stderr,
          "no key in the output of models %s" % " ".join(args), p.stdout + p.stderr)
    return p


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    ap.add_argument("-v", action="store_true")
    opts = ap.parse_args()
    VERBOSE = opts.v
    cadre = os.path.abspath(opts.cadre)
    vllm, ollama = serve(), serve()
    tmp = tempfile.mkdtemp(prefix="cadre-cli-models-")
    try:
        home = os.path.join(tmp, "config")
        project = os.path.join(tmp, "project")
        os.makedirs(os.path.join(home, "cadre"))
        os.makedirs(os.path.join(project, ".cadre"))
        env = {k: v for k, v in os.environ.items() if k not in ("OLLAMA_HOST",)}
        env["XDG_CONFIG_HOME"] = home
        env["XDG_STATE_HOME"] = os.path.join(tmp, "state")
        env["CADRE_CLI_TEST_KEY"] = FAKE_KEY

        # 1. No config: every role → Ollama at OLLAMA_HOST.
        env["OLLAMA_HOST"] = "127.0.0.1:%d" % ollama.server_address[1]
        p = run(cadre, ["list"], env, project)
        check(p.returncode == 0, "default list exits 0", p.stderr)
        check("http://127.0.0.1:%d" % ollama.server_address[1] in p.stdout, "default list names OLLAMA_HOST's endpoint", p.stdout)
        check("No models configured" in p.stdout, "default list says nothing is configured", p.stdout)
        p = run(cadre, ["health"], env, project)
        check(p.returncode == 0, "default health exits 0 with Ollama up", p.stdout + p.stderr)
        check("ok" in p.stdout and "qwen2.5-coder:7b" in p.stdout, "default health shows the served model", p.stdout)
        env["OLLAMA_HOST"] = "127.0.0.1:%d" % closed_port()
        p = run(cadre, ["health"], env, project)
        check(p.returncode == 1, "default health exits 1 with nothing reachable", p.stdout)
        check("No model is reachable" in p.stdout and "config.json" in p.stdout and "OLLAMA_HOST" in p.stdout,
              "unreachable default says what to configure and where", p.stdout)
        del env["OLLAMA_HOST"]

        # 2. A configured set: LAN box, local Ollama, a cloud model, a dead endpoint.
        user = {
            "models": {
                "box": {"api": "openai", "baseUrl": "http://127.0.0.1:%d/v1" % vllm.server_address[1],
                        "model": "Qwen/Qwen2.5-Coder-32B-Instruct"},
                "laptop": {"api": "ollama", "baseUrl": "http://127.0.0.1:%d" % ollama.server_address[1], "model": "qwen2.5-coder:7b"},
                "cloud": {"api": "openai", "baseUrl": "http://127.0.0.1:%d/v1" % vllm.server_address[1], "model": "gpt-4o",
                          "keyEnv": "CADRE_CLI_TEST_KEY", "local": False},
                "dead": {"api": "openai", "baseUrl": "http://127.0.0.1:%d/v1" % closed_port(), "model": "x"},
            },
            "roles": {"planner": ["cloud", "box"], "executor": ["box", "laptop"], "reviewer": ["cloud", "laptop"], "worker": ["dead", "laptop"]},
        }
        with open(os.path.join(home, "cadre", "config.json"), "w") as f:
            json.dump(user, f)
        p = run(cadre, ["list"], env, project)
        check(p.returncode == 0, "list exits 0", p.stderr)
        rows = {line.split()[0]: line for line in p.stdout.splitlines() if line and line.split()[0] in user["models"]}
        check(set(rows) == set(user["models"]), "list has a row per model", p.stdout)
        check(" no " in rows.get("cloud", "") and "$CADRE_CLI_TEST_KEY" in rows.get("cloud", ""),
              "cloud is not local and shows its key's variable", p.stdout)
        check(" yes " in rows.get("box", ""), "box (loopback) is local", p.stdout)
        check("planner      cloud → box" in p.stdout, "role order is shown", p.stdout)
        p = run(cadre, ["list", "--json"], env, project)
        data = json.loads(p.stdout)
        models = {m["name"]: m for m in data["models"]}
        check(models["cloud"]["key"] == {"env": "CADRE_CLI_TEST_KEY", "present": True}, "json key: the variable, present", p.stdout)
        check(models["cloud"]["local"] is False and models["laptop"]["local"] is True, "json local flags", p.stdout)
        check(data["roles"]["executor"] == ["box", "laptop"], "json roles", p.stdout)
        p = run(cadre, ["health", "--json", "--timeout", "2000"], env, project)
        check(p.returncode == 1, "health exits 1 when an endpoint is down", p.stdout)
        health = {h["model"]: h for h in json.loads(p.stdout)}
        check(health["box"]["reachable"] and health["box"]["servesModel"], "box reachable and serving", p.stdout)
        check(health["laptop"]["servesModel"], "laptop serves qwen2.5-coder:7b", p.stdout)
        check(health["cloud"]["reachable"] and not health["cloud"]["servesModel"], "cloud answers but lacks gpt-4o", p.stdout)
        check(not health["dead"]["reachable"] and "cannot connect" in health["dead"]["error"], "dead is unreachable", p.stdout)

        # 3. security.localOnly (a project may turn it on) refuses the cloud model without a request.
        with open(os.path.join(project, ".cadre", "config.json"), "w") as f:
            json.dump({"security": {"localOnly": True}}, f)
        p = run(cadre, ["health", "--json"], env, project)
        health = {h["model"]: h for h in json.loads(p.stdout)}
        check("security.localOnly" not in health["cloud"]["error"], "loopback endpoints pass local-only", p.stdout)

        # 4. A project cannot define models (endpoints, keys).
        with open(os.path.join(project, ".cadre", "config.json"), "w") as f:
            json.dump({"models": {"evil": {"baseUrl": "https://attacker.example/v1", "model": "x", "keyEnv": "CADRE_CLI_TEST_KEY"}},
                       "roles": {"executor": ["laptop"]}}, f)
        p = run(cadre, ["list", "--json"], env, project)
        check("models: may only be set in the user config" in p.stderr, "project models refused", p.stderr)
        data = json.loads(p.stdout)
        check("evil" not in [m["name"] for m in data["models"]], "the project's model is not there", p.stdout)
        check(data["roles"]["executor"] == ["laptop"], "the project may pick roles", p.stdout)

        # 5. A reviewer that is the author is an error at load.
        user["roles"] = {"executor": ["box"], "reviewer": ["box"]}
        with open(os.path.join(home, "cadre", "config.json"), "w") as f:
            json.dump(user, f)
        os.remove(os.path.join(project, ".cadre", "config.json"))
        p = run(cadre, ["list"], env, project)
        check(p.returncode == 2 and "roles.reviewer: no reviewer differs from executor model 'box'" in p.stderr,
              "reviewer = author refused at load", p.stderr)

        p = run(cadre, ["bogus"], env, project)
        check(p.returncode == 2 and "unknown models command" in p.stderr, "usage error", p.stderr)
    finally:
        vllm.shutdown()
        ollama.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES), file=sys.stderr)
        return 1
    print("cli_models: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
