import assert from "node:assert/strict";
import { test } from "node:test";
import {
  distroMakeArgs,
  distroTaskLabel,
  isSiteConfigText,
  isSourceCheckout,
  racoExecutable,
  racoTaskArgs,
} from "../tasks";

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

test("a Racket source checkout has racket/src and an installers target", () => {
  const makefile = "all:\n\techo\n\ninstallers:\n\t$(MAKE) x\n";
  assert.equal(isSourceCheckout(true, makefile), true);
  assert.equal(isSourceCheckout(false, makefile), false);
  assert.equal(isSourceCheckout(true, undefined), false);
  assert.equal(isSourceCheckout(true, "all:\n\tmake installers\n"), false);
});

test("site configurations by their #lang", () => {
  assert.equal(isSiteConfigText(";; farm\n#lang distro-build/config\n(machine)"), true);
  assert.equal(isSiteConfigText("#lang distro-build/configure\n"), false);
  assert.equal(isSiteConfigText("#lang racket/base\n"), false);
});

test("make arguments of the distro-build tasks", () => {
  assert.deepEqual(distroMakeArgs({ target: "describe-clients" }), ["describe-clients", "CONFIG=build/site.rkt"]);
  assert.deepEqual(
    distroMakeArgs({ target: "installers", config: "farm/site.rkt", mode: "release", release: true, clean: true }),
    ["installers", "CONFIG=farm/site.rkt", "CONFIG_MODE=release", "RELEASE_MODE=--release", "CLEAN_MODE=--clean"],
  );
  assert.deepEqual(distroMakeArgs({ target: "site", mode: "", release: false }), ["site", "CONFIG=build/site.rkt"]);
  assert.equal(distroTaskLabel({ target: "site", clean: true }), "make site CONFIG=build/site.rkt CLEAN_MODE=--clean");
});
