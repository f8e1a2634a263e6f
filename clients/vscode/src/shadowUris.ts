// How a file's shadow version is named and rebuilt. "Show Shadow Diff" opens
// vscode.diff(real file, cadre-shadow:<same path>?task=<task>); the virtual
// document's text is the real file with the file's part of
// cadre/shadow.diff applied. Free of the vscode module (node --test).

export const SHADOW_SCHEME = 'cadre-shadow';

export interface UriParts {
  scheme: string;
  path: string;
  query: string;
}

export function shadowUriFor(fsPath: string, task: string, nonce?: string): UriParts {
  const q = new URLSearchParams({ task });
  // A new nonce makes VS Code ask the provider again instead of showing the
  // document it cached for an older diff.
  if (nonce) q.set('n', nonce);
  return { scheme: SHADOW_SCHEME, path: fsPath, query: q.toString() };
}

export function taskOfShadowUri(query: string): string | undefined {
  return new URLSearchParams(query).get('task') ?? undefined;
}

export interface FilePatch {
  oldPath: string | null; // null: created
  newPath: string | null; // null: deleted
  hunks: Hunk[];
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  lines: string[]; // with their ' ', '-', '+' prefix
}

function stripPrefix(p: string): string | null {
  if (p === '/dev/null') return null;
  const t = p.replace(/\t.*$/, '');
  return t.startsWith('a/') || t.startsWith('b/') ? t.slice(2) : t;
}

// The file patches of a unified diff (git style, as cadre/shadow.diff and
// cadre/checkpoint.diff write it), keyed by the new path (the old one for a
// deletion).
export function splitDiff(diff: string): Map<string, FilePatch> {
  const out = new Map<string, FilePatch>();
  const lines = diff.split('\n');
  let cur: FilePatch | null = null;
  let hunk: Hunk | null = null;
  const finish = () => {
    if (cur) out.set((cur.newPath ?? cur.oldPath) as string, cur);
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('--- ') && i + 1 < lines.length && lines[i + 1].startsWith('+++ ')) {
      finish();
      cur = { oldPath: stripPrefix(l.slice(4)), newPath: stripPrefix(lines[i + 1].slice(4)), hunks: [] };
      hunk = null;
      i++;
      continue;
    }
    if (!cur) continue;
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(l);
    if (m) {
      hunk = { oldStart: Number(m[1]), oldLines: m[2] === undefined ? 1 : Number(m[2]), lines: [] };
      cur.hunks.push(hunk);
      continue;
    }
    if (hunk && (l.startsWith(' ') || l.startsWith('-') || l.startsWith('+') || l.startsWith('\\'))) {
      hunk.lines.push(l);
    } else if (l.startsWith('diff --git ')) {
      hunk = null;
    }
  }
  finish();
  return out;
}

export class PatchError extends Error {}

// Applies one file's hunks to its text. The context must match exactly where
// the hunk says (the shadow's base is the file as the task first read it);
// when the user changed those lines since, this throws and the caller shows
// the raw diff instead — cadre's own apply merges three-way.
export function applyPatch(original: string, patch: FilePatch): string {
  if (patch.newPath === null) return '';
  const src = original === '' ? [] : original.split('\n');
  // A text ending in a newline splits into a last empty element; keep it
  // out of the line list and decide the final newline at the end.
  const originalEol = original.endsWith('\n');
  if (originalEol) src.pop();
  const out: string[] = [];
  let pos = 0; // index into src
  let newNoEol = false; // "\ No newline at end of file" after a line of the new side
  let reachedEnd = src.length === 0;
  for (const h of patch.hunks) {
    const start = h.oldLines === 0 ? h.oldStart : h.oldStart - 1;
    if (start < pos || start > src.length) throw new PatchError(`hunk at line ${h.oldStart} does not fit`);
    out.push(...src.slice(pos, start));
    pos = start;
    let prev = '';
    for (const l of h.lines) {
      if (l.startsWith('\\')) {
        if (prev === '+' || prev === ' ') newNoEol = true;
        continue;
      }
      prev = l[0];
      const body = l.slice(1);
      if (prev === '+') {
        out.push(body);
        continue;
      }
      if (src[pos] !== body) throw new PatchError(`line ${pos + 1} changed since the task read it`);
      if (prev === ' ') out.push(body);
      pos++;
    }
    if (pos >= src.length) reachedEnd = true;
  }
  out.push(...src.slice(pos));
  if (out.length === 0) return '';
  const eol = reachedEnd ? !newNoEol : originalEol;
  return out.join('\n') + (eol ? '\n' : '');
}
