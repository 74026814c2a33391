import assert from "node:assert/strict";
import { test } from "node:test";
import { statusView, type StatusState } from "../statusModel";

function st(p: Partial<StatusState>): StatusState {
  return { trusted: true, server: "running", work: new Map(), errors: 0, warnings: 0, ...p };
}

test("status bar: idle, compiling n/m, other work, errors, untrusted, failed", () => {
  assert.equal(statusView(st({})).text, "$(check) Racket");
  const build = { building: true, done: 2, total: 5, errors: 1 };
  const b = statusView(st({ build }));
  assert.equal(b.text, "$(sync~spin) Racket: compiling 2/5");
  assert.equal(b.tooltip, "Compiling Racket: 2 of 5 modules compiled, 1 error");
  // The build wins over other work; a finished build shows nothing of itself.
  const work = new Map([["t", { title: "raco test", message: "1 files done: a.rkt pass" }]]);
  assert.equal(statusView(st({ build, work })).text, "$(sync~spin) Racket: compiling 2/5");
  const w = statusView(st({ build: { ...build, building: false }, work }));
  assert.equal(w.text, "$(sync~spin) Racket: raco test");
  assert.equal(w.tooltip, "raco test: 1 files done: a.rkt pass");
  assert.equal(statusView(st({ build: { ...build, building: false } })).text, "$(check) Racket");
  const e = statusView(st({ errors: 2, warnings: 1 }));
  assert.equal(e.text, "$(error) Racket: 2 errors");
  assert.equal(e.command, "workbench.actions.view.problems");
  const u = statusView(st({ trusted: false }));
  assert.equal(u.text, "$(shield) Racket: restricted");
  assert.match(u.tooltip, /not trusted.*does not compile/);
  assert.equal(u.command, "workbench.trust.manage");
  assert.equal(statusView(st({ server: "failed" })).command, "raco-lsp.showLog");
});
