// raco-lsp's own LSP messages, as the extension uses them: the one place for
// their TypeScript shapes (README of the repository: the `raco/*` requests and
// notifications, and the results of the `raco-lsp.*` commands). The server's
// side is in server/raco_lsp/features/.
import * as lc from "vscode-languageclient";

// -- compile on save (features/compile_on_save.py) ---------------------------

/** Where the build is: sent when it starts, as files finish, and when it ends. */
export interface BuildStatusParams {
  building: boolean;
  /** Files compiled so far in this build. */
  done: number;
  /** Files this build compiles (it grows when a clean file sends others back). */
  total: number;
  /** `raco make` errors reported now, over all files. */
  errors: number;
}

export const buildStatus = new lc.NotificationType<BuildStatusParams>("raco/buildStatus");

/** Command `raco-lsp.buildWorkspace`. */
export interface BuildWorkspaceResult {
  compiled: string[];
  errors: number;
}

// -- tests (features/testing.py) ---------------------------------------------

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

export interface ServerTestItem {
  id: string;
  label: string;
  kind: string;
  uri: string;
  range: LspRange | null;
  children: ServerTestItem[];
}

export interface DiscoverTestsParams {
  uri?: string;
}

export interface DiscoverTestsResult {
  items: ServerTestItem[];
}

export const discoverTests = new lc.RequestType<DiscoverTestsParams, DiscoverTestsResult, void>(
  "raco/discoverTests",
);

/** The children of an open file's item, again, whenever the file changes. */
export interface TestItemsParams {
  uri: string;
  items: ServerTestItem[];
}

export const testItems = new lc.NotificationType<TestItemsParams>("raco/testItems");

export interface RunTestsParams {
  uris?: string[];
  ids?: string[];
  mode?: "default" | "drdr";
  runId?: string;
}

export interface RunTestsResult {
  ran: boolean;
  reason?: string;
  failed?: number;
  total?: number;
  missing?: string[];
  problems?: string[];
}

export const runTests = new lc.RequestType<RunTestsParams, RunTestsResult, void>("raco/runTests");

/** One item's (or, with kind "file", one file's) result, streamed during raco/runTests. */
export interface ServerTestResult {
  runId?: string;
  uri: string;
  id: string | null;
  kind: string;
  status: "passed" | "failed" | "errored";
  name?: string | null;
  check?: string | null;
  message?: string | null;
  location?: { uri: string; range: LspRange } | null;
  actual?: string | null;
  expected?: string | null;
  /**
   * Milliseconds. An item's: since its module's previous result ended (its
   * module's start, for the first; the last runs to the module's end). A
   * file's: its run, which its items' durations add up to.
   */
  duration?: number | null;
  stdout?: string | null;
  stderr?: string | null;
  failed?: number;
  total?: number;
  timedOut?: boolean;
}

export const testResult = new lc.NotificationType<ServerTestResult>("raco/testResult");

// -- the module graph (features/module_graph.py) -----------------------------

export interface GraphNode {
  path: string;
  uri: string;
  stale: boolean;
  /** False when `stale` is a guess: compiler/cm may only touch it. */
  certain: boolean;
  reason?: string | null;
  workspace: boolean;
  /** Stale, and its last compile failed: the first line of the error. */
  failed?: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: { from: string; to: string }[];
}

export const moduleGraph = new lc.RequestType<{ uri?: string }, Graph, void>("raco/moduleGraph");

/**
 * The module graph lens's command (argument: the module's URI). The server
 * shows a generic client a generated view (`window/showDocument`, else a
 * `window/showMessage` summary); this extension runs it itself, as its
 * webview (client.ts's `executeCommand` middleware).
 */
export const showModuleGraphCommand = "raco-lsp.showModuleGraph";

export const dependents = new lc.RequestType<{ uri: string }, GraphNode[], void>("raco/dependents");

