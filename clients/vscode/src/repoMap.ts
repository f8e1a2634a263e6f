// Show Repo Map: cadre/repoMap, the ranked map of the project's definitions
// the planner reads at the start of a task, in a read-only document. No
// focus: a focused map leaves out the focused files' own definitions, which
// is right for an agent that has them open and confusing for a person.
import * as vscode from 'vscode';
import { CadreContext } from './context';
import { showView } from './views';

export function activate(ctx: CadreContext): void {
  ctx.command('cadre.showRepoMap', async () => {
    const tokens = vscode.workspace.getConfiguration('cadre').get<number>('repoMap.tokens', 2048);
    const r = await ctx.request<{ text: string; tokens: number; entries: unknown[] }>('cadre/repoMap', { tokens });
    const head = `# repo map: ${r.entries.length} definitions, ~${r.tokens} tokens (budget ${tokens})\n\n`;
    await showView('Repo Map.txt', head + r.text, 'plaintext');
  });
}
