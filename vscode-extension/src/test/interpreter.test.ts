import assert from "node:assert/strict";
import { test } from "node:test";
import {
  choosePython,
  importErrorMessage,
  serverCommand,
  substituteVariables,
} from "../interpreter";

test("the setting wins and ${workspaceFolder} is replaced", () => {
  const c = choosePython("${workspaceFolder}/.venv/bin/python", "/ext/python", "/w s/proj");
  assert.deepEqual(c, { python: "/w s/proj/.venv/bin/python", source: "setting" });
});

test("an empty or non-string setting falls back to the Python extension, then python3", () => {
  assert.deepEqual(choosePython("", "/ext/python", "/w"), { python: "/ext/python", source: "python-extension" });
  assert.deepEqual(choosePython(null, "/ext/python", "/w"), { python: "/ext/python", source: "python-extension" });
  assert.deepEqual(choosePython("  ", undefined, "/w"), { python: "python3", source: "default" });
  assert.deepEqual(choosePython(42, "", undefined), { python: "python3", source: "default" });
});

test("env and home variables; unknown variables stay", () => {
  assert.equal(
    substituteVariables("${env:VENV}/bin/python:${userHome}:${config:x}", "/w", { VENV: "/v" }, "/home/u"),
    "/v/bin/python:/home/u:${config:x}",
  );
  assert.equal(substituteVariables("${workspaceFolder}/p", undefined, {}, undefined), "${workspaceFolder}/p");
});

test("settings -> command line", () => {
  const cmd = serverCommand({ python: "/p/python", source: "setting" }, ["--log", 3, "debug"]);
  assert.deepEqual(cmd, { command: "/p/python", args: ["-m", "raco_lsp", "serve", "--log", "debug"] });
  assert.deepEqual(serverCommand({ python: "python3", source: "default" }, "nope").args, [
    "-m",
    "raco_lsp",
    "serve",
  ]);
});

test("the import error names the interpreter, where it came from, and the fix", () => {
  const m = importErrorMessage(
    { python: "/usr/bin/python3", source: "default" },
    "Traceback...\nModuleNotFoundError: No module named 'raco_lsp'\n",
  );
  assert.match(m, /\/usr\/bin\/python3 \(from the default python3 on PATH\)/);
  assert.match(m, /raco_lsp is not installed/);
  assert.match(m, /pip install raco-lsp/);
  assert.match(m, /raco-lsp\.server\.pythonPath/);
  const missing = importErrorMessage({ python: "/nope", source: "setting" }, "spawn /nope ENOENT");
  assert.match(missing, /does not exist/);
  assert.match(missing, /from raco-lsp\.server\.pythonPath/);
});
