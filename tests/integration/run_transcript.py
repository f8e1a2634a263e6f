#!/usr/bin/env python3
"""Plays one wire transcript against the real `cadre` binary (stdlib only).

Wire tests go through the public boundary: the bytes an editor would send, and
the messages cadre sends back, checked FileCheck-style. Usage:

    run_transcript.py --cadre build/cadre tests/integration/transcripts/foo.rpc [-v]

Exit code 0 = pass, 1 = fail (2 = the transcript itself is malformed).

Transcript format
-----------------
A transcript is blocks separated by lines that are exactly `---`. Blank lines
are ignored. Blocks run in order; each block first SENDS, then CHECKS.

Header directives (anywhere; usually at the top):
  # ARGS: serve --stdio           command line after `cadre` (the default).
                                  With `serve --tcp HOST:PORT` the runner reads
                                  the port from the server's "listening on
                                  HOST:PORT" stderr line when it first needs a
                                  connection (so keep the log level at info).
  # ENV: NAME=VALUE               extra environment for the server. The runner
                                  always points HOME and XDG_{CONFIG,STATE,
                                  CACHE,DATA}_HOME into a fresh temp dir, drops
                                  inherited CADRE_* variables, and runs the
                                  server with its cwd in a fresh temp dir, so no
                                  user configuration leaks in.
  # TIMEOUT: S                    how long a check waits (default 10 seconds).
  # FILE: relative/path           makes the block a fixture: its other lines
                                  (joined with newlines, plus a final newline)
                                  are written to that path, relative to the
                                  server's cwd ("~/" means HOME), before the
                                  server starts. Nothing is sent.

Send phase, in the order written:
  any other line                  lines not starting with `#` or `!` are joined
                                  (with "\\n") into one message body, framed with
                                  a correct Content-Length and sent as-is, so
                                  the body may be invalid JSON. It is sent where
                                  its first line appears among the `!` lines.
  !raw <escaped>                  sends the decoded bytes verbatim, unframed.
  !frame <escaped>                sends the decoded bytes framed with a correct
                                  Content-Length (e.g. invalid UTF-8 bodies).
                                  Escapes: \\r \\n \\t \\0 \\xNN \\\\ \\".
  !bytes N                        sends N bytes of 'x' (streamed in chunks).
  !close                          closes the client's writing side (stdin, or
                                  shutdown(SHUT_WR) on TCP).
  !sleep MS                       pauses.
  !conn N                         (TCP) switches to connection N, opening it
                                  if it is new or was disconnected. Connection
                                  1 is opened on first use.
  !disconnect                     (TCP) closes the current connection abruptly
                                  (RST). A later send on it opens a new one.

Check phase, in the order written (all apply to the current connection):
  # CHECK: text                   every message the server sends is one line of
                                  the connection's output (its JSON body as
                                  received). Each CHECK finds `text` as a
                                  substring after the previous match, waiting
                                  up to the timeout. The next block is sent only
                                  after all of this block's CHECKs matched, so a
                                  later block can answer a server->client call.
  # CHECK-COUNT: N text           N CHECKs of `text` in a row.
  # CHECK-NOT: text               `text` must not appear between the previous
                                  CHECK match and the next CHECK match; when no
                                  CHECK follows in the block, in what arrived
                                  within a short settle time (300 ms).
  # CHECK-STDERR: text            like CHECK, on the server's stderr (its log).
  # EXIT: N                       the server process must exit with code N.
  # CLOSED                        the server must close the current connection.
  # FDS-BASELINE                  records how many descriptors the server holds.
  # FDS-SAME                      waits until that count is back at or below
                                  the baseline (connection-leak check).

Other block directives:
  # REPEAT: N                     runs the block's send phase N times (then its
                                  checks once), e.g. many abrupt disconnects.

Substitutions in bodies, !raw/!frame and checks: ${WORKDIR} (the server's
cwd), ${WORKDIR_URI} (the same as a file:// URI), ${HOME}, and
${REPEAT:N:text} (text repeated N times, for large messages; text cannot
contain "}").

A line starting with `#` whose first word is upper-case and followed by a colon
(or alone on the line) is a directive; an unknown one is an error, so typos do
not silently pass. Any other `#` line is a comment.

Beyond the checks, every transcript verifies that the server's own framing is
strict (`Content-Length: N\\r\\n` [+ Content-Type] `\\r\\n`, exactly N bytes,
valid UTF-8, a JSON object with "jsonrpc": "2.0"); for stdio that every byte
on stdout belongs to such a frame and none is cut short (in TCP mode stdout
stays empty); that the server never dies from a signal and its log reports no
sanitizer finding; and that it stops within 3 s of the SIGTERM the runner sends
at the end (then SIGKILL). A global deadline (--deadline) guarantees the runner
never hangs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Optional

DEFAULT_TIMEOUT = 10.0
SETTLE = 0.3
TERM_GRACE = 3.0  # cadre stops on SIGTERM; longer than this is a hang
CHUNK = 1 << 20

ARG_DIRECTIVES = {"ARGS", "ENV", "TIMEOUT", "FILE", "REPEAT", "CHECK", "CHECK-COUNT", "CHECK-NOT", "CHECK-STDERR", "EXIT"}
BARE_DIRECTIVES = {"CLOSED", "FDS-BASELINE", "FDS-SAME"}
BANG_COMMANDS = {"raw", "frame", "bytes", "close", "sleep", "conn", "disconnect"}


class TranscriptSyntaxError(Exception):
    pass


class Failure(Exception):
    """A check failed; `where` names the transcript line."""

    def __init__(self, where: str, message: str, expected: str = ""):
        super().__init__(message)
        self.where = where
        self.message = message
        self.expected = expected


# --------------------------------------------------------------------------
# Transcript parsing


@dataclass
class Step:
    kind: str  # "send-body", bang command name, or directive name
    arg: str
    lineno: int


@dataclass
class Block:
    index: int
    lineno: int
    sends: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    body_lines: list = field(default_factory=list)
    file: Optional[str] = None
    repeat: int = 1


@dataclass
class Transcript:
    path: str
    args: list
    env: dict
    timeout: float
    blocks: list


REPEAT_SUBST = re.compile(r"\$\{REPEAT:(\d+):([^}]*)\}")
DIRECTIVE_ARG = re.compile(r"^#\s*([A-Z][A-Z0-9-]*):(?:\s(.*))?$")
DIRECTIVE_BARE = re.compile(r"^#\s*([A-Z][A-Z0-9-]*)\s*$")


def unescape(text: str, where: str) -> bytes:
    """Python-style escapes: \\r \\n \\t \\0 \\xNN \\\\ \\" ; other text as UTF-8."""
    out = bytearray()
    i = 0
    simple = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'"}
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(text):
            raise TranscriptSyntaxError(f"{where}: dangling backslash")
        e = text[i + 1]
        if e in simple:
            out += simple[e]
            i += 2
        elif e == "x":
            hexpart = text[i + 2 : i + 4]
            if len(hexpart) != 2 or any(h not in "0123456789abcdefABCDEF" for h in hexpart):
                raise TranscriptSyntaxError(f"{where}: bad \\x escape")
            out.append(int(hexpart, 16))
            i += 4
        else:
            raise TranscriptSyntaxError(f"{where}: unknown escape \\{e}")
    return bytes(out)


