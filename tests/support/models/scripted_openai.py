#!/usr/bin/env python3
"""A scripted OpenAI-compatible model server for agent tests.

Speaks the chat completions wire format as OpenAI documents it: POST
/v1/chat/completions with "stream": true answers text/event-stream with
`data: {chat.completion.chunk}` events (a role delta, content deltas, tool-call
deltas whose `arguments` arrive in fragments, a finish_reason chunk, a usage
chunk when stream_options.include_usage is set, then `data: [DONE]`); GET
/v1/models lists the scripted models. Each model answers from its own queue
in the scenario file, in order:

    {"models": {"exec-model": [{"text": "..."},
                               {"tool_calls": [{"name": "edit_file", "arguments": {...}}]}]}}

A model's entry may instead be {"by_turn": [answer, answer, ...]}: never used
up, it answers each request by the number of assistant turns already in the
conversation (the last answer repeats). Concurrent tasks can then share one
model (the load benchmark runs ten at once).

Concurrent conversations with one model (the coordinator's workers) pick
their answers by content: an answer with "match": "text" goes only to a
request whose JSON contains that text (the first such answer in the queue;
answers without "match" fit any request). "delay": seconds waits before
answering.

An answer may instead be a fault, for fault-injection tests:

    {"fault": "status", "status": 429, "retry_after": "1"}  an HTTP error (JSON error body)
    {"fault": "drop", "text": "..."}    streams the text (may be empty), then closes mid-stream
    {"fault": "stall", "seconds": 30}   sends the first event, then nothing for that long
    {"fault": "hangup"}                 closes the connection without an answer

Every request is appended to the log file (--log) as one JSON line (with the
time it arrived under "_t"), so a test can assert what each model was sent
and when. Usage:

    scripted_openai.py --scenario FILE --log FILE --port-file FILE
"""
import argparse
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.rstrip("/") != "/v1/models":
            return self.send_error(404)
        body = json.dumps({"object": "list", "data": [{"id": m, "object": "model", "owned_by": "test"}
                                                      for m in sorted(self.server.scenario["models"])]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(length) or b"{}")
        model = req.get("model", "")
        with LOCK:
            with open(self.server.log, "a") as f:
                f.write(json.dumps(dict(req, _t=time.time())) + "\n")
            queue = self.server.scenario["models"].get(model)
            if isinstance(queue, dict):
                turns = sum(1 for m in req.get("messages", []) if m.get("role") == "assistant")
                answer = queue["by_turn"][min(turns, len(queue["by_turn"]) - 1)]
            else:
                answer = None
                dumped = json.dumps(req)
                for i, candidate in enumerate(queue or []):
                    if candidate.get("match") is None or candidate["match"] in dumped:
                        answer = queue.pop(i)
                        break
        if answer is not None and answer.get("delay"):
            time.sleep(answer["delay"])
        if answer is not None and answer.get("fault") and self.fault(answer, model):
            return
        if answer is None:
            body = json.dumps({"error": {"message": "the scenario has no more answers for " + model,
                                         "type": "invalid_request_error", "code": None}}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
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

        event({"role": "assistant", "content": ""})
        text = answer.get("text", "")
        for i in range(0, len(text), 7):
            event({"content": text[i:i + 7]})
        for n, call in enumerate(answer.get("tool_calls", [])):
            args = json.dumps(call["arguments"])
            event({"tool_calls": [{"index": n, "id": "call_%d_%d" % (created, n), "type": "function",
                                   "function": {"name": call["name"], "arguments": ""}}]})
            for i in range(0, len(args), 11):
                event({"tool_calls": [{"index": n, "function": {"arguments": args[i:i + 11]}}]})
        event({}, "tool_calls" if answer.get("tool_calls") else "stop")
        if (req.get("stream_options") or {}).get("include_usage"):
            event(None, usage={"prompt_tokens": 100 + len(json.dumps(req)) // 4, "completion_tokens": len(text) // 4 + 5,
                               "total_tokens": 0})
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")

    def fault(self, answer, model):
        """Plays a fault answer; True when the request is done with."""
        kind = answer["fault"]
        if kind == "hangup":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if kind == "status":
            body = json.dumps({"error": {"message": answer.get("message", "scripted failure %d" % answer["status"]),
                                         "type": answer.get("type", "server_error"), "code": None}}).encode()
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if "retry_after" in answer:
                self.send_header("Retry-After", str(answer["retry_after"]))
            self.end_headers()
            self.wfile.write(body)
            return True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                 "choices": [{"index": 0, "delta": dict({"role": "assistant"}, **({"content": answer["text"]} if answer.get("text") else {})),
                              "logprobs": None, "finish_reason": None}]}
        self.chunk(("data: " + json.dumps(chunk) + "\n\n").encode())
        if kind == "stall":
            time.sleep(answer.get("seconds", 30))
        # drop (and a stall that ends): the connection closes with no
        # finish_reason, no [DONE] and no last chunk.
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)
        return True

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
    server.scenario = json.load(open(args.scenario))
    server.log = args.log
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
