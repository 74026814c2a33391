// The status bar item and the progress UI. The build's numbers come from
// raco/buildStatus; other work from $/progress, through our own
// window/workDoneProgress/create handler.
import * as vscode from "vscode";
import {
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type LanguageClient,
} from "vscode-languageclient/node";
import { buildStatus } from "./lsp_ext";
import { statusView, type StatusState } from "./statusModel";

const RACKET_FILE = /\.(rkt|rktl|rktd|scrbl)$/;

export class StatusBar implements vscode.Disposable {
  readonly state: StatusState = {
    trusted: true,
    server: "stopped",
    work: new Map(),
    errors: 0,
    warnings: 0,
  };
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem("raco-lsp.status", vscode.StatusBarAlignment.Left, 10);
    this.item.name = "Racket (raco-lsp)";
  }

  /** What the item shows now (test-only state dump). */
  get shown(): { text: string; tooltip: string | vscode.MarkdownString | undefined } {
    return { text: this.item.text, tooltip: this.item.tooltip };
  }

  setServer(server: StatusState["server"]): void {
    this.state.server = server;
    if (server !== "running") {
      this.state.work.clear();
      this.state.build = undefined;
    }
    this.refresh();
  }

  refresh(): void {
    this.state.trusted = vscode.workspace.isTrusted;
    const v = statusView(this.state);
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.command = v.command;
    this.item.backgroundColor = v.alert ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.item.show();
  }

  /** Errors and warnings in Racket files, from every source. */
  countDiagnostics(): void {
    let errors = 0;
    let warnings = 0;
    for (const [uri, diags] of vscode.languages.getDiagnostics()) {
      if (!RACKET_FILE.test(uri.path)) {
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
    this.state.errors = errors;
    this.state.warnings = warnings;
    this.refresh();
  }

  /**
   * Follows a started client: raco/buildStatus, and $/progress shown in the
   * status bar area (background work, not cancellable: the build) or as a
   * notification with a Cancel button (work the user can cancel).
   */
  attach(c: LanguageClient): void {
    c.onNotification(buildStatus, (b) => {
      this.state.build = b;
      this.refresh();
    });
    c.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      const key = String(token);
      let finish: (() => void) | undefined;
      let ui: vscode.Progress<{ message?: string; increment?: number }> | undefined;
      let lastPct = 0;
      const sub = c.onProgress(WorkDoneProgress.type, token, (v) => {
        if (v.kind === "begin") {
          this.state.work.set(key, { title: v.title, message: v.message });
          const cancellable = v.cancellable === true;
          void vscode.window.withProgress(
            {
              location: cancellable ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
              title: v.title,
              cancellable,
            },
            (p, cancel) =>
              new Promise<void>((resolve) => {
                ui = p;
                finish = resolve;
                cancel.onCancellationRequested(() => {
                  void c.sendNotification(WorkDoneProgressCancelNotification.type, { token });
                });
              }),
          );
        } else if (v.kind === "report") {
          const w = this.state.work.get(key);
          if (w !== undefined) {
            w.message = v.message ?? w.message;
          }
          const pct = typeof v.percentage === "number" ? v.percentage : undefined;
          ui?.report({
            message: v.message,
            increment: pct === undefined ? undefined : Math.max(0, pct - lastPct),
          });
          if (pct !== undefined) {
            lastPct = pct;
          }
        } else {
          this.state.work.delete(key);
          finish?.();
          sub.dispose();
        }
        this.refresh();
      });
    });
  }

  dispose(): void {
    this.item.dispose();
  }
}
