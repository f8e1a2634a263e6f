// One status bar item: the server's state, the models' health, a running
// task (click: cancel it) or approvals waiting; otherwise a click opens
// Model Health.
import * as vscode from 'vscode';
import * as approvals from './approvals';
import { CadreContext } from './context';
import { statusSummary } from './healthRender';
import * as models from './models';
import * as tasks from './tasks';

export function activate(ctx: CadreContext): void {
  const item = vscode.window.createStatusBarItem('cadre.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'cadre';
  const update = () => {
    item.backgroundColor = undefined;
    if (!ctx.running) {
      item.text = '$(circle-slash) cadre';
      item.tooltip = ctx.lastError ? `cadre is not running: ${ctx.lastError}` : 'cadre is starting or stopped';
      item.command = ctx.lastError ? { title: 'Settings', command: 'workbench.action.openSettings', arguments: ['cadre.'] } : 'cadre.restart';
      item.show();
      return;
    }
    const waiting = approvals.waiting();
    const task = tasks.runningTask();
    if (waiting > 0) {
      item.text = `$(bell-dot) cadre: ${waiting} approval${waiting === 1 ? '' : 's'} waiting`;
      item.tooltip = 'cadre is waiting for your answer';
      item.command = undefined;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else if (task) {
      item.text = `$(sync~spin) cadre: ${task.task} ${task.status}`;
      item.tooltip = `Click to cancel task ${task.task}`;
      item.command = { title: 'Cancel', command: 'cadre.cancelTask', arguments: [task.task] };
    } else {
      const h = models.lastHealth();
      const s = statusSummary(h?.list, h?.health);
      item.text = `${s.ok ? '$(check)' : '$(warning)'} cadre: ${s.text}`;
      item.tooltip = `${s.tooltip}\n\nClick for Model Health`;
      item.command = 'cadre.modelHealth';
      if (!s.ok) item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    }
    item.show();
  };
  ctx.subscriptions.push(
    item,
    ctx.onDidChangeRunning(update),
    models.onDidChangeHealth(update),
    tasks.onDidChangeTasks(update),
    approvals.onDidChangeWaiting(update),
  );
  update();
}
