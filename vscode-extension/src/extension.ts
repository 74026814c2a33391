// raco-lsp for VS Code: starts the server, wires commands, status bar, trust
// and the Test Explorer.
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  State,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import {
  choosePython,
  IMPORT_CHECK_ARGS,
  importErrorMessage,
  serverCommand,
  type PythonChoice,
} from "./interpreter";
import { graphHtml, type Graph, type GraphNode } from "./graphView";
import { serverSettings } from "./settings";
import { RACO_TASKS, racoExecutable, racoTaskArgs, type RacoTask } from "./tasks";
import { statusView, type StatusState } from "./statusModel";
import { RacketTests } from "./testing";

const SECTION = "raco-lsp";

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let statusItem: vscode.StatusBarItem;
let tests: RacketTests;
const state: StatusState = {
  trusted: true,
  server: "stopped",
  work: new Map(),
  errors: 0,
  warnings: 0,
};
/** Results of the last palette commands (test-only state dump). */
const lastResults: Record<string, unknown> = {};

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function currentSettings(): Record<string, unknown> {
  const c = config();
  return serverSettings((k) => c.get(k), vscode.workspace.isTrusted);
}

function refreshStatus(): void {
  state.trusted = vscode.workspace.isTrusted;
  const v = statusView(state);
  statusItem.text = v.text;
  statusItem.tooltip = v.tooltip;
  statusItem.command = v.command;
  statusItem.backgroundColor = v.alert
    ? new vscode.ThemeColor("statusBarItem.errorBackground")
    : undefined;
  statusItem.show();
}

function countDiagnostics(): void {
  let errors = 0;
  let warnings = 0;
  for (const [uri, diags] of vscode.languages.getDiagnostics()) {
    if (!/\.(rkt|rktl|rktd|scrbl)$/.test(uri.path) && !uri.path.endsWith("info.rkt")) {
      continue;
    }
    for (const d of diags) {
      if (d.severity === vscode.DiagnosticSeverity.Error) {
        errors++;
      } else if (d.severity === vscode.DiagnosticSeverity.Warning) {
        warnings++;
      }
    }
  }
  state.errors = errors;
  state.warnings = warnings;
  refreshStatus();
}

/** The Python extension's active interpreter, when that extension is installed. */
async function pythonExtensionInterpreter(folder: vscode.WorkspaceFolder | undefined): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension("ms-python.python");
  if (ext === undefined) {
    return undefined;
  }
  try {
    const api = (ext.isActive ? ext.exports : await ext.activate()) as {
      environments?: {
        getActiveEnvironmentPath(r?: vscode.Uri): { path: string };
        resolveEnvironment(p: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
      };
    };
    const envs = api?.environments;
    if (envs === undefined) {
      return undefined;
    }
    const active = envs.getActiveEnvironmentPath(folder?.uri);
    const resolved = await envs.resolveEnvironment(active);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch (e) {
    output.appendLine(`Python extension: ${String(e)}`);
    return undefined;
  }
}

async function choose(): Promise<PythonChoice> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const setting = config().get<string | null>("server.pythonPath");
  const fromExt =
    typeof setting === "string" && setting !== "" ? undefined : await pythonExtensionInterpreter(folder);
  return choosePython(setting, fromExt, folder?.uri.fsPath, process.env, os.homedir());
}

function checkImport(python: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, [...IMPORT_CHECK_ARGS], { timeout: 30000 }, (err, _stdout, stderr) => {
      resolve(err ? `${stderr}\n${err.message}` : undefined);
    });
  });
}

/** Offers the fixes when raco_lsp cannot be imported. */
async function offerFix(context: vscode.ExtensionContext, message: string): Promise<void> {
  const setPath = "Set Python Path";
  const install = "Install into a Managed Environment";
  const log = "Show Log";
  const pick = await vscode.window.showErrorMessage(message, setPath, install, log);
  if (pick === setPath) {
    await vscode.commands.executeCommand("workbench.action.openSettings", "raco-lsp.server.pythonPath");
  } else if (pick === log) {
    output.show();
  } else if (pick === install) {
    const spec = await vscode.window.showInputBox({
      prompt: "What pip should install (a package name, or the path of a raco-lsp checkout)",
      value: "raco-lsp",
    });
    if (spec === undefined) {
      return;
    }
    const venv = path.join(context.globalStorageUri.fsPath, "venv");
    await fs.mkdir(context.globalStorageUri.fsPath, { recursive: true });
    const run = (cmd: string, args: string[]): Promise<void> =>
      new Promise((resolve, reject) => {
        output.appendLine(`$ ${cmd} ${args.join(" ")}`);
        execFile(cmd, args, { timeout: 600000 }, (err, stdout, stderr) => {
          output.append(stdout);
          output.append(stderr);
          if (err) {
            reject(err);
          } else {
            resolve();
          }
        });
      });
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: "Installing raco-lsp" },
        async () => {
          await run("python3", ["-m", "venv", venv]);
          await run(path.join(venv, "bin", "python"), ["-m", "pip", "install", spec]);
        },
      );
      await config().update(
        "server.pythonPath",
        path.join(venv, "bin", "python"),
        vscode.ConfigurationTarget.Global,
      );
      await restart(context);
    } catch (e) {
      output.show();
      void vscode.window.showErrorMessage(`Installing raco-lsp failed: ${String(e)}`);
    }
  }
}