def parse_transcript(path: str) -> Transcript:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    args = ["serve", "--stdio"]
    env: dict = {}
    timeout = DEFAULT_TIMEOUT
    blocks = [Block(index=1, lineno=1)]
    base = os.path.basename(path)

    for n, raw_line in enumerate(lines, start=1):
        line = raw_line[:-1] if raw_line.endswith("\r") else raw_line
        where = f"{base}:{n}"
        block = blocks[-1]
        if line == "---":
            blocks.append(Block(index=len(blocks) + 1, lineno=n + 1))
            continue
        if not line.strip():
            continue
        if line.startswith("#"):
            m = DIRECTIVE_ARG.match(line)
            bare = DIRECTIVE_BARE.match(line) if not m else None
            if m:
                name, value = m.group(1), (m.group(2) or "").strip()
                if name not in ARG_DIRECTIVES:
                    if name in BARE_DIRECTIVES:
                        raise TranscriptSyntaxError(f"{where}: # {name} takes no argument")
                    raise TranscriptSyntaxError(f"{where}: unknown directive # {name}:")
            elif bare:
                name, value = bare.group(1), ""
                if name not in BARE_DIRECTIVES:
                    if name in ARG_DIRECTIVES:
                        raise TranscriptSyntaxError(f"{where}: # {name} needs ': value'")
                    raise TranscriptSyntaxError(f"{where}: unknown directive # {name}")
            else:
                continue  # a comment
            if name == "ARGS":
                args = value.split()
            elif name == "ENV":
                if "=" not in value:
                    raise TranscriptSyntaxError(f"{where}: # ENV: wants NAME=VALUE")
                k, v = value.split("=", 1)
                env[k.strip()] = v
            elif name == "TIMEOUT":
                timeout = float(value)
            elif name == "REPEAT":
                try:
                    block.repeat = int(value)
                    if block.repeat < 1:
                        raise ValueError
                except ValueError:
                    raise TranscriptSyntaxError(f"{where}: # REPEAT: wants a positive integer") from None
            elif name == "FILE":
                if block.file is not None:
                    raise TranscriptSyntaxError(f"{where}: one # FILE: per block")
                block.file = value
            elif name in ("CHECK", "CHECK-NOT", "CHECK-STDERR"):
                if not value:
                    raise TranscriptSyntaxError(f"{where}: empty # {name}:")
                block.checks.append(Step(name, value, n))
            elif name == "CHECK-COUNT":
                count, _, pattern = value.partition(" ")
                if not count.isdigit() or int(count) < 1 or not pattern.strip():
                    raise TranscriptSyntaxError(f"{where}: # CHECK-COUNT: wants N text")
                for _ in range(int(count)):
                    block.checks.append(Step("CHECK", pattern.strip(), n))
            elif name == "EXIT":
                try:
                    int(value)
                except ValueError:
                    raise TranscriptSyntaxError(f"{where}: # EXIT: wants an integer") from None
                block.checks.append(Step(name, value, n))
            else:
                block.checks.append(Step(name, "", n))
            continue
        if line.startswith("!"):
            cmd, _, rest = line[1:].partition(" ")
            if cmd not in BANG_COMMANDS:
                raise TranscriptSyntaxError(f"{where}: unknown command !{cmd}")
            if cmd in ("raw", "frame"):
                unescape(rest, where)  # validate now, decode later (after substitution)
            elif cmd in ("bytes", "sleep", "conn"):
                try:
                    if int(rest) < 0:
                        raise ValueError
                except ValueError:
                    raise TranscriptSyntaxError(f"{where}: !{cmd} wants a non-negative integer") from None
            elif rest.strip():
                raise TranscriptSyntaxError(f"{where}: !{cmd} takes no argument")
            block.sends.append(Step(cmd, rest, n))
            continue
        if not block.body_lines:
            block.sends.append(Step("send-body", "", n))
        block.body_lines.append(line)

    for b in blocks:
        if b.file is not None and (b.checks or any(s.kind != "send-body" for s in b.sends)):
            raise TranscriptSyntaxError(f"{base}:{b.lineno}: a # FILE: block holds only the file's text")
    if args[:1] != ["serve"]:
        raise TranscriptSyntaxError(f"{base}: # ARGS: must start with 'serve'")
    return Transcript(path=path, args=args, env=env, timeout=timeout, blocks=blocks)


