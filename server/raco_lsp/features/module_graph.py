"""The live module dependency graph in the editor.

One ``ModuleGraph`` per workspace folder (files outside every folder get a
graph of their own directory).  Buffers update their node as you type; saves,
builds and watched-file events update the rest.  On top of it: document links
and go-to-definition on require paths, hover on a require, a code lens on the
``#lang`` line, diagnostics for requires that resolve to nothing, the
requests ``raco/moduleGraph``, ``raco/dependencies``, ``raco/dependents`` and
``raco/recompileOrder``, and the command ``raco-lsp.showModuleGraph`` (the
lens's: a generated Markdown view shown with ``window/showDocument``, else a
``window/showMessage`` summary; the VS Code extension runs it itself, as its
webview).

When what the graph knows changes (a build, a save, a change on disk, the
first scan), clients are told: ``workspace/codeLens/refresh`` (when the client
declares ``workspace.codeLens.refreshSupport``) and ``raco/moduleGraphChanged``
(the VS Code graph view asks again).  While a build runs, at most one a second,
and one when it ends.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.info.omits import compile_omits
from raco_lsp.lsp.feature import Feature, command, request
from raco_lsp.lsp.protocol import (
    ModuleGraphChanged,
    ModuleGraphResult,
    ModuleParams,
    ModuleState,
    RecompileOrder,
)
from raco_lsp.lsp.uris import uri_path
from raco_lsp.racket import langs
from raco_lsp.racket.deps import compiled_paths
from raco_lsp.racket.graph import norm
from raco_lsp.racket.graph.index import (
    GRAPH_SUFFIXES,
    GraphView,
    ModuleGraph,
    ModuleNode,
    Require,
    ViewNode,
)
from raco_lsp.racket.graph.staleness import Staleness
from raco_lsp.racket.install import InstallInfo, load_install_info, view_file, write_cache_text
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.modpath import Resolver

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

SOURCE = "module graph"
REFRESH_INTERVAL = 1.0
"""Seconds between two refreshes while a build runs."""
# Compiled files too: a .zo only touched by compiler/cm changes what its
# dependents' staleness says.
WATCHERS = [
    "**/*.rkt",
    "**/*.ss",
    "**/*.scrbl",
    "**/compiled/*.dep",
    "**/compiled/*.zo",
    "**/info.rkt",
]


@dataclass
class _Racket:
    """What the module graphs know of one Racket installation (each folder's
    ``racketPath`` may name another)."""

    install: RacketInstall | None
    info: InstallInfo | None = None
    resolver: Resolver = field(default_factory=lambda: Resolver(None))
    profiles: langs.LangProfiles = field(default_factory=langs.LangProfiles)


class ModuleGraphFeature(Feature):
    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self.info: InstallInfo | None = None  # of the workspace's Racket (server.install)
        self.resolver = Resolver(None)
        self.graphs: dict[Path, ModuleGraph] = {}
        self.ready = asyncio.Event()
        self.info_known = asyncio.Event()
        """Each folder's Racket installation is loaded (the first scan may
        still run): ``folders()`` and ``graph_before_scan`` can answer."""
        self._registered_watchers = False
        self.watching = False
        """The client tells us of file changes on disk (our watchers are
        registered), so a save need not look at every file again."""
        self.pending: set[asyncio.Future[None]] = set()  # updates waiting for the first scan
        self.profiles = langs.LangProfiles()
        self._profiling: asyncio.Task[None] | None = None
        self._held = 0  # builds running: refreshes are spaced out
        self._unsent = False  # a change no refresh has told the client of yet
        self._sent_at = -math.inf
        self._rackets: dict[Path | None, _Racket] = {}  # by racket executable
        self._racket_of: dict[Path, Path | None] = {}  # graph root -> its Racket

    # -- lifecycle --------------------------------------------------------

    async def on_ready(self) -> None:
        base = await self._load(self.server.install)
        self.info, self.resolver, self.profiles = base.info, base.resolver, base.profiles
        for f in self.server.folders():
            await self._load(self.server.install_for(f))
        if not self.ready.is_set():  # graphs made before the first scan are partial
            self.graphs, self._racket_of = {}, {}
        if not self.info_known.is_set():
            self.info_known.set()
            await asyncio.sleep(0)  # what waits for it (graph_before_scan) goes first
        # A graph whose folder now has another Racket is made again.
        changed = [r for r, key in self._racket_of.items() if key != self._racket_key(r)]
        for root in changed:
            self.graphs.pop(root, None)
            del self._racket_of[root]
        await self.ensure_graphs()
        if changed or not self.ready.is_set():
            self.ready.set()
            for uri in list(self.server.workspace.text_documents):
                path = uri_path(uri)
                if path is not None and path.suffix in GRAPH_SUFFIXES:
                    self.update_buffer(path)
            self.facts_changed()
        self.learn_profiles()
        await self._register_watchers()

    async def _load(self, install: RacketInstall | None) -> _Racket:
        key = install.racket if install else None
        if key not in self._rackets:
            racket = _Racket(install)
            if install is not None:
                racket.info, problems = await load_install_info(install)
                for p in problems:
                    log.warning("%s", p)
                racket.resolver = Resolver(racket.info)
                racket.profiles = langs.load_cached(install)
            self._rackets[key] = racket
        return self._rackets[key]

    def _racket_key(self, root: Path) -> Path | None:
        install = self.server.install_for(root)
        return install.racket if install else None

    def _racket(self, root: Path) -> _Racket:
        """The Racket of the graph of ``root``: its folder's, once loaded."""
        found = self._rackets.get(self._racket_of.get(root, self._racket_key(root)))
        base = self.server.install
        return found or self._rackets.get(base.racket if base else None) or _Racket(None)

    def learn_profiles(self) -> None:
        """Profile, in the background, the module languages the graphs use
        and do not know yet (one Racket process per installation; see
        racket/langs.py)."""
        if self._profiling is not None and not self._profiling.done():
            return

        def wanted(key: Path | None) -> list[str]:
            # Profiling compiles installation languages only, but nothing at
            # all runs Racket on behalf of an untrusted folder.
            return list(
                dict.fromkeys(
                    k
                    for root, g in self.graphs.items()
                    if self._racket_of.get(root) == key and self.server.settings_for(root).trusted
                    for k in g.wanted_profiles()
                )
            )

        todo = [
            (key, r)
            for key, r in self._rackets.items()
            if r.install is not None and r.info is not None and wanted(key)
        ]
        if not todo:
            return

        async def run() -> None:
            for key, r in todo:
                assert r.install is not None and r.info is not None
                # Modules opened meanwhile may use yet other languages: go on
                # until every language in use is known (or failed to profile).
                keys = wanted(key)
                while keys:
                    log.info("profiling %d module languages", len(keys))
                    new, problems = await langs.compute(r.install, r.info, keys)
                    for p in problems:
                        log.warning("%s", p)
                    if not new:
                        break
                    await asyncio.to_thread(langs.add, r.info, r.profiles, new)
                    langs.save(r.install, r.profiles)
                    for root, g in self.graphs.items():
                        if self._racket_of.get(root) == key:
                            g.apply_profiles()
                    self.facts_changed()
                    keys = wanted(key)

        self._profiling = asyncio.ensure_future(run())

    async def ensure_graphs(self) -> None:
        for root in map(norm, self.server.folders()):
            if root not in self.graphs:
                graph = self._new_graph(root)
                await asyncio.to_thread(graph.scan)
                self.graphs[root] = graph
                log.info("module graph of %s: %d modules", root, len(graph.nodes))

    def _new_graph(self, root: Path) -> ModuleGraph:
        racket = self._racket(root)
        self._racket_of[root] = racket.install.racket if racket.install else None
        return ModuleGraph(
            [root],
            racket.resolver,
            text_of=self.server.open_text,
            profiles=racket.profiles,
            omits=compile_omits,
        )

    async def _register_watchers(self) -> None:
        if self._registered_watchers:
            return
        caps = self.server.client_capabilities.workspace
        watch = caps.did_change_watched_files if caps else None
        if watch is None or not watch.dynamic_registration:
            return
        if self.server.client_roots() and not self.server.folders():
            return  # every root is in the Racket installation: nothing to watch
        self._registered_watchers = True
        try:
            await self.server.client_register_capability_async(
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
            self.watching = True
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

    def _when_ready(self, work: Callable[[], None]) -> None:
        """Until the first scan is done, graph_for() would make an empty graph
        of the folder: work that arrives earlier waits for the scan in a task
        of its own, so other features' hooks are not held up behind it."""
        if self.ready.is_set():
            work()
            return

        async def later() -> None:
            await self.ready.wait()
            work()

        task = asyncio.ensure_future(later())
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    # -- telling the client -----------------------------------------------

    def facts_changed(self) -> None:
        """What the graph knows changed: refresh the client's code lenses and
        graph view (at once, or while a build runs at most every
        ``REFRESH_INTERVAL`` and when it ends)."""
        self._unsent = True
        if self._held == 0 or time.monotonic() - self._sent_at >= REFRESH_INTERVAL:
            self._refresh()

    def hold_refresh(self) -> None:
        """A build (or a batch of changes) starts: space the refreshes out
        until ``release_refresh``."""
        self._held += 1

    def release_refresh(self) -> None:
        self._held -= 1
        if self._held == 0 and self._unsent:
            self._refresh()

    def _refresh(self) -> None:
        self._unsent = False
        self._sent_at = time.monotonic()
        self.server.protocol.notify("raco/moduleGraphChanged", ModuleGraphChanged())
        caps = self.server.client_capabilities.workspace
        lens = caps.code_lens if caps else None
        if lens is not None and lens.refresh_support:
            answer = self.server.workspace_code_lens_refresh(None)
            answer.add_done_callback(_log_refresh_failure)

    def compile_ended(self, path: Path, error: str | None) -> None:
        """A compile of ``path`` ended, cleanly (None) or with ``error`` (its
        first line); a stale module whose compile failed is described as failing."""
        self._when_ready(lambda: self.graph_for(path).compiled(path, error))

    def graph_before_scan(self, path: Path) -> ModuleGraph | None:
        """Before the first scan: a graph of ``path``'s folder (with its
        folder's Racket) that holds only ``path`` (None once scanned, before
        the installations are loaded, or when ``path`` cannot be read).  Its
        up-to-date answers are those of the scanned graph: the staleness
        model reads the ``.dep`` of a module that is no node, and other nodes
        only refine its reasons."""
        if self.ready.is_set() or not self.info_known.is_set():
            return None
        path = norm(path)
        folder = self.server.folder_of(path)
        g = self._new_graph(norm(folder) if folder is not None else path.parent)
        return g if g.update(path) is not None else None

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
        path = uri_path(uri)
        if path is None or path.suffix not in GRAPH_SUFFIXES:
            return None
        node = self.node(path)
        return None if node is None else (path, node)

    def node(self, path: Path) -> ModuleNode | None:
        g = self.graph_for(path)
        return g.nodes.get(norm(path)) or (g.update(path) if path.exists() else None)

    # -- updates ----------------------------------------------------------

    def on_open(self, path: Path) -> None:
        self._when_ready(lambda: self.update_buffer(path))

    def on_change(self, path: Path) -> None:
        self._when_ready(lambda: self.update_buffer(path))

    def on_save(self, path: Path) -> None:
        self._when_ready(lambda: self.update_disk(path))

    def on_close(self, path: Path) -> None:
        self._when_ready(lambda: self.update_disk(path))

    def on_watched(self, changes: list[types.FileEvent]) -> None:
        self._when_ready(lambda: self._watched(changes))

    def on_built(self, paths: list[Path]) -> None:
        self._when_ready(lambda: self._built(paths))

    def update_buffer(self, path: Path) -> None:
        if path.suffix not in GRAPH_SUFFIXES:
            return
        g = self.graph_for(path)
        node = g.update(path, self.server.open_text(path))
        if node is None:
            return
        self.publish_require_problems(node)
        profiles = self._racket(g.roots[0]).profiles
        if any(k is not None and not profiles.has(k) for k, _ in node.lang_rules):
            self.learn_profiles()

    def update_disk(self, path: Path) -> None:
        if path.suffix not in GRAPH_SUFFIXES:
            return
        g = self.graph_for(path)
        # Typing forgets only the edited module's answers (and its
        # dependents', in update below).  Without file watchers a save also
        # looks at everything again, since other files may have changed
        # without a notification; with them, the client reports those.
        if not self.watching:
            g.forget_staleness()
        node = g.update(path) if path.exists() else None
        if node is not None:
            self.publish_require_problems(node)
        else:
            g.remove(path)
            self.server.store.put(SOURCE, self.server.uri_of(path), [])
        if path.name == "info.rkt":  # compile-omit-paths may have changed
            for gone in g.rescan():
                self.server.store.put(SOURCE, self.server.uri_of(gone), [])
        self.facts_changed()

    def dep_changed(self, dep_path: Path) -> None:
        """A ``compiled/x_rkt.dep`` (or its ``.zo``) changed: reread the node
        it belongs to."""
        stem = dep_path.name.removesuffix(dep_path.suffix)
        src_dir = dep_path.parent.parent
        for cand in _source_candidates(stem):
            source = src_dir / cand
            if source.exists() and compiled_paths(source)[1].name == f"{stem}.dep":
                self.graph_for(source).reread_dep(source)

    def _built(self, paths: list[Path]) -> None:
        for p in paths:
            g = self.graph_for(p)
            if norm(p) in g.nodes:
                g.reread_dep(p)
        self.facts_changed()

    def _watched(self, changes: list[types.FileEvent]) -> None:
        self.hold_refresh()  # one refresh for the lot (a git checkout changes hundreds)
        try:
            for change in changes:
                path = uri_path(change.uri)
                if path is None:
                    continue
                if path.suffix in (".dep", ".zo"):
                    self.dep_changed(path)
                elif path.suffix in GRAPH_SUFFIXES and self.server.open_text(path) is None:
                    g = self.graph_for(path)
                    # A new file where the scan does not look stays out.
                    if norm(path) in g.nodes or g.walks(path):
                        self.update_disk(path)
            self.facts_changed()
        finally:
            self.release_refresh()

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
        conv = self.server.range_converter()
        self.server.store.put(
            SOURCE, self.server.uri_of(node.path), [conv.diagnostic(p) for p in problems]
        )

    # -- language features ------------------------------------------------

    def document_links(self, params: types.DocumentLinkParams) -> list[types.DocumentLink]:
        found = self.node_of_uri(params.text_document.uri)
        if found is None:
            return []
        path, node = found
        conv = self.server.range_converter()
        return [
            types.DocumentLink(
                range=conv.range(path, r.spec.span),
                target=self.server.uri_of(r.resolution.path),
                tooltip=str(r.resolution.path),
            )
            for r in node.requires
            if r.resolution.path is not None
        ]

    def definitions(self, params: types.DefinitionParams) -> list[types.Location]:
        found = self._require_at(params.text_document.uri, params.position)
        if found is None or found[1].resolution.path is None:
            return []
        target = found[1].resolution.path
        zero = types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        )
        return [types.Location(uri=self.server.uri_of(target), range=zero)]

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        found = self._require_at(params.text_document.uri, params.position)
        if found is None:
            return None
        path, r = found
        res = r.resolution
        lines = [f"**require** `{r.spec.value}`"]
        if res.path is not None:
            lines.append(f"resolves to `{res.path}`")
            if res.collection:
                lines.append(f"collection path `{res.collection}`")
            lines.append(self._describe_staleness(res.path))
        elif res.problem:
            lines.append(res.problem)
        else:
            lines.append("not resolved (no file: a quoted or planet module, or Racket not found)")
        g = self.graph_for(path)
        edge = next((e for e in g.edges(path) if res.path and e.target == norm(res.path)), None)
        if edge is not None and not edge.in_dep and g.nodes[norm(path)].dep is not None:
            lines.append(f"_not in the last compile of {path.name}: save to recompile_")
        conv = self.server.range_converter()
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(lines)),
            range=conv.range(path, r.spec.span),
        )

    def code_lenses(self, params: types.CodeLensParams) -> list[types.CodeLens]:
        found = self.node_of_uri(params.text_document.uri)
        if found is None:
            return []
        path, node = found
        g = self.graph_for(path)
        deps = len(g.dependencies(path))
        dependents = len(g.dependents(path))
        s = g.staleness(path)
        state = (
            "state unknown" if not s.known else ("up to date" if not s.stale else _stale_text(s))
        )
        title = (
            f"{deps} dependenc{'y' if deps == 1 else 'ies'} · "
            f"{dependents} dependent{'' if dependents == 1 else 's'} · {state}"
        )
        span = node.lang_span or Span.at_line_start()
        return [
            types.CodeLens(
                range=self.server.range_converter().range(path, span),
                command=types.Command(
                    title=title,
                    command="raco-lsp.showModuleGraph",
                    arguments=[params.text_document.uri],
                ),
            )
        ]

    def _require_at(self, uri: str, pos: types.Position) -> tuple[Path, Require] | None:
        found = self.node_of_uri(uri)
        if found is None:
            return None
        path, node = found
        here = self.server.range_converter().pos(path, pos)
        for r in node.requires:
            if r.spec.span.start <= here <= r.spec.span.end:
                return path, r
        return None

    def _describe_staleness(self, target: Path) -> str:
        g = self.graph_for(target)
        if g.info is not None and g.info.in_installation(target) and norm(target) not in g.nodes:
            return "installation module (compiled by raco setup)"
        s = g.staleness(target)
        if not s.known:
            return "compiled state unknown (Racket not found)"
        if not s.stale:
            return "compiled, up to date"
        return _stale_text(s)

    # -- requests -----------------------------------------------------------

    @request("raco/moduleGraph")
    async def module_graph(self, params: ModuleParams | None) -> ModuleGraphResult:
        """The module with its dependencies and dependents, or (without uri)
        every workspace module."""
        return ModuleGraphResult.of(await self._view(_path_of(params)), self.server.uri_of)

    async def _view(self, path: Path | None) -> GraphView:
        """``path`` with its dependencies and dependents, else every workspace module."""
        await self.ready.wait()
        if path is None:
            view = GraphView([], [])
            for g in self.graphs.values():
                whole = g.view()
                view.nodes += whole.nodes
                view.edges += whole.edges
            return view
        g = self.graph_for(path)
        if norm(path) not in g.nodes and path.exists() and g.update(path) is None:
            return GraphView([], [])  # not read: core/files.py
        return g.view([path, *(d for d in g.dependents(path) if d in g.nodes)])

    @request("raco/dependencies")
    async def dependencies(self, params: ModuleParams | None) -> list[ModuleState]:
        return await self._neighbours(params, dependents=False)

    @request("raco/dependents")
    async def dependents(self, params: ModuleParams | None) -> list[ModuleState]:
        return await self._neighbours(params, dependents=True)

    async def _neighbours(self, params: ModuleParams | None, dependents: bool) -> list[ModuleState]:
        await self.ready.wait()
        path = _path_of(params)
        if path is None:
            return []
        graph = self.graph_for(path)
        found = graph.dependents(path) if dependents else graph.dependencies(path)
        return [self._state(d) for d in found]

    def _state(self, path: Path) -> ModuleState:
        g = self.graph_for(path)
        s = g.staleness(path)
        return ModuleState(
            uri=self.server.uri_of(path),
            path=str(path),
            workspace=norm(path) in g.nodes,
            stale=s.stale,
            certain=s.certain,
            known=s.known,
            reason=s.reason,
            failed=s.failed,
        )

    @request("raco/recompileOrder")
    async def recompile_order(self, params: ModuleParams | None) -> RecompileOrder:
        await self.ready.wait()
        path = _path_of(params)
        if path is None:
            return RecompileOrder(order=[], cycles=[])
        order, cycles = self.graph_for(path).recompile_order(path)
        return RecompileOrder(
            order=[str(p) for p in order], cycles=[[str(p) for p in c] for c in cycles]
        )

    @command("raco-lsp.showModuleGraph")
    async def show_module_graph(self, *args: Any) -> ModuleGraphResult:
        """The module graph around the module whose uri is the first argument
        (the code lens's), else every workspace module.  Like every command,
        it takes any arguments (tests/test_lsp_protocol.py).  (Not ``object``:
        pygls would take a first parameter of a supertype of the server's
        class for the server.)"""
        uri = args[0] if args and isinstance(args[0], str) else None
        path = uri_path(uri) if uri is not None else None
        view = await self._view(path)
        await self._present(path, view)
        return ModuleGraphResult.of(view, self.server.uri_of)

    async def _present(self, path: Path | None, view: GraphView) -> None:
        """Show the graph as a generic client can: a Markdown file under the
        cache dir opened with ``window/showDocument`` (when the client has
        it), else a ``window/showMessage`` summary."""
        ls = self.server
        window = ls.client_capabilities.window
        show = window.show_document if window is not None else None
        root = self._root_of(path)
        name = path.stem if path is not None else "workspace"
        target = view_file("graph", path, f"{name}.md")
        if (
            show is not None
            and show.support
            and write_cache_text(target, _graph_markdown(view, path, root))
        ):
            try:
                shown = await asyncio.wait_for(
                    ls.window_show_document_async(
                        types.ShowDocumentParams(uri=ls.uri_of(target), take_focus=True)
                    ),
                    30,
                )
                if shown.success:
                    return
            except Exception as e:  # an error answer, a client that never answers
                log.info("window/showDocument %s: %s", target, e)
        ls.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Info, message=_graph_summary(view, path, root)
            )
        )

    def _root_of(self, path: Path | None) -> Path | None:
        folders = self.server.folders()
        if path is None:
            return folders[0] if len(folders) == 1 else None
        return self.server.roots_for(path)[0]