/** Our own handler for server-created progress: drives the status bar and a progress UI. */
function trackProgress(c: LanguageClient): void {
  c.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
    const key = String(token);
    let finish: (() => void) | undefined;
    let uiProgress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let lastPct = 0;
    const sub = c.onProgress(WorkDoneProgress.type, token, (v) => {
      if (v.kind === "begin") {
        state.work.set(key, { title: v.title, message: v.message });
        const location =
          v.title === "Compiling Racket" ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification;
        void vscode.window.withProgress(
          { location, title: v.title, cancellable: v.cancellable === true },
          (p, cancel) =>
            new Promise<void>((resolve) => {
              uiProgress = p;
              finish = resolve;
              cancel.onCancellationRequested(() => {
                void c.sendNotification(WorkDoneProgressCancelNotification.type, { token });
              });
            }),
        );
      } else if (v.kind === "report") {
        const w = state.work.get(key);
        if (w !== undefined) {
          w.message = v.message ?? w.message;
          const m = /(\d+)\s*\/\s*(\d+)/.exec(v.message ?? "");
          if (m) {
            w.done = Number(m[1]);
            w.total = Number(m[2]);
          }
        }
        const pct = typeof v.percentage === "number" ? v.percentage : undefined;
        uiProgress?.report({
          message: v.message,
          increment: pct === undefined ? undefined : Math.max(0, pct - lastPct),
        });
        if (pct !== undefined) {
          lastPct = pct;
        }
      } else {
        state.work.delete(key);
        finish?.();
        sub.dispose();
      }
      refreshStatus();
    });
  });
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  state.server = "starting";
  refreshStatus();
  const choice = await choose();
  output.appendLine(`raco-lsp: using ${choice.python} (${choice.source})`);
  const failure = await checkImport(choice.python);
  if (failure !== undefined) {
    const msg = importErrorMessage(choice, failure);
    output.appendLine(msg);
    output.appendLine(failure);
    state.server = "failed";
    refreshStatus();
    void offerFix(context, msg);
    return;
  }
  const cmd = serverCommand(choice, config().get("server.extraArgs"));
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
    outputChannel: output,
    initializationOptions: { [SECTION]: currentSettings() },
    middleware: {
      workspace: {
        // The server asks for section "raco-lsp": answer with the settings it
        // knows, and with trust from VS Code (never from a setting).
        configuration: async (params, token, next) => {
          const result = await next(params, token);
          if (!Array.isArray(result)) {
            return result;
          }
          return params.items.map((item, i) =>
            item.section === SECTION ? currentSettings() : (result[i] as unknown),
          );
        },
      },
    },
  };
  const c = new LanguageClient(SECTION, "raco-lsp", serverOptions, clientOptions);
  client = c;
  c.onDidChangeState((e) => {
    state.server = e.newState === State.Running ? "running" : e.newState === State.Starting ? "starting" : "stopped";
    if (e.newState !== State.Running) {
      state.work.clear();
    }
    refreshStatus();
  });
  try {
    await c.start();
  } catch (e) {
    state.server = "failed";
    refreshStatus();
    output.appendLine(`raco-lsp failed to start: ${String(e)}`);
    void vscode.window.showErrorMessage(`raco-lsp failed to start: ${String(e)}`, "Show Log").then((p) => {
      if (p !== undefined) {
        output.show();
      }
    });
    return;
  }
  trackProgress(c);
  tests.attach(c);
  void tests.discover().catch((e: unknown) => output.appendLine(`discoverTests: ${String(e)}`));
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  tests.detach();
  if (c !== undefined) {
    try {
      await c.stop();
    } catch (e) {
      output.appendLine(`stopping raco-lsp: ${String(e)}`);
    }
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

async function serverCommandCall<T>(command: string, arg: Record<string, unknown>): Promise<T | undefined> {
  const c = client;
  if (c === undefined || state.server !== "running") {
    void vscode.window.showErrorMessage("raco-lsp is not running.", "Show Log").then((p) => {
      if (p !== undefined) {
        output.show();
      }
    });
    return undefined;
  }
  const result = await c.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] });
  return result as T;
}