# --------------------------------------------------------------------------
# The server's side of the wire, checked strictly


class FrameViolation(Exception):
    pass


class ServerFrameParser:
    """Parses what cadre sends. Anything but well-formed frames is a violation."""

    MAX_HEADER = 1024

    def __init__(self):
        self.buf = bytearray()
        self.need: Optional[int] = None  # body length once headers are read

    def feed(self, data: bytes) -> list:
        self.buf += data
        bodies = []
        while True:
            if self.need is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buf) > self.MAX_HEADER:
                        raise FrameViolation(f"no end of header block within {self.MAX_HEADER} bytes: {bytes(self.buf[:120])!r}")
                    if self.buf and not self._plausible_prefix():
                        raise FrameViolation(f"bytes outside a frame: {bytes(self.buf[:120])!r}")
                    if re.search(rb"(?<!\r)\n", self.buf):
                        raise FrameViolation(f"header line not ended by \\r\\n: {bytes(self.buf[:120])!r}")
                    return bodies
                self.need = self._parse_headers(bytes(self.buf[:end]))
                del self.buf[: end + 4]
            if len(self.buf) < self.need:
                return bodies
            body = bytes(self.buf[: self.need])
            del self.buf[: self.need]
            self.need = None
            bodies.append(self._check_body(body))

    def _plausible_prefix(self) -> bool:
        # Catch stray output early: a header block starts with a header name.
        head = bytes(self.buf[:16]).lower()
        return any(p.startswith(head) or head.startswith(p) for p in (b"content-length:", b"content-type:"))

    @staticmethod
    def _parse_headers(block: bytes) -> int:
        length = None
        for line in block.split(b"\r\n"):
            m = re.fullmatch(rb"([A-Za-z-]+): (.*)", line)
            if not m or b"\n" in line or b"\r" in line:
                raise FrameViolation(f"malformed header line {line!r}")
            name = m.group(1).lower()
            if name == b"content-length":
                if length is not None:
                    raise FrameViolation("duplicate Content-Length")
                if not re.fullmatch(rb"[0-9]+", m.group(2)):
                    raise FrameViolation(f"bad Content-Length {m.group(2)!r}")
                length = int(m.group(2))
            elif name != b"content-type":
                raise FrameViolation(f"unexpected header {line!r}")
        if length is None:
            raise FrameViolation(f"header block without Content-Length: {block!r}")
        if length == 0:
            raise FrameViolation("Content-Length: 0")
        return length

    @staticmethod
    def _check_body(body: bytes) -> str:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FrameViolation(f"body is not valid UTF-8 ({e}): {body[:200]!r}") from None
        try:
            msg = json.loads(text)
        except ValueError as e:
            raise FrameViolation(f"body is not valid JSON ({e}), or Content-Length is wrong: {body[:200]!r}") from None
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
            raise FrameViolation(f"body is not a JSON-RPC 2.0 object: {text[:200]}")
        return text.replace("\r", " ").replace("\n", " ")

    def leftover(self) -> bytes:
        return bytes(self.buf)