def _path_of(params: ModuleParams | None) -> Path | None:
    return uri_path(params.uri) if params is not None and params.uri is not None else None


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


def _stale_text(s: Staleness) -> str:
    """A stale module's state, the same in every hover and lens (and in the
    VS Code graph view: ``graphView.ts``'s ``staleText``)."""
    if s.failed is not None:
        return f"failed to compile: {s.failed}"
    return f"stale: {s.reason}" + ("" if s.certain else " (may only be touched)")


def _log_refresh_failure(answer: concurrent.futures.Future[None]) -> None:
    if not answer.cancelled() and answer.exception() is not None:
        log.debug("workspace/codeLens/refresh: %s", answer.exception())


def _name(p: Path, root: Path | None) -> str:
    """A module's short name: relative to the workspace folder, or to its collects."""
    if root is not None and p.is_relative_to(root):
        return str(p.relative_to(root))
    parts = p.parts
    if "collects" in parts:
        return "/".join(parts[len(parts) - parts[::-1].index("collects") :])
    return str(p)


def _state(n: ViewNode) -> str:
    if not n.workspace:
        return "outside the workspace"
    s = n.staleness
    return "state unknown" if not s.known else (_stale_text(s) if s.stale else "up to date")


def _around(view: GraphView, path: Path) -> tuple[list[ViewNode], list[ViewNode]]:
    """What ``path`` requires and what requires it, in ``view``, workspace modules first."""
    by_path = {n.path: n for n in view.nodes}
    me = norm(path)
    deps = [by_path[e.target] for e in view.edges if e.source == me and e.target in by_path]
    users = [by_path[e.source] for e in view.edges if e.target == me and e.source in by_path]

    def order(ns: list[ViewNode]) -> list[ViewNode]:
        return sorted(set(ns), key=lambda n: (not n.workspace, str(n.path)))

    return order(deps), order(users)


