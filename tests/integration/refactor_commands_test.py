#!/usr/bin/env python3
"""The deterministic refactor commands over the wire, on a Python and a
TypeScript project: cadre.moveSymbol, cadre.renameSymbol and
cadre.extractFunction through workspace/executeCommand, each answered with
a checked shadow diff, landed with cadre/shadow.apply after approval, then
judged by what a user would run: pyflakes, tsc (strict), `cadre check`, and
the programs themselves printing what they printed before. Also: a refactor
that would break the types is flagged (introducesErrors, tsc's finding
returned), ranges that cannot be extracted and bad arguments get clear
errors, and an apply is undone through its checkpoint. Usage:

    refactor_commands_test.py --cadre build/cadre
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from cadre_wire import Cadre, isolated_env, test_setup  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TSC_DIR = os.path.join(ROOT, "bench", "corpora", "node_modules")  # typescript, pinned and installed by scripts/bootstrap

PY_FILES = {
    "pkg/__init__.py": "",
    "pkg/units.py": "def to_cm(x):\n    return x * 2.54\n",
    "pkg/geometry.py": (
        "import math\n"
        "from pkg.units import to_cm\n"
        "\n"
        "\n"
        "def area(r):\n"
        "    return math.pi * r * r\n"
        "\n"
        "\n"
        "# The rim, in centimetres.\n"
        "def circumference(r):\n"
        "    return 2 * math.pi * to_cm(r)\n"
        "\n"
        "\n"
        "def report(r):\n"
        "    total = area(r)\n"
        "    scale = 2\n"
        "    doubled = total * scale\n"
        "    label = 'r=%s' % r\n"
        "    return label + ' ' + str(round(doubled, 3))\n"
    ),
    "app.py": (
        "import pkg.geometry\n"
        "from pkg.geometry import area, circumference, report\n"
        "\n"
        "print(round(area(1), 3), round(circumference(2), 3), round(pkg.geometry.circumference(3), 3))\n"
        "print(report(2))\n"
    ),
}

TS_FILES = {
    "tsconfig.json": json.dumps({"compilerOptions": {"strict": True, "target": "es2020", "module": "commonjs",
                                                     "outDir": "out", "rootDir": "src"}, "include": ["src"]}),
    "src/units.ts": "export function toCm(x: number): number {\n  return x * 2.54;\n}\n",
    "src/geometry.ts": (
        "import { toCm } from \"./units\";\n"
        "\n"
        "export function area(r: number): number {\n"
        "  return Math.PI * r * r;\n"
        "}\n"
        "\n"
        "export function circumference(r: number): number {\n"
        "  return 2 * Math.PI * toCm(r);\n"
        "}\n"
        "\n"
        "export function report(r: number, items: number[]): string {\n"
        "  let total = area(r);\n"
        "  const factor = Math.max(3, 1);\n"
        "  for (const i of items) {\n"
        "    total += i;\n"
        "  }\n"
        "  const scaled = total * factor;\n"
        "  return `r=${r} ${scaled.toFixed(3)}`;\n"
        "}\n"
    ),
    "src/main.ts": (
        "import { area, circumference, report } from \"./geometry\";\n"
        "\n"
        "console.log(area(1).toFixed(3), circumference(2).toFixed(3));\n"
        "console.log(report(2, [1, 2]));\n"
    ),
}


def write_tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read()


def uri(root, rel):
    return "file://" + os.path.join(root, rel)


def position_of(text, needle, nth=0):
    """LSP position (line, UTF-16 column; ASCII here) of the nth occurrence."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at)
    return {"line": line, "character": at - (text.rfind("\n", 0, at) + 1)}


def range_of_lines(text, first, last):
    """The range from the start of line `first` to the end of line `last` (0-based)."""
    lines = text.split("\n")
    return {"start": {"line": first, "character": 0}, "end": {"line": last, "character": len(lines[last])}}


def wait_index(server):
    """Cross-file refactors plan from the index: wait for the first one."""
    for _ in range(200):
        if server.request("cadre/status")["result"]["index"]["ready"]:
            return
        time.sleep(0.05)


