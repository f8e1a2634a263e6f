#!/usr/bin/env python3
"""tests/support/models/scripted_openai.py with one addition for the Neovim
tests: an answer may stall.

    {"models": {"exec-model": [{"stall": 30, "text": "never seen"}]}}

A request answered by an entry with "stall": SECONDS waits that long before
the response starts (a model that is slow to answer), unless the client
closes the connection first (cadre cancelling the request), in which case
nothing is sent (the request is logged all the same). Each stall, and each
hang-up, is a JSON line in LOG.stalls. After the stall it answers as scripted_openai.py does.
Everything else — the scenario format, the streaming, the request log, the
port file and the command line — is scripted_openai.py's own: this file
imports it and changes nothing in it.
"""
import importlib.util
import json
import os
import select
import sys
import time
from io import BytesIO

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "scripted_openai", os.path.join(HERE, "..", "..", "support", "models", "scripted_openai.py"))
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)


class Handler(base.Handler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        req = json.loads(raw or b"{}")
        with base.LOCK:
            queue = self.server.scenario["models"].get(req.get("model", ""))
            head = queue[0] if queue else None
        stall = (head or {}).get("stall", 0)
        if stall:
            with base.LOCK:
                with open(self.server.log + ".stalls", "a") as f:
                    f.write(json.dumps({"model": req.get("model"), "stall": stall}) + "\n")
            deadline = time.time() + stall
            while time.time() < deadline:
                r, _, _ = select.select([self.connection], [], [], 0.05)
                if r and not self.connection.recv(1, 0x2):  # MSG_PEEK: b"" means the client hung up
                    with base.LOCK:
                        queue.pop(0)
                        with open(self.server.log, "a") as f:  # logged as every request is
                            f.write(json.dumps(req) + "\n")
                        with open(self.server.log + ".stalls", "a") as f:
                            f.write(json.dumps({"model": req.get("model"), "hungUp": True}) + "\n")
                    self.close_connection = True
                    return
        # Hand the request body to scripted_openai.py's handler, then give the
        # connection its stream back for the next request.
        stream, self.rfile = self.rfile, BytesIO(raw)
        try:
            super().do_POST()
        finally:
            self.rfile = stream


def main():
    # scripted_openai.main() looks Handler up when it builds its server.
    base.Handler = Handler
    base.main()


if __name__ == "__main__":
    sys.exit(main())
