// Model health as users read it: the status bar's short text and the Model
// Health document, from cadre/models.list and cadre/models.health. No
// vscode module (node --test).

export interface ModelInfo {
  name: string;
  api: string;
  model: string;
  endpoints: { url: string; loopback: boolean }[];
  local: boolean;
  roles: string[];
}
export interface ModelsList {
  models: ModelInfo[];
  default: boolean;
  localOnly: boolean;
  metrics?: any[];
}
export interface Probe {
  model: string;
  api: string;
  endpoint: string;
  local: boolean;
  reachable: boolean;
  servesModel: boolean;
  latencyMs: number;
  served?: string[];
  error?: string;
}
export interface Health {
  endpoints: Probe[];
  hint?: string;
}

// Models whose endpoint answered and serves them.
export function healthyModels(h: Health): Set<string> {
  return new Set(h.endpoints.filter((e) => e.reachable && e.servesModel).map((e) => e.model));
}

// "3/3 models" with a check, or a warning when some (or all) are down.
export function statusSummary(list: ModelsList | undefined, h: Health | undefined): { text: string; ok: boolean; tooltip: string } {
  if (!list || !h) return { text: 'models …', ok: true, tooltip: 'cadre: asking the models' };
  const names = new Set(list.models.map((m) => m.name));
  const up = healthyModels(h);
  const n = [...names].filter((x) => up.has(x)).length;
  const tooltip = [
    ...list.models.map((m) => `${up.has(m.name) ? '✓' : '✗'} ${m.name} (${m.api} ${m.model}) — ${m.roles.join(', ') || 'no role'}`),
    ...(h.hint ? ['', h.hint] : []),
  ].join('\n');
  if (names.size === 0) return { text: 'no models', ok: false, tooltip };
  return { text: `${n}/${names.size} models`, ok: n === names.size, tooltip };
}

// 1.3 ms, 42 ms: what a person compares, not the probe's microseconds.
export function ms(x: number): string {
  return `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
}

export function renderHealth(list: ModelsList, h: Health): string {
  const l: string[] = ['# cadre: models and their health', ''];
  if (list.default) l.push('Nothing is configured: every role goes to a local Ollama (see docs/models.md).', '');
  if (list.localOnly) l.push('security.localOnly is on: only loopback or local endpoints are used.', '');
  l.push('| model | api | serves | roles | local |', '|---|---|---|---|---|');
  for (const m of list.models) l.push(`| ${m.name} | ${m.api} | ${m.model} | ${m.roles.join(', ')} | ${m.local ? 'yes' : 'no'} |`);
  l.push('', '## endpoints', '');
  for (const e of h.endpoints) {
    const state = !e.reachable ? `unreachable${e.error ? ': ' + e.error : ''}` : e.servesModel ? `ok, ${ms(e.latencyMs)}` : `reachable, but does not serve ${e.model}`;
    l.push(`- ${e.reachable && e.servesModel ? '✓' : '✗'} ${e.model} at ${e.endpoint}: ${state}`);
  }
  if (h.hint) l.push('', `**What to configure:** ${h.hint}`);
  const metrics = (list.metrics ?? []).filter((m) => m.requests > 0);
  if (metrics.length) {
    l.push('', '## this session', '', '| model | requests | ok | first token p50 | tokens/s |', '|---|---|---|---|---|');
    for (const m of metrics) l.push(`| ${m.model} | ${m.requests} | ${m.succeeded} | ${ms(m.timeToFirstTokenMs)} | ${Math.round(m.tokensPerSecond)} |`);
  }
  return l.join('\n') + '\n';
}
