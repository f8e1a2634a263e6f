// The shadow document of a file: its URI, and the real text with the task's
// diff applied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPatch, PatchError, shadowUriFor, splitDiff, taskOfShadowUri } from '../src/shadowUris';

const DIFF = `diff --git a/greet.py b/greet.py
--- a/greet.py
+++ b/greet.py
@@ -1,2 +1,7 @@
 def hello(name):
     return 'hello ' + name
+
+
+def farewell(name):
+    """Say goodbye."""
+    return 'goodbye ' + name
diff --git a/new.txt b/new.txt
--- /dev/null
+++ b/new.txt
@@ -0,0 +1,2 @@
+one
+two
diff --git a/old.txt b/old.txt
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
`;

test('a shadow URI names the file and the task, and a nonce makes it new', () => {
  const u = shadowUriFor('/w/p/greet.py', 'task-1', '7');
  assert.deepEqual(u, { scheme: 'cadre-shadow', path: '/w/p/greet.py', query: 'task=task-1&n=7' });
  assert.equal(taskOfShadowUri(u.query), 'task-1');
  assert.equal(taskOfShadowUri('n=3'), undefined);
});

test('splitDiff keys each file by its new path (old path when deleted)', () => {
  const m = splitDiff(DIFF);
  assert.deepEqual([...m.keys()], ['greet.py', 'new.txt', 'old.txt']);
  assert.equal(m.get('new.txt')!.oldPath, null);
  assert.equal(m.get('old.txt')!.newPath, null);
  assert.equal(m.get('greet.py')!.hunks[0].lines.length, 7);
});

test('applying: a modified file, a created one, a deleted one', () => {
  const m = splitDiff(DIFF);
  assert.equal(applyPatch("def hello(name):\n    return 'hello ' + name\n", m.get('greet.py')!),
    "def hello(name):\n    return 'hello ' + name\n\n\ndef farewell(name):\n    \"\"\"Say goodbye.\"\"\"\n    return 'goodbye ' + name\n");
  assert.equal(applyPatch('', m.get('new.txt')!), 'one\ntwo\n');
  assert.equal(applyPatch('bye\n', m.get('old.txt')!), '');
});

test('hunks in the middle keep the lines around them; "no newline at end of file" is honoured', () => {
  const text = Array.from({ length: 10 }, (_, i) => `l${i + 1}`).join('\n') + '\n';
  const d = `--- a/f\n+++ b/f\n@@ -2,3 +2,3 @@\n l2\n-l3\n+L3\n l4\n@@ -9,2 +9,2 @@\n l9\n-l10\n+L10\n\\ No newline at end of file\n`;
  const out = applyPatch(text, splitDiff(d).get('f')!);
  assert.equal(out, 'l1\nl2\nL3\nl4\nl5\nl6\nl7\nl8\nl9\nL10');
});

test('a file the user changed since the task read it is refused, not mangled', () => {
  const m = splitDiff(DIFF);
  assert.throws(() => applyPatch("def hello(person):\n    return 'hi'\n", m.get('greet.py')!), PatchError);
});
