// What the approval modal says and what each button answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildApprovalPrompt, keepIndent, MAX_DETAIL_LINES, replyFor, SHOW_DIFF } from '../src/approvalMessage';

const nbsp = '\u00a0';

test('a command: who asks, why, the command, and "allow always" with its rules', () => {
  const p = buildApprovalPrompt({
    kind: 'command', command: 'git status --short', cwd: '/home/me/proj', why: 'see what changed',
    model: 'writer', role: 'executor', sandboxed: true, alwaysRules: ['git status …'],
    choices: ['allowOnce', 'allowAlways', 'deny'],
  });
  assert.equal(p.message, 'cadre asks to run a command');
  assert.equal(p.detail, 'Asked by writer (executor).\nWhy: see what changed\nIn: /home/me/proj\n\ngit status --short');
  assert.deepEqual(p.buttons.map((b) => [b.label, b.decision]), [
    ['Allow Once', 'allowOnce'], ['Allow Always (git status …)', 'allowAlways'], ['Deny', 'deny'],
  ]);
  assert.deepEqual(replyFor(p, 'Allow Always (git status …)'), { decision: 'allowAlways' });
});

test('an unsandboxed command with network says so loudly', () => {
  const p = buildApprovalPrompt({ kind: 'command', command: 'curl example.org', sandboxed: false, network: true });
  assert.match(p.detail, /^UNSANDBOXED: this command runs outside the sandbox, with your permissions\.\nIt asks for network access\./);
});

test('"allow always" without a rule to remember is not offered', () => {
  const p = buildApprovalPrompt({ kind: 'command', command: 'python3 -c "print(1)"', alwaysRules: [], choices: ['allowOnce', 'allowAlways', 'deny'] });
  assert.deepEqual(p.buttons.map((b) => b.label), ['Allow Once', 'Deny']);
});

test('an edit: file count, paths relative to the workspace, the diff with its indentation, and Show Diff', () => {
  const diff = '--- a/greet.py\n+++ b/greet.py\n@@ -1,2 +1,3 @@\n def hello(name):\n-    return 1\n+    return 2\n+\tx\n';
  const p = buildApprovalPrompt({ kind: 'edit', diff, paths: ['/w/p/greet.py'], why: 'apply task task-1', choices: ['allowOnce', 'deny'] }, ['/w/p']);
  assert.equal(p.message, 'cadre asks to apply an edit to 1 file');
  const lines = p.detail.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['Why: apply task task-1', 'Files: greet.py', '']);
  assert.equal(lines[6], `${nbsp}def hello(name):`);
  assert.equal(lines[7], `-${nbsp.repeat(4)}return 1`);
  assert.equal(lines[9], `+${nbsp.repeat(4)}x`);
  assert.equal(lines.length, 10, 'no empty line for the diff\'s final newline');
  assert.deepEqual(p.buttons.map((b) => b.label), ['Allow Once', 'Deny', SHOW_DIFF]);
  assert.equal(replyFor(p, SHOW_DIFF), 'showDiff');
});

test('two files and a long diff: plural, and the detail is cut with a pointer to the whole diff', () => {
  const diff = Array.from({ length: 100 }, (_, i) => `+line ${i}`).join('\n');
  const p = buildApprovalPrompt({ kind: 'edit', diff, paths: ['/a', '/b'] });
  assert.equal(p.message, 'cadre asks to apply an edit to 2 files');
  const payload = p.detail.split('\n\n')[1].split('\n');
  assert.equal(payload.length, MAX_DETAIL_LINES + 1);
  assert.equal(payload[MAX_DETAIL_LINES], `… ${100 - MAX_DETAIL_LINES} more lines (Show Diff for all of it)`);
});

test('dismissing the dialog, or a label that is not a button, is a denial', () => {
  const p = buildApprovalPrompt({ kind: 'outsidePath', paths: ['/etc/hosts'] });
  assert.equal(p.message, 'cadre asks to use a path outside the workspace');
  assert.deepEqual(replyFor(p, undefined), { decision: 'deny', note: 'dismissed in VS Code' });
  assert.deepEqual(replyFor(p, 'Allow Always'), { decision: 'deny' });
});

test('garbled choices fall back to allow once and deny; unknown kinds are named', () => {
  const p = buildApprovalPrompt({ kind: 'teleport', choices: ['yes', 'maybe'] as any });
  assert.equal(p.message, 'cadre asks to do "teleport"');
  assert.deepEqual(p.buttons.map((b) => b.decision), ['allowOnce', 'deny']);
});

test('keepIndent keeps runs of spaces and tabs, not single spaces between words', () => {
  assert.equal(keepIndent('a b'), 'a b');
  assert.equal(keepIndent('\tif x:  y'), `${nbsp.repeat(4)}if x:${nbsp.repeat(2)}y`);
  assert.equal(keepIndent(' ctx'), `${nbsp}ctx`);
});