class Stream:
    """What the server sent on one connection, as lines; waited on by checks."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list = []
        self.text = ""
        self.pos = 0  # CHECK cursor
        self.eof = False
        self.cond = threading.Condition()

    def add(self, line: str):
        with self.cond:
            self.lines.append(line)
            self.text += line + "\n"
            self.cond.notify_all()

    def close(self):
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_for(self, pattern: str, deadline: float) -> int:
        with self.cond:
            while True:
                idx = self.text.find(pattern, self.pos)
                if idx >= 0 or self.eof:
                    return idx
                left = deadline - time.monotonic()
                if left <= 0:
                    return -1
                self.cond.wait(left)

    def wait_eof(self, deadline: float) -> bool:
        with self.cond:
            while not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


class Runner:
    def __init__(self, transcript: Transcript, cadre: str, verbose: bool, deadline: float):
        self.t = transcript
        self.cadre = cadre
        self.verbose = verbose
        self.global_deadline = time.monotonic() + deadline
        self.tcp = "--tcp" in transcript.args
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix="cadre-wire-"))  # cadre sees resolved paths
        self.home = os.path.join(self.tmp, "home")
        self.workdir = os.path.join(self.tmp, "work")
        os.makedirs(self.home)
        os.makedirs(self.workdir)
        self.proc: Optional[subprocess.Popen] = None
        self.stderr = bytearray()
        self.stderr_pos = 0
        self.stderr_cond = threading.Condition()
        self.stderr_eof = False
        self.violations: list = []
        self.conns: dict = {}  # number -> Conn
        self.current = 1
        self.fd_baseline: Optional[int] = None
        self.we_signalled = False
        self.threads: list = []
        self.block: Optional[Block] = None
        self.step = Step("start", "", 1)

    # ---- helpers -------------------------------------------------------

    def log(self, text: str):
        if self.verbose:
            print(text, file=sys.stderr, flush=True)

    def substitute(self, text: str) -> str:
        uri = "file://" + urllib.parse.quote(self.workdir)
        text = text.replace("${WORKDIR_URI}", uri).replace("${WORKDIR}", self.workdir).replace("${HOME}", self.home)
        return REPEAT_SUBST.sub(lambda m: m.group(2) * int(m.group(1)), text)

    def deadline(self) -> float:
        return min(time.monotonic() + self.t.timeout, self.global_deadline)

    def where(self, step_or_block) -> str:
        base = os.path.basename(self.t.path)
        if isinstance(step_or_block, Step):
            block = f" (block {self.block.index})" if self.block else ""
            return f"{base}:{step_or_block.lineno}{block}"
        return f"{base}:{step_or_block.lineno} (block {step_or_block.index})"

    def violation(self, text: str):
        self.violations.append(text)
        for conn in self.conns.values():
            conn.stream.close()  # wake waiters: this run has failed anyway

    def check_violations(self, where: str):
        if self.violations:
            raise Failure(where, "the server broke the wire protocol: " + self.violations[0])

    # ---- process -------------------------------------------------------

    def start(self):
        for b in self.t.blocks:
            if b.file is not None:
                rel = b.file
                target = os.path.join(self.home, rel[2:]) if rel.startswith("~/") else os.path.join(self.workdir, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w", encoding="utf-8") as f:
                    f.write(self.substitute("\n".join(b.body_lines)) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_") and not k.startswith("XDG_")}
        env["HOME"] = self.home
        for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_STATE_HOME", ".local/state"),
                         ("XDG_CACHE_HOME", ".cache"), ("XDG_DATA_HOME", ".local/share")):
            env[var] = os.path.join(self.home, sub)
        for k, v in self.t.env.items():
            env[k] = self.substitute(v)
        argv = [self.cadre] + [self.substitute(a) for a in self.t.args]
        self.log(f"$ {' '.join(argv)}  (cwd {self.workdir})")
        self.proc = subprocess.Popen(
            argv,
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL if self.tcp else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.spawn(self.read_stderr)
        if self.tcp:
            # stdout must stay silent in TCP mode too: protocol goes to sockets.
            self.spawn(self.read_tcp_stdout)
        else:
            os.set_blocking(self.proc.stdin.fileno(), False)
            conn = Conn(self, 1, None)
            self.conns[1] = conn
            self.spawn(lambda: self.read_frames(conn, self.proc.stdout.fileno(), is_stdout=True))

    def spawn(self, fn):
        th = threading.Thread(target=fn, daemon=True)
        th.start()
        self.threads.append(th)

    def read_stderr(self):
        fd = self.proc.stderr.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            with self.stderr_cond:
                if not data:
                    self.stderr_eof = True
                    self.stderr_cond.notify_all()
                    return
                self.stderr += data
                self.stderr_cond.notify_all()
            if self.verbose:
                for ln in data.decode("utf-8", "replace").splitlines():
                    print(f"    [cadre] {ln}", file=sys.stderr, flush=True)

    def read_tcp_stdout(self):
        data = self.proc.stdout.read()
        if data:
            self.violation(f"stdout is not empty in TCP mode: {data[:200]!r}")

    def read_frames(self, conn: "Conn", fd: int, is_stdout: bool = False, sock: Optional[socket.socket] = None):
        parser = ServerFrameParser()
        while True:
            try:
                if sock is not None:
                    r, _, _ = select.select([sock], [], [], 0.05)
                    if conn.client_closed:
                        break
                    if not r:
                        continue
                    data = sock.recv(65536)
                else:
                    data = os.read(fd, 65536)
            except (OSError, ValueError):
                # A reset (or our own abrupt close): the connection is gone.
                data = b""
            if not data:
                break
            try:
                for line in parser.feed(data):
                    self.log(f"<-[{conn.number}] {line[:400]}")
                    conn.stream.add(line)
            except FrameViolation as e:
                self.violation(f"connection {conn.number}: {e}")
                break
        if parser.leftover() and not conn.client_closed:
            # EOF with part of a frame buffered: unless we killed the server
            # (checked at the end), a frame was cut short.
            conn.partial = parser.leftover()
        conn.stream.close()

    def stderr_text(self) -> str:
        with self.stderr_cond:
            return self.stderr.decode("utf-8", "replace")

    def port(self) -> tuple:
        deadline = self.deadline()
        pat = re.compile(rb"listening on (\S+):(\d+)")
        with self.stderr_cond:
            while True:
                m = pat.search(self.stderr)
                if m:
                    host = m.group(1).decode()
                    host = host.strip("[]")
                    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
                    return host, int(m.group(2))
                left = deadline - time.monotonic()
                if self.stderr_eof or left <= 0:
                    raise Failure(self.where(self.step), "the server did not log \"listening on HOST:PORT\"")
                self.stderr_cond.wait(left)

    # ---- connections ---------------------------------------------------

    def conn(self, open_if_needed: bool) -> "Conn":
        c = self.conns.get(self.current)
        if self.tcp and open_if_needed and (c is None or c.client_closed):
            host, port = self.port()
            try:
                sock = socket.create_connection((host, port), timeout=max(0.1, self.deadline() - time.monotonic()))
            except OSError as e:
                raise Failure(self.where(self.step), f"cannot connect to {host}:{port}: {e}") from None
            sock.settimeout(None)
            c = Conn(self, self.current, sock)
            self.conns[self.current] = c
            self.spawn(lambda: self.read_frames(c, -1, sock=sock))
            self.log(f"  [connection {self.current} opened]")
        if c is None:
            raise Failure(self.where(self.step), f"no connection {self.current} to check (send something on it first)")
        return c

    # ---- running -------------------------------------------------------

    def run(self):
        self.start()
        for block in self.t.blocks:
            self.block = block
            self.step = Step("block", "", block.lineno)
            if block.file is not None:
                continue
            # A block that expects the server to exit or close may find it
            # gone before its last sends (messages after `exit`): that race is
            # the expected outcome, so its checks decide.
            expects_end = any(c.kind in ("EXIT", "CLOSED") for c in block.checks)
            try:
                for _ in range(block.repeat):
                    for step in block.sends:
                        self.step = step
                        self.send(block, step)
                        self.check_violations(self.where(step))
            except PeerStoppedReading:
                if not expects_end:
                    raise
                self.log("  [the server stopped reading before the block's last sends; its checks decide]")
            self.run_checks(block)
            self.check_violations(self.where(block))
        self.finish()

    def send(self, block: Block, step: Step):
        where = self.where(step)
        k = step.kind
        if k == "sleep":
            time.sleep(int(step.arg) / 1000.0)
            return
        if k == "conn":
            if not self.tcp:
                raise TranscriptSyntaxError(f"{where}: !conn needs a TCP transcript")
            self.current = int(step.arg)
            self.log(f"  [switch to connection {self.current}]")
            return
        if k == "disconnect":
            if not self.tcp:
                raise TranscriptSyntaxError(f"{where}: !disconnect needs a TCP transcript")
            c = self.conns.get(self.current)
            if c is None or c.client_closed:
                raise Failure(where, f"!disconnect: connection {self.current} is not open")
            c.abort()
            self.log(f"  [connection {self.current} reset]")
            return
        if k == "close":
            self.conn(open_if_needed=True).close_write()
            self.log(f"  [connection {self.current}: client closed its writing side]")
            return
        if k == "send-body":
            body = self.substitute("\n".join(block.body_lines)).encode("utf-8")
            data = b"Content-Length: %d\r\n\r\n" % len(body) + body
            self.log(f"->[{self.current}] {body[:400].decode('utf-8', 'replace')}")
        elif k == "raw":
            data = unescape(self.substitute(step.arg), where)
            self.log(f"->[{self.current}] raw {data[:400]!r}")
        elif k == "frame":
            body = unescape(self.substitute(step.arg), where)
            data = b"Content-Length: %d\r\n\r\n" % len(body) + body
            self.log(f"->[{self.current}] frame {body[:400]!r}")
        elif k == "bytes":
            n = int(step.arg)
            self.log(f"->[{self.current}] {n} bytes of 'x'")
            c = self.conn(open_if_needed=True)
            chunk = b"x" * min(CHUNK, max(n, 1))
            while n > 0:
                c.write(chunk[: min(n, CHUNK)], where)
                n -= min(n, CHUNK)
            return
        else:
            raise AssertionError(k)
        self.conn(open_if_needed=True).write(data, where)

    def run_checks(self, block: Block):
        pending_not: list = []
        stream: Optional[Stream] = None

        def current_stream() -> Stream:
            nonlocal stream
            if stream is None:
                stream = self.conn(open_if_needed=False).stream
            return stream

        def verify_not(region: str):
            for n in pending_not:
                pat = self.substitute(n.arg)
                if pat in region:
                    line = next((ln for ln in region.split("\n") if pat in ln), "")
                    raise Failure(self.where(n), f"CHECK-NOT matched: {line[:500]}", expected=f"no {pat!r}")
            pending_not.clear()

        for step in block.checks:
            self.step = step
            where = self.where(step)
            if step.kind == "CHECK":
                s = current_stream()
                pat = self.substitute(step.arg)
                idx = s.wait_for(pat, self.deadline())
                self.check_violations(where)
                if idx < 0:
                    why = "the connection was closed" if s.eof else f"nothing matched within {self.t.timeout:g}s"
                    partial = self.conns[self.current].partial
                    if partial:
                        why += f"; it ended in the middle of a frame, {len(partial)} bytes in: {partial[:80]!r}"
                    raise Failure(where, f"CHECK not found ({why})", expected=pat)
                verify_not(s.text[s.pos : idx])
                s.pos = idx + len(pat)
            elif step.kind == "CHECK-NOT":
                current_stream()
                pending_not.append(step)
            elif step.kind == "CHECK-STDERR":
                pat = self.substitute(step.arg).encode("utf-8")
                deadline = self.deadline()
                with self.stderr_cond:
                    while True:
                        idx = self.stderr.find(pat, self.stderr_pos)
                        if idx >= 0:
                            self.stderr_pos = idx + len(pat)
                            break
                        left = deadline - time.monotonic()
                        if self.stderr_eof or left <= 0:
                            raise Failure(where, "CHECK-STDERR not found in the server's log", expected=pat.decode())
                        self.stderr_cond.wait(left)
            elif step.kind == "EXIT":
                want = int(step.arg)
                try:
                    code = self.proc.wait(timeout=max(0.0, self.deadline() - time.monotonic()))
                except subprocess.TimeoutExpired:
                    raise Failure(where, "the server did not exit in time", expected=f"exit code {want}") from None
                self.wait_readers()
                if code < 0:
                    raise Failure(where, f"the server died from signal {signal.Signals(-code).name}", expected=f"exit code {want}")
                if code != want:
                    raise Failure(where, f"the server exited with code {code}", expected=f"exit code {want}")
            elif step.kind == "CLOSED":
                s = current_stream()
                if not s.wait_eof(self.deadline()):
                    raise Failure(where, f"the server did not close connection {self.current} within {self.t.timeout:g}s")
                self.check_violations(where)
            elif step.kind == "FDS-BASELINE":
                self.fd_baseline = self.count_fds(where)
                self.log(f"  [fd baseline {self.fd_baseline}]")
            elif step.kind == "FDS-SAME":
                if self.fd_baseline is None:
                    raise TranscriptSyntaxError(f"{where}: # FDS-SAME before # FDS-BASELINE")
                deadline = self.deadline()
                while True:
                    n = self.count_fds(where)
                    if n <= self.fd_baseline:
                        break
                    if time.monotonic() > deadline:
                        raise Failure(where, f"the server holds {n} descriptors, baseline was {self.fd_baseline} (a leak?)\n"
                                      + self.describe_fds())
                    time.sleep(0.05)
        if pending_not:
            s = current_stream()
            if not s.wait_eof(min(time.monotonic() + SETTLE, self.global_deadline)):
                pass  # settled: check what arrived meanwhile
            self.check_violations(self.where(pending_not[0]))
            verify_not(s.text[s.pos :])

    def count_fds(self, where: str) -> int:
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        except OSError as e:
            raise Failure(where, f"cannot list the server's descriptors: {e}") from None

    def describe_fds(self) -> str:
        out = []
        try:
            for fd in sorted(os.listdir(f"/proc/{self.proc.pid}/fd"), key=int):
                try:
                    out.append(f"    {fd} -> {os.readlink(f'/proc/{self.proc.pid}/fd/{fd}')}")
                except OSError:
                    pass
        except OSError:
            pass
        return "\n".join(out)

    def wait_readers(self):
        # After the process exited its pipes reach EOF promptly.
        deadline = min(time.monotonic() + 2.0, self.global_deadline)
        for c in list(self.conns.values()):
            if c.sock is None:
                c.stream.wait_eof(deadline)

    def finish(self):
        """Stops the server (if it still runs) and checks what is only known at the end."""
        self.stop_server()
        where = f"{os.path.basename(self.t.path)} (end)"
        self.check_violations(where)
        code = self.proc.returncode
        if code is not None and code < 0 and (not self.we_signalled or -code not in (signal.SIGTERM, signal.SIGKILL)):
            raise Failure(where, f"the server died from signal {signal.Signals(-code).name}")
        if self.killed:
            raise Failure(where, f"the server did not stop within {TERM_GRACE:g}s of SIGTERM")
        if not self.killed:
            for c in self.conns.values():
                if c.partial:
                    raise Failure(where, f"connection {c.number} ended in the middle of a frame: {c.partial[:200]!r}")
        err = self.stderr_text()
        for marker in ("terminate called", "AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:", "LeakSanitizer"):
            if marker in err:
                raise Failure(where, f"the server's stderr reports {marker!r}")

    killed = False

    def stop_server(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.we_signalled = True
            # SIGTERM first: cadre stops cleanly on it, which also proves it can.
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=TERM_GRACE)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.proc.kill()
                self.proc.wait()
        for c in self.conns.values():
            c.abort(quiet=True)
        self.wait_readers()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                if pipe:
                    pipe.close()
            except OSError:
                pass
        with self.stderr_cond:
            deadline = time.monotonic() + 1.0
            while not self.stderr_eof and time.monotonic() < deadline:
                self.stderr_cond.wait(0.1)

    def kill_now(self):
        if self.proc and self.proc.poll() is None:
            self.we_signalled = True
            self.killed = True
            self.proc.kill()

    def report(self, failure: Failure):
        print(f"FAIL {failure.where}: {failure.message}")
        if failure.expected:
            print(f"  expected: {failure.expected}")
        code = self.proc.returncode if self.proc else None
        if code is not None and not self.we_signalled:
            how = f"died from signal {signal.Signals(-code).name}" if code < 0 else f"had exited with code {code}"
            print(f"  the server {how}")
        c = self.conns.get(self.current)
        if c is not None:
            lines = c.stream.lines[-8:]
            print(f"  last messages from the server on connection {self.current} ({len(c.stream.lines)} in all):")
            for ln in lines or ["(none)"]:
                print(f"    {ln[:600]}")
            if c.stream.pos < len(c.stream.text):
                print(f"  (the previous CHECK matched up to offset {c.stream.pos} of {len(c.stream.text)})")
        for other in sorted(self.conns):
            if other != self.current and self.conns[other].stream.lines:
                print(f"  connection {other}: last: {self.conns[other].stream.lines[-1][:300]}")
        if len(self.violations) > 1:
            for v in self.violations[1:5]:
                print(f"  also: {v}")
        tail = self.stderr_text().splitlines()[-25:]
        print("  server stderr (tail):")
        for ln in tail or ["(empty)"]:
            print(f"    {ln[:400]}")

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class PeerStoppedReading(Failure):
    """A write found the server's end closed (EPIPE / reset)."""


