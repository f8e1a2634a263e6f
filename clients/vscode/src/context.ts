// The one place that knows how to start cadre: it resolves the binary,
// builds the LanguageClient (stdio, cadre's capabilities, settings), and
// lets each feature register its server handlers and react to the client
// running or stopping. Features never hold a client across a restart; they
// ask the context for the current one.
import * as vscode from 'vscode';
import {
  ClientCapabilities,
  FeatureState,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  StaticFeature,
} from 'vscode-languageclient/node';
import { expandPath, resolveServer } from './serverPath';
import { editorSettings, prepareConfigHome, Settings } from './settings';

export interface Feature {
  activate(ctx: CadreContext): void;
}

// A task the server started for a command. Agent commands answer {task}
// and stream cadre/task.event; deterministic refactors (cadre.renameSymbol,
// moveSymbol, extractFunction) answer at once with {task, status, diff}.
export interface StartedTask {
  task: string;
  title: string;
  result?: { status?: string; diff?: string; title?: string; [k: string]: unknown };
}

type RequestHandler = (params: any) => Promise<unknown> | unknown;
type NotificationHandler = (params: any) => void;

// Advertises experimental.cadre.approvals: without it cadre refuses every
// action that needs the user's yes (docs/protocol.md).
class ApprovalsCapability implements StaticFeature {
  fillClientCapabilities(caps: ClientCapabilities): void {
    caps.experimental = { ...(caps.experimental as object | undefined), cadre: { approvals: true } };
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: 'static' };
  }
  clear(): void {}
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('cadre');
  return {
    path: c.get<string>('path', ''),
    configFile: c.get<string>('configFile', ''),
    modelsFile: c.get<string>('modelsFile', ''),
    approvalMode: c.get<string>('approvalMode', ''),
    showTokens: c.get<boolean>('task.showTokens', true),
  };
}

