// Tasks on cadre's agent loop: Ask, Plan & Edit, Explain Selection, Fix
// Diagnostic, Generate Tests and Cancel. cadre/task.start (or the server's
// own cadre.explain / cadre.fix / cadre.generateTests commands when it
// offers them) starts the loop; cadre/task.event notifications stream into
// the "cadre: Tasks" output channel; at the end a notification offers the
// diff, Apply and Discard. The loop itself runs in the server.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CadreContext, readSettings, StartedTask } from './context';
import { apply, discard } from './shadow';
import { explainPrompt, fixPrompt, Selection, TaskEvent, TaskRenderer, testsPrompt } from './taskRender';

interface TaskState {
  renderer: TaskRenderer;
  title: string;
  kind: string;
  notified: boolean;
}

const tasks = new Map<string, TaskState>();
// Events that arrive before task.start's reply names the task; bounded.
const early = new Map<string, TaskEvent[]>();
const EARLY_MAX = 2000;
const changed = new vscode.EventEmitter<void>();
export const onDidChangeTasks = changed.event;
let channel: vscode.OutputChannel | undefined;

// The running task the status bar shows (the newest), if any.
export function runningTask(): { task: string; status: string } | undefined {
  const all = [...tasks.entries()].reverse();
  for (const [task, st] of all) if (!st.renderer.final) return { task, status: st.renderer.status };
  return undefined;
}

function out(): vscode.OutputChannel {
  channel ??= vscode.window.createOutputChannel('cadre: Tasks');
  return channel;
}

function follow(ctx: CadreContext, task: string, title: string, kind: string): void {
  if (tasks.has(task) && !tasks.get(task)!.renderer.final) return;
  const st: TaskState = { renderer: new TaskRenderer(task, readSettings().showTokens), title, kind, notified: false };
  tasks.set(task, st);
  out().append(st.renderer.header(title));
  out().show(true);
  for (const ev of early.get(task) ?? []) onEvent(ctx, ev);
  early.delete(task);
  changed.fire();
}

function onEvent(ctx: CadreContext, ev: TaskEvent): void {
  if (!ev || typeof ev.task !== 'string') return;
  const st = tasks.get(ev.task);
  if (!st) {
    const q = early.get(ev.task) ?? [];
    q.push(ev);
    if (q.length > EARLY_MAX) q.shift();
    early.set(ev.task, q);
    return;
  }
  const wasFinal = st.renderer.final;
  out().append(st.renderer.render(ev));
  if (ev.kind === 'status') changed.fire();
  if (!wasFinal && st.renderer.final && !st.notified) {
    st.notified = true;
    out().append(st.renderer.footer());
    void finished(ctx, ev.task, st);
  }
}

async function finished(ctx: CadreContext, task: string, st: TaskState): Promise<void> {
  const r = st.renderer;
  if (r.status === 'ready') {
    const pick = await vscode.window.showInformationMessage(
      `cadre: task ${task} is ready (${st.title}). Its change waits in the shadow workspace.`,
      'Show Diff', 'Apply', 'Discard',
    );
    try {
      if (pick === 'Show Diff') await vscode.commands.executeCommand('cadre.showShadowDiff', task);
      if (pick === 'Apply') await apply(ctx, task);
      if (pick === 'Discard') await discard(ctx, task, false);
    } catch (e) {
      ctx.showError(e);
    }
  } else if (r.status === 'failed') {
    const pick = await vscode.window.showErrorMessage(`cadre: task ${task} failed: ${r.message ?? 'see the output'}`, 'Show Output');
    if (pick) out().show();
  } else if (r.status === 'answered') {
    const pick = await vscode.window.showInformationMessage(`cadre: the answer to "${st.title}" is in the task output`, 'Show Output');
    if (pick) out().show();
  } else if (r.status === 'no-change') {
    if (st.kind !== 'question') void vscode.window.showInformationMessage(`cadre: task ${task} ended without a change`);
  }
}

// A task the server started for a command: an agent task streams events;
// a refactor already has its result.
function started(ctx: CadreContext, t: StartedTask): void {
  const kind = t.title.startsWith('cadre.explain') || t.title.startsWith('explain ') ? 'question' : 'change';
  follow(ctx, t.task, t.title, kind);
  const status = t.result?.status;
  if (typeof status === 'string') {
    const diff = typeof t.result?.diff === 'string' ? t.result.diff : '';
    if (diff) onEvent(ctx, { task: t.task, kind: 'diff', data: { diff } });
    const message = status === 'introducesErrors' ? 'the change introduces errors; review the diff before applying' : undefined;
    onEvent(ctx, { task: t.task, kind: 'status', data: { status: status === 'introducesErrors' ? 'ready' : status, message } });
  }
}

async function start(ctx: CadreContext, prompt: string, title: string, kind: string): Promise<void> {
  const r = await ctx.request<{ task: string }>('cadre/task.start', { prompt });
  follow(ctx, r.task, title, kind);
}

function selection(editor: vscode.TextEditor): Selection {
  const doc = editor.document;
  let range: vscode.Range = editor.selection;
  if (editor.selection.isEmpty) range = doc.lineAt(editor.selection.active.line).range;
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  return {
    path: folder ? path.relative(folder.uri.fsPath, doc.uri.fsPath) : doc.uri.fsPath,
    languageId: doc.languageId,
    startLine: range.start.line + 1,
    endLine: range.end.line + 1,
    text: doc.getText(range),
    dirty: doc.isDirty,
  };
}

function requireEditor(): vscode.TextEditor {
  const e = vscode.window.activeTextEditor;
  if (!e) throw new Error('open a file and select code first');
  return e;
}