function activeUri(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc?.uri.scheme === "file" ? doc.uri : undefined;
}

function untrustedRefusal(what: string): boolean {
  if (vscode.workspace.isTrusted) {
    return false;
  }
  void vscode.window.showWarningMessage(
    `${what} runs this folder's code, and the folder is not trusted.`,
    "Manage Workspace Trust",
  ).then((p) => {
    if (p !== undefined) {
      void vscode.commands.executeCommand("workbench.trust.manage");
    }
  });
  return true;
}

interface StepLike {
  ok: boolean;
  errors?: string[];
  warnings?: string[];
  suggestions?: string[];
  outputs?: string[];
  output?: string;
  archive?: string | null;
  smoke?: { executable: string; ok: boolean; output: string }[];
  skipped?: string;
  compiled?: string[];
}

/** Shows a packaging result: errors with suggestions, or the output with a Reveal button. */
async function report(title: string, r: StepLike | undefined): Promise<void> {
  if (r === undefined) {
    return;
  }
  lastResults[title] = r;
  output.appendLine(`${title}: ${JSON.stringify(r, null, 2)}`);
  if (!r.ok) {
    const detail = [...(r.errors ?? []), ...(r.suggestions ?? [])].join(" ");
    const p = await vscode.window.showErrorMessage(`${title} failed: ${detail}`, "Show Log");
    if (p !== undefined) {
      output.show();
    }
    return;
  }
  const target = r.archive ?? r.outputs?.[0];
  const smoke = r.smoke ?? [];
  const smokeText =
    smoke.length === 0
      ? ""
      : ` Smoke run: ${smoke.filter((s) => s.ok).length}/${smoke.length} executables ran` +
        (smoke[0]?.output ? ` (${smoke[0].output.trim().split("\n")[0]})` : "") +
        ".";
  const warn = (r.warnings ?? []).length > 0 ? ` Warnings: ${(r.warnings ?? []).join(" ")}` : "";
  const actions = target ? ["Reveal", "Show Log"] : ["Show Log"];
  const p = await vscode.window.showInformationMessage(
    `${title}: ${target ?? "done"}.${smokeText}${warn}`,
    ...actions,
  );
  if (p === "Reveal" && target) {
    await vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(target));
  } else if (p === "Show Log") {
    output.show();
  }
}

async function pickEntries(): Promise<string[] | undefined> {
  if ((config().get<string[]>("distEntries") ?? []).length > 0) {
    return [];
  }
  const files = await vscode.workspace.findFiles("**/*.rkt", "**/{compiled,dist}/**", 500);
  const items = files
    .filter((f) => !f.path.endsWith("/info.rkt"))
    .map((f) => ({ label: vscode.workspace.asRelativePath(f, false), uri: f }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: "Build Distribution: entry modules",
    placeHolder: "Pick entry modules, or press Enter for info.rkt's launchers (else the current file)",
  });
  return picked?.map((p) => p.uri.fsPath);
}


async function showModules(title: string, nodes: GraphNode[], relation: (n: GraphNode) => string): Promise<void> {
  const items = nodes.map((n) => ({
    label: `${n.stale ? "$(warning) " : "$(check) "}${n.workspace ? vscode.workspace.asRelativePath(n.path) : n.path}`,
    description: relation(n),
    detail: n.stale ? `stale: ${n.reason ?? ""}` : undefined,
    node: n,
  }));
  const pick = await vscode.window.showQuickPick(items, { title, matchOnDescription: true });
  if (pick !== undefined) {
    await vscode.window.showTextDocument(vscode.Uri.parse(pick.node.uri));
  }
}