export class CadreContext implements vscode.Disposable {
  client: LanguageClient | undefined;
  readonly log: vscode.OutputChannel;
  readonly subscriptions: vscode.Disposable[] = [];
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly notificationHandlers = new Map<string, NotificationHandler>();
  private readonly runningEmitter = new vscode.EventEmitter<boolean>();
  private readonly taskEmitter = new vscode.EventEmitter<StartedTask>();
  // Fires true when the client is running, false when it stopped.
  readonly onDidChangeRunning = this.runningEmitter.event;
  // A task the server started for a command (cadre.fix, cadre.explain …
  // answered {task}): the tasks feature follows its events.
  readonly onDidStartTask = this.taskEmitter.event;
  // Why the server is not running, for the status bar and commands.
  lastError: string | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('cadre');
    this.subscriptions.push(this.log, this.runningEmitter, this.taskEmitter);
  }

  get running(): boolean {
    return this.client?.state === State.Running;
  }

  get workspaceFolder(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  handleRequest(method: string, handler: RequestHandler): void {
    this.requestHandlers.set(method, handler);
  }

  handleNotification(method: string, handler: NotificationHandler): void {
    this.notificationHandlers.set(method, handler);
  }

  // Does the running server offer this workspace/executeCommand command?
  hasServerCommand(name: string): boolean {
    const cmds = this.client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    return cmds.includes(name);
  }

  // A cadre request; a clear error when the server is not running.
  async request<R>(method: string, params?: unknown, token?: vscode.CancellationToken): Promise<R> {
    const c = this.client;
    if (!c || c.state !== State.Running) {
      throw new Error(this.lastError ?? 'the cadre server is not running (command "cadre: Restart Server")');
    }
    // vscode-jsonrpc turns a trailing undefined into "params": [null],
    // which cadre refuses for methods without params: pass only what is set.
    if (params === undefined) return token ? c.sendRequest<R>(method, token) : c.sendRequest<R>(method);
    return token ? c.sendRequest<R>(method, params, token) : c.sendRequest<R>(method, params);
  }

  // A server command through workspace/executeCommand; a {task} answer is
  // followed like any other task.
  async executeServerCommand(command: string, args: unknown[], title: string): Promise<unknown> {
    const r: any = await this.request('workspace/executeCommand', { command, arguments: args });
    if (r && typeof r.task === 'string') this.taskEmitter.fire({ task: r.task, title, result: r });
    return r;
  }

  followTask(task: string, title: string): void {
    this.taskEmitter.fire({ task, title });
  }

  // A palette command whose failure the user sees.
  command(id: string, fn: (...args: any[]) => unknown): void {
    this.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: any[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          this.showError(e);
        }
      }),
    );
  }

  showError(e: unknown): void {
    const msg = e instanceof Error ? e.message : typeof e === 'object' && e && 'message' in e ? String((e as any).message) : String(e);
    this.log.appendLine(`error: ${msg}`);
    void vscode.window.showErrorMessage(`cadre: ${msg}`);
  }

  async start(): Promise<void> {
    const settings = readSettings();
    const ws = this.workspaceFolder;
    const server = resolveServer(settings.path, process.env.PATH, ws);
    if ('error' in server) {
      this.fail(server.error, true);
      return;
    }
    const env = { ...process.env };
    try {
      const home = prepareConfigHome(settings, this.extension.globalStorageUri.fsPath, process.env, ws, expandPath);
      if (home) env.XDG_CONFIG_HOME = home;
    } catch (e: any) {
      this.fail(e.message, true);
      return;
    }
    const serverOptions: ServerOptions = {
      command: server.path,
      args: ['serve', '--stdio'],
      options: { env, cwd: ws },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }],
      outputChannel: this.log,
      initializationOptions: { settings: { cadre: editorSettings(settings) } },
      middleware: {
        executeCommand: async (command, args, next) => {
          const r: any = await next(command, args);
          if (r && typeof r.task === 'string') this.taskEmitter.fire({ task: r.task, title: r.title ?? command, result: r });
          return r;
        },
      },
    };
    const client = new LanguageClient('cadre', 'cadre', serverOptions, clientOptions);
    client.registerFeature(new ApprovalsCapability());
    for (const [m, h] of this.requestHandlers) client.onRequest(m, h);
    for (const [m, h] of this.notificationHandlers) client.onNotification(m, h);
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.runningEmitter.fire(true);
      if (e.oldState === State.Running) this.runningEmitter.fire(false);
    });
    this.client = client;
    this.lastError = undefined;
    this.log.appendLine(`starting ${server.path} serve --stdio${env.XDG_CONFIG_HOME !== process.env.XDG_CONFIG_HOME ? ` (user config from ${env.XDG_CONFIG_HOME}/cadre/config.json)` : ''}`);
    try {
      await client.start();
    } catch (e: any) {
      this.fail(`the server did not start: ${e?.message ?? e}`, false);
    }
  }

  private fail(message: string, offerSettings: boolean): void {
    this.lastError = message;
    this.log.appendLine(message);
    this.runningEmitter.fire(false);
    const items = offerSettings ? ['Open Settings'] : ['Show Log'];
    void vscode.window.showErrorMessage(`cadre: ${message}`, ...items).then((pick) => {
      if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'cadre.');
      if (pick === 'Show Log') this.log.show();
    });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) {
      try {
        await c.stop();
      } catch (e: any) {
        this.log.appendLine(`stopping: ${e?.message ?? e}`);
      }
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  // Settings changes: the binary and the files it reads need a new
  // process; the approval mode is an editor setting cadre reloads live.
  watchSettings(): void {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (['cadre.path', 'cadre.configFile', 'cadre.modelsFile'].some((k) => e.affectsConfiguration(k))) {
          void this.restart();
        } else if (e.affectsConfiguration('cadre.approvalMode') && this.running) {
          void this.client?.sendNotification('workspace/didChangeConfiguration', {
            settings: { cadre: editorSettings(readSettings()) },
          });
        }
      }),
    );
  }

  dispose(): void {
    void this.stop();
    for (const d of this.subscriptions) d.dispose();
  }
}
