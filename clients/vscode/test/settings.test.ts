// The settings as cadre gets them: the server path, editor settings, and
// the user config directory built from cadre.configFile / cadre.modelsFile.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveServer } from '../src/serverPath';
import { editorSettings, prepareConfigHome } from '../src/settings';
import { renderHealth, statusSummary } from '../src/healthRender';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cadre-vscode-unit-'));

test('the server: the setting, else PATH, else a message that says what to do', () => {
  const dir = tmp();
  const bin = path.join(dir, 'cadre');
  fs.writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
  const notExec = path.join(dir, 'plain');
  fs.writeFileSync(notExec, '', { mode: 0o644 });
  assert.deepEqual(resolveServer(bin, ''), { path: bin });
  assert.deepEqual(resolveServer('cadre', '', dir), { path: bin }, 'relative to the workspace folder');
  assert.deepEqual(resolveServer('${workspaceFolder}/cadre', '', dir), { path: bin });
  assert.deepEqual(resolveServer('', `/nonexistent${path.delimiter}${dir}`), { path: bin });
  const e1 = resolveServer(notExec, '');
  assert.ok('error' in e1 && e1.error.includes('is not an executable file'));
  const e2 = resolveServer(path.join(dir, 'missing'), '');
  assert.ok('error' in e2 && e2.error.includes('does not exist'));
  const e3 = resolveServer('', '/nonexistent');
  assert.ok('error' in e3 && /set cadre\.path .* or put cadre on PATH/.test(e3.error));
});

test('editor settings carry only what cadre knows', () => {
  assert.deepEqual(editorSettings({ approvalMode: '' }), {});
  assert.deepEqual(editorSettings({ approvalMode: 'read-only' }), { security: { approvalMode: 'read-only' } });
  assert.deepEqual(editorSettings({ approvalMode: 'yolo' }), {});
});

test('no file settings: cadre keeps its own user file', () => {
  assert.equal(prepareConfigHome({ configFile: '', modelsFile: '' }, tmp(), {}), undefined);
});

test('cadre.configFile becomes the user file (a link, so edits reach cadre)', () => {
  const d = tmp();
  const cfg = path.join(d, 'mine.json');
  fs.writeFileSync(cfg, '{"log": {"level": "debug"}}');
  const home = prepareConfigHome({ configFile: cfg, modelsFile: '' }, path.join(d, 'storage'), {})!;
  const target = path.join(home, 'cadre', 'config.json');
  assert.equal(fs.realpathSync(target), fs.realpathSync(cfg));
  assert.throws(() => prepareConfigHome({ configFile: path.join(d, 'nope.json'), modelsFile: '' }, path.join(d, 'storage'), {}),
    /cadre\.configFile: .*nope\.json does not exist/);
});

test("cadre.modelsFile lays models/roles/router over the user's file (JSON with comments)", () => {
  const d = tmp();
  fs.mkdirSync(path.join(d, 'xdg', 'cadre'), { recursive: true });
  fs.writeFileSync(path.join(d, 'xdg', 'cadre', 'config.json'), '{\n  // mine\n  "log": {"level": "warn"},\n  "models": {"old": {}},\n}\n');
  const models = path.join(d, 'models.jsonc');
  fs.writeFileSync(models, '// lab box\n{"models": {"big": {"api": "openai", "baseUrl": "http://127.0.0.1:1/v1", "model": "m"}}, "roles": {"planner": ["big"]}}');
  const home = prepareConfigHome({ configFile: '', modelsFile: models }, path.join(d, 'storage'), { XDG_CONFIG_HOME: path.join(d, 'xdg') })!;
  const merged = JSON.parse(fs.readFileSync(path.join(home, 'cadre', 'config.json'), 'utf8'));
  assert.deepEqual(merged, {
    log: { level: 'warn' },
    models: { big: { api: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: 'm' } },
    roles: { planner: ['big'] },
  });
  assert.equal(fs.statSync(path.join(home, 'cadre', 'config.json')).mode & 0o077, 0, 'only the user reads it');
});

test('a models file that is broken or has no models says which and where', () => {
  const d = tmp();
  const bad = path.join(d, 'bad.json');
  fs.writeFileSync(bad, '{\n  "models": {,\n}');
  assert.throws(() => prepareConfigHome({ configFile: '', modelsFile: bad }, d, {}), /bad\.json:2:\d+: /);
  const empty = path.join(d, 'empty.json');
  fs.writeFileSync(empty, '{"log": {}}');
  assert.throws(() => prepareConfigHome({ configFile: '', modelsFile: empty }, d, {}), /has none of models, roles, router/);
});

test('model health: the status bar summary and the document', () => {
  const list = {
    models: [
      { name: 'a', api: 'openai', model: 'm1', endpoints: [], local: true, roles: ['planner'] },
      { name: 'b', api: 'ollama', model: 'm2', endpoints: [], local: true, roles: ['executor'] },
    ],
    default: false, localOnly: false,
  };
  const health = {
    endpoints: [
      { model: 'a', api: 'openai', endpoint: 'http://127.0.0.1:1/v1', local: true, reachable: true, servesModel: true, latencyMs: 1.234 },
      { model: 'b', api: 'ollama', endpoint: 'http://127.0.0.1:11434', local: true, reachable: false, servesModel: false, latencyMs: 0, error: 'connection refused' },
    ],
    hint: 'start Ollama or configure a model',
  };
  const s = statusSummary(list, health);
  assert.equal(s.text, '1/2 models');
  assert.equal(s.ok, false);
  assert.match(s.tooltip, /✗ b \(ollama m2\) — executor/);
  const doc = renderHealth(list, health);
  assert.match(doc, /- ✓ a at http:\/\/127\.0\.0\.1:1\/v1: ok, 1\.2 ms/);
  assert.match(doc, /- ✗ b at http:\/\/127\.0\.0\.1:11434: unreachable: connection refused/);
  assert.match(doc, /\*\*What to configure:\*\* start Ollama or configure a model/);
});
