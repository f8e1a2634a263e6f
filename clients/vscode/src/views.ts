// Read-only documents cadre's answers are shown in (the repo map, model
// health, unified diffs, checkpoint diffs): a virtual document provider
// over texts kept in memory, so nothing is written to disk and the tab
// needs no saving.
import * as vscode from 'vscode';

export const VIEW_SCHEME = 'cadre-view';

class ViewProvider implements vscode.TextDocumentContentProvider {
  readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '(this view is gone; run its command again)';
  }

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.path, text);
    this.changed.fire(uri);
  }
}

const provider = new ViewProvider();

export function registerViews(subscriptions: vscode.Disposable[]): void {
  subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(VIEW_SCHEME, provider));
}

// Opens (or refreshes) the view named `name`; the name ends in the
// extension that picks the language (".diff", ".md", ".txt").
export async function showView(name: string, text: string, language?: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.from({ scheme: VIEW_SCHEME, path: '/' + name });
  provider.set(uri, text);
  let doc = await vscode.workspace.openTextDocument(uri);
  if (language && doc.languageId !== language) doc = await vscode.languages.setTextDocumentLanguage(doc, language);
  return vscode.window.showTextDocument(doc, { preview: false });
}
