#!/usr/bin/env python3
"""cadre/shadow.apply with files open in the editor, against the real binary.

The test plays an editor that declares workspace.applyEdit: it opens two
files, types into one without saving (dirty), and lets a task change three
files in its shadow. On apply, the closed file is written on disk by cadre;
the open ones reach the editor as one workspace/applyEdit, computed against
the editor's text (the task's change merged with the unsaved typing), which
this editor applies to its buffers. Then: an overlap with the unsaved typing
is a conflict and nothing is applied; an editor that refuses the edit keeps
the change in the shadow; an editor without applyEdit gets today's disk
write. Usage:

    shadow_editor_apply_test.py --cadre build/cadre
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from cadre_wire import Cadre, isolated_env, test_setup  # noqa: E402

A = "# 名前 (name) helpers\ndef greet(name):\n    return 'hello ' + name\n\n\ndef shout(name):\n    return greet(name).upper()\n"
B = "VALUE = 1\n"
C = "def c():\n    return 1\n"


def utf16_offset(text, line, character):
    """Byte-free: the index in `text` (a str) of an LSP position in UTF-16 units."""
    lines = text.split("\n")
    idx = sum(len(l) + 1 for l in lines[:line])
    units = 0
    for ch in lines[line] if line < len(lines) else "":
        if units >= character:
            break
        units += 2 if ord(ch) > 0xFFFF else 1
        idx += 1
    return idx


def apply_text_edits(text, edits):
    """What an editor does with a TextDocumentEdit: edits against the same text, applied back to front."""
    spans = []
    for e in edits:
        r = e["range"]
        spans.append((utf16_offset(text, r["start"]["line"], r["start"]["character"]),
                      utf16_offset(text, r["end"]["line"], r["end"]["character"]), e["newText"]))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def edit_call(task, path, search, replace):
    return {"name": "edit_file", "task": task,
            "arguments": {"edits": "%s\n<<<<<<< SEARCH\n%s=======\n%s>>>>>>> REPLACE\n" % (path, search, replace)}}


class Editor:
    """Open buffers by URI, kept in sync with cadre through didOpen/didChange."""

    def __init__(self, cadre):
        self.cadre = cadre
        self.buffers = {}
        self.versions = {}

    def open(self, uri, text):
        self.buffers[uri], self.versions[uri] = text, 1
        self.cadre.notify("textDocument/didOpen",
                          {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})

    def type(self, uri, text):
        self.buffers[uri] = text
        self.versions[uri] += 1
        self.cadre.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                                     "contentChanges": [{"text": text}]})


def start(cadre, project, env, tmp, name, capabilities):
    c = Cadre(cadre, cwd=project, env=env, stderr=open(os.path.join(tmp, name + ".log"), "w"))
    c.request("initialize", {"rootUri": "file://" + project, "capabilities": capabilities})
    c.notify("initialized", {})
    return c


def main():
    args, cadre, check, tmp = test_setup("cadre-editor-apply-")
    c = None
    try:
        project = os.path.join(tmp, "project")
        os.makedirs(os.path.join(project, "src"))
        files = {"src/a.py": A, "src/b.py": B, "src/c.py": C}
        for rel, text in files.items():
            with open(os.path.join(project, rel), "w") as f:
                f.write(text)
        uri = {rel: "file://" + os.path.join(project, rel) for rel in files}
        disk = lambda rel: open(os.path.join(project, rel), encoding="utf-8").read()
        home = os.path.join(tmp, "home")
        env = isolated_env(home)
        caps = {"experimental": {"cadre": {"approvals": True}},
                "workspace": {"applyEdit": True, "workspaceEdit": {"documentChanges": True}}}
        c = start(cadre, project, env, tmp, "editor", caps)
        ed = Editor(c)
        ed.open(uri["src/a.py"], A)
        ed.open(uri["src/c.py"], C)
        # Unsaved typing at the top of a.py: the buffer is dirty.
        dirty = A.replace("# 名前 (name) helpers\n", "# 名前 (name) helpers\nimport sys\n")
        ed.type(uri["src/a.py"], dirty)

        # The task changes the end of a.py (the unsaved line is elsewhere), b.py and c.py.
        for call in (edit_call("t1", "src/a.py", "    return greet(name).upper()\n", "    return greet(name).upper() + '!'\n"),
                     edit_call("t1", "src/b.py", "VALUE = 1\n", "VALUE = 2\n"),
                     edit_call("t1", "src/c.py", "    return 1\n", "    return 3\n")):
            r = c.request("cadre/tools.call", call)
            check("result" in r and not r["result"]["isError"], "shadow edit of %s" % call["arguments"]["edits"].split("\n")[0])

        c.next_id += 1
        apply_id = c.next_id
        c.send({"jsonrpc": "2.0", "id": apply_id, "method": "cadre/shadow.apply", "params": {"task": "t1"}})
        m = c.wait_for(lambda m: m.get("method") == "workspace/applyEdit")
        check(len(c.approvals) == 1 and "src/b.py" in c.approvals[0]["diff"] and "src/a.py" in c.approvals[0]["diff"],
              "the user approved the task's whole diff first")
        check(disk("src/b.py") == "VALUE = 2\n", "the closed file was written before the editor is asked")
        edit = m["params"]["edit"]
        check(m["params"].get("label") == "cadre: apply task t1", "the WorkspaceEdit has a label")
        docs = {d["textDocument"]["uri"]: d for d in edit.get("documentChanges", [])}
        check(sorted(docs) == sorted([uri["src/a.py"], uri["src/c.py"]]),
              "only the open files are in the WorkspaceEdit: %s" % sorted(docs))
        check(docs.get(uri["src/a.py"], {}).get("textDocument", {}).get("version") == 2,
              "versioned against the editor's latest didChange (2)")
        a_edits = docs.get(uri["src/a.py"], {}).get("edits", [])
        check(len(a_edits) == 1 and a_edits[0]["range"]["start"]["line"] == 7,
              "a.py's edit replaces just the changed line, counted in the dirty buffer (line 7): %s" % a_edits)
        for u, d in docs.items():
            ed.buffers[u] = apply_text_edits(ed.buffers[u], d["edits"])
        c.send({"jsonrpc": "2.0", "id": m["id"], "result": {"applied": True}})
        for u in docs:
            ed.type(u, ed.buffers[u])
        r = c.wait_for(lambda m: m.get("id") == apply_id)
        res = r.get("result", {})
        check(res.get("written") == [uri["src/b.py"]], "written: the closed file (%s)" % res.get("written"))
        check(sorted(res.get("edited", [])) == sorted([uri["src/a.py"], uri["src/c.py"]]), "edited: the open files")
        check(isinstance(res.get("undo"), str) and len(res.get("checkpoints", [])) == 1, "a checkpoint before the apply (undo)")
        want_a = dirty.replace("upper()\n", "upper() + '!'\n")
        check(ed.buffers[uri["src/a.py"]] == want_a, "the dirty buffer holds the unsaved typing and the task's change")
        check(ed.buffers[uri["src/c.py"]] == "def c():\n    return 3\n", "the clean open buffer holds the change")
        check(disk("src/a.py") == A and disk("src/c.py") == C, "open files are not written under the editor (saved by the user)")
        diff = c.request("cadre/shadow.diff", {"task": "t1"})["result"]
        check(diff["files"] == [], "nothing of t1 is left in the shadow")
        audit = subprocess.run([cadre, "audit", "show", project, "--json", "--kind", "edit_applied"], env=env,
                               capture_output=True, text=True)
        entries = [json.loads(l) for l in audit.stdout.splitlines() if l.strip()]
        check(entries and sorted(entries[-1].get("editor", [])) == sorted(
            [os.path.join(project, "src/a.py"), os.path.join(project, "src/c.py")]),
            "the audit entry names the files handed to the editor")

        # The user saves both buffers.
        for rel in ("src/a.py", "src/c.py"):
            with open(os.path.join(project, rel), "w", encoding="utf-8") as f:
                f.write(ed.buffers[uri[rel]])
            c.notify("textDocument/didSave", {"textDocument": {"uri": uri[rel]}})

        # An overlapping change: the user edits the line the task changes.
        c.request("cadre/tools.call", edit_call("t2", "src/a.py", "def greet(name):\n", "def greet(name, punct=''):\n"))
        c.request("cadre/tools.call", edit_call("t2", "src/b.py", "VALUE = 2\n", "VALUE = 5\n"))
        ed.type(uri["src/a.py"], ed.buffers[uri["src/a.py"]].replace("def greet(name):", "def greet(who):"))
        r = c.request("cadre/shadow.apply", {"task": "t2"})
        err = r.get("error", {})
        check(err.get("code") == -32803 and "changed in the editor since the task started" in err.get("message", "")
              and "src/a.py" in err.get("message", ""), "an overlap with unsaved typing is a conflict naming the file: %s" % err)
        check(disk("src/b.py") == "VALUE = 2\n", "... and nothing was applied, not even the closed file")

        # The editor refuses: the disk part lands, the open file keeps its change in the shadow.
        c.request("cadre/shadow.discard", {"task": "t2"})
        c.request("cadre/tools.call", edit_call("t3", "src/c.py", "    return 3\n", "    return 4\n"))
        c.request("cadre/tools.call", edit_call("t3", "src/b.py", "VALUE = 2\n", "VALUE = 6\n"))
        c.next_id += 1
        apply_id = c.next_id
        c.send({"jsonrpc": "2.0", "id": apply_id, "method": "cadre/shadow.apply", "params": {"task": "t3"}})
        m = c.wait_for(lambda m: m.get("method") == "workspace/applyEdit")
        c.send({"jsonrpc": "2.0", "id": m["id"], "result": {"applied": False, "failureReason": "buffer is read-only"}})
        res = c.wait_for(lambda m: m.get("id") == apply_id).get("result", {})
        check(res.get("notApplied") == [uri["src/c.py"]] and "buffer is read-only" in res.get("editorError", ""),
              "a refused edit is reported with the editor's reason: %s" % res)
        check(disk("src/b.py") == "VALUE = 6\n" and res.get("written") == [uri["src/b.py"]], "... the closed file landed")
        left = c.request("cadre/shadow.diff", {"task": "t3"})["result"]["files"]
        check([f["path"] for f in left] == ["src/c.py"], "... and the open file's change stays in the shadow")
        c.shutdown()

        # An editor without workspace.applyEdit: open files are written on disk as before.
        c = start(cadre, project, env, tmp, "plain", {"experimental": {"cadre": {"approvals": True}}})
        plain = Editor(c)
        plain.open(uri["src/c.py"], disk("src/c.py"))
        c.request("cadre/tools.call", edit_call("t4", "src/c.py", "    return 3\n", "    return 7\n"))
        seen = []
        c.next_id += 1
        c.send({"jsonrpc": "2.0", "id": c.next_id, "method": "cadre/shadow.apply", "params": {"task": "t4"}})
        apply_id = c.next_id
        res = c.wait_for(lambda m: m.get("id") == apply_id and "method" not in m, seen=seen).get("result", {})
        check(res.get("written") == [uri["src/c.py"]] and res.get("edited") == [], "without applyEdit the open file is written on disk")
        check(disk("src/c.py") == "def c():\n    return 7\n", "... with the change")
        check(not any(x.get("method") == "workspace/applyEdit" for x in seen), "... and no workspace/applyEdit is sent")
        c.shutdown()
        c = None
    finally:
        if c:
            c.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
