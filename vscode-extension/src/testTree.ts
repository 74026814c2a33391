// raco/discoverTests items and raco/testResult notifications, mapped to what
// the VS Code Testing API needs. No `vscode` import: unit-tested with node.
import type { LspRange, RunTestsParams, ServerTestItem, ServerTestResult } from "./lsp_ext";

export interface Outcome {
  state: "passed" | "failed" | "errored";
  /** The TestMessage: text, and expected/actual when VS Code can show a diff. */
  message?: { text: string; expected?: string; actual?: string; location?: { uri: string; range: LspRange } };
  duration?: number;
}

const KIND_LABEL: Record<string, string> = {
  submodule: "module+",
  "test-case": "test-case",
  "test-suite": "test-suite",
  "test-begin": "test-begin",
  check: "check",
};

/** The description shown beside an item in the Test Explorer: its kind and line. */
export function describe(item: ServerTestItem): string | undefined {
  const kind = KIND_LABEL[item.kind];
  if (kind === undefined || item.range === null) {
    return kind;
  }
  return `${kind} :${item.range.start.line + 1}`;
}

/**
 * Which results give their item a state of its own, for one run. VS Code counts
 * every item with a state of its own as a test, and shows a parent without one
 * the sum of its children's durations; `raco test` counts checks and test-cases
 * (a module that fails as a whole, as one). So item results do, and a file's
 * result only when no result of the file came before it (nothing else says
 * how the file went); the file's output goes to the run either way.
 */
export class RunStates {
  private readonly reported = new Set<string>();

  owns(r: ServerTestResult): boolean {
    if (r.kind !== "file") {
      this.reported.add(r.uri);
      return true;
    }
    return !this.reported.has(r.uri);
  }
}

/** The file (URI) an id belongs to: ids are `URI` or `URI#...`. */
export function fileOf(id: string): string {
  const i = id.indexOf("#");
  return i < 0 ? id : id.slice(0, i);
}

/** raco/runTests params for the chosen ids (all: nothing named). */
export function runParams(ids: readonly string[] | undefined, runId: string): RunTestsParams {
  if (ids === undefined || ids.length === 0) {
    return { runId };
  }
  return { ids: [...new Set(ids)], runId };
}

/** Every id in a tree, depth first. */
export function allIds(items: readonly ServerTestItem[]): string[] {
  const out: string[] = [];
  const walk = (xs: readonly ServerTestItem[]): void => {
    for (const x of xs) {
      out.push(x.id);
      walk(x.children);
    }
  };
  walk(items);
  return out;
}

/** Sorts file items by URI and the rest by position, so the explorer is stable. */
export function sortKey(item: ServerTestItem): string {
  if (item.range === null) {
    return item.label;
  }
  const pad = (n: number): string => n.toString().padStart(7, "0");
  return `${pad(item.range.start.line)}:${pad(item.range.start.character)}`;
}

function text(x: string | null | undefined): string | undefined {
  return typeof x === "string" ? x : undefined;
}

/** One raco/testResult -> the state and message for TestRun.passed/failed/errored. */
export function outcome(r: ServerTestResult): Outcome {
  const duration = typeof r.duration === "number" ? r.duration : undefined;
  if (r.status === "passed") {
    return { state: "passed", duration };
  }
  let body = text(r.message) ?? "";
  if (r.kind === "file") {
    const parts = [body];
    if (r.timedOut === true) {
      parts.push("timed out");
    }
    if (typeof r.failed === "number" && typeof r.total === "number") {
      parts.push(`${r.failed}/${r.total} test failures`);
    }
    const stderr = text(r.stderr);
    if (stderr !== undefined && stderr.trim() !== "") {
      parts.push(stderr.trim());
    }
    body = parts.filter((p) => p !== "").join("\n");
  } else if (body === "") {
    body = text(r.check) ?? r.status;
  }
  const message: NonNullable<Outcome["message"]> = { text: body };
  const expected = text(r.expected);
  const actual = text(r.actual);
  if (expected !== undefined && actual !== undefined) {
    message.expected = expected;
    message.actual = actual;
  }
  if (r.location) {
    message.location = r.location;
  }
  return { state: r.status, message, duration };
}
