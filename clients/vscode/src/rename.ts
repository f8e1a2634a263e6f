// Rename Across Project: cadre's textDocument/rename (definition, uses,
// imports in every file) through VS Code's rename box; with the server's
// cadre.renameSymbol command when it offers one, which plans the rename as
// a task with its diff to approve.
import * as vscode from 'vscode';
import { CadreContext } from './context';

export function activate(ctx: CadreContext): void {
  ctx.command('cadre.renameAcrossProject', async () => {
    const e = vscode.window.activeTextEditor;
    if (!e) throw new Error('put the cursor on a symbol first');
    if (!ctx.hasServerCommand('cadre.renameSymbol')) {
      await vscode.commands.executeCommand('editor.action.rename');
      return;
    }
    const word = e.document.getWordRangeAtPosition(e.selection.active);
    const newName = await vscode.window.showInputBox({
      prompt: 'cadre: rename across the project to',
      value: word ? e.document.getText(word) : '',
    });
    if (!newName) return;
    const pos = e.selection.active;
    await ctx.executeServerCommand(
      'cadre.renameSymbol',
      [{ uri: e.document.uri.toString(), position: { line: pos.line, character: pos.character }, newName }],
      `rename to ${newName}`,
    );
  });
}