class Conn:
    def __init__(self, runner: Runner, number: int, sock: Optional[socket.socket]):
        self.runner = runner
        self.number = number
        self.sock = sock
        self.stream = Stream(f"connection {number}")
        self.client_closed = False  # we reset it (TCP) - no more reads or writes
        self.write_closed = False
        self.partial = b""

    def write(self, data: bytes, where: str):
        if self.write_closed or self.client_closed:
            raise Failure(where, f"cannot send on connection {self.number}: the client side is closed")
        view = memoryview(data)
        proc = self.runner.proc
        while view:
            left = min(self.runner.t.timeout, self.runner.global_deadline - time.monotonic())
            if left <= 0:
                raise Failure(where, "sending timed out: the server stopped reading")
            try:
                if self.sock is not None:
                    _, w, _ = select.select([], [self.sock], [], left)
                    if not w:
                        raise Failure(where, f"sending timed out after {self.runner.t.timeout:g}s: the server stopped reading")
                    n = self.sock.send(view[:CHUNK], socket.MSG_DONTWAIT)
                else:
                    fd = proc.stdin.fileno()
                    _, w, _ = select.select([], [fd], [], left)
                    if not w:
                        raise Failure(where, f"sending timed out after {self.runner.t.timeout:g}s: the server stopped reading")
                    n = os.write(fd, view[:CHUNK])
            except (BlockingIOError, InterruptedError):
                continue
            except (BrokenPipeError, ConnectionError) as e:
                self.write_closed = True
                raise PeerStoppedReading(where, f"the server stopped reading ({e.__class__.__name__}) while the transcript still sends") from None
            view = view[n:]

    def close_write(self):
        if self.write_closed:
            return
        self.write_closed = True
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        else:
            try:
                self.runner.proc.stdin.close()
            except OSError:
                pass

    def abort(self, quiet: bool = False):
        if self.sock is None or self.client_closed:
            return
        self.client_closed = True
        try:
            # SO_LINGER 0: close sends RST, the abrupt way a crashed client goes.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def main() -> int:
    ap = argparse.ArgumentParser(description="Play one cadre wire transcript (see the module docstring for the format).")
    ap.add_argument("--cadre", required=True, help="path to the cadre binary")
    ap.add_argument("--deadline", type=float, default=90.0, help="hard limit for the whole transcript, seconds")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every message sent and received, and the server log")
    ap.add_argument("transcript")
    opts = ap.parse_args()

    name = os.path.basename(opts.transcript)
    try:
        transcript = parse_transcript(opts.transcript)
    except (TranscriptSyntaxError, OSError, ValueError) as e:
        print(f"ERROR {e}")
        return 2
    opts.cadre = os.path.abspath(opts.cadre)  # the server runs in a temp dir
    if not os.access(opts.cadre, os.X_OK):
        print(f"ERROR {opts.cadre} is not an executable")
        return 2

    runner = Runner(transcript, opts.cadre, opts.verbose, opts.deadline)
    done = threading.Event()

    def watchdog():
        # Last line of defence against a hang anywhere (even in the runner).
        if done.wait(max(0.0, runner.global_deadline - time.monotonic()) + 5.0):
            return
        print(f"FAIL {name}: global deadline of {opts.deadline:g}s exceeded")
        tail = runner.stderr_text().splitlines()[-25:]
        print("  server stderr (tail):")
        for ln in tail:
            print(f"    {ln[:400]}")
        sys.stdout.flush()
        runner.kill_now()
        os._exit(1)

    threading.Thread(target=watchdog, daemon=True).start()
    started = time.monotonic()
    try:
        runner.run()
    except Failure as f:
        runner.kill_now()
        runner.stop_server()
        runner.report(f)
        return 1
    except TranscriptSyntaxError as e:
        runner.kill_now()
        print(f"ERROR {e}")
        return 2
    except OSError as e:
        runner.kill_now()
        print(f"FAIL {name}: {e}")
        return 1
    finally:
        done.set()
        if runner.proc is not None and runner.proc.poll() is None:
            runner.kill_now()
        runner.cleanup()
    print(f"PASS {name} ({len(transcript.blocks)} blocks, {time.monotonic() - started:.2f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
