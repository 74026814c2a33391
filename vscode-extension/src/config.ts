// The `raco-lsp` section of VS Code's settings.
import * as vscode from "vscode";
import { serverSettings } from "./settings";

export const SECTION = "raco-lsp";

export function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

/** The server's settings, with trust from VS Code (never from a setting). */
export function currentSettings(): Record<string, unknown> {
  const c = config();
  return serverSettings((k) => c.get(k), vscode.workspace.isTrusted);
}