function raco(): string {
  return racoExecutable(config().get("racketPath"), (p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

/** Tasks `raco make`, `raco test`, `raco setup` on each workspace folder. */
function registerTasks(context: vscode.ExtensionContext): void {
  const build = async (folder: vscode.WorkspaceFolder, task: RacoTask): Promise<vscode.Task> => {
    const modules =
      task === "make"
        ? (await vscode.workspace.findFiles(
            new vscode.RelativePattern(folder, "**/*.rkt"),
            "**/{compiled,dist}/**",
          ))
            .map((u) => path.relative(folder.uri.fsPath, u.fsPath))
            .filter((p) => path.basename(p) !== "info.rkt")
            .sort()
        : [];
    const t = new vscode.Task(
      { type: "raco", task },
      folder,
      `raco ${task}`,
      "raco",
      new vscode.ProcessExecution(raco(), racoTaskArgs(task, folder.uri.fsPath, folder.name, modules), {
        cwd: folder.uri.fsPath,
      }),
      ["$racket"],
    );
    t.group = task === "test" ? vscode.TaskGroup.Test : vscode.TaskGroup.Build;
    return t;
  };
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider("raco", {
      provideTasks: async () => {
        if (!vscode.workspace.isTrusted) {
          return [];
        }
        const out: vscode.Task[] = [];
        for (const f of vscode.workspace.workspaceFolders ?? []) {
          for (const t of RACO_TASKS) {
            out.push(await build(f, t));
          }
        }
        return out;
      },
      resolveTask: async (task) => {
        const def = task.definition as { task?: string };
        const folder = task.scope;
        if (typeof folder !== "object" || !RACO_TASKS.includes(def.task as RacoTask)) {
          return undefined;
        }
        return build(folder, def.task as RacoTask);
      },
    }),
  );
}

function registerCommands(context: vscode.ExtensionContext): void {
  const reg = (id: string, f: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, f));
  };
  reg("raco-lsp.restartServer", () => restart(context));
  reg("raco-lsp.showLog", () => output.show());
  reg("raco-lsp.vscode.buildWorkspace", async () => {
    if (untrustedRefusal("Building")) {
      return;
    }
    const r = await serverCommandCall<{ compiled: string[]; errors: number }>("raco-lsp.buildWorkspace", {});
    if (r !== undefined) {
      lastResults["Build Workspace"] = r;
      void vscode.window.showInformationMessage(
        `Build Workspace: ${r.compiled.length} modules compiled, ${r.errors} errors.`,
      );
    }
  });
  reg("raco-lsp.vscode.buildDistribution", async () => {
    if (untrustedRefusal("Build Distribution")) {
      return;
    }
    const modules = await pickEntries();
    if (modules === undefined) {
      return;
    }
    const arg: Record<string, unknown> = {};
    if (modules.length > 0) {
      arg.modules = modules;
    }
    const uri = activeUri();
    if (uri !== undefined) {
      arg.uri = uri.toString();
    }
    await report("Build Distribution", await serverCommandCall<StepLike>("raco-lsp.buildDistribution", arg));
  });
  const onCurrent =
    (title: string, command: string, key: "uri" | "dir") =>
    async (): Promise<void> => {
      if (untrustedRefusal(title)) {
        return;
      }
      const uri = activeUri();
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = key === "uri" ? uri : (uri ?? folder);
      if (target === undefined) {
        void vscode.window.showErrorMessage(`${title}: open a Racket module first.`);
        return;
      }
      const arg = key === "uri" ? { uri: target.toString() } : { uri: target.toString() };
      await report(title, await serverCommandCall<StepLike>(command, arg));
    };
  reg("raco-lsp.vscode.createExecutable", onCurrent("Create Executable", "raco-lsp.createExecutable", "uri"));
  reg("raco-lsp.vscode.createDistribution", onCurrent("Create Distribution", "raco-lsp.createDistribution", "uri"));
  reg("raco-lsp.vscode.packCollection", async () => {
    if (untrustedRefusal("Pack Collection")) {
      return;
    }
    const uri = activeUri();
    const dir = uri !== undefined ? path.dirname(uri.fsPath) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (dir === undefined) {
      return;
    }
    await report("Pack Collection", await serverCommandCall<StepLike>("raco-lsp.packCollection", { dir }));
  });
  reg("raco-lsp.vscode.createPackageArchive", async () => {
    if (untrustedRefusal("Create Package Archive")) {
      return;
    }
    const dir = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (dir === undefined) {
      return;
    }
    const format = await vscode.window.showQuickPick(["zip", "tgz", "plt"], { title: "Archive format" });
    if (format === undefined) {
      return;
    }
    await report(
      "Create Package Archive",
      await serverCommandCall<StepLike>("raco-lsp.createPackageArchive", { dir, format }),
    );
  });
  reg("raco-lsp.vscode.checkPackageDependencies", async () => {
    if (untrustedRefusal("Checking package dependencies")) {
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder === undefined) {
      return;
    }
    // raco setup checks the dependencies of an installed package: the folder's name.
    const task = new vscode.Task(
      { type: "raco-lsp", task: "check-pkg-deps" },
      folder,
      "Check Package Dependencies",
      "raco-lsp",
      new vscode.ProcessExecution(raco(), [
        "setup",
        "--no-docs",
        "--check-pkg-deps",
        "--unused-pkg-deps",
        "--pkgs",
        folder.name,
      ]),
      [],
    );
    await vscode.tasks.executeTask(task);
  });
  reg("raco-lsp.vscode.runTestsInFile", async () => {
    if (untrustedRefusal("Running tests")) {
      return;
    }
    const uri = activeUri();
    if (uri === undefined) {
      void vscode.window.showErrorMessage("Run Tests in File: open a Racket module first.");
      return;
    }
    await tests.runFile(uri);
  });
  reg("raco-lsp.vscode.showModuleGraph", async () => {
    const uri = activeUri();
    const c = client;
    if (c === undefined) {
      return;
    }
    const g = await c.sendRequest<Graph>("raco/moduleGraph", uri === undefined ? {} : { uri: uri.toString() });
    lastResults["Show Module Graph"] = g;
    const panel = vscode.window.createWebviewPanel(
      "raco-lsp.moduleGraph",
      `Module graph${uri ? `: ${path.basename(uri.fsPath)}` : ""}`,
      vscode.ViewColumn.Beside,
      { enableScripts: true },
    );
    const nonce = Math.random().toString(36).slice(2);
    panel.webview.html = graphHtml(g, uri?.fsPath, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, nonce);
    panel.webview.onDidReceiveMessage((m: { open?: string }) => {
      if (typeof m.open === "string") {
        void vscode.window.showTextDocument(vscode.Uri.parse(m.open), { viewColumn: vscode.ViewColumn.One });
      }
    });
  });
  reg("raco-lsp.vscode.showDependents", async () => {
    const uri = activeUri();
    const c = client;
    if (uri === undefined || c === undefined) {
      return;
    }
    const nodes = await c.sendRequest<GraphNode[]>("raco/dependents", { uri: uri.toString() });
    lastResults["Show Dependents"] = nodes;
    await showModules(`${nodes.length} dependents of ${vscode.workspace.asRelativePath(uri)}`, nodes, () => "");
  });
}

