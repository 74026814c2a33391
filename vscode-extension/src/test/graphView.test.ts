import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeHtml, graphHtml, staleText } from "../graphView";
import type { Graph } from "../lsp_ext";

const g: Graph = {
  nodes: [
    { path: "/w/main.rkt", uri: "file:///w/main.rkt", stale: false, certain: true, workspace: true },
    { path: "/w/greet.rkt", uri: "file:///w/greet.rkt", stale: true, certain: true, reason: "source changed", workspace: true },
    { path: "/w/<x>.rkt", uri: "file:///w/%3Cx%3E.rkt", stale: false, certain: true, workspace: true },
    { path: "/usr/share/racket/collects/racket/base.rkt", uri: "file:///usr/share/racket/collects/racket/base.rkt", stale: false, certain: true, workspace: false },
  ],
  edges: [
    { from: "/w/greet.rkt", to: "/usr/share/racket/collects/racket/base.rkt" },
    { from: "/w/main.rkt", to: "/w/greet.rkt" },
    { from: "/w/<x>.rkt", to: "/w/greet.rkt" },
  ],
};

test("a module: what it requires and what requires it, stale marked, names escaped", () => {
  const html = graphHtml(g, "/w/greet.rkt", "/w", "N");
  assert.match(html, /<h2>greet\.rkt <span class="stale">stale: source changed<\/span>/);
  assert.match(html, /Requires \(1\)<\/h3><ul><li class="fresh ext"><a href="#" data-uri="file:\/\/\/usr\/share\/racket\/collects\/racket\/base.rkt" title="up to date">racket\/base\.rkt<\/a>/);
  assert.match(html, /Required by \(2\)/);
  assert.ok(html.includes("&#60;x&#62;.rkt"));
  assert.ok(!html.includes("<x>"));
  assert.match(html, /script-src 'nonce-N'/);
});

test("no module: the whole workspace", () => {
  assert.match(graphHtml(g, undefined, "/w", "N"), /Workspace: 4 modules, 1 stale/);
  assert.equal(escapeHtml(`"'&`), "&#34;&#39;&#38;");
});

test("a stale module that may only be touched says so", () => {
  const n = { path: "/w/m.rkt", uri: "file:///w/m.rkt", stale: true, workspace: true };
  assert.equal(staleText({ ...n, certain: true, reason: "r" }), "stale: r");
  assert.equal(staleText({ ...n, certain: false, reason: "r" }), "stale: r (may only be touched)");
});

test("a module whose last compile failed says so, not why it is stale", () => {
  const n = { path: "/w/b.rkt", uri: "file:///w/b.rkt", stale: true, certain: true, workspace: true };
  const failing = { ...n, reason: "b.rkt failed to compile: oops: unbound identifier", failed: "oops: unbound identifier" };
  assert.equal(staleText(failing), "failed to compile: oops: unbound identifier");
});
