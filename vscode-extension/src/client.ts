// The language client's life: start (through bootstrap), stop, restart on a
// server setting change or when the folder becomes trusted, and the
// workspace/configuration middleware that answers with VS Code's trust.
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { findServer } from "./bootstrap";
import { currentSettings, SECTION } from "./config";
import { showModuleGraphCommand } from "./lsp_ext";
import type { StatusBar } from "./status";
import type { RacketTests } from "./testing";

export class Server {
  private client: LanguageClient | undefined;
  private readonly started = new vscode.EventEmitter<LanguageClient>();
  /** Fires with each client once it runs (after a restart too). */
  readonly onStarted = this.started.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly status: StatusBar,
    private readonly tests: RacketTests,
  ) {}

  /** The running client, if any. */
  get current(): LanguageClient | undefined {
    return this.client;
  }

  /** Restarts on changes of `raco-lsp.server.*` and when trust is granted; passes other setting changes on. */
  listen(): vscode.Disposable[] {
    return [
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        // Trust granted: the server starts again with trusted = true and compiles.
        this.output.appendLine("raco-lsp: workspace trusted, restarting the server");
        void this.restart();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("raco-lsp.server")) {
          void this.restart();
        } else if (e.affectsConfiguration(SECTION)) {
          void this.client?.sendNotification("workspace/didChangeConfiguration", { settings: null });
        }
      }),
    ];
  }

  async start(): Promise<void> {
    this.status.setServer("starting");
    const cmd = await findServer(this.context, this.output, () => this.restart());
    if (cmd === undefined) {
      this.status.setServer("failed");
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    const serverOptions: ServerOptions = {
      command: cmd.command,
      args: cmd.args,
      options: { cwd: folder?.uri.fsPath },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "racket" },
        { scheme: "untitled", language: "racket" },
      ],
      outputChannel: this.output,
      initializationOptions: { [SECTION]: currentSettings() },
      middleware: {
        // The module graph lens opens the webview, not the server's generic view.
        executeCommand: (command, args, next) =>
          command === showModuleGraphCommand
            ? vscode.commands.executeCommand("raco-lsp.vscode.showModuleGraph", ...args)
            : next(command, args),
        workspace: {
          // The server asks for section "raco-lsp" (once per workspace folder,
          // with its scopeUri): answer with the settings it knows, and with
          // trust from VS Code (never from a setting).
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) {
              return result;
            }
            return params.items.map((item, i) =>
              item.section === SECTION ? currentSettings(item.scopeUri) : (result[i] as unknown),
            );
          },
        },
      },
    };
    const c = new LanguageClient(SECTION, "raco-lsp", serverOptions, clientOptions);
    this.client = c;
    c.onDidChangeState((e) => {
      this.status.setServer(
        e.newState === State.Running ? "running" : e.newState === State.Starting ? "starting" : "stopped",
      );
    });
    try {
      await c.start();
    } catch (e) {
      this.status.setServer("failed");
      this.output.appendLine(`raco-lsp failed to start: ${String(e)}`);
      void vscode.window.showErrorMessage(`raco-lsp failed to start: ${String(e)}`, "Show Log").then((p) => {
        if (p !== undefined) {
          this.output.show();
        }
      });
      return;
    }
    this.status.attach(c);
    this.tests.attach(c);
    this.started.fire(c);
    void this.tests.discover().catch((e: unknown) => this.output.appendLine(`discoverTests: ${String(e)}`));
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.tests.detach();
    if (c !== undefined) {
      try {
        await c.stop();
      } catch (e) {
        this.output.appendLine(`stopping raco-lsp: ${String(e)}`);
      }
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Runs a server command (`workspace/executeCommand`); says so when the server is not running. */
  async executeCommand<T>(command: string, arg: Record<string, unknown>): Promise<T | undefined> {
    const c = this.client;
    if (c === undefined || this.status.state.server !== "running") {
      void vscode.window.showErrorMessage("raco-lsp is not running.", "Show Log").then((p) => {
        if (p !== undefined) {
          this.output.show();
        }
      });
      return undefined;
    }
    const result: unknown = await c.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] });
    return result as T;
  }
}
