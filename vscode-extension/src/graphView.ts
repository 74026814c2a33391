// HTML of the module graph view. No `vscode` import: unit-tested with node.
import type { Graph, GraphNode } from "./lsp_ext";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A stale module's state, worded as the server's hovers word it (module_graph.py `_stale_text`). */
export function staleText(n: GraphNode): string {
  if (n.failed !== undefined) {
    return `failed to compile: ${n.failed}`;
  }
  return `stale: ${n.reason ?? ""}${n.certain === false ? " (may only be touched)" : ""}`;
}

function shortName(n: GraphNode, root: string | undefined): string {
  if (root !== undefined && n.path.startsWith(`${root}/`)) {
    return n.path.slice(root.length + 1);
  }
  const m = /\/collects\/(.+)$/.exec(n.path);
  return m ? m[1]! : n.path;
}

function row(n: GraphNode, root: string | undefined): string {
  const cls = `${n.stale ? "stale" : "fresh"}${n.workspace ? "" : " ext"}`;
  const title = n.stale ? staleText(n) : "up to date";
  return (
    `<li class="${cls}"><a href="#" data-uri="${escapeHtml(n.uri)}" title="${escapeHtml(title)}">` +
    `${escapeHtml(shortName(n, root))}</a>${n.stale ? ` <span class="why">${escapeHtml(n.reason ?? "stale")}</span>` : ""}</li>`
  );
}

/**
 * The view of `focus` (a module path) in `graph`: what it requires, what
 * requires it, stale ones marked; each name posts {open: uri} when clicked.
 * Lists, not a drawing, so a 1,000-module graph stays usable.
 */
export function graphHtml(graph: Graph, focus: string | undefined, root: string | undefined, nonce: string): string {
  const byPath = new Map(graph.nodes.map((n) => [n.path, n]));
  const deps = graph.edges.filter((e) => e.from === focus).map((e) => byPath.get(e.to));
  const dependents = graph.edges.filter((e) => e.to === focus).map((e) => byPath.get(e.from));
  const sorted = (xs: (GraphNode | undefined)[]): GraphNode[] =>
    xs
      .filter((x): x is GraphNode => x !== undefined)
      .sort((a, b) => Number(b.workspace) - Number(a.workspace) || a.path.localeCompare(b.path));
  const list = (xs: GraphNode[]): string => `<ul>${xs.map((n) => row(n, root)).join("")}</ul>`;
  const me = focus === undefined ? undefined : byPath.get(focus);
  const stale = graph.nodes.filter((n) => n.stale && n.workspace).length;
  const body =
    me === undefined
      ? `<h2>Workspace: ${graph.nodes.length} modules, ${stale} stale</h2>${list(sorted(graph.nodes))}`
      : `<h2>${escapeHtml(shortName(me, root))} <span class="${me.stale ? "stale" : "fresh"}">` +
        `${me.stale ? escapeHtml(staleText(me)) : "up to date"}</span></h2>` +
        `<div class="cols"><section><h3>Requires (${deps.length})</h3>${list(sorted(deps))}</section>` +
        `<section><h3>Required by (${dependents.length})</h3>${list(sorted(dependents))}</section></div>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body{font-family:var(--vscode-font-family);color:var(--vscode-foreground)}
.cols{display:flex;gap:2em}section{flex:1}ul{list-style:none;padding-left:0}
a{color:var(--vscode-textLink-foreground);text-decoration:none}
.stale a,span.stale{color:var(--vscode-errorForeground)}.why{opacity:.7;font-size:90%}
.ext a{font-style:italic;opacity:.8}
</style></head><body>${body}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-uri]");
  if (a) { e.preventDefault(); vscode.postMessage({ open: a.dataset.uri }); }
});
</script></body></html>`;
}
