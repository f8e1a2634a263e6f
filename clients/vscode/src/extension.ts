// Entry point: builds the context, lets each feature register itself, and
// starts cadre. Nothing else happens here (the layout of vscode-clangd).
import * as vscode from 'vscode';
import * as approvals from './approvals';
import * as checkpoints from './checkpoints';
import { CadreContext, Feature } from './context';
import * as models from './models';
import * as rename from './rename';
import * as repoMap from './repoMap';
import * as serverStatus from './serverStatus';
import * as shadow from './shadow';
import * as statusBar from './statusBar';
import * as tasks from './tasks';
import { registerViews } from './views';

let ctx: CadreContext | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  ctx = new CadreContext(extension);
  extension.subscriptions.push(ctx);
  registerViews(ctx.subscriptions);
  const features: Feature[] = [approvals, shadow, tasks, checkpoints, models, repoMap, rename, serverStatus, statusBar];
  for (const f of features) f.activate(ctx);
  const c = ctx;
  c.command('cadre.restart', () => c.restart());
  c.command('cadre.showLog', () => c.log.show());
  c.watchSettings();
  await c.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
}
