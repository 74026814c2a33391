// What the status bar item says. No `vscode` import: unit-tested with node.
import type { BuildStatusParams } from "./lsp_ext";

export interface StatusState {
  trusted: boolean;
  server: "starting" | "running" | "stopped" | "failed";
  /** The compile-on-save build, from raco/buildStatus. */
  build?: BuildStatusParams;
  /** Other work in progress reported by $/progress, by token. */
  work: Map<string, { title: string; message?: string }>;
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
  const build = s.build;
  if (build?.building === true) {
    const errors = build.errors > 0 ? `, ${build.errors} error${build.errors === 1 ? "" : "s"}` : "";
    return {
      text: `$(sync~spin) Racket: compiling ${build.done}/${build.total}`,
      tooltip: `${untrusted}Compiling Racket: ${build.done} of ${build.total} modules compiled${errors}`,
      command: "raco-lsp.showLog",
      alert: false,
    };
  }
  const first = [...s.work.values()][0];
  if (first !== undefined) {
    return {
      text: `$(sync~spin) Racket: ${first.title}`,
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
