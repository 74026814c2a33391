// Which Python runs the server, and the command line that starts it.
// No `vscode` import: unit-tested with node's test runner.

export type PythonSource = "setting" | "python-extension" | "default";

export interface PythonChoice {
  python: string;
  source: PythonSource;
}

export interface ServerCommand {
  command: string;
  args: string[];
}

/** Replaces `${workspaceFolder}`, `${userHome}` and `${env:NAME}` in a setting value. */
export function substituteVariables(
  value: string,
  workspaceFolder: string | undefined,
  env: Record<string, string | undefined>,
  home: string | undefined,
): string {
  return value.replace(/\$\{([^}]+)\}/g, (whole: string, name: string): string => {
    if (name === "workspaceFolder" && workspaceFolder !== undefined) {
      return workspaceFolder;
    }
    if (name === "userHome" && home !== undefined) {
      return home;
    }
    if (name.startsWith("env:")) {
      return env[name.slice(4)] ?? "";
    }
    return whole;
  });
}

/**
 * The interpreter: `raco-lsp.server.pythonPath` when set (with variables
 * substituted), else the Python extension's active environment, else python3.
 */
export function choosePython(
  setting: unknown,
  pythonExtensionPath: string | undefined,
  workspaceFolder: string | undefined,
  env: Record<string, string | undefined> = {},
  home?: string,
): PythonChoice {
  if (typeof setting === "string" && setting.trim() !== "") {
    return {
      python: substituteVariables(setting.trim(), workspaceFolder, env, home),
      source: "setting",
    };
  }
  if (pythonExtensionPath !== undefined && pythonExtensionPath !== "") {
    return { python: pythonExtensionPath, source: "python-extension" };
  }
  return { python: "python3", source: "default" };
}

/** `PYTHON -m raco_lsp serve EXTRA...`; non-string extra arguments are dropped. */
export function serverCommand(choice: PythonChoice, extraArgs: unknown): ServerCommand {
  const extra = Array.isArray(extraArgs)
    ? extraArgs.filter((a): a is string => typeof a === "string")
    : [];
  return { command: choice.python, args: ["-m", "raco_lsp", "serve", ...extra] };
}

/** Arguments that make the interpreter fail unless raco_lsp is importable. */
export const IMPORT_CHECK_ARGS: readonly string[] = [
  "-c",
  "import raco_lsp, sys; sys.stdout.write(raco_lsp.__file__)",
];

const SOURCE_NAMES: Record<PythonSource, string> = {
  setting: "raco-lsp.server.pythonPath",
  "python-extension": "the Python extension's active environment",
  default: "the default python3 on PATH",
};

/** The error shown when the check fails, with the fix. */
export function importErrorMessage(choice: PythonChoice, detail: string): string {
  const why = detail.includes("No module named")
    ? "raco_lsp is not installed in it"
    : detail.includes("ENOENT")
      ? "that interpreter does not exist"
      : `it failed: ${detail.trim().split("\n").slice(-1)[0] ?? ""}`;
  return (
    `raco-lsp cannot start: ${choice.python} (from ${SOURCE_NAMES[choice.source]}) ` +
    `cannot import raco_lsp (${why}). Fix: run \`pip install raco-lsp\` (or \`pip install -e .\` ` +
    "in a raco-lsp checkout) in that environment, set raco-lsp.server.pythonPath to a Python " +
    "that has it, or let the extension install it into a virtual environment it manages."
  );
}
