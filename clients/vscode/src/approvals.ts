// cadre/approval.request (server → client): a modal with the command or the
// diff, answered allow once / allow always / deny. The decision is the
// user's; what it allows is enforced by cadre (security::Gate), so anything
// that goes wrong here — the dialog dismissed, an exception — is a denial.
import * as vscode from 'vscode';
import { ApprovalParams, ApprovalReply, buildApprovalPrompt, replyFor } from './approvalMessage';
import { CadreContext } from './context';
import { forgetApprovalDiff, showApprovalDiff } from './shadow';

let next = 0;
// One modal at a time: a second request waits for the first answer.
let queue: Promise<unknown> = Promise.resolve();
let waitingCount = 0;
const waitingEmitter = new vscode.EventEmitter<number>();
export const onDidChangeWaiting = waitingEmitter.event;
export function waiting(): number {
  return waitingCount;
}

async function ask(ctx: CadreContext, params: ApprovalParams): Promise<ApprovalReply> {
  const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const prompt = buildApprovalPrompt(params, roots);
  const key = String(++next);
  ctx.log.appendLine(`approval asked: ${prompt.message}`);
  try {
    for (;;) {
      const label = await vscode.window.showWarningMessage(
        prompt.message,
        { modal: true, detail: prompt.detail },
        ...prompt.buttons.map((b) => b.label),
      );
      const reply = replyFor(prompt, label);
      if (reply === 'showDiff') {
        // Show the diff beside the editor, then ask again.
        await showApprovalDiff(params.diff ?? '', key);
        continue;
      }
      ctx.log.appendLine(`approval answered: ${reply.decision}`);
      return reply;
    }
  } finally {
    forgetApprovalDiff(key);
  }
}

export function activate(ctx: CadreContext): void {
  ctx.handleRequest('cadre/approval.request', (params: ApprovalParams) => {
    waitingCount++;
    waitingEmitter.fire(waitingCount);
    const answer = queue.then(() => ask(ctx, params ?? {})).catch((e): ApprovalReply => {
      ctx.showError(`the approval prompt failed (${e?.message ?? e}); denied`);
      return { decision: 'deny', note: 'the approval prompt failed in VS Code' };
    });
    queue = answer.finally(() => {
      waitingCount--;
      waitingEmitter.fire(waitingCount);
    });
    return answer;
  });
  ctx.subscriptions.push(waitingEmitter);
}
