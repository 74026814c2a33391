// What the status bar item says. No `vscode` import: unit-tested with node.

export interface StatusState {
  trusted: boolean;
  server: "starting" | "running" | "stopped" | "failed";
  /** Work in progress reported by $/progress, by token. */
  work: Map<string, { title: string; message?: string; done?: number; total?: number }>;
  errors: number;
  warnings: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** The command a click runs. */
  command: string;
  alert: boolean;
}

/** Turns a $/progress "done/total" message into "n/m" when the server gave numbers. */
function count(w: { done?: number; total?: number }): string {
  return typeof w.done === "number" && typeof w.total === "number" && w.total > 0
    ? ` ${w.done}/${w.total}`
    : "";
}

export function statusView(s: StatusState): StatusView {
  if (s.server === "failed") {
    return {
      text: "$(error) Racket: server failed",
      tooltip: "raco-lsp could not start: click for the log",
      command: "raco-lsp.showLog",
      alert: true,
    };
  }
  if (s.server === "starting") {
    return {
      text: "$(sync~spin) Racket: starting",
      tooltip: "raco-lsp is starting",
      command: "raco-lsp.showLog",
      alert: false,
    };
  }
  if (s.server === "stopped") {
    return {
      text: "$(debug-stop) Racket: stopped",
      tooltip: "raco-lsp is not running: click for the log",
      command: "raco-lsp.showLog",
      alert: false,
    };
  }
  const untrusted = s.trusted
    ? ""
    : "This folder is not trusted: raco-lsp does not compile, test, set up or package it " +
      "(that would run its code). info.rkt assistance and the module graph still work. ";
  const first = [...s.work.values()][0];
  if (first !== undefined) {
    const verb = first.title === "Compiling Racket" ? "compiling" : first.title;
    return {
      text: `$(sync~spin) Racket: ${verb}${count(first)}`,
      tooltip: `${untrusted}${first.title}${first.message ? `: ${first.message}` : ""}`,
      command: "raco-lsp.showLog",
      alert: false,
    };
  }
  const lock = s.trusted ? "" : "$(shield) ";
  if (s.errors > 0) {
    return {
      text: `${lock}$(error) Racket: ${s.errors} error${s.errors === 1 ? "" : "s"}`,
      tooltip: `${untrusted}${s.errors} errors, ${s.warnings} warnings: click for the Problems view`,
      command: "workbench.actions.view.problems",
      alert: true,
    };
  }
  if (!s.trusted) {
    return {
      text: "$(shield) Racket: restricted",
      tooltip: `${untrusted}Click to manage workspace trust.`,
      command: "workbench.trust.manage",
      alert: false,
    };
  }
  return {
    text: "$(check) Racket",
    tooltip: `raco-lsp: idle${s.warnings > 0 ? `, ${s.warnings} warnings` : ""}`,
    command: "workbench.actions.view.problems",
    alert: false,
  };
}