def extract_lines(server, root, rel, first_line, count, name):
    """cadre.extractFunction on `count` whole lines starting at the line equal to `first_line`."""
    text = read(root, rel)
    first = text.split("\n").index(first_line)
    return server.request("workspace/executeCommand", {"command": "cadre.extractFunction", "arguments": [{
        "uri": uri(root, rel), "range": range_of_lines(text, first, first + count - 1), "name": name}]}, timeout=60)


def run(cmd, cwd, env=None):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def main():
    args, cadre, check, tmp = test_setup("cadre-refactor-")
    servers = []
    try:
        env = isolated_env(os.path.join(tmp, "home"))
        pyflakes = shutil.which("pyflakes3") or shutil.which("pyflakes")
        tsc = os.path.join(TSC_DIR, ".bin", "tsc")
        have_tsc = os.path.exists(tsc)
        print("linters: pyflakes=%s tsc=%s" % (pyflakes, tsc if have_tsc else None))

        # ---------------- Python ----------------
        py = os.path.join(tmp, "py")
        write_tree(py, PY_FILES)
        before = run([sys.executable, "app.py"], py).stdout
        s = Cadre(cadre, cwd=py, env=env, stderr=open(os.path.join(tmp, "py.log"), "w"))
        servers.append(s)
        init = s.initialize(py)
        caps = init["result"]["capabilities"]
        check(set(caps["executeCommandProvider"]["commands"]) >= {"cadre.renameSymbol", "cadre.moveSymbol", "cadre.extractFunction",
                                                                   "cadre.applyInstruction", "cadre.explain", "cadre.fix"},
              "initialize advertises the refactor commands")
        check({"quickfix", "refactor", "refactor.extract", "source"} <= set(caps["codeActionProvider"]["codeActionKinds"]),
              "initialize advertises the code action kinds")
        wait_index(s)

        def command(name, arg, timeout=60):
            return s.request("workspace/executeCommand", {"command": name, "arguments": [arg]}, timeout=timeout)

        def apply(server, task):
            server.approvals.clear()
            r = server.request("cadre/shadow.apply", {"task": task}, timeout=60)
            return r, list(server.approvals)

        geo = read(py, "pkg/geometry.py")
        r = command("cadre.moveSymbol", {"uri": uri(py, "pkg/geometry.py"), "position": position_of(geo, "circumference"),
                                         "targetUri": uri(py, "pkg/shapes.py")})
        res = r.get("result", {})
        check(res.get("status") == "ready" and res.get("diagnostics") == [], "move (Python): checked clean in the shadow: %s" %
              json.dumps({k: res.get(k) for k in ("status", "diagnostics", "ran", "problems", "warnings")} if res else r))
        check("pyflakes" in res.get("ran", []) or not pyflakes, "move (Python): pyflakes ran on the shadow")
        check(os.path.exists(os.path.join(py, "pkg", "shapes.py")) is False, "move (Python): nothing on disk before apply")
        check("+def circumference(r):" in res.get("diff", "") and "+from pkg.shapes import circumference" in res.get("diff", ""),
              "move (Python): the diff moves the function and rewrites the importer")
        a, approvals = apply(s, res.get("task"))
        check("result" in a and approvals and "circumference" in approvals[0].get("diff", ""),
              "move (Python): apply asked with the diff and landed: %s" % json.dumps(a)[:300])
        undo = a.get("result", {}).get("undo")
        shapes = read(py, "pkg/shapes.py")
        check(shapes.startswith("import math\nfrom pkg.units import to_cm\n") and "# The rim, in centimetres.\ndef circumference(r):" in shapes,
              "move (Python): the target has the imports the function needs and its comment:\n" + shapes)
        geo2 = read(py, "pkg/geometry.py")
        check("circumference" not in geo2 and "to_cm" not in geo2 and "import math" in geo2,
              "move (Python): the source lost the function and the import only it used")
        app = read(py, "app.py")
        check("from pkg.geometry import area, report\nfrom pkg.shapes import circumference\n" in app and
              "pkg.shapes.circumference(3)" in app and "import pkg.shapes\n" in app,
              "move (Python): both import styles in app.py now point at pkg.shapes:\n" + app)
        if pyflakes:
            pf = run([pyflakes, "app.py", "pkg"], py)
            check(pf.returncode == 0, "move (Python): pyflakes is clean on the result: " + pf.stdout + pf.stderr)
        out = run([sys.executable, "app.py"], py)
        check(out.returncode == 0 and out.stdout == before, "move (Python): the program prints what it printed before: " + out.stdout + out.stderr)
        ck = run([cadre, "check", py], py, env)
        check(ck.returncode == 0, "move (Python): cadre check is clean: " + ck.stdout[-400:] + ck.stderr[-400:])

        # Rename across files, from a use in app.py.
        app = read(py, "app.py")
        r = command("cadre.renameSymbol", {"uri": uri(py, "app.py"), "position": position_of(app, "area", 1), "newName": "disk_area"})
        res = r.get("result", {})
        check(res.get("status") == "ready" and res.get("diagnostics") == [] and res.get("edits", 0) >= 4,
              "rename (Python): checked clean, %s edits" % res.get("edits"))
        a, approvals = apply(s, res.get("task"))
        check("result" in a, "rename (Python): applied")
        check("def disk_area(r):" in read(py, "pkg/geometry.py") and "disk_area(1)" in read(py, "app.py") and
              "area(" not in read(py, "app.py").replace("disk_area(", ""), "rename (Python): definition, import and uses renamed")
        out = run([sys.executable, "app.py"], py)
        check(out.stdout == before, "rename (Python): same output")

        # Extract function: two statements of report(); `total` in, `doubled` out.
        r = extract_lines(s, py, "pkg/geometry.py", "    scale = 2", 2, "scaled")
        res = r.get("result", {})
        check(res.get("status") == "ready" and res.get("parameters") == ["total"] and res.get("returns") == ["doubled"],
              "extract (Python): parameters [total], returns [doubled]: %s" % json.dumps(res)[:400])
        a, _ = apply(s, res.get("task"))
        geo = read(py, "pkg/geometry.py")
        check("def scaled(total):\n    scale = 2\n    doubled = total * scale\n    return doubled\n" in geo and
              "    doubled = scaled(total)\n" in geo, "extract (Python): the new function and its call:\n" + geo)
        if pyflakes:
            pf = run([pyflakes, "app.py", "pkg"], py)
            check(pf.returncode == 0, "extract (Python): pyflakes clean: " + pf.stdout)
        out = run([sys.executable, "app.py"], py)
        check(out.stdout == before, "extract (Python): same output: " + out.stdout + out.stderr)

        # Refusals, with reasons.
        r = extract_lines(s, py, "pkg/geometry.py", "    return label + ' ' + str(round(doubled, 3))", 1, "tail")
        check("error" in r and "return" in r["error"]["message"], "extract refuses a range with a return: %s" % r.get("error"))
        r = command("cadre.moveSymbol", {"uri": uri(py, "pkg/geometry.py"), "position": position_of(geo, "area"),
                                         "targetUri": uri(py, "src/x.ts")})
        check("error" in r and "Python" in r["error"]["message"], "move refuses a target in another language: %s" % r.get("error"))
        r = s.request("workspace/executeCommand", {"command": "cadre.renameSymbol", "arguments": [{"uri": uri(py, "app.py")}]})
        check("error" in r and r["error"]["code"] == -32602 and "arguments[0].position" in r["error"]["message"],
              "a missing argument names the field: %s" % r.get("error"))
        r = s.request("workspace/executeCommand", {"command": "cadre.nope", "arguments": []})
        check("error" in r and "unknown command" in r["error"]["message"], "an unknown command is refused clearly")

        # Undo the move through its checkpoint: every file as before it.
        if undo:
            r = s.request("cadre/checkpoint.restore", {"id": undo}, timeout=60)
            check("result" in r and not os.path.exists(os.path.join(py, "pkg", "shapes.py")) and
                  read(py, "app.py") == PY_FILES["app.py"], "the move is undone through its checkpoint")
        s.shutdown()

        # ---------------- TypeScript ----------------
        ts = os.path.join(tmp, "ts")
        write_tree(ts, TS_FILES)
        if have_tsc:
            os.symlink(TSC_DIR, os.path.join(ts, "node_modules"))  # cadre detects tsc in the project's node_modules

        def ts_build_and_run():
            if not have_tsc:
                return None, ""
            b = run([tsc, "-p", "."], ts)
            if b.returncode != 0:
                return b, ""
            return b, run(["node", os.path.join("out", "main.js")], ts).stdout

        _, ts_before = ts_build_and_run()
        s = Cadre(cadre, cwd=ts, env=env, stderr=open(os.path.join(tmp, "ts.log"), "w"))
        servers.append(s)
        s.initialize(ts)
        wait_index(s)

        geo = read(ts, "src/geometry.ts")
        r = command("cadre.moveSymbol", {"uri": uri(ts, "src/geometry.ts"), "position": position_of(geo, "circumference"),
                                         "targetUri": uri(ts, "src/shapes.ts")})
        res = r.get("result", {})
        check(res.get("status") == "ready" and res.get("diagnostics") == [], "move (TS): checked clean in the shadow: %s" %
              json.dumps({k: res.get(k) for k in ("status", "diagnostics", "ran", "problems")} if res else r))
        check("tsc" in res.get("ran", []) or not have_tsc, "move (TS): tsc ran on the shadow")
        apply(s, res.get("task"))
        shapes = read(ts, "src/shapes.ts")
        check(shapes.startswith('import { toCm } from "./units";\n') and "export function circumference" in shapes,
              "move (TS): target imports toCm and exports the function:\n" + shapes)
        main_ts = read(ts, "src/main.ts")
        check('import { area, report } from "./geometry";\nimport { circumference } from "./shapes";' in main_ts,
              "move (TS): main.ts imports it from ./shapes:\n" + main_ts)
        check("toCm" not in read(ts, "src/geometry.ts"), "move (TS): the source dropped the import only the function used")

        main_ts = read(ts, "src/main.ts")
        r = command("cadre.renameSymbol", {"uri": uri(ts, "src/main.ts"), "position": position_of(main_ts, "report", 1), "newName": "summary"})
        res = r.get("result", {})
        check(res.get("status") == "ready" and res.get("diagnostics") == [], "rename (TS): checked clean: %s" % json.dumps(r)[:600])
        apply(s, res.get("task"))
        check("export function summary(" in read(ts, "src/geometry.ts") and "summary(2, [1, 2])" in read(ts, "src/main.ts"),
              "rename (TS): definition and uses renamed")

        # Extract the loop: `items` (typed number[]) and `total` in, `total` out.
        r = extract_lines(s, ts, "src/geometry.ts", "  for (const i of items) {", 3, "addAll")
        res = r.get("result", {})
        check(res.get("status") == "ready" and res.get("parameters") == ["items", "total"] and res.get("returns") == ["total"],
              "extract (TS): parameters [items, total], returns [total]: %s" % json.dumps(r)[:500])
        apply(s, res.get("task"))
        geo = read(ts, "src/geometry.ts")
        check("function addAll(items: number[], total: number) {" in geo,
              "extract (TS): typed parameters (written, and inferred from area()'s return type):\n" + geo)
        check("  total = addAll(items, total);\n" in geo, "extract (TS): the call assigns the returned total")

        # Extracting the multiplication makes `factor` a parameter whose type
        # cadre cannot tell (Math.max's): under strict, tsc says implicit any,
        # and cadre flags it.
        r = extract_lines(s, ts, "src/geometry.ts", "  const scaled = total * factor;", 1, "scale")
        res = r.get("result", {})
        if have_tsc:
            check(res.get("status") == "introducesErrors" and any("factor" in d.get("message", "") for d in res.get("diagnostics", [])),
                  "a refactor that breaks the types is flagged with tsc's finding: %s" % json.dumps(res.get("diagnostics"))[:400])
            s.request("cadre/shadow.discard", {"task": res.get("task")})
        if have_tsc:
            b, ts_after = ts_build_and_run()
            check(b.returncode == 0, "tsc (strict) compiles the refactored project: " + b.stdout[-600:])
            check(ts_after == ts_before and ts_before, "the TS program prints what it printed before: %r vs %r" % (ts_after, ts_before))
        ck = run([cadre, "check", ts], ts, env)
        check(ck.returncode == 0, "cadre check is clean on the TS project: " + ck.stdout[-400:])
        s.shutdown()
    finally:
        for s in servers:
            s.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
