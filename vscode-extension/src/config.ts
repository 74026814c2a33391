// The `raco-lsp` section of VS Code's settings.
import * as vscode from "vscode";
import { serverSettings } from "./settings";

export const SECTION = "raco-lsp";

export function config(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope);
}

/**
 * The server's settings (of the workspace folder `scopeUri`, when the server
 * asks for one), with trust from VS Code (never from a setting).
 */
export function currentSettings(scopeUri?: string): Record<string, unknown> {
  const c = config(scopeUri === undefined ? undefined : vscode.Uri.parse(scopeUri));
  return serverSettings((k) => c.get(k), vscode.workspace.isTrusted);
}
