// Turns cadre/task.event notifications into the text of a task's output
// channel (status, plan, streamed tokens per role, tool calls, checks,
// reviews, the diff), and builds the prompts of the selection commands.
// No vscode module here: node --test checks what users read.

export interface TaskEvent {
  task: string;
  seq?: number;
  kind: string;
  data?: any;
}

// "answered": a question (Explain) ends with its answer and no change.
export const FINAL_STATUSES = new Set(['ready', 'no-change', 'answered', 'cancelled', 'failed']);

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// Files, added and deleted lines of a unified diff.
export function diffstat(diff: string): { files: number; added: number; deleted: number } {
  let files = 0;
  let added = 0;
  let deleted = 0;
  for (const l of diff.split('\n')) {
    if (l.startsWith('diff --git ')) files++;
    else if (l.startsWith('+++ ') || l.startsWith('--- ')) continue;
    else if (l.startsWith('+')) added++;
    else if (l.startsWith('-')) deleted++;
  }
  if (files === 0 && diff.includes('\n+++ ')) files = diff.split('\n+++ ').length - 1;
  return { files, added, deleted };
}

// One short line for a tool call: the argument a user recognizes (a path, a
// command, a pattern) rather than the whole JSON.
export function summarizeCall(name: string, args: unknown): string {
  let a: any = args;
  if (typeof args === 'string') {
    try {
      a = JSON.parse(args);
    } catch {
      return args.length > 80 ? args.slice(0, 77) + '…' : args;
    }
  }
  if (!a || typeof a !== 'object') return '';
  const pick = a.path ?? a.command ?? a.pattern ?? a.query ?? a.from;
  if (typeof pick === 'string') return pick.length > 100 ? pick.slice(0, 97) + '…' : pick;
  if (name === 'edit_file' && typeof a.edits === 'string') {
    const first = a.edits.split('\n')[0];
    return first;
  }
  return '';
}

// Keeps what the channel needs to know between events: which role is
// streaming (tokens are appended without newlines), the last seq (to say
// when events were lost), the last status and diff.
export class TaskRenderer {
  streaming: string | null = null;
  seq = 0;
  status = 'starting';
  message: string | undefined;
  lastDiff = '';
  private calls = new Map<string, string>();

  constructor(public readonly task: string, private readonly showTokens: boolean = true) {}

  // The header written when the channel is first shown for the task.
  header(title: string): string {
    return `── cadre task ${this.task}: ${title}\n`;
  }

  private line(s: string): string {
    // Finish a streamed token run before a new line.
    const pre = this.streaming !== null ? '\n' : '';
    this.streaming = null;
    return pre + s + '\n';
  }

