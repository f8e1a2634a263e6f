// The task output as users read it, from cadre/task.event notifications
// shaped as the server sends them (server/agent/task.cpp).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffstat, explainPrompt, fixPrompt, summarizeCall, TaskRenderer, testsPrompt } from '../src/taskRender';

test('a whole task: status, plan, streamed tokens, tool calls, checks, review, diff, end', () => {
  const r = new TaskRenderer('task-1');
  const ev = (seq: number, kind: string, data: unknown) => r.render({ task: 'task-1', seq, kind, data });
  let out = r.header('add farewell');
  out += ev(1, 'status', { status: 'planning' });
  out += ev(2, 'plan', { steps: [{ title: 'add farewell(name)', files: ['greet.py'] }], criteria: ['it has a docstring'] });
  out += ev(3, 'status', { status: 'executing' });
  out += ev(4, 'token', { role: 'executor', text: 'Adding ' });
  out += ev(5, 'token', { role: 'executor', text: 'it.' });
  out += ev(6, 'toolCall', { role: 'executor', model: 'writer', id: 'c1', name: 'edit_file', arguments: JSON.stringify({ edits: 'greet.py\n<<<<<<< SEARCH\n' }) });
  out += ev(7, 'toolResult', { role: 'executor', id: 'c1', name: 'edit_file', ok: true, text: 'edited' });
  out += ev(8, 'diagnostics', { introduced: [{ path: 'greet.py', line: 5, column: 22, severity: 'error', message: "undefined name 'nam'", source: 'pyflakes' }], ran: ['pyflakes'] });
  out += ev(9, 'review', { model: 'critic', approved: false, findings: ['no docstring'] });
  out += ev(10, 'diff', { diff: 'diff --git a/greet.py b/greet.py\n--- a/greet.py\n+++ b/greet.py\n@@ -1 +1,2 @@\n x\n+y\n' });
  out += ev(11, 'status', { status: 'ready' });
  assert.ok(r.final);
  out += r.footer();
  assert.equal(out, [
    '── cadre task task-1: add farewell',
    '[planning]',
    'plan: 1 step',
    '  1. add farewell(name)  (greet.py)',
    'acceptance criteria:',
    '  - it has a docstring',
    '[executing]',
    'executor:',
    'Adding it.',
    '→ edit_file greet.py',
    '  ✓ edit_file',
    'checks (pyflakes): the change introduced 1 problem:',
    "  greet.py:5:22: error: undefined name 'nam' (pyflakes)",
    'review by critic: changes requested',
    '  - no docstring',
    'diff so far: 1 file, +1 −0',
    '[ready]',
    '── ready: 1 file, +1 −0 in the shadow workspace. Review it with "cadre: Show Shadow Diff", land it with "cadre: Apply" or drop it with "cadre: Discard".',
    '',
  ].join('\n'));
});

test('a failed tool shows its output (capped); lost events and a failure are said', () => {
  const r = new TaskRenderer('t');
  r.render({ task: 't', seq: 1, kind: 'status', data: { status: 'executing' } });
  const failed = r.render({ task: 't', seq: 4, kind: 'toolResult', data: { name: 'run_command', ok: false, text: Array.from({ length: 20 }, (_, i) => `e${i}`).join('\n') } });
  const lines = failed.split('\n');
  assert.equal(lines[0], '(2 events lost)');
  assert.equal(lines[1], '  ✗ run_command failed');
  assert.equal(lines[14], '    … 8 more lines');
  assert.equal(r.render({ task: 't', seq: 5, kind: 'status', data: { status: 'failed', message: 'no model answered: configure one (docs/models.md)' } }),
    '[failed] no model answered: configure one (docs/models.md)\n');
  assert.ok(r.final);
  assert.equal(r.footer(), '');
});

test('tokens can be hidden; a non-executor tool call names its role', () => {
  const r = new TaskRenderer('t', false);
  assert.equal(r.render({ task: 't', kind: 'token', data: { role: 'planner', text: 'x' } }), '');
  assert.equal(r.render({ task: 't', kind: 'toolCall', data: { role: 'planner', name: 'read_file', arguments: '{"path":"a.py"}' } }), '→ read_file a.py  (planner)\n');
});

test('summarizeCall and diffstat', () => {
  assert.equal(summarizeCall('run_command', { command: 'pytest -q' }), 'pytest -q');
  assert.equal(summarizeCall('x', 'not json'), 'not json');
  assert.deepEqual(diffstat('--- a/x\n+++ b/x\n@@\n-a\n+b\n+c\n'), { files: 1, added: 2, deleted: 1 });
});

test('the selection prompts name the file, the lines and the diagnostic, and fence the code', () => {
  const s = { path: 'src/a.py', languageId: 'python', startLine: 3, endLine: 4, text: 'x = 1\ny = 2', dirty: true };
  assert.equal(explainPrompt(s, 'why?'), [
    'Explain the selected code: src/a.py, lines 3-4 (unsaved in the editor; shown below as the user sees it).',
    'Do not change, create or delete any file and run no command: this is a question, not a change.',
    'Answer with the explanation only: what the code does, how, and anything surprising in it.',
    'The user asks: why?',
    '',
    '```python\nx = 1\ny = 2\n```',
  ].join('\n'));
  assert.match(fixPrompt({ ...s, startLine: 3, endLine: 3 }, { message: 'call-arity', source: 'cadre', code: 'call-arity' }),
    /^Fix the problem in src\/a\.py, line 3\.\nThe diagnostic: call-arity \(cadre call-arity\)/);
  assert.match(testsPrompt(s), /^Write tests for the code in src\/a\.py, lines 3-4/);
});

test('a question ends "answered" with the answer; memory and hooks are one line each', () => {
  const shown = new TaskRenderer('q');
  assert.equal(shown.render({ task: 'q', kind: 'answer', data: { model: 'writer', text: 'It greets.' } }), '── answer by writer\n');
  assert.equal(shown.render({ task: 'q', kind: 'status', data: { status: 'answered' } }), '[answered]\n');
  assert.ok(shown.final);
  const hidden = new TaskRenderer('q', false);
  assert.equal(hidden.render({ task: 'q', kind: 'answer', data: { model: 'writer', text: 'It greets.' } }), 'answer by writer:\nIt greets.\n');
  assert.equal(hidden.render({ task: 'q', kind: 'memory', data: { decisions: ['use pytest'], appended: true } }),
    'project memory: 1 decision recorded in .cadre/MEMORY.md\n');
  assert.equal(hidden.render({ task: 'q', kind: 'hook', data: { event: 'taskEnd', runs: [{}, {}], blocked: false } }), 'hook taskEnd: 2 commands ran\n');
});