/** Test hooks: with RACO_LSP_VSCODE_DUMP set, a command writes the state as JSON there. */
function registerTestHooks(context: vscode.ExtensionContext): void {
  const dump = process.env.RACO_LSP_VSCODE_DUMP;
  if (dump === undefined || dump === "") {
    return;
  }
  void vscode.commands.executeCommand("setContext", "raco-lsp.testHooks", true);
  context.subscriptions.push(
    vscode.commands.registerCommand("raco-lsp.vscode.dumpState", async () => {
      const diagnostics = vscode.languages.getDiagnostics().map(([uri, ds]) => ({
        uri: uri.toString(),
        path: uri.fsPath,
        diagnostics: ds.map((d) => ({
          message: d.message,
          source: d.source,
          severity: vscode.DiagnosticSeverity[d.severity],
          range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
        })),
      }));
      const data = {
        trusted: vscode.workspace.isTrusted,
        server: state.server,
        status: statusItem.text,
        statusTooltip: statusItem.tooltip,
        diagnostics,
        tests: tests.snapshot(),
        results: lastResults,
      };
      await fs.writeFile(dump, JSON.stringify(data, null, 2));
    }),
  );
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("raco-lsp", { log: true });
  statusItem = vscode.window.createStatusBarItem("raco-lsp.status", vscode.StatusBarAlignment.Left, 10);
  statusItem.name = "Racket (raco-lsp)";
  tests = new RacketTests();
  context.subscriptions.push(output, statusItem, tests);
  context.subscriptions.push(
    vscode.languages.onDidChangeDiagnostics(() => countDiagnostics()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // Trust granted: the server starts again with trusted = true and compiles.
      output.appendLine("raco-lsp: workspace trusted, restarting the server");
      void restart(context);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("raco-lsp.server") ) {
        void restart(context);
      } else if (e.affectsConfiguration(SECTION)) {
        void client?.sendNotification("workspace/didChangeConfiguration", { settings: null });
      }
    }),
  );
  // New and deleted modules: the Test Explorer follows (open files are kept current by
  // raco/testItems).
  const watcher = vscode.workspace.createFileSystemWatcher("**/*.{rkt,rktl,scrbl}");
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate((u) => {
      if (!u.path.includes("/compiled/")) {
        void tests.discover(u.toString()).catch(() => undefined);
      }
    }),
    watcher.onDidDelete((u) => tests.remove(u.toString())),
  );
  registerCommands(context);
  registerTasks(context);
  registerTestHooks(context);
  refreshStatus();
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