  render(ev: TaskEvent): string {
    let out = '';
    if (typeof ev.seq === 'number') {
      if (ev.seq > this.seq + 1 && this.seq > 0) out += this.line(`(${plural(ev.seq - this.seq - 1, 'event')} lost)`);
      if (ev.seq > this.seq) this.seq = ev.seq;
    }
    const d = ev.data && typeof ev.data === 'object' ? ev.data : {};
    switch (ev.kind) {
      case 'status':
        this.status = String(d.status ?? '?');
        this.message = typeof d.message === 'string' ? d.message : undefined;
        out += this.line(`[${this.status}]${this.message ? ' ' + this.message : ''}`);
        break;
      case 'plan': {
        const steps: any[] = Array.isArray(d.steps) ? d.steps : [];
        const criteria: any[] = Array.isArray(d.criteria) ? d.criteria : [];
        const lines = [`plan: ${plural(steps.length, 'step')}`];
        steps.forEach((s, i) => {
          const title = typeof s === 'string' ? s : (s?.title ?? JSON.stringify(s));
          const files = Array.isArray(s?.files) && s.files.length ? `  (${s.files.join(', ')})` : '';
          lines.push(`  ${i + 1}. ${title}${files}`);
        });
        if (criteria.length) {
          lines.push('acceptance criteria:');
          for (const c of criteria) lines.push(`  - ${typeof c === 'string' ? c : JSON.stringify(c)}`);
        }
        out += this.line(lines.join('\n'));
        break;
      }
      case 'token': {
        if (!this.showTokens) break;
        const role = String(d.role ?? '?');
        const text = String(d.text ?? '');
        if (this.streaming !== role) {
          out += this.line(`${role}:`);
          this.streaming = role;
        }
        out += text;
        break;
      }
      case 'toolCall': {
        const s = summarizeCall(String(d.name ?? '?'), d.arguments);
        const who = d.role && d.role !== 'executor' ? `  (${d.role})` : '';
        const text = `→ ${d.name ?? '?'}${s ? ' ' + s : ''}${who}`;
        this.calls.set(String(d.id ?? ''), text);
        out += this.line(text);
        break;
      }
      case 'toolResult': {
        this.calls.delete(String(d.id ?? ''));
        if (d.ok) {
          out += this.line(`  ✓ ${d.name ?? ''}`.trimEnd());
        } else {
          const text = String(d.text ?? '').split('\n');
          const shown = text.slice(0, 12).map((l) => '    ' + l);
          if (text.length > 12) shown.push(`    … ${text.length - 12} more lines`);
          out += this.line([`  ✗ ${d.name ?? ''} failed`, ...shown].join('\n'));
        }
        break;
      }
      case 'diagnostics': {
        const introduced: any[] = Array.isArray(d.introduced) ? d.introduced : [];
        const ran = Array.isArray(d.ran) && d.ran.length ? d.ran.join(', ') : 'no linter';
        if (introduced.length === 0) {
          out += this.line(`checks (${ran}): no new problems`);
        } else {
          const lines = [`checks (${ran}): the change introduced ${plural(introduced.length, 'problem')}:`];
          for (const p of introduced) {
            lines.push(`  ${p.path}:${p.line}:${p.column ?? 1}: ${p.severity ?? '?'}: ${p.message ?? ''} (${p.source ?? '?'})`);
          }
          out += this.line(lines.join('\n'));
        }
        for (const p of Array.isArray(d.problems) ? d.problems : []) out += this.line(`  note: ${String(p)}`);
        break;
      }
      case 'review': {
        const findings: any[] = Array.isArray(d.findings) ? d.findings : [];
        const lines = [`review by ${d.model ?? '?'}: ${d.approved ? 'approved' : 'changes requested'}`];
        for (const f of findings) lines.push(`  - ${typeof f === 'string' ? f : JSON.stringify(f)}`);
        out += this.line(lines.join('\n'));
        break;
      }
      case 'diff': {
        this.lastDiff = String(d.diff ?? '');
        const s = diffstat(this.lastDiff);
        out += this.line(`diff so far: ${plural(s.files, 'file')}, +${s.added} −${s.deleted}`);
        break;
      }
      case 'answer': {
        // The executor's tokens already streamed the text; repeat it only
        // when they were hidden.
        const text = String(d.text ?? '');
        out += this.line(this.showTokens ? `── answer by ${d.model ?? '?'}` : `answer by ${d.model ?? '?'}:\n${text}`);
        break;
      }
      case 'memory': {
        const n = Array.isArray(d.decisions) ? d.decisions.length : 0;
        out += this.line(`project memory: ${plural(n, 'decision')} ${d.appended ? 'recorded in .cadre/MEMORY.md' : 'not recorded'}${d.message ? ` (${d.message})` : ''}`);
        break;
      }
      case 'hook':
        out += this.line(`hook ${d.event ?? '?'}: ${plural(Array.isArray(d.runs) ? d.runs.length : 0, 'command')} ran${d.blocked ? ', blocked' : ''}`);
        break;
      case 'error':
        out += this.line(`error: ${String(d.message ?? '?')}`);
        break;
      default:
        out += this.line(`(${ev.kind}) ${JSON.stringify(d)}`);
    }
    return out;
  }

  // After a final status: what lands or drops the change.
  footer(): string {
    if (this.status === 'ready') {
      const s = diffstat(this.lastDiff);
      return this.line(
        `── ready: ${plural(s.files, 'file')}, +${s.added} −${s.deleted} in the shadow workspace. ` +
          `Review it with "cadre: Show Shadow Diff", land it with "cadre: Apply" or drop it with "cadre: Discard".`,
      );
    }
    return '';
  }

  get final(): boolean {
    return FINAL_STATUSES.has(this.status);
  }
}

export interface Selection {
  path: string; // relative to the workspace when inside it
  languageId: string;
  startLine: number; // 1-based
  endLine: number;
  text: string;
  dirty?: boolean;
}

function where(s: Selection): string {
  return s.startLine === s.endLine ? `line ${s.startLine}` : `lines ${s.startLine}-${s.endLine}`;
}

function fenced(s: Selection): string {
  return '```' + s.languageId + '\n' + s.text + (s.text.endsWith('\n') ? '' : '\n') + '```';
}

// The prompt of "Explain Selection" when the server has no cadre.explain
// command: the same task the Neovim plugin's :CadreExplain starts.
export function explainPrompt(s: Selection, question?: string): string {
  const p = [
    `Explain the selected code: ${s.path}, ${where(s)}${s.dirty ? ' (unsaved in the editor; shown below as the user sees it)' : ''}.`,
    'Do not change, create or delete any file and run no command: this is a question, not a change.',
    'Answer with the explanation only: what the code does, how, and anything surprising in it.',
  ];
  if (question) p.push(`The user asks: ${question}`);
  p.push('', fenced(s));
  return p.join('\n');
}

export function fixPrompt(s: Selection, diagnostic?: { message: string; source?: string; code?: string }): string {
  const p = [`Fix the problem in ${s.path}, ${where(s)}.`];
  if (diagnostic) {
    p.push(`The diagnostic: ${diagnostic.message}${diagnostic.source ? ` (${diagnostic.source}${diagnostic.code ? ' ' + diagnostic.code : ''})` : ''}`);
  }
  p.push('Change only what the fix needs.', '', fenced(s));
  return p.join('\n');
}

export function testsPrompt(s: Selection): string {
  return [
    `Write tests for the code in ${s.path}, ${where(s)}, in the project's existing test style and location.`,
    'Cover the normal case, the edges and the errors it handles.',
    '',
    fenced(s),
  ].join('\n');
}
