// Show Status: what the server knows about this connection (cadre/status:
// version, roots, open documents, config files and their diagnostics,
// per-method latency) plus the shadow tasks waiting — for a bug report or a
// "why does cadre ignore my setting" moment. The Neovim plugin's :CadreStatus.
import { CadreContext } from './context';
import { showView } from './views';

export function activate(ctx: CadreContext): void {
  ctx.command('cadre.showStatus', async () => {
    const [status, shadow] = await Promise.all([
      ctx.request<Record<string, any>>('cadre/status'),
      ctx.request<{ tasks: unknown[] }>('cadre/shadow.status'),
    ]);
    const diags: any[] = status.config?.diagnostics ?? [];
    const head = [
      `// cadre ${status.version}, up ${Math.round((status.uptimeMs ?? 0) / 1000)} s, positions in ${status.positionEncoding}`,
      `// config: ${(status.config?.sources ?? []).join(', ') || 'defaults only'}`,
      ...diags.map((d) => `// ${d.severity}: ${d.source}${d.key ? ` ${d.key}` : ''}: ${d.message}`),
      '',
    ];
    await showView('cadre Status.jsonc', head.join('\n') + JSON.stringify({ ...status, shadow: shadow.tasks }, null, 2) + '\n', 'jsonc');
  });
}
