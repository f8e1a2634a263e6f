// Model Health (a document with every model, endpoint and what to
// configure) and the models part of the status bar, over
// cadre/models.list and cadre/models.health.
import * as vscode from 'vscode';
import { CadreContext } from './context';
import { Health, ModelsList, renderHealth } from './healthRender';
import { showView } from './views';

let last: { list: ModelsList; health: Health } | undefined;
const changed = new vscode.EventEmitter<void>();
export const onDidChangeHealth = changed.event;
export function lastHealth(): { list: ModelsList; health: Health } | undefined {
  return last;
}

export async function refresh(ctx: CadreContext): Promise<{ list: ModelsList; health: Health }> {
  const [list, health] = await Promise.all([
    ctx.request<ModelsList>('cadre/models.list'),
    ctx.request<Health>('cadre/models.health'),
  ]);
  last = { list, health };
  changed.fire();
  return last;
}

export function activate(ctx: CadreContext): void {
  ctx.subscriptions.push(changed);
  ctx.command('cadre.modelHealth', async () => {
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'cadre: asking the models' },
      () => refresh(ctx),
    );
    await showView('Model Health.md', renderHealth(r.list, r.health), 'markdown');
  });
  ctx.subscriptions.push(
    ctx.onDidChangeRunning((running) => {
      last = undefined;
      changed.fire();
      if (running) refresh(ctx).catch((e) => ctx.log.appendLine(`model health: ${e?.message ?? e}`));
    }),
  );
}
