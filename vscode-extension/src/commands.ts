// The palette commands (`raco-lsp.vscode.*`, category "Racket"), and how
// their results are shown.
import * as path from "node:path";
import * as vscode from "vscode";
import type { Server } from "./client";
import { config } from "./config";
import { GraphPanel } from "./graphPanel";
import { graphHtml, staleText } from "./graphView";
import {
  BUNDLE_FOLDER,
  EXE_FOLDER,
  PKG_BUILD_COMMAND,
  dependents,
  distroPlan,
  moduleGraph,
  moduleGraphChanged,
  type BuildWorkspaceResult,
  type GraphNode,
  type PackagingResult,
  type PkgBuildResult,
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

/** The package-build HTML report (a self-contained page), beside the editor. */
async function showHtmlReport(file: string): Promise<void> {
  const html = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file)));
  const panel = vscode.window.createWebviewPanel("raco-lsp.pkgBuild", path.basename(file), vscode.ViewColumn.Beside, {
    enableScripts: false,
  });
  panel.webview.html = html;
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

/**
 * Where a packaging command writes: asked, with the server's default
 * prefilled (relative to the workspace folder); undefined when dismissed.
 */
async function pickOutput(title: string, defaultOutput: string): Promise<string | undefined> {
  const picked = await vscode.window.showInputBox({
    title: `${title}: output`,
    prompt: "Relative to the workspace folder",
    value: defaultOutput,
    valueSelection: [0, defaultOutput.length],
  });
  return picked === undefined || picked.trim() === "" ? undefined : picked.trim();
}

function distOutput(): string {
  return config().get<string>("distOutput") || "dist";
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
    const output = await pickOutput("Build Distribution", `${distOutput()}/${BUNDLE_FOLDER}`);
    if (output === undefined) {
      return;
    }
    const arg: Record<string, unknown> = { output };
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
    (title: string, command: string, defaultOutput: (module: string) => string) =>
    async (): Promise<void> => {
      if (untrustedRefusal(title)) {
        return;
      }
      const uri = activeUri();
      if (uri === undefined) {
        void vscode.window.showErrorMessage(`${title}: open a Racket module first.`);
        return;
      }
      const output = await pickOutput(title, defaultOutput(uri.fsPath));
      if (output === undefined) {
        return;
      }
      await packaging(title, command, { uri: uri.toString(), output });
    };
  reg(
    "raco-lsp.vscode.createExecutable",
    onCurrentModule(
      "Create Executable",
      "raco-lsp.createExecutable",
      (m) => `${distOutput()}/${EXE_FOLDER}/${path.basename(m, path.extname(m))}`,
    ),
  );
  reg(
    "raco-lsp.vscode.createDistribution",
    onCurrentModule("Create Distribution", "raco-lsp.createDistribution", () => `${distOutput()}/${BUNDLE_FOLDER}`),
  );
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
  reg("raco-lsp.vscode.checkPackageAsBuildService", async () => {
    const title = "Check Package as the Build Service Would";
    if (untrustedRefusal(title)) {
      return;
    }
    // The package holding the active file, else the first folder's.
    const uri = activeUri() ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    if (uri === undefined) {
      return;
    }
    // The server shows progress, the diagnostics (source pkg-build) and the verdict.
    const r = await server.executeCommand<PkgBuildResult>(PKG_BUILD_COMMAND, { uri: uri.toString() });
    if (r === undefined) {
      return;
    }
    lastResults[title] = r;
    output.appendLine(`${title}: ${JSON.stringify(r, null, 2)}`);
    if (!r.ok && r.cancelled !== true) {
      void vscode.window.showErrorMessage(`${title}: ${(r.errors ?? []).join(" ")}`);
    } else if (r.html) {
      await showHtmlReport(r.html);
    }
  });
  // The plan of the active site configuration: read statically by the server
  // (never run, so also in an untrusted folder), shown as its Markdown view,
  // which links each machine to its log in build/log.
  reg("raco-lsp.vscode.showDistroPlan", async () => {
    const title = "Show Build Farm Plan";
    const c = server.current;
    const uri = activeUri();
    if (c === undefined || uri === undefined) {
      void vscode.window.showErrorMessage(`${title}: open a site configuration (#lang distro-build/config) first.`);
      return;
    }
    const mode = await vscode.window.showInputBox({ title: `${title}: CONFIG_MODE`, value: "default" });
    if (mode === undefined) {
      return;
    }
    const r = await c.sendRequest(distroPlan, { uri: uri.toString(), mode: mode.trim() || "default" });
    lastResults[title] = r;
    if (r.view) {
      await vscode.commands.executeCommand("markdown.showPreviewToSide", vscode.Uri.file(r.view));
    } else {
      void vscode.window.showErrorMessage(`${title}: ${r.planProblems.join(" ")}`);
    }
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
  // One graph view, updated in place when the server says the graph changed.
  const graphView = new GraphPanel<vscode.Uri>(
    () => {
      const panel = vscode.window.createWebviewPanel("raco-lsp.moduleGraph", "Module graph", vscode.ViewColumn.Beside, {
        enableScripts: true,
      });
      panel.webview.onDidReceiveMessage((m: { open?: string }) => {
        if (typeof m.open === "string") {
          void vscode.window.showTextDocument(vscode.Uri.parse(m.open), { viewColumn: vscode.ViewColumn.One });
        }
      });
      context.subscriptions.push(panel);
      return {
        get title() {
          return panel.title;
        },
        set title(t: string) {
          panel.title = t;
        },
        setHtml: (html) => {
          panel.webview.html = html;
        },
        reveal: () => panel.reveal(undefined, true),
        onDidDispose: (f) => {
          panel.onDidDispose(f);
        },
      };
    },
    async (uri) => {
      const c = server.current;
      const g =
        c === undefined
          ? { nodes: [], edges: [] }
          : await c.sendRequest(moduleGraph, uri === undefined ? {} : { uri: uri.toString() });
      lastResults["Show Module Graph"] = g;
      const nonce = Math.random().toString(36).slice(2);
      return {
        title: `Module graph${uri ? `: ${path.basename(uri.fsPath)}` : ""}`,
        html: graphHtml(g, uri?.fsPath, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, nonce),
      };
    },
  );
  context.subscriptions.push(
    server.onStarted((c) => {
      c.onNotification(moduleGraphChanged, () => {
        void graphView.refresh().catch((e: unknown) => output.appendLine(`module graph view: ${String(e)}`));
      });
      void graphView.refresh().catch(() => undefined);
    }),
  );
  reg("raco-lsp.vscode.showModuleGraph", async (arg?: unknown) => {
    if (server.current === undefined) {
      return;
    }
    // From the palette: the active module; from the lens: its module's URI.
    const uri = typeof arg === "string" ? vscode.Uri.parse(arg) : activeUri();
    await graphView.show(uri);
    if (typeof arg === "string") {
      lastResults["Module Graph Lens"] = lastResults["Show Module Graph"];
    }
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
