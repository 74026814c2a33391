"""The live module dependency graph in the editor.

One ``ModuleGraph`` per workspace folder (files outside every folder get a
graph of their own directory).  Buffers update their node as you type; saves,
builds and watched-file events update the rest.  On top of it: document links
and go-to-definition on require paths, hover on a require, a code lens on the
``#lang`` line, diagnostics for requires that resolve to nothing, and the
requests ``raco/moduleGraph``, ``raco/dependencies``, ``raco/dependents`` and
``raco/recompileOrder``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.racket import langs
from raco_lsp.racket.deps import compiled_paths
from raco_lsp.racket.graph import norm
from raco_lsp.racket.graph.index import GRAPH_SUFFIXES, ModuleGraph, ModuleNode, Require
from raco_lsp.racket.install import InstallInfo, load_install_info
from raco_lsp.racket.modpath import Resolver

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

SOURCE = "module graph"
WATCHERS = ["**/*.rkt", "**/*.ss", "**/*.scrbl", "**/compiled/*.dep", "**/info.rkt"]


class GraphService:
    def __init__(self, server: RacoLanguageServer) -> None:
        self._server = server
        self.info: InstallInfo | None = None
        self.resolver = Resolver(None)
        self.graphs: dict[Path, ModuleGraph] = {}
        self.ready = asyncio.Event()
        self._registered_watchers = False
        self.pending: set[asyncio.Future[None]] = set()  # updates waiting for the first scan
        self._loaded_for: Path | None = None
        self.profiles = langs.LangProfiles()
        self._profiling: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------

    async def on_ready(self) -> None:
        install = self._server.install
        racket = install.racket if install else None
        if racket != self._loaded_for or not self.ready.is_set():
            self._loaded_for = racket
            self.info = None
            if install is not None:
                self.info, problems = await load_install_info(install)
                for p in problems:
                    log.warning("%s", p)
            self.resolver = Resolver(self.info)
            self.profiles = langs.load_cached(install) if install else langs.LangProfiles()
            self.graphs = {}
            await self.ensure_graphs()
            self.ready.set()
            for uri in list(self._server.workspace.text_documents):
                path = _uri_path(uri)
                if path is not None and path.suffix in GRAPH_SUFFIXES:
                    self.update_buffer(path)
        self.learn_profiles()
        await self._register_watchers()

    def learn_profiles(self) -> None:
        """Profile, in the background, the module languages the graphs use
        and do not know yet (one Racket process; see racket/langs.py)."""
        if self._profiling is not None and not self._profiling.done():
            return
        if not self._server.settings.trusted:
            # Profiling compiles installation languages only, but nothing at
            # all runs Racket on behalf of an untrusted folder.
            return
        install, info = self._server.install, self.info
        if install is None or info is None:
            return

        def wanted() -> list[str]:
            return list(dict.fromkeys(k for g in self.graphs.values() for k in g.wanted_profiles()))

        keys = wanted()
        if not keys:
            return

        async def run(keys: list[str]) -> None:
            # Modules opened meanwhile may use yet other languages: go on
            # until every language in use is known (or failed to profile).
            while keys:
                log.info("profiling %d module languages", len(keys))
                new, problems = await langs.compute(install, info, keys)
                for p in problems:
                    log.warning("%s", p)
                if not new:
                    return
                await asyncio.to_thread(langs.add, info, self.profiles, new)
                langs.save(install, self.profiles)
                for g in self.graphs.values():
                    g.apply_profiles()
                keys = wanted()

        self._profiling = asyncio.ensure_future(run(keys))

    async def ensure_graphs(self) -> None:
        roots = []
        for folder in self._server.workspace.folders.values():
            fs = to_fs_path(folder.uri)
            if fs:
                roots.append(norm(Path(fs)))
        if not roots and self._server.workspace.root_path:
            roots.append(norm(Path(self._server.workspace.root_path)))
        for root in roots:
            if root not in self.graphs:
                graph = self._new_graph(root)
                await asyncio.to_thread(graph.scan)
                self.graphs[root] = graph
                log.info("module graph of %s: %d modules", root, len(graph.nodes))

    def _new_graph(self, root: Path) -> ModuleGraph:
        return ModuleGraph(
            [root], self.resolver, text_of=self._server.open_text, profiles=self.profiles
        )

    async def _register_watchers(self) -> None:
        if self._registered_watchers:
            return
        caps = self._server.client_capabilities.workspace
        watch = caps.did_change_watched_files if caps else None
        if watch is None or not watch.dynamic_registration:
            return
        self._registered_watchers = True
        try:
            await self._server.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="raco-lsp-watched-files",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHERS]
                            ),
                        )
                    ]
                )
            )
        except Exception as e:
            log.warning("could not register file watchers: %s", e)

    async def wait_idle(self) -> None:
        """Until the first scan is done and no deferred update is waiting."""
        await self.ready.wait()
        while self.pending or (self._profiling is not None and not self._profiling.done()):
            if self.pending:
                await asyncio.wait(list(self.pending))
            if self._profiling is not None:
                await asyncio.wait([self._profiling])

    # -- lookups ----------------------------------------------------------

    def graph_for(self, path: Path) -> ModuleGraph:
        path = norm(path)
        best: ModuleGraph | None = None
        for root, g in self.graphs.items():
            if path.is_relative_to(root) and (
                best is None or len(root.parts) > len(best.roots[0].parts)
            ):
                best = g
        if best is None:
            root = path.parent
            best = self.graphs.get(root)
            if best is None:
                best = self.graphs[root] = self._new_graph(root)
        return best

    def node_of_uri(self, uri: str) -> tuple[Path, ModuleNode] | None:
        """The graph node of a module document, or None for other documents."""
        path = _uri_path(uri)
        if path is None or path.suffix not in GRAPH_SUFFIXES:
            return None
        node = self.node(path)
        return None if node is None else (path, node)

    def node(self, path: Path) -> ModuleNode | None:
        g = self.graph_for(path)
        return g.nodes.get(norm(path)) or (g.update(path) if path.exists() else None)

    # -- updates ----------------------------------------------------------

    def update_buffer(self, path: Path) -> None:
        if path.suffix not in GRAPH_SUFFIXES:
            return
        g = self.graph_for(path)
        node = g.update(path, self._server.open_text(path))
        self.publish_require_problems(node)
        if any(k is not None and not self.profiles.has(k) for k, _ in node.lang_rules):
            self.learn_profiles()

    def update_disk(self, path: Path) -> None:
        if path.suffix not in GRAPH_SUFFIXES:
            return
        g = self.graph_for(path)
        # Typing forgets only the edited module's answers (and its
        # dependents'); a save or a change on disk looks at everything again,
        # since other files may have changed without a notification.
        g.forget_staleness()
        if path.exists():
            node = g.update(path)
            self.publish_require_problems(node)
        else:
            g.remove(path)
            self._server.store.put(SOURCE, self._server.uri_of(path), [])

    def dep_changed(self, dep_path: Path) -> None:
        """A ``compiled/x_rkt.dep`` changed: reread the node it belongs to."""
        stem = dep_path.name.removesuffix(".dep")
        src_dir = dep_path.parent.parent
        for cand in _source_candidates(stem):
            source = src_dir / cand
            if source.exists() and compiled_paths(source)[1].name == dep_path.name:
                self.graph_for(source).reread_dep(source)

    def on_built(self, paths: list[Path]) -> None:
        for p in paths:
            g = self.graph_for(p)
            if norm(p) in g.nodes:
                g.reread_dep(p)

    def on_watched(self, changes: list[types.FileEvent]) -> None:
        for change in changes:
            path = _uri_path(change.uri)
            if path is None:
                continue
            if path.suffix == ".dep":
                self.dep_changed(path)
            elif path.suffix in GRAPH_SUFFIXES and self._server.open_text(path) is None:
                self.update_disk(path)

    def publish_require_problems(self, node: ModuleNode) -> None:
        problems = [
            Problem(
                node.path,
                r.spec.span,
                Severity.ERROR,
                r.resolution.problem,
                SOURCE,
                code="unresolved-require",
            )
            for r in node.requires
            if r.resolution.problem is not None
        ]
        conv = self._server.range_converter()
        self._server.store.put(
            SOURCE, self._server.uri_of(node.path), [conv.diagnostic(p) for p in problems]
        )

    # -- JSON views -------------------------------------------------------

    def describe(self, path: Path) -> dict[str, Any]:
        g = self.graph_for(path)
        s = g.staleness(path)
        return {
            "uri": self._server.uri_of(path),
            "path": str(path),
            "workspace": norm(path) in g.nodes,
            "stale": s.stale,
            "known": s.known,
            "reason": s.reason,
        }


def _source_candidates(stem: str) -> list[str]:
    """``a_b_rkt`` may come from ``a_b.rkt`` or ``a.b.rkt``: the last ``_`` is the dot."""
    if "_" not in stem:
        return []
    base, ext = stem.rsplit("_", 1)
    return [f"{base}.{ext}"] + ([f"{b}.{ext}" for b in _dot_variants(base)] if "_" in base else [])


def _dot_variants(base: str) -> list[str]:
    parts = base.split("_")
    return [".".join(parts[:i]) + "_" + "_".join(parts[i:]) for i in range(2, len(parts))] + [
        ".".join(parts)
    ]


def _uri_path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return Path(fs) if fs else None


def _contains(span: Span, pos: types.Position) -> bool:
    start = (span.start.line, span.start.col)
    end = (span.end.line, span.end.col)
    return start <= (pos.line, pos.character) <= end


def _require_at(
    ls: RacoLanguageServer, svc: GraphService, uri: str, pos: types.Position
) -> tuple[Path, Require] | None:
    found = svc.node_of_uri(uri)
    if found is None:
        return None
    path, node = found
    doc = ls.workspace.get_text_document(uri)
    server_pos = ls.workspace.position_codec.position_from_client_units(doc.lines, pos)
    here = types.Position(line=server_pos.line, character=server_pos.character)
    for r in node.requires:
        if _contains(r.spec.span, here):
            return path, r
    return None


def _describe_staleness(svc: GraphService, target: Path) -> str:
    g = svc.graph_for(target)
    if g.info is not None and g.info.in_installation(target) and norm(target) not in g.nodes:
        return "installation module (compiled by raco setup)"
    s = g.staleness(target)
    if not s.known:
        return "compiled state unknown (Racket not found)"
    if not s.stale:
        return "compiled, up to date"
    return f"stale: {s.reason}" + ("" if s.certain else " (may only be touched)")


def register(server: RacoLanguageServer) -> None:
    svc = GraphService(server)
    server.graph = svc
    p = server.providers

    # Until the first scan is done, graph_for() would make an empty graph of
    # the folder: work that arrives earlier waits for the scan in a task of
    # its own, so other features' hooks are not held up behind it.
    def when_ready(work: Callable[[], None]) -> None:
        if svc.ready.is_set():
            work()
            return

        async def later() -> None:
            await svc.ready.wait()
            work()

        task = asyncio.ensure_future(later())
        svc.pending.add(task)
        task.add_done_callback(svc.pending.discard)

    def on_buffer(ls: RacoLanguageServer, path: Path) -> None:
        when_ready(lambda: svc.update_buffer(path))

    def on_disk(ls: RacoLanguageServer, path: Path) -> None:
        when_ready(lambda: svc.update_disk(path))

    def on_watched(ls: RacoLanguageServer, changes: list[types.FileEvent]) -> None:
        when_ready(lambda: svc.on_watched(changes))

    def on_built(ls: RacoLanguageServer, paths: list[Path]) -> None:
        when_ready(lambda: svc.on_built(paths))

    p.on_ready.append(lambda ls: svc.on_ready())
    p.on_open.append(on_buffer)
    p.on_change.append(on_buffer)
    p.on_save.append(on_disk)
    p.on_close.append(on_disk)
    p.watched.append(on_watched)
    p.on_built.append(on_built)

    def document_links(
        ls: RacoLanguageServer, params: types.DocumentLinkParams
    ) -> list[types.DocumentLink]:
        found = svc.node_of_uri(params.text_document.uri)
        if found is None:
            return []
        path, node = found
        conv = ls.range_converter()
        return [
            types.DocumentLink(
                range=conv.range(path, r.spec.span),
                target=ls.uri_of(r.resolution.path),
                tooltip=str(r.resolution.path),
            )
            for r in node.requires
            if r.resolution.path is not None
        ]

    def definition(ls: RacoLanguageServer, params: types.DefinitionParams) -> list[types.Location]:
        found = _require_at(ls, svc, params.text_document.uri, params.position)
        if found is None or found[1].resolution.path is None:
            return []
        target = found[1].resolution.path
        zero = types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        )
        return [types.Location(uri=ls.uri_of(target), range=zero)]

    def hover(ls: RacoLanguageServer, params: types.HoverParams) -> types.Hover | None:
        found = _require_at(ls, svc, params.text_document.uri, params.position)
        if found is None:
            return None
        path, r = found
        res = r.resolution
        lines = [f"**require** `{r.spec.value}`"]
        if res.path is not None:
            lines.append(f"resolves to `{res.path}`")
            if res.collection:
                lines.append(f"collection path `{res.collection}`")
            lines.append(_describe_staleness(svc, res.path))
        elif res.problem:
            lines.append(res.problem)
        else:
            lines.append("not resolved (no file: a quoted or planet module, or Racket not found)")
        g = svc.graph_for(path)
        edge = next((e for e in g.edges(path) if res.path and e.target == norm(res.path)), None)
        if edge is not None and not edge.in_dep and g.nodes[norm(path)].dep is not None:
            lines.append(f"_not in the last compile of {path.name}: save to recompile_")
        conv = ls.range_converter()
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(lines)),
            range=conv.range(path, r.spec.span),
        )

    def code_lens(ls: RacoLanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        found = svc.node_of_uri(params.text_document.uri)
        if found is None:
            return []
        path, node = found
        g = svc.graph_for(path)
        deps = len(g.dependencies(path))
        dependents = len(g.dependents(path))
        s = g.staleness(path)
        state = (
            "state unknown"
            if not s.known
            else ("up to date" if not s.stale else f"stale: {s.reason}")
        )
        title = (
            f"{deps} dependenc{'y' if deps == 1 else 'ies'} · "
            f"{dependents} dependent{'' if dependents == 1 else 's'} · {state}"
        )
        span = node.lang_span or Span.at_line_start()
        return [
            types.CodeLens(
                range=ls.range_converter().range(path, span),
                command=types.Command(
                    title=title,
                    command="raco-lsp.showModuleGraph",
                    arguments=[params.text_document.uri],
                ),
            )
        ]

    p.document_link.append(document_links)
    p.definition.append(definition)
    p.hover.append(hover)
    p.code_lens.append(code_lens)

    def _param_path(params: Any) -> Path | None:
        uri = getattr(params, "uri", None) if params is not None else None
        if uri is None and isinstance(params, dict):
            uri = params.get("uri")
        return _uri_path(uri) if isinstance(uri, str) else None

    @server.feature("raco/moduleGraph")
    async def module_graph(ls: RacoLanguageServer, params: Any) -> dict[str, Any]:
        """``{uri?}``: the module with its dependencies and dependents, or
        (without uri) every workspace module.  ``{"nodes": [{"path", "uri",
        "stale", "reason", "workspace"}], "edges": [{"from", "to", "inSource",
        "inDep"}], "cycles": [[path, ...]]}``."""
        await svc.ready.wait()
        path = _param_path(params)
        if path is None:
            out: dict[str, Any] = {"nodes": [], "edges": []}
            for g in svc.graphs.values():
                j = g.to_json()
                out["nodes"] += j["nodes"]
                out["edges"] += j["edges"]
        else:
            g = svc.graph_for(path)
            if norm(path) not in g.nodes and path.exists():
                g.update(path)
            around = [path, *(d for d in g.dependents(path) if d in g.nodes)]
            out = g.to_json(around)
        for n in out["nodes"]:
            n["uri"] = ls.uri_of(Path(n["path"]))
        return out

    async def neighbours(params: Any, which: str) -> list[dict[str, Any]]:
        await svc.ready.wait()
        path = _param_path(params)
        if path is None:
            return []
        graph = svc.graph_for(path)
        found = graph.dependencies(path) if which == "dependencies" else graph.dependents(path)
        return [svc.describe(d) for d in found]

    @server.feature("raco/dependencies")
    async def dependencies(ls: RacoLanguageServer, params: Any) -> list[dict[str, Any]]:
        return await neighbours(params, "dependencies")

    @server.feature("raco/dependents")
    async def dependents(ls: RacoLanguageServer, params: Any) -> list[dict[str, Any]]:
        return await neighbours(params, "dependents")

    @server.feature("raco/recompileOrder")
    async def recompile_order(ls: RacoLanguageServer, params: Any) -> dict[str, Any]:
        """``{uri}``: the module and its workspace dependents in the order to
        compile them, and the require cycles among them."""
        await svc.ready.wait()
        path = _param_path(params)
        if path is None:
            return {"order": [], "cycles": []}
        order, cycles = svc.graph_for(path).recompile_order(path)
        return {"order": [str(p) for p in order], "cycles": [[str(p) for p in c] for c in cycles]}

    @server.command("raco-lsp.showModuleGraph")
    async def show_module_graph(ls: Any, *args: Any) -> dict[str, Any]:
        """The module graph around a file (``ls: Any``: pygls evaluates
        command annotations at run time)."""
        uri = args[0] if args and isinstance(args[0], str) else None
        return await module_graph(ls, {"uri": uri} if uri else None)

    _ = (dependencies, dependents, recompile_order, show_module_graph)