/** What the module graph knows changed (a build, a save): the graph view asks again. */
export const moduleGraphChanged = new lc.NotificationType<Record<string, never>>("raco/moduleGraphChanged");

// -- packaging (features/packaging.py) ---------------------------------------

/** Create Executable's default output: `<distOutput>/exe/<module name>` (protocol.py EXE_FOLDER). */
export const EXE_FOLDER = "exe";
/** Create/Build Distribution's default output: `<distOutput>/bundle` (protocol.py BUNDLE_FOLDER). */
export const BUNDLE_FOLDER = "bundle";

/** Result of `raco-lsp.buildDistribution`, `createExecutable`, `packCollection`, ... */
export interface PackagingResult {
  ok: boolean;
  errors?: string[];
  warnings?: string[];
  suggestions?: string[];
  outputs?: string[];
  output?: string;
  archive?: string | null;
  smoke?: { executable: string; ok: boolean; output: string }[];
  skipped?: string;
  compiled?: string[];
}

/** Server command: what the package-build service would say about a package (`{uri}`). */
export const PKG_BUILD_COMMAND = "raco-lsp.pkgBuild";

/** A step of `raco-lsp.pkgBuild` (protocol.py PkgBuildStepResult). */
export interface PkgBuildStep {
  name: string;
  status: "success" | "failure" | "skipped";
  why: string;
  seconds: number;
}

/**
 * Result of `raco-lsp.pkgBuild` (protocol.py PkgBuildResult), or its refusal
 * (`ok: false`, `errors`, `cancelled`).
 */
export interface PkgBuildResult {
  ok: boolean;
  errors?: string[];
  cancelled?: boolean | null;
  package?: string;
  directory?: string;
  verdict?: string;
  categories?: string[];
  networkIsolated?: boolean | null;
  steps?: PkgBuildStep[];
  problems?: { path: string; severity: string; message: string; code: string | null }[];
  /** The HTML report, once the server writes one (opened beside the editor); null until then. */
  html?: string | null;
}

// -- build farms (features/distro.py) ----------------------------------------

/** Params of `raco/distroPlan` (protocol.py DistroPlanParams). */
export interface DistroPlanParams {
  uri?: string;
  /** CONFIG_MODE; "default" when absent. */
  mode?: string;
}

/** An option in effect at a plan node (protocol.py DistroOption). */
export interface DistroOption {
  /** JSON value; null when unknown statically; a symbol as its name. */
  value: unknown;
  /** As Racket writes it. */
  text: string;
  /** The id of the node that set it. */
  from: string;
  unknown?: string;
}

/** A node of the plan (protocol.py DistroPlanNode). */
export interface DistroPlanNode {
  kind: "sequential" | "parallel" | "machine" | "unknown";
  id: string;
  line: number;
  options: Record<string, DistroOption>;
  installer: string | null;
  children: DistroPlanNode[];
  undetermined: string[];
  name?: string;
  log?: string;
  /** `build/log/<log>` when it exists. */
  logPath?: string;
  reach?: { kind: "local" | "ssh" | "vbox" | "docker"; summary: string };
  platform?: string;
  text?: string;
}

/** Result of `raco/distroPlan` (protocol.py DistroPlanResult). */
export interface DistroPlanResult {
  /** "distro-build": also evaluated with the installed package (trusted folders only). */
  source: "static" | "distro-build";
  mode: string;
  problems: { path: string; severity: string; message: string; code: string | null }[];
  plan: DistroPlanNode | null;
  planProblems: string[];
  /** The generated Markdown view of the plan. */
  view: string | null;
  /** The Racket source checkout holding the configuration. */
  checkout: string | null;
  commands: string[][];
  /** With source "distro-build": where the static plan and the package's differ. */
  crossCheck?: string[];
  /** With source "distro-build": how many machine options agree. */
  agreed?: number;
}

export const distroPlan = new lc.RequestType<DistroPlanParams, DistroPlanResult, void>("raco/distroPlan");
