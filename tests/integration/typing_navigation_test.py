#!/usr/bin/env python3
"""Typing in an open document, then navigating it, over the wire. Keystrokes
(didChange, one character each) update the symbols from a window of
top-level items around the edit; the whole tree is reparsed only when a
request needs it. So after typing a new function into a gap between two
others, and then a line at the end of another function's body (every
keystroke of it valid Python, so no keystroke reparses the whole file),
go-to-definition and documentSymbol must see the new code at once, and
answer exactly what they answer for the same text opened fresh under
another name. Usage:

    typing_navigation_test.py --cadre build/cadre
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from cadre_wire import Cadre, isolated_env, test_setup  # noqa: E402

# Sixty small functions, each calling the next: enough top-level items that a
# keystroke's window is a small part of the file.
SOURCE = "import os\n\n\n" + "".join(
    "def helper_%d(value):\n    return helper_%d(value) + %d\n\n\n" % (i, i + 1, i) for i in range(60))
NEW_FUNCTION = "def typed_in(value):\n    return helper_7(value) * 2\n\n\n"
TYPED_LINE = "    helper_9"


def position(text, offset):
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def main():
    args, cadre, check, tmp = test_setup("cadre-typing-")
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(project)
        for name in ("typed.py", "fresh.py"):
            with open(os.path.join(project, name), "w") as f:
                f.write(SOURCE)
        env = isolated_env(os.path.join(tmp, "home"))
        s = Cadre(cadre, cwd=project, env=env, stderr=open(os.path.join(tmp, "cadre.log"), "w"))
        s.initialize(project)
        typed = "file://" + os.path.join(project, "typed.py")
        fresh = "file://" + os.path.join(project, "fresh.py")
        s.notify("textDocument/didOpen", {"textDocument": {"uri": typed, "languageId": "python", "version": 1, "text": SOURCE}})

        text = SOURCE
        version = 1

        def type_at(at, typing):
            nonlocal text, version
            for ch in typing:
                version += 1
                pos = position(text, at)
                s.notify("textDocument/didChange", {"textDocument": {"uri": typed, "version": version},
                                                    "contentChanges": [{"range": {"start": pos, "end": pos}, "text": ch}]})
                text = text[:at] + ch + text[at:]
                at += 1

        # The new function, a character at a time, between helper_20 and helper_21.
        type_at(text.index("def helper_21("), NEW_FUNCTION)
        # A line at the end of helper_40's body: `    helper_9`.
        type_at(text.index("+ 40\n") + len("+ 40\n"), TYPED_LINE)
        # The last keystroke's diagnostics come back with its version: every change was taken.
        m = s.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                       and m["params"]["uri"] == typed and m["params"].get("version") == version, timeout=30)
        check(m is not None, "diagnostics published for the last of %d keystrokes" % (version - 1))
        check(s.request("cadre/ping").get("result") is not None, "the server is up after the keystrokes")

        with open(os.path.join(project, "fresh.py"), "w") as f:
            f.write(text)
        s.notify("textDocument/didOpen", {"textDocument": {"uri": fresh, "languageId": "python", "version": 1, "text": text}})

        # The outline first: it reads only symbols, which the windowed
        # keystrokes kept up to date without reparsing the whole file.
        def symbols(uri):
            r = s.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
            return r.get("result")

        typed_symbols, fresh_symbols = symbols(typed), symbols(fresh)
        names = [d.get("name") for d in typed_symbols or []]
        check("typed_in" in names, "documentSymbol lists the typed function (%d symbols)" % len(names))
        check(typed_symbols == fresh_symbols, "documentSymbol of the typed document equals a fresh open of its text")
        check(names.index("typed_in") == names.index("helper_20") + 1 if "typed_in" in names else False,
              "typed_in comes between helper_20 and helper_21")
        # Go to definition from the call inside the function typed first, and
        # from the name typed last.
        for name, used in (("helper_7", text.index("helper_7(value) * 2") + 3),
                           ("helper_9", text.index("+ 40\n" + TYPED_LINE) + len("+ 40\n    ") + 3)):
            want = position(text, text.index("def %s(" % name) + 4)
            for uri in (typed, fresh):
                r = s.request("textDocument/definition", {"textDocument": {"uri": uri}, "position": position(text, used)})
                locations = r.get("result") or []
                locations = locations if isinstance(locations, list) else [locations]
                starts = [loc.get("range", {}).get("start") for loc in locations]
                check(want in starts, "%s: definition of %s from the typed use is line %d (got %s)"
                      % (os.path.basename(uri), name, want["line"], starts))

        s.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
