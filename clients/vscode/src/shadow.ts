// The shadow workspace in VS Code: Review Changes, Show Shadow Diff, Apply
// and Discard over cadre/shadow.*. A file's shadow version is a virtual
// document (cadre-shadow:<path>?task=…) rebuilt from the real file and the
// task's diff, so vscode.diff can show real beside shadow. Approval prompts
// use the same provider with the diff they carry (?approval=…).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CadreContext } from './context';
import { applyPatch, FilePatch, PatchError, SHADOW_SCHEME, shadowUriFor, splitDiff } from './shadowUris';
import { plural } from './taskRender';
import { showView } from './views';

interface ShadowFile {
  uri: string;
  path: string;
  change: string;
}
interface ShadowTask {
  task: string;
  files: ShadowFile[];
}

interface ApplyResult {
  written: string[];
  deleted: string[];
  merged: string[];
  edited?: unknown[];
  notApplied?: unknown[];
  editorError?: string;
  undo?: string;
}

let nonce = 0;
// Diffs carried by approval prompts, by key, for the provider.
const approvalDiffs = new Map<string, string>();

class ShadowProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly ctx: CadreContext) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const q = new URLSearchParams(uri.query);
    let diff: string | undefined;
    const approval = q.get('approval');
    if (approval) diff = approvalDiffs.get(approval);
    const task = q.get('task');
    if (!diff && task) diff = (await this.ctx.request<{ diff: string }>('cadre/shadow.diff', { task })).diff;
    if (diff === undefined) return '(the diff behind this view is gone)';
    const patch = patchFor(splitDiff(diff), uri.path);
    if (!patch) return '(this file is unchanged in the shadow workspace)';
    const real = await realText(uri.path);
    try {
      return applyPatch(real, patch);
    } catch (e) {
      if (!(e instanceof PatchError)) throw e;
      // The user changed the file since the task read it: cadre will merge
      // on apply; here the honest thing is the task's own diff.
      return `(${e.message}; cadre merges on apply. The task's diff of this file:)\n\n` +
        patch.hunks.map((h) => h.lines.join('\n')).join('\n');
    }
  }
}

// The patch for an absolute path: diff paths are relative to a root.
function patchFor(patches: Map<string, FilePatch>, fsPath: string): FilePatch | undefined {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const rel = path.relative(folder.uri.fsPath, fsPath);
    const p = patches.get(rel);
    if (p) return p;
  }
  return patches.get(fsPath);
}

async function realText(fsPath: string): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === fsPath);
  if (open) return open.getText();
  try {
    return Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(fsPath))).toString('utf8');
  } catch {
    return ''; // a file the task creates
  }
}

function absolute(rel: string): string {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  return path.isAbsolute(rel) ? rel : path.join(root, rel);
}

// vscode.diff(real, shadow) of one file; a file the task creates or
// deletes shows against an empty side.
async function openFileDiff(fsPath: string, query: { task?: string; approval?: string }, label: string): Promise<void> {
  const parts = shadowUriFor(fsPath, query.task ?? '', String(++nonce));
  const q = new URLSearchParams(parts.query);
  if (query.approval) q.set('approval', query.approval);
  const right = vscode.Uri.from({ scheme: parts.scheme, path: parts.path, query: q.toString() });
  const left = vscode.Uri.file(fsPath);
  const name = path.basename(fsPath);
  await vscode.commands.executeCommand('vscode.diff', left, right, `${name} ↔ ${label}`, { preview: false });
}

// Opens the diff of each file in a unified diff an approval carries.
export async function showApprovalDiff(diff: string, key: string): Promise<void> {
  approvalDiffs.set(key, diff);
  const files = [...splitDiff(diff).keys()];
  for (const f of files.slice(0, 8)) await openFileDiff(absolute(f), { approval: key }, 'proposed (cadre)');
  if (files.length > 8) await showView(`approval-${key}.diff`, diff, 'diff');
}

export function forgetApprovalDiff(key: string): void {
  approvalDiffs.delete(key);
}

async function status(ctx: CadreContext): Promise<ShadowTask[]> {
  return (await ctx.request<{ tasks: ShadowTask[] }>('cadre/shadow.status')).tasks;
}

// The task a command means: the one given, the only one with changes, or
// the user's pick.
async function pickTask(ctx: CadreContext, given: unknown, verb: string): Promise<ShadowTask | undefined> {
  const tasks = await status(ctx);
  if (typeof given === 'string') {
    const t = tasks.find((x) => x.task === given);
    if (!t) throw new Error(`task ${given} has no changes in the shadow workspace`);
    return t;
  }
  if (tasks.length === 0) {
    void vscode.window.showInformationMessage('cadre: no task has changes in the shadow workspace');
    return undefined;
  }
  if (tasks.length === 1) return tasks[0];
  const pick = await vscode.window.showQuickPick(
    tasks.map((t) => ({ label: t.task, description: plural(t.files.length, 'file'), t })),
    { placeHolder: `cadre: the task to ${verb}` },
  );
  return pick?.t;
}

async function showShadowDiff(ctx: CadreContext, task?: unknown): Promise<void> {
  const t = await pickTask(ctx, task, 'show');
  if (!t) return;
  const active = vscode.window.activeTextEditor?.document.uri;
  const here = t.files.find((f) => active && vscode.Uri.parse(f.uri).fsPath === active.fsPath);
  const files = here ? [here] : t.files;
  for (const f of files.slice(0, 8)) await openFileDiff(vscode.Uri.parse(f.uri).fsPath, { task: t.task }, `shadow (${t.task})`);
  if (files.length > 8) await showUnified(ctx, t.task);
}

