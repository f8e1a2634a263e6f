#!/usr/bin/env python3
"""Scripted model personas for `cadre eval` and `cadre models bench` tests.

An extended copy of scripted_openai.py (that one answers from fixed queues,
which existing tests rely on). Here each model is a persona that answers
any number of runs, in either tool-call protocol, and can drip tokens at a
known rate:

    {"models": {"good": {
        "native": "ok",           # requests with `tools`: ok (native tool-call deltas) | reject (HTTP 400,
                                  #   "does not support tools", as Ollama says) | as-text (the call as JSON in content)
        "text": "ok",             # requests whose system prompt teaches <tool_call>: ok | ignore (prose, no call)
        "tasks": [{"match": "substring of the first user message",
                   "steps": [{"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]},
                             {"tool_calls": [{"name": "edit_file", "raw": "{broken json"}]},
                             {"text": "Done."}],
                   "loop": false}],  # true: past the last step, repeat it
        "otherwise": {"text": "..."},  # no task matched (and every request without tools)
        "tokensPerSecond": 0,          # > 0: content goes out one token (word) per chunk at this rate
        "promptTokensPerSecond": 0,    # > 0: the first token waits prompt_tokens / this
        "ttftMs": 0}}}                  # added before the first token

The step is picked by how many assistant turns the conversation already
has, so the same persona answers every run of a task the same way. A
request without tools and without a task match is a benchmark request: the
reply is "1 2 3 …" up to max_tokens tokens. Usage is always reported:
prompt_tokens = characters of all messages / 4, completion_tokens = tokens
sent. GET /v1/models lists the personas. Every request is logged (--log) as
one JSON line: {"model", "mode", "tools": [names], "request": body}. Usage:

    eval_model.py --scenario FILE --log FILE --port-file FILE
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


def prompt_tokens(req):
    return sum(len(m.get("content") or "") for m in req.get("messages", [])) // 4


def mode_of(req):
    if req.get("tools"):
        return "native"
    for m in req.get("messages", []):
        if m.get("role") == "system" and "<tool_call>" in (m.get("content") or ""):
            return "text"
    return "plain"


def first_user(req):
    for m in req.get("messages", []):
        if m.get("role") == "user":
            return m.get("content") or ""
    return ""


def pick_step(persona, req):
    text = first_user(req)
    turns = sum(1 for m in req.get("messages", []) if m.get("role") == "assistant")
    for task in persona.get("tasks", []):
        if task["match"] in text:
            steps = task["steps"]
            if turns < len(steps):
                return steps[turns]
            return steps[-1] if task.get("loop") else {"text": "Done."}
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.rstrip("/") != "/v1/models":
            return self.send_error(404)
        self.json(200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "test"}
                                                   for m in sorted(self.server.scenario["models"])]})

    def json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        started = time.monotonic()
        length = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(length) or b"{}")
        model = req.get("model", "")
        mode = mode_of(req)
        persona = self.server.scenario["models"].get(model)
        with LOCK:
            with open(self.server.log, "a") as f:
                f.write(json.dumps({"model": model, "mode": mode,
                                    "tools": [t["function"]["name"] for t in req.get("tools") or []],
                                    "request": req}) + "\n")
        if persona is None:
            return self.json(404, {"error": {"message": "model %s not found" % model, "type": "invalid_request_error"}})
        if mode == "native" and persona.get("native", "ok") == "reject":
            return self.json(400, {"error": {"message": "registry.test/%s does not support tools" % model,
                                             "type": "invalid_request_error"}})
        step = pick_step(persona, req) or persona.get("otherwise")
        if step is None:  # a benchmark request
            n = int(req.get("max_tokens") or 16)
            step = {"text": " ".join(str(i + 1) for i in range(n))}
        text, calls = step.get("text", ""), step.get("tool_calls", [])
        if calls and mode == "text":
            if persona.get("text", "ok") == "ignore":
                text, calls = "I would look at the files first.", []
            else:
                for c in calls:
                    if "raw" in c:
                        text += '\n<tool_call>\n{"name": "%s", "arguments": %s\n</tool_call>' % (c["name"], c["raw"])
                    else:
                        text += "\n<tool_call>\n%s\n</tool_call>" % json.dumps({"name": c["name"], "arguments": c.get("arguments", {})})
                calls = []
        elif calls and mode == "native" and persona.get("native", "ok") == "as-text":
            text += "".join(json.dumps({"name": c["name"], "arguments": c.get("arguments", {})}) for c in calls)
            calls = []
        elif calls and mode == "plain":
            calls = []
        self.stream(req, model, persona, started, text, calls)

    def stream(self, req, model, persona, started, text, calls):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        created = int(time.time())
        cid = "chatcmpl-%d" % created

        def event(delta, finish=None, usage=None):
            chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
            if usage:
                chunk["usage"] = usage
            self.chunk(("data: " + json.dumps(chunk) + "\n\n").encode())

        ptoks = prompt_tokens(req)
        # The prompt is "read" before the first token: a known rate gives a
        # known time to first token.
        wait = persona.get("ttftMs", 0) / 1000.0
        if persona.get("promptTokensPerSecond"):
            wait += ptoks / float(persona["promptTokensPerSecond"])
        deadline = started + wait
        if deadline > time.monotonic():
            time.sleep(deadline - time.monotonic())
        event({"role": "assistant", "content": ""})
        rate = float(persona.get("tokensPerSecond") or 0)
        sent = 0
        if rate > 0:
            # One word a token, each on the schedule first + i / rate, so the
            # measured rate does not drift with the time each write takes.
            words = text.split(" ")
            t0 = time.monotonic()
            for i, w in enumerate(words):
                due = t0 + i / rate
                if due > time.monotonic():
                    time.sleep(due - time.monotonic())
                event({"content": w if i == 0 else " " + w})
                sent += 1
        else:
            for i in range(0, len(text), 7):
                event({"content": text[i:i + 7]})
            sent = max(1, len(text) // 4) if text else 0
        for n, call in enumerate(calls):
            args = call["raw"] if "raw" in call else json.dumps(call.get("arguments", {}))
            event({"tool_calls": [{"index": n, "id": "call_%d_%d" % (created, n), "type": "function",
                                   "function": {"name": call["name"], "arguments": ""}}]})
            for i in range(0, len(args), 11):
                event({"tool_calls": [{"index": n, "function": {"arguments": args[i:i + 11]}}]})
        event({}, "tool_calls" if calls else "stop")
        if (req.get("stream_options") or {}).get("include_usage"):
            event(None, usage={"prompt_tokens": ptoks, "completion_tokens": sent + 5 * len(calls),
                               "total_tokens": ptoks + sent})
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")

    def chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.scenario = json.load(open(args.scenario))
    server.log = args.log
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
