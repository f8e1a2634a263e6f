// What the approval modal says and offers, from cadre/approval.request's
// params. Kept free of the vscode module so node --test can check the
// wording users decide on (docs/protocol.md, "cadre/approval.request").

export type Decision = 'allowOnce' | 'allowAlways' | 'deny';

export interface ApprovalParams {
  kind?: string;
  command?: string;
  cwd?: string;
  diff?: string;
  paths?: string[];
  why?: string;
  model?: string;
  role?: string;
  sandboxed?: boolean;
  network?: boolean;
  alwaysRules?: string[];
  choices?: string[];
}

export interface ApprovalReply {
  decision: Decision;
  note?: string;
}

// The label of the extra button that opens the diff of an edit; choosing it
// shows the diff and asks again.
export const SHOW_DIFF = 'Show Diff';

// Longest detail text: VS Code's modal grows with its text, and a diff of
// thousands of lines would push the buttons off the screen (the full diff
// is one click away).
export const MAX_DETAIL_LINES = 40;

export interface ApprovalPrompt {
  message: string;
  detail: string;
  // Button label → what it means; SHOW_DIFF maps to null.
  buttons: { label: string; decision: Decision | null }[];
}

function what(p: ApprovalParams): string {
  switch (p.kind) {
    case 'command':
      return 'run a command';
    case 'edit': {
      const n = (p.paths ?? []).length;
      return `apply an edit to ${n} file${n === 1 ? '' : 's'}`;
    }
    case 'outsidePath':
      return 'use a path outside the workspace';
    default:
      return `do "${String(p.kind ?? 'something')}"`;
  }
}

// Paths shown relative to the workspace when they are inside it.
export function relativePath(path: string, roots: string[]): string {
  for (const r of roots) {
    const root = r.endsWith('/') ? r : r + '/';
    if (path.startsWith(root)) return path.slice(root.length);
  }
  return path;
}

// VS Code's dialog collapses runs of white space (HTML), which would flatten
// the indentation of code and diffs: runs and a line's first space are
// kept as no-break spaces; single spaces between words still wrap.
export function keepIndent(line: string): string {
  return line
    .replace(/\t/g, '    ')
    .replace(/ {2,}/g, (ws) => '\u00a0'.repeat(ws.length))
    .replace(/^([-+]?) /, '$1\u00a0');
}

function truncate(lines: string[], max: number): string[] {
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max), `… ${lines.length - max} more lines (${SHOW_DIFF} for all of it)`];
}

const KNOWN: Decision[] = ['allowOnce', 'allowAlways', 'deny'];

export function buildApprovalPrompt(p: ApprovalParams, roots: string[] = []): ApprovalPrompt {
  const detail: string[] = [];
  if (p.model) detail.push(`Asked by ${p.model}${p.role ? ` (${p.role})` : ''}.`);
  if (p.why) detail.push(`Why: ${p.why}`);
  if (p.kind === 'command' && p.sandboxed === false) {
    detail.push('UNSANDBOXED: this command runs outside the sandbox, with your permissions.');
  }
  if (p.network) detail.push('It asks for network access.');
  if (p.cwd) detail.push(`In: ${p.cwd}`);
  if (p.paths && p.paths.length > 0) {
    detail.push(`Files: ${p.paths.map((x) => relativePath(x, roots)).join(', ')}`);
  }
  if (p.command !== undefined) {
    detail.push('', ...truncate(p.command.split('\n'), MAX_DETAIL_LINES).map(keepIndent));
  } else if (p.diff) {
    const d = p.diff.endsWith('\n') ? p.diff.slice(0, -1) : p.diff;
    detail.push('', ...truncate(d.split('\n'), MAX_DETAIL_LINES).map(keepIndent));
  }

  // The server lists what it accepts; an empty or garbled list falls back
  // to the two answers every approval takes.
  let choices = (p.choices ?? []).filter((c): c is Decision => KNOWN.includes(c as Decision));
  if (choices.length === 0) choices = ['allowOnce', 'deny'];
  const buttons: ApprovalPrompt['buttons'] = [];
  for (const c of choices) {
    if (c === 'allowOnce') buttons.push({ label: 'Allow Once', decision: c });
    if (c === 'allowAlways') {
      const rules = p.alwaysRules ?? [];
      // Without a rule to remember, "always" would mean nothing the server
      // can scope: offer it only with its rules spelled out.
      if (rules.length > 0) buttons.push({ label: `Allow Always (${rules.join(', ')})`, decision: c });
    }
    if (c === 'deny') buttons.push({ label: 'Deny', decision: c });
  }
  if (p.diff) buttons.push({ label: SHOW_DIFF, decision: null });
  return { message: `cadre asks to ${what(p)}`, detail: detail.join('\n'), buttons };
}

// The reply for the label the user picked; closing the dialog (undefined)
// or anything unexpected is a denial.
export function replyFor(prompt: ApprovalPrompt, label: string | undefined): ApprovalReply | 'showDiff' {
  const b = prompt.buttons.find((x) => x.label === label);
  if (!b) return label === undefined ? { decision: 'deny', note: 'dismissed in VS Code' } : { decision: 'deny' };
  if (b.decision === null) return 'showDiff';
  return { decision: b.decision };
}
