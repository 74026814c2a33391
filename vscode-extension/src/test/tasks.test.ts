import assert from "node:assert/strict";
import { test } from "node:test";
import { racoExecutable, racoTaskArgs } from "../tasks";

test("raco next to racketPath", () => {
  const files = new Set(["/opt/r/bin/racket"]);
  const isFile = (p: string): boolean => files.has(p);
  assert.equal(racoExecutable(null, isFile), "raco");
  assert.equal(racoExecutable("", isFile), "raco");
  assert.equal(racoExecutable("/opt/racket", isFile), "/opt/racket/bin/raco");
  assert.equal(racoExecutable("/opt/r/bin/", isFile), "/opt/r/bin/raco");
  assert.equal(racoExecutable("/opt/r/bin/racket", isFile), "/opt/r/bin/raco");
});

test("task argument lists", () => {
  assert.deepEqual(racoTaskArgs("make", "/w s", "w s", ["a.rkt", "sub/b c.rkt"]), ["make", "-v", "a.rkt", "sub/b c.rkt"]);
  assert.deepEqual(racoTaskArgs("test", "/w s", "w s", []), ["test", "/w s"]);
  assert.deepEqual(racoTaskArgs("setup", "/w s", "hello", []), ["setup", "--no-docs", "--pkgs", "hello"]);
});
