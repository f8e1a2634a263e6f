// The extension's settings translated for cadre. cadre.approvalMode goes to
// the server as editor settings (security.approvalMode; the server enforces
// "stricter only"). cadre.configFile and cadre.modelsFile must reach cadre's
// *user* layer — only the user file may name model endpoints and keys — so
// the extension starts cadre with XDG_CONFIG_HOME pointing at a directory of
// its own whose cadre/config.json is that file (a symlink, so edits apply on
// cadre's next reload) or, with a models file, the user file with the models
// file's models/roles/router laid over it. No vscode module (node --test).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, ParseError, printParseErrorCode } from 'jsonc-parser';

export const APPROVAL_MODES = ['ask', 'auto-edit', 'read-only'] as const;

export interface Settings {
  path: string;
  configFile: string;
  modelsFile: string;
  approvalMode: string; // '' = what cadre's config says
  showTokens: boolean;
}

// initializationOptions.settings.cadre and didChangeConfiguration's
// settings.cadre: only keys cadre knows (it warns about unknown ones).
export function editorSettings(s: Pick<Settings, 'approvalMode'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ((APPROVAL_MODES as readonly string[]).includes(s.approvalMode)) out.security = { approvalMode: s.approvalMode };
  return out;
}

// cadre's own rule for the user file (docs/configuration.md, layer 2).
export function defaultUserFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, 'cadre', 'config.json');
  if (env.HOME) return path.join(env.HOME, '.config', 'cadre', 'config.json');
  return undefined;
}

export function readJsonc(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new Error(`cannot read ${file}: ${e.code ?? e.message}`);
  }
  const errors: ParseError[] = [];
  const v = parse(text, errors, { allowTrailingComma: true });
  if (errors.length) {
    const e = errors[0];
    const before = text.slice(0, e.offset);
    const line = before.split('\n').length;
    const col = e.offset - before.lastIndexOf('\n');
    throw new Error(`${file}:${line}:${col}: ${printParseErrorCode(e.error)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: expected a JSON object`);
  return v as Record<string, unknown>;
}

// The keys a models file contributes.
export const MODEL_KEYS = ['models', 'roles', 'router'];

// Builds <storage>/config-home/cadre/config.json as the settings say and
// returns the XDG_CONFIG_HOME to start cadre with, or undefined when
// neither file is set (cadre then reads the user's own file). Throws with a
// message naming the file when one cannot be used.
export function prepareConfigHome(s: Pick<Settings, 'configFile' | 'modelsFile'>, storage: string,
                                  env: NodeJS.ProcessEnv, workspaceFolder?: string,
                                  expand: (p: string, ws?: string) => string = (p) => p): string | undefined {
  const configFile = s.configFile.trim() ? expand(s.configFile, workspaceFolder) : '';
  const modelsFile = s.modelsFile.trim() ? expand(s.modelsFile, workspaceFolder) : '';
  if (!configFile && !modelsFile) return undefined;
  const home = path.join(storage, 'config-home');
  const dir = path.join(home, 'cadre');
  fs.mkdirSync(dir, { recursive: true });
  const target = path.join(dir, 'config.json');
  fs.rmSync(target, { force: true });
  if (configFile && !fs.existsSync(configFile)) throw new Error(`cadre.configFile: ${configFile} does not exist`);
  if (!modelsFile) {
    fs.symlinkSync(path.resolve(configFile), target);
    return home;
  }
  const base = configFile || defaultUserFile(env);
  const merged: Record<string, unknown> = base && fs.existsSync(base) ? readJsonc(base) : {};
  const models = readJsonc(modelsFile);
  const found = MODEL_KEYS.filter((k) => k in models);
  if (found.length === 0) {
    throw new Error(`cadre.modelsFile: ${modelsFile} has none of ${MODEL_KEYS.join(', ')} (see docs/models.md)`);
  }
  for (const k of found) merged[k] = models[k];
  fs.writeFileSync(target, JSON.stringify(merged, null, 2) + '\n', { mode: 0o600 });
  return home;
}
