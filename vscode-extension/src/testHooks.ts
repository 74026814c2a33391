// Test hooks: with RACO_LSP_VSCODE_DUMP set, the command raco-lsp.vscode.dumpState
// writes VS Code's state as JSON there (tests/test_vscode_e2e.py asserts on it).
import * as fs from "node:fs/promises";
import * as vscode from "vscode";
import { lastResults } from "./commands";
import type { StatusBar } from "./status";
import type { RacketTests } from "./testing";

export function registerTestHooks(context: vscode.ExtensionContext, status: StatusBar, tests: RacketTests): void {
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
        server: status.state.server,
        status: status.shown.text,
        statusTooltip: status.shown.tooltip,
        diagnostics,
        tests: tests.snapshot(),
        results: lastResults,
        // The module graph views open (there should be at most one).
        graphTabs: vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith("raco-lsp.moduleGraph"))
          .map((t) => t.label),
      };
      await fs.writeFile(dump, JSON.stringify(data, null, 2));
    }),
  );
}
