// Where the cadre binary is: the cadre.path setting, else `cadre` on PATH,
// else a message that says how to get one. No vscode module (node --test).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type Resolved = { path: string } | { error: string };

function executable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// ~ and ${workspaceFolder} are expanded, as users write them in settings;
// a relative path is taken from the first workspace folder.
export function expandPath(setting: string, workspaceFolder?: string): string {
  let p = setting.trim();
  if (p === '~' || p.startsWith('~/')) p = path.join(os.homedir(), p.slice(1));
  if (workspaceFolder) p = p.split('${workspaceFolder}').join(workspaceFolder);
  if (!path.isAbsolute(p) && workspaceFolder) p = path.join(workspaceFolder, p);
  return p;
}

export function resolveServer(setting: string, envPath: string | undefined, workspaceFolder?: string): Resolved {
  if (setting.trim() !== '') {
    const p = expandPath(setting, workspaceFolder);
    if (executable(p)) return { path: p };
    const why = fs.existsSync(p) ? 'is not an executable file' : 'does not exist';
    return { error: `cadre.path is set to ${p}, which ${why}. Point it at the cadre binary (e.g. <checkout>/build/cadre).` };
  }
  for (const dir of (envPath ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, 'cadre');
    if (executable(p)) return { path: p };
  }
  return {
    error:
      'cadre was not found: set cadre.path to the cadre binary, or put cadre on PATH. ' +
      'To build it: scripts/bootstrap, then cmake -B build -G Ninja && ninja -C build cadre (see README.md).',
  };
}
