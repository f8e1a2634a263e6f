"""A small client of `cadre serve` for the reliability tests (stdlib only):
LSP framing over stdio or TCP, waiting for a message, answering approvals,
an isolated HOME/XDG environment, and the scripted model servers of
tests/support/models started as processes.
"""
import argparse
import json
import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import time

SUPPORT = os.path.dirname(os.path.abspath(__file__))


def isolated_env(home, **extra):
    """os.environ without CADRE_* and with HOME/XDG under `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))
    env.update(extra)
    return env


def write_user_config(env, config):
    path = os.path.join(env["XDG_CONFIG_HOME"], "cadre", "config.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(config, f)


class ModelServer:
    """tests/support/models/scripted_openai.py with a scenario, on a free port."""

    def __init__(self, tmp, name, scenario):
        self.dir = os.path.join(tmp, "model-" + name)
        os.makedirs(self.dir)
        scen = os.path.join(self.dir, "scenario.json")
        with open(scen, "w") as f:
            json.dump(scenario, f)
        self.log = os.path.join(self.dir, "requests.jsonl")
        portfile = os.path.join(self.dir, "port")
        self.p = subprocess.Popen([sys.executable, os.path.join(SUPPORT, "models", "scripted_openai.py"),
                                   "--scenario", scen, "--log", self.log, "--port-file", portfile])
        deadline = time.time() + 10
        while not os.path.exists(portfile):
            if time.time() > deadline:
                raise RuntimeError("the scripted model server did not start")
            time.sleep(0.02)
        self.base = "http://127.0.0.1:%s/v1" % open(portfile).read()

    def requests(self):
        if not os.path.exists(self.log):
            return []
        return [json.loads(l) for l in open(self.log) if l.strip()]

    def stop(self):
        self.p.kill()
        self.p.wait()


class Cadre:
    """One `cadre serve --stdio` (or a TCP connection to a running one)."""

    def __init__(self, cadre=None, cwd=None, env=None, stderr=None, sock=None):
        self.p = None
        self.sock = sock
        if sock is None:
            self.p = subprocess.Popen([cadre, "serve", "--stdio"], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=stderr or subprocess.DEVNULL)
        self.buf = b""
        self.next_id = 1000
        self.approvals = []  # approval requests seen (and answered)
        self.decision = "allowOnce"

    @classmethod
    def tcp(cls, port):
        return cls(sock=socket.create_connection(("127.0.0.1", port), timeout=10))

    def send(self, obj):
        body = json.dumps(obj).encode()
        data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        if self.sock:
            self.sock.sendall(data)
        else:
            self.p.stdin.write(data)
            self.p.stdin.flush()

    def _fileno(self):
        return self.sock.fileno() if self.sock else self.p.stdout.fileno()

    def read(self, timeout=15):
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
            r, _, _ = select.select([self._fileno()], [], [], left)
            if r:
                chunk = os.read(self._fileno(), 65536) if not self.sock else self.sock.recv(65536)
                if not chunk:
                    raise EOFError("cadre closed the connection")
                self.buf += chunk

    def wait_for(self, pred, timeout=15, seen=None):
        """Reads until pred(message); answers approval requests on the way."""
        deadline = time.time() + timeout
        while True:
            m = self.read(max(0.0, deadline - time.time()))
            if m.get("method") == "cadre/approval.request" and "id" in m and not pred(m):
                self.approvals.append(m["params"])
                self.send({"jsonrpc": "2.0", "id": m["id"], "result": {"decision": self.decision}})
                continue
            if seen is not None:
                seen.append(m)
            if pred(m):
                return m

    def request(self, method, params=None, timeout=30):
        self.next_id += 1
        rid = self.next_id
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.wait_for(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def initialize(self, project=None, approvals=True, options=None):
        params = {"capabilities": {"experimental": {"cadre": {"approvals": approvals}}}}
        if project:
            params["rootUri"] = "file://" + project
        if options:
            params["initializationOptions"] = options
        r = self.request("initialize", params)
        self.notify("initialized", {})
        return r

    def task(self, prompt, name, timeout=90):
        """Starts a task and returns (final status data, events)."""
        self.request("cadre/task.start", {"task": name, "prompt": prompt})
        events = []
        while True:
            m = self.wait_for(lambda m: m.get("method") == "cadre/task.event" and m["params"]["task"] == name, timeout)
            events.append(m["params"])
            if m["params"]["kind"] == "status" and m["params"]["data"]["status"] in ("ready", "failed", "cancelled", "no-change"):
                return m["params"]["data"], events

    def shutdown(self, timeout=20):
        try:
            self.request("shutdown", timeout=timeout)
            self.notify("exit")
        except (EOFError, OSError, TimeoutError):
            pass
        if self.sock:
            self.sock.close()
        if self.p:
            try:
                return self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                return None

    def kill(self):
        if self.p and self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        if self.sock:
            self.sock.close()


class Checks:
    def __init__(self):
        self.failed = []
        self.passed = 0

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if cond:
            self.passed += 1
        else:
            self.failed.append(what)
        return cond

    def exit_code(self):
        print("%d passed, %d failed" % (self.passed, len(self.failed)))
        return 1 if self.failed else 0


def test_setup(prefix, *options):
    """What every reliability test starts with: its arguments (--cadre, plus
    (name, kwargs) options), the absolute cadre path, a Checks and a temp dir."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    for name, kwargs in options:
        ap.add_argument(name, **kwargs)
    args = ap.parse_args()
    return args, os.path.abspath(args.cadre), Checks(), tempfile.mkdtemp(prefix=prefix)


def run_command(argv, cwd, env, timeout=60):
    """subprocess.run with the output captured; `.out` holds the exit code,
    stdout and stderr's tail, for a failed check to show."""
    p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    p.out = "rc=%d\n%s%s" % (p.returncode, p.stdout, p.stderr[-3000:])
    return p


def expect(check, cond, what, out):
    """check(cond, what) that prints a command's output when it fails."""
    if not check(cond, what):
        print(out)


# Libraries cadre loads on first use (libcurl, libgit2): the loader's trace
# and a cadre that runs without one.

def loader_lines(trace, library):
    """The lines of an LD_DEBUG=files trace about `library` (a name prefix, e.g. "libgit2")."""
    return [l.strip() for l in trace.splitlines() if "file=" + library in l]


def ldconfig_library(soname_pattern):
    """The real path of the x86-64 library whose soname matches the regex, or None."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        name = line.strip().split(" ", 1)[0]
        if re.fullmatch(soname_pattern, name) and "x86-64" in line:
            return os.path.realpath(line.split("=>")[1].strip())
    return None


def without_library(tmp, cadre, lib):
    """A script that runs cadre with `lib` hidden (bubblewrap binds /dev/null over it)."""
    hidden = os.path.join(tmp, "cadre-without-" + os.path.basename(lib))
    with open(hidden, "w") as f:
        f.write("#!/bin/sh\nexec bwrap --dev-bind / / --ro-bind /dev/null '%s' -- '%s' \"$@\"\n" % (lib, cadre))
    os.chmod(hidden, 0o755)
    return hidden
