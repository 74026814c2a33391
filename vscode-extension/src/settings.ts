// VS Code settings -> the `raco-lsp` section the server reads.
// No `vscode` import: unit-tested with node's test runner.

/** Settings the server understands (README "Settings"); the rest stay in the client. */
const SERVER_KEYS = [
  "racketPath",
  "compileOnSave",
  "checkOnStartup",
  "compileTimeout",
  "debounce",
  "agentMemoryLimit",
  "spareAgentTimeout",
  "maxFileSize",
  "distEntries",
  "distOutput",
  "smokeTimeout",
] as const;

const TEST_KEYS = ["mode", "timeout", "jobs"] as const;

/**
 * The object sent as `initializationOptions["raco-lsp"]` and as the answer to
 * `workspace/configuration` for section `raco-lsp`. `get` reads a key of the
 * VS Code `raco-lsp` configuration (dotted keys such as `test.mode` work).
 * `trusted` always comes from VS Code's workspace trust, never from a setting.
 */
export function serverSettings(
  get: (key: string) => unknown,
  trusted: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_KEYS) {
    const v = get(key);
    if (v !== undefined) {
      out[key] = v;
    }
  }
  const test: Record<string, unknown> = {};
  for (const key of TEST_KEYS) {
    const v = get(`test.${key}`);
    if (v !== undefined) {
      test[key] = v;
    }
  }
  out.test = test;
  out.trusted = trusted;
  return out;
}

/** Reads a dotted key out of a nested configuration object. */
export function getDotted(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split(".")) {
    if (cur === null || typeof cur !== "object") {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