// The argument cadre's code-action commands take (docs/protocol.md).
function commandArg(editor: vscode.TextEditor, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const s = editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : editor.selection;
  return {
    uri: editor.document.uri.toString(),
    range: { start: { line: s.start.line, character: s.start.character }, end: { line: s.end.line, character: s.end.character } },
    ...extra,
  };
}

async function input(what: string, placeHolder: string): Promise<string | undefined> {
  const v = await vscode.window.showInputBox({ prompt: `cadre: ${what}`, placeHolder, ignoreFocusOut: true });
  return v?.trim() ? v.trim() : undefined;
}

async function ask(ctx: CadreContext, q?: unknown): Promise<void> {
  const question = typeof q === 'string' ? q : await input('ask about the project', 'How does the config get loaded?');
  if (!question) return;
  const prompt = [
    question,
    '',
    'This is a question, not a change: do not change, create or delete any file and run no command. ' +
      'Read what you need, then answer.',
  ].join('\n');
  await start(ctx, prompt, question, 'question');
}

async function planAndEdit(ctx: CadreContext, p?: unknown): Promise<void> {
  const prompt = typeof p === 'string' ? p : await input('describe the change (planned, written and reviewed in a shadow workspace)', 'Add a --verbose flag to the CLI');
  if (!prompt) return;
  await start(ctx, prompt, prompt, 'change');
}

async function explain(ctx: CadreContext): Promise<void> {
  const e = requireEditor();
  const s = selection(e);
  const title = `explain ${s.path}:${s.startLine}${s.endLine !== s.startLine ? '-' + s.endLine : ''}`;
  if (ctx.hasServerCommand('cadre.explain')) {
    await ctx.executeServerCommand('cadre.explain', [commandArg(e)], title);
    return;
  }
  await start(ctx, explainPrompt(s), title, 'question');
}

// The diagnostic under the cursor, cadre's first.
function diagnosticAt(editor: vscode.TextEditor): vscode.Diagnostic | undefined {
  const pos = editor.selection.active;
  const ds = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.range.contains(pos) || d.range.start.line === pos.line);
  return ds.find((d) => d.source === 'cadre') ?? ds[0];
}

async function fix(ctx: CadreContext): Promise<void> {
  const e = requireEditor();
  const d = diagnosticAt(e);
  if (d) e.selection = new vscode.Selection(d.range.start, d.range.start);
  // The quick fixes here — cadre's own (an import rewritten, "Fix with
  // cadre") and any other extension's — in VS Code's menu; the user picks.
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
    'vscode.executeCodeActionProvider', e.document.uri, d?.range ?? e.selection, vscode.CodeActionKind.QuickFix.value);
  if (actions && actions.length > 0) {
    await vscode.commands.executeCommand('editor.action.quickFix');
    return;
  }
  const s = selection(e);
  if (d && ctx.hasServerCommand('cadre.fix')) {
    await ctx.executeServerCommand('cadre.fix', [commandArg(e, { range: toLsp(d).range, diagnostic: toLsp(d) })], `fix ${d.message}`);
    return;
  }
  // No diagnostic (or an older server): a fix task on the agent loop.
  await start(ctx, fixPrompt(s, d ? { message: d.message, source: d.source, code: String(toLsp(d).code ?? '') } : undefined),
    `fix ${s.path}:${s.startLine}`, 'change');
}

function toLsp(d: vscode.Diagnostic): any {
  const r = d.range;
  return {
    range: { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } },
    message: d.message,
    severity: d.severity + 1,
    source: d.source,
    code: typeof d.code === 'object' ? d.code.value : d.code,
  };
}

async function generateTests(ctx: CadreContext): Promise<void> {
  const e = requireEditor();
  const s = selection(e);
  const title = `tests for ${s.path}:${s.startLine}${s.endLine !== s.startLine ? '-' + s.endLine : ''}`;
  if (ctx.hasServerCommand('cadre.generateTests')) {
    await ctx.executeServerCommand('cadre.generateTests', [commandArg(e)], title);
    return;
  }
  await start(ctx, testsPrompt(s), title, 'change');
}

async function cancel(ctx: CadreContext, task?: unknown): Promise<void> {
  const name = typeof task === 'string' ? task : runningTask()?.task;
  if (!name) {
    void vscode.window.showInformationMessage('cadre: no task is running');
    return;
  }
  const r = await ctx.request<{ cancelled: boolean }>('cadre/task.cancel', { task: name });
  if (!r.cancelled) void vscode.window.showInformationMessage(`cadre: task ${name} had already finished`);
}

export function activate(ctx: CadreContext): void {
  ctx.handleNotification('cadre/task.event', (ev: TaskEvent) => onEvent(ctx, ev));
  ctx.subscriptions.push(ctx.onDidStartTask((t) => started(ctx, t)), changed);
  ctx.subscriptions.push(
    ctx.onDidChangeRunning((running) => {
      if (running) return;
      // A stopped server ends its tasks: nothing more will arrive.
      for (const st of tasks.values()) if (!st.renderer.final) st.renderer.status = 'cancelled';
      changed.fire();
    }),
  );
  ctx.command('cadre.ask', (q?: unknown) => ask(ctx, q));
  ctx.command('cadre.planAndEdit', (p?: unknown) => planAndEdit(ctx, p));
  ctx.command('cadre.explainSelection', () => explain(ctx));
  ctx.command('cadre.fixDiagnostic', () => fix(ctx));
  ctx.command('cadre.generateTestsForSelection', () => generateTests(ctx));
  ctx.command('cadre.cancelTask', (t?: unknown) => cancel(ctx, t));
  ctx.command('cadre.showTaskOutput', () => out().show());
}
