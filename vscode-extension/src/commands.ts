// The palette commands (`raco-lsp.vscode.*`, category "Racket"), and how
// their results are shown.
import * as path from "node:path";
import * as vscode from "vscode";
import type { Server } from "./client";
import { config } from "./config";
import { graphHtml, staleText } from "./graphView";
import {
  dependents,
  moduleGraph,
  type BuildWorkspaceResult,
  type GraphNode,
  type PackagingResult,
} from "./lsp_ext";
import { raco } from "./taskProvider";
import type { RacketTests } from "./testing";

/** Results of the last palette commands, by title (test-only state dump). */
export const lastResults: Record<string, unknown> = {};

function activeUri(): vscode.Uri | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc?.uri.scheme === "file" ? doc.uri : undefined;
}

/** In an untrusted folder: says why `what` does not run, and returns true. */
function untrustedRefusal(what: string): boolean {
  if (vscode.workspace.isTrusted) {
    return false;
  }
  void vscode.window
    .showWarningMessage(`${what} runs this folder's code, and the folder is not trusted.`, "Manage Workspace Trust")
    .then((p) => {
      if (p !== undefined) {
        void vscode.commands.executeCommand("workbench.trust.manage");
      }
    });
  return true;
}

/** Shows a packaging result: errors with suggestions, or the output with a Reveal button. */
async function report(output: vscode.LogOutputChannel, title: string, r: PackagingResult | undefined): Promise<void> {
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
  const p = await vscode.window.showInformationMessage(`${title}: ${target ?? "done"}.${smokeText}${warn}`, ...actions);
  if (p === "Reveal" && target) {
    await vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(target));
  } else if (p === "Show Log") {
    output.show();
  }
}

/** Entry modules for Build Distribution: [] means the setting or info.rkt's launchers. */
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

async function showModules(title: string, nodes: GraphNode[]): Promise<void> {
  const items = nodes.map((n) => ({
    label: `${n.stale ? "$(warning) " : "$(check) "}${n.workspace ? vscode.workspace.asRelativePath(n.path) : n.path}`,
    detail: n.stale ? staleText(n) : undefined,
    node: n,
  }));
  const pick = await vscode.window.showQuickPick(items, { title });
  if (pick !== undefined) {
    await vscode.window.showTextDocument(vscode.Uri.parse(pick.node.uri));
  }
}

export function registerCommands(
  context: vscode.ExtensionContext,
  server: Server,
  tests: RacketTests,
  output: vscode.LogOutputChannel,
): void {
  const reg = (id: string, f: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, f));
  };
  const packaging = async (title: string, command: string, arg: Record<string, unknown>): Promise<void> => {
    await report(output, title, await server.executeCommand<PackagingResult>(command, arg));
  };
  reg("raco-lsp.restartServer", () => server.restart());
  reg("raco-lsp.showLog", () => output.show());
  reg("raco-lsp.vscode.buildWorkspace", async () => {
    if (untrustedRefusal("Building")) {
      return;
    }
    const r = await server.executeCommand<BuildWorkspaceResult>("raco-lsp.buildWorkspace", {});
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
    await packaging("Build Distribution", "raco-lsp.buildDistribution", arg);
  });
  const onCurrentModule =
    (title: string, command: string) =>
    async (): Promise<void> => {
      if (untrustedRefusal(title)) {
        return;
      }
      const uri = activeUri();
      if (uri === undefined) {
        void vscode.window.showErrorMessage(`${title}: open a Racket module first.`);
        return;
      }
      await packaging(title, command, { uri: uri.toString() });
    };
  reg("raco-lsp.vscode.createExecutable", onCurrentModule("Create Executable", "raco-lsp.createExecutable"));
  reg("raco-lsp.vscode.createDistribution", onCurrentModule("Create Distribution", "raco-lsp.createDistribution"));
  reg("raco-lsp.vscode.packCollection", async () => {
    if (untrustedRefusal("Pack Collection")) {
      return;
    }
    const uri = activeUri();
    const dir = uri !== undefined ? path.dirname(uri.fsPath) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (dir === undefined) {
      return;
    }
    await packaging("Pack Collection", "raco-lsp.packCollection", { dir });
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
    await packaging("Create Package Archive", "raco-lsp.createPackageArchive", { dir, format });
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
  reg("raco-lsp.vscode.showModuleGraph", async (arg?: unknown) => {
    // From the palette: the active module; from the lens: its module's URI.
    const uri = typeof arg === "string" ? vscode.Uri.parse(arg) : activeUri();
    const c = server.current;
    if (c === undefined) {
      return;
    }
    const g = await c.sendRequest(moduleGraph, uri === undefined ? {} : { uri: uri.toString() });
    lastResults[typeof arg === "string" ? "Module Graph Lens" : "Show Module Graph"] = g;
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
    const c = server.current;
    if (uri === undefined || c === undefined) {
      return;
    }
    const nodes = await c.sendRequest(dependents, { uri: uri.toString() });
    lastResults["Show Dependents"] = nodes;
    await showModules(`${nodes.length} dependents of ${vscode.workspace.asRelativePath(uri)}`, nodes);
  });
}