async function showUnified(ctx: CadreContext, task: string): Promise<void> {
  const r = await ctx.request<{ diff: string }>('cadre/shadow.diff', { task });
  await showView(`${task}.diff`, r.diff, 'diff');
}

async function reviewChanges(ctx: CadreContext, task?: unknown): Promise<void> {
  const tasks = typeof task === 'string' ? (await status(ctx)).filter((t) => t.task === task) : await status(ctx);
  if (tasks.length === 0) {
    void vscode.window.showInformationMessage('cadre: no task has changes in the shadow workspace');
    return;
  }
  type Item = vscode.QuickPickItem & { run: () => Promise<void> };
  const items: Item[] = [];
  for (const t of tasks) {
    items.push({ label: t.task, kind: vscode.QuickPickItemKind.Separator, run: async () => {} });
    for (const f of t.files) {
      const fsPath = vscode.Uri.parse(f.uri).fsPath;
      items.push({
        label: `$(diff) ${f.path}`,
        description: f.change,
        run: () => openFileDiff(fsPath, { task: t.task }, `shadow (${t.task})`),
      });
    }
    items.push({ label: '$(file-code) The whole diff', description: t.task, run: () => showUnified(ctx, t.task) });
    items.push({ label: '$(checklist) Lint the change', description: t.task, run: () => lint(ctx, t.task) });
    items.push({ label: '$(check) Apply…', description: t.task, run: () => apply(ctx, t.task) });
    items.push({ label: '$(trash) Discard…', description: t.task, run: () => discard(ctx, t.task) });
  }
  const pick = await vscode.window.showQuickPick(items, { placeHolder: 'cadre: changes waiting in the shadow workspace' });
  if (pick) await pick.run();
}

async function lint(ctx: CadreContext, task: string): Promise<void> {
  const r = await ctx.request<{ diagnostics: any[]; ran: string[]; problems: string[] }>('cadre/shadow.lint', { task });
  const lines = [`# lint of task ${task}: ${r.ran.length ? r.ran.join(', ') : 'no linter ran'}`, ''];
  if (r.diagnostics.length === 0) lines.push('The change introduced no problems.');
  for (const d of r.diagnostics) lines.push(`${d.path}:${d.line}:${d.column}: ${d.severity}: ${d.message} (${d.source})`);
  for (const p of r.problems ?? []) lines.push(`note: ${p}`);
  await showView(`${task}-lint.txt`, lines.join('\n') + '\n', 'plaintext');
}

export async function apply(ctx: CadreContext, task?: unknown): Promise<void> {
  const t = await pickTask(ctx, task, 'apply');
  if (!t) return;
  // cadre asks for approval with the diff (cadre/approval.request); a
  // denial comes back as an error the user sees.
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: `cadre: applying ${t.task}` },
    () => ctx.request<ApplyResult>('cadre/shadow.apply', { task: t.task }),
  );
  const n = r.written.length + r.deleted.length;
  const edited = r.edited?.length ?? 0;
  const parts = [`${plural(n, 'file')} written`];
  // Files open in VS Code were changed in their buffers (workspace/applyEdit):
  // unsaved, in the undo history, like any refactoring.
  if (edited) parts.push(`${edited} open in the editor changed there (save to keep)`);
  if (r.merged.length) parts.push(`${r.merged.length} merged with your edits`);
  if (r.notApplied?.length) {
    void vscode.window.showWarningMessage(`cadre: ${r.notApplied.length} open file(s) were not changed: ${r.editorError ?? 'the editor refused the edit'}`);
  }
  const msg = `cadre: applied ${t.task}: ${parts.join(', ')}`;
  const pick = await vscode.window.showInformationMessage(msg, ...(r.undo ? ['Undo'] : []));
  if (pick === 'Undo' && r.undo) {
    await ctx.request('cadre/checkpoint.restore', { id: r.undo });
    void vscode.window.showInformationMessage(`cadre: restored the files as they were before ${t.task}`);
  }
}

export async function discard(ctx: CadreContext, task?: unknown, confirm = true): Promise<void> {
  const t = await pickTask(ctx, task, 'discard');
  if (!t) return;
  if (confirm) {
    const yes = await vscode.window.showWarningMessage(
      `Discard task ${t.task}'s changes to ${plural(t.files.length, 'file')}?`,
      { modal: true, detail: t.files.map((f) => `${f.change} ${f.path}`).join('\n') },
      'Discard',
    );
    if (yes !== 'Discard') return;
  }
  const r = await ctx.request<{ discarded: number }>('cadre/shadow.discard', { task: t.task });
  void vscode.window.showInformationMessage(`cadre: discarded ${t.task} (${plural(r.discarded, 'file')})`);
}

export function activate(ctx: CadreContext): void {
  ctx.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(SHADOW_SCHEME, new ShadowProvider(ctx)));
  ctx.command('cadre.showShadowDiff', (task?: unknown) => showShadowDiff(ctx, task));
  ctx.command('cadre.reviewChanges', (task?: unknown) => reviewChanges(ctx, task));
  ctx.command('cadre.apply', (task?: unknown) => apply(ctx, task));
  ctx.command('cadre.discard', (task?: unknown) => discard(ctx, task));
}
