import assert from "node:assert/strict";
import { test } from "node:test";
import { statusView, type StatusState } from "../statusModel";

function st(p: Partial<StatusState>): StatusState {
  return { trusted: true, server: "running", work: new Map(), errors: 0, warnings: 0, ...p };
}

test("status bar: idle, compiling n/m, errors, untrusted, failed", () => {
  assert.equal(statusView(st({})).text, "$(check) Racket");
  const work = new Map([["t", { title: "Compiling Racket", message: "greet.rkt", done: 2, total: 5 }]]);
  assert.equal(statusView(st({ work })).text, "$(sync~spin) Racket: compiling 2/5");
  const e = statusView(st({ errors: 2, warnings: 1 }));
  assert.equal(e.text, "$(error) Racket: 2 errors");
  assert.equal(e.command, "workbench.actions.view.problems");
  const u = statusView(st({ trusted: false }));
  assert.equal(u.text, "$(shield) Racket: restricted");
  assert.match(u.tooltip, /not trusted.*does not compile/);
  assert.equal(u.command, "workbench.trust.manage");
  assert.equal(statusView(st({ server: "failed" })).command, "raco-lsp.showLog");
});
