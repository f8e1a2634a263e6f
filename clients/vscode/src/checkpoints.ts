// The Checkpoints view (Explorer) and palette command over
// cadre/checkpoint.*: the project's checkpoints newest first, each with the
// files that differ from the work tree; diff a checkpoint (or one file of
// it) against the work tree, restore it (cadre asks for approval with the
// diff), or take one now.
import * as vscode from 'vscode';
import { CadreContext } from './context';
import { plural } from './taskRender';
import { showView } from './views';

interface Checkpoint {
  id: string;
  seq: number;
  timeMs: number;
  message: string;
  files?: number;
  filesChanged?: number;
}
interface DiffFile {
  path: string;
  status: string;
  additions: number;
  deletions: number;
  binary?: boolean;
}

class CheckpointItem extends vscode.TreeItem {
  constructor(readonly cp: Checkpoint) {
    super(`#${cp.seq} ${cp.message || '(no message)'}`, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = cp.id;
    this.description = new Date(cp.timeMs).toLocaleString();
    this.tooltip = `${cp.id}\n${cp.message}`;
    this.contextValue = 'cadreCheckpoint';
    this.iconPath = new vscode.ThemeIcon('history');
  }
}

class FileItem extends vscode.TreeItem {
  constructor(readonly cp: Checkpoint, readonly file: DiffFile) {
    super(file.path, vscode.TreeItemCollapsibleState.None);
    this.description = file.binary ? `${file.status} binary` : `${file.status} +${file.additions} −${file.deletions}`;
    this.contextValue = 'cadreCheckpointFile';
    this.iconPath = new vscode.ThemeIcon('diff');
    this.command = { command: 'cadre.checkpoints.diff', title: 'Diff', arguments: [this] };
  }
}

type Item = CheckpointItem | FileItem;

class CheckpointTree implements vscode.TreeDataProvider<Item> {
  private readonly changed = new vscode.EventEmitter<Item | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view: vscode.TreeView<Item> | undefined;

  constructor(private readonly ctx: CadreContext) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(i: Item): vscode.TreeItem {
    return i;
  }

  async getChildren(parent?: Item): Promise<Item[]> {
    if (!this.ctx.running) {
      if (this.view) this.view.message = 'cadre is not running';
      return [];
    }
    try {
      if (!parent) {
        const r = await this.ctx.request<{ checkpoints: Checkpoint[] }>('cadre/checkpoint.list');
        if (this.view) this.view.message = r.checkpoints.length ? undefined : 'No checkpoints yet. cadre takes one before every apply; "Create Checkpoint" takes one now.';
        return r.checkpoints.slice().reverse().map((c) => new CheckpointItem(c));
      }
      if (parent instanceof CheckpointItem) {
        const r = await this.ctx.request<{ files: DiffFile[] }>('cadre/checkpoint.diff', { id: parent.cp.id });
        return r.files.map((f) => new FileItem(parent.cp, f));
      }
    } catch (e: any) {
      if (this.view) this.view.message = `cadre: ${e?.message ?? e}`;
    }
    return [];
  }
}

async function pick(ctx: CadreContext, verb: string): Promise<Checkpoint | undefined> {
  const r = await ctx.request<{ checkpoints: Checkpoint[] }>('cadre/checkpoint.list');
  if (r.checkpoints.length === 0) {
    void vscode.window.showInformationMessage('cadre: no checkpoints yet');
    return undefined;
  }
  const p = await vscode.window.showQuickPick(
    r.checkpoints.slice().reverse().map((c) => ({
      label: `#${c.seq} ${c.message || '(no message)'}`,
      description: new Date(c.timeMs).toLocaleString(),
      c,
    })),
    { placeHolder: `cadre: the checkpoint to ${verb}` },
  );
  return p?.c;
}

async function diff(ctx: CadreContext, item?: Item): Promise<void> {
  const cp = item?.cp ?? (await pick(ctx, 'diff against the work tree'));
  if (!cp) return;
  const params: Record<string, unknown> = { id: cp.id };
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (item instanceof FileItem && root) params.uris = [vscode.Uri.joinPath(root, item.file.path).toString()];
  const r = await ctx.request<{ diff: string; files: DiffFile[] }>('cadre/checkpoint.diff', params);
  const name = item instanceof FileItem ? `checkpoint-${cp.seq}-${item.file.path.replace(/\//g, '_')}.diff` : `checkpoint-${cp.seq}.diff`;
  await showView(name, r.diff || `# no difference between checkpoint #${cp.seq} and the work tree\n`, 'diff');
}

async function restore(ctx: CadreContext, tree: CheckpointTree, item?: Item): Promise<void> {
  const cp = item?.cp ?? (await pick(ctx, 'restore'));
  if (!cp) return;
  const params: Record<string, unknown> = { id: cp.id };
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (item instanceof FileItem && root) params.uris = [vscode.Uri.joinPath(root, item.file.path).toString()];
  // cadre shows the diff for approval and takes an undo checkpoint first.
  const r = await ctx.request<{ changed: string[]; undo?: { id: string; seq: number } | string }>('cadre/checkpoint.restore', params);
  tree.refresh();
  void vscode.window.showInformationMessage(`cadre: restored checkpoint #${cp.seq} (${plural(r.changed.length, 'file')} changed)`);
}

async function create(ctx: CadreContext, tree: CheckpointTree): Promise<void> {
  const message = await vscode.window.showInputBox({ prompt: 'cadre: checkpoint message', value: 'checkpoint from VS Code' });
  if (message === undefined) return;
  const r = await ctx.request<{ created: boolean; checkpoint: Checkpoint }>('cadre/checkpoint.create', { message });
  tree.refresh();
  void vscode.window.showInformationMessage(
    r.created ? `cadre: checkpoint #${r.checkpoint.seq} taken` : 'cadre: nothing changed since the latest checkpoint',
  );
}

export function activate(ctx: CadreContext): void {
  const tree = new CheckpointTree(ctx);
  tree.view = vscode.window.createTreeView('cadre.checkpoints', { treeDataProvider: tree });
  ctx.subscriptions.push(tree.view, ctx.onDidChangeRunning(() => tree.refresh()));
  ctx.command('cadre.checkpoints.refresh', () => tree.refresh());
  ctx.command('cadre.checkpoints.diff', (i?: Item) => diff(ctx, i));
  ctx.command('cadre.checkpoints.restore', (i?: Item) => restore(ctx, tree, i));
  ctx.command('cadre.checkpoints.create', () => create(ctx, tree));
  // The palette entry: the view, then a checkpoint and what to do with it.
  ctx.command('cadre.checkpoints', async () => {
    await vscode.commands.executeCommand('cadre.checkpoints.focus');
    const cp = await pick(ctx, 'diff or restore');
    if (!cp) return;
    const what = await vscode.window.showQuickPick(['Diff against the work tree', 'Restore…'], { placeHolder: `#${cp.seq} ${cp.message}` });
    const item = new CheckpointItem(cp);
    if (what?.startsWith('Diff')) await diff(ctx, item);
    if (what?.startsWith('Restore')) await restore(ctx, tree, item);
  });
}
