// Finding a Python that has raco_lsp, and offering to install it when there is none.
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { config } from "./config";
import {
  choosePython,
  IMPORT_CHECK_ARGS,
  importErrorMessage,
  serverCommand,
  type PythonChoice,
  type ServerCommand,
} from "./interpreter";

/** The Python extension's active interpreter, when that extension is installed. */
async function pythonExtensionInterpreter(
  folder: vscode.WorkspaceFolder | undefined,
  output: vscode.LogOutputChannel,
): Promise<string | undefined> {
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

async function choose(output: vscode.LogOutputChannel): Promise<PythonChoice> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const setting = config().get<string | null>("server.pythonPath");
  const fromExt =
    typeof setting === "string" && setting !== "" ? undefined : await pythonExtensionInterpreter(folder, output);
  return choosePython(setting, fromExt, folder?.uri.fsPath, process.env, os.homedir());
}

function checkImport(python: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(python, [...IMPORT_CHECK_ARGS], { timeout: 30000 }, (err, _stdout, stderr) => {
      resolve(err ? `${stderr}\n${err.message}` : undefined);
    });
  });
}

/** Offers the fixes when raco_lsp cannot be imported; `installed` runs after an install. */
async function offerFix(
  context: vscode.ExtensionContext,
  output: vscode.LogOutputChannel,
  message: string,
  installed: () => Promise<void>,
): Promise<void> {
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
      await installed();
    } catch (e) {
      output.show();
      void vscode.window.showErrorMessage(`Installing raco-lsp failed: ${String(e)}`);
    }
  }
}

/**
 * The command line of the server, or undefined when the chosen Python cannot
 * import raco_lsp: then the error is logged and the fixes are offered
 * (`installed` runs after an install through the offer).
 */
export async function findServer(
  context: vscode.ExtensionContext,
  output: vscode.LogOutputChannel,
  installed: () => Promise<void>,
): Promise<ServerCommand | undefined> {
  const choice = await choose(output);
  output.appendLine(`raco-lsp: using ${choice.python} (${choice.source})`);
  const failure = await checkImport(choice.python);
  if (failure !== undefined) {
    const msg = importErrorMessage(choice, failure);
    output.appendLine(msg);
    output.appendLine(failure);
    void offerFix(context, output, msg, installed);
    return undefined;
  }
  return serverCommand(choice, config().get("server.extraArgs"));
}