def _graph_markdown(view: GraphView, path: Path | None, root: Path | None) -> str:
    """The graph view as Markdown: each module with its state and its file's path."""

    def line(n: ViewNode) -> str:
        return f"- {_name(n.path, root)} — {_state(n)}\n  {n.path}"

    if path is None:
        stale = sum(1 for n in view.nodes if n.workspace and n.staleness.stale)
        mods = sorted(view.nodes, key=lambda n: (not n.workspace, str(n.path)))
        head = f"# Module graph: {len(view.nodes)} modules, {stale} stale"
        return "\n".join([head, "", *(line(n) for n in mods), ""])
    me = next((n for n in view.nodes if n.path == norm(path)), None)
    deps, users = _around(view, path)
    out = [f"# Module graph: {_name(path, root)}", ""]
    out += [f"{path} — {_state(me) if me else 'not a module of the graph'}", ""]
    out += [f"## Requires ({len(deps)})", "", *(line(n) for n in deps), ""]
    out += [f"## Required by ({len(users)})", "", *(line(n) for n in users), ""]
    return "\n".join(out)


def _graph_summary(view: GraphView, path: Path | None, root: Path | None, most: int = 8) -> str:
    """The graph view in one message."""

    def names(ns: list[ViewNode]) -> str:
        shown = [_name(n.path, root) for n in ns[:most]]
        more = f" and {len(ns) - most} more" if len(ns) > most else ""
        return (", ".join(shown) + more) or "nothing"

    if path is None:
        stale = [n for n in view.nodes if n.workspace and n.staleness.stale]
        return f"Module graph: {len(view.nodes)} modules, {len(stale)} stale: {names(stale)}"
    me = next((n for n in view.nodes if n.path == norm(path)), None)
    deps, users = _around(view, path)
    state = _state(me) if me else "not a module of the graph"
    return (
        f"{_name(path, root)} ({state}) requires {len(deps)}: {names(deps)}; "
        f"required by {len(users)}: {names(users)}"
    )
