import assert from "node:assert/strict";
import { test } from "node:test";
import { getDotted, serverSettings } from "../settings";

const vscodeConfig = {
  racketPath: "/opt/racket",
  compileOnSave: "file",
  compileTimeout: 30,
  maxFileSize: 16,
  test: { mode: "drdr", timeout: 10, jobs: 2 },
  server: { pythonPath: "/p" },
  trace: { server: "verbose" },
  trusted: true,
};

test("the server's settings, nested test.*, trust from VS Code", () => {
  const s = serverSettings((k) => getDotted(vscodeConfig, k), false);
  assert.deepEqual(s, {
    racketPath: "/opt/racket",
    compileOnSave: "file",
    compileTimeout: 30,
    maxFileSize: 16,
    test: { mode: "drdr", timeout: 10, jobs: 2 },
    trusted: false,
  });
});

test("client-only settings are not sent and missing ones are left to the server", () => {
  const s = serverSettings(() => undefined, true);
  assert.deepEqual(s, { test: {}, trusted: true });
  assert.equal("server" in s, false);
});

test("getDotted", () => {
  assert.equal(getDotted(vscodeConfig, "test.mode"), "drdr");
  assert.equal(getDotted(vscodeConfig, "test.nope.x"), undefined);
  assert.equal(getDotted(null, "a"), undefined);
});
