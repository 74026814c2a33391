"""Compile on save (and on opening a stale module) through the compile agent.

Stale means what the module graph says (the one staleness oracle, compiler/cm's
own rules): a module is built on open when cm would compile or touch it.

A save starts one *build* at once (a save that arrives while a build runs
cancels it and waits ``raco-lsp.debounce`` first, so bursts coalesce): the saved
module first, then (``compileOnSave``: ``dependents``/``workspace``) its
workspace dependents in topological order from the module graph, each
compiled by the persistent agent and published as soon as it is done, with
``$/progress`` and ``raco/buildStatus`` (the counts as data).  A new save
cancels the build in flight; the files it had not compiled yet are carried
into the next build, so nothing is lost.

Each compiled file *owns* the problems its run reported, in any file (an
error in a dependency shows in the dependency and on the require that pulls
it in); a file's ``raco make`` diagnostics are the union over all owners.  A
module that compiles cleanly clears what other owners said about it, and
those owners are compiled again in the same build.

If the agent dies, it is restarted and the file retried once; a second
death is reported on the file, never as success.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from raco_lsp.core.files import special_file
from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.features.module_graph import ModuleGraphFeature
from raco_lsp.lsp.diagnostics import publish_owned
from raco_lsp.lsp.feature import Feature, command
from raco_lsp.lsp.progress import Progress, work_done
from raco_lsp.lsp.protocol import BuildStatusParams, BuildWorkspaceResult
from raco_lsp.racket.agent import AgentCrashed, CompileAgent, racket_agent
from raco_lsp.racket.compile import SOURCE, CompileRun
from raco_lsp.racket.deps import compiled_paths, discard_unreadable_dep
from raco_lsp.racket.graph import norm
from raco_lsp.racket.graph.staleness import Staleness
from raco_lsp.racket.helpers import compile_helpers
from raco_lsp.racket.locate import RacketInstall

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

MODULE_SUFFIXES = (".rkt", ".ss", ".scrbl")


def is_module_path(path: Path) -> bool:
    return path.suffix in MODULE_SUFFIXES


class CompileOnSave(Feature):
    """Compile on save and on opening a stale module; ``raco-lsp.buildWorkspace``."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self._owned: dict[Path, dict[Path, list[Problem]]] = {}
        self._targets: list[Path] = []  # saved files waiting for a build
        self._carry: set[Path] = set()  # files a cancelled build had not done
        self._build: asyncio.Task[None] | None = None
        # The files of the build in flight not published yet (None: its order
        # is not known yet); ``_step`` is set whenever one is published.
        self._unbuilt: set[Path] | None = None
        self._step = asyncio.Event()
        self._background = False  # the build in flight is the check on startup
        self._startup: asyncio.Task[None] | None = None
        self._checked: set[Path] = set()  # folders checked on startup
        self._pools: dict[RacketInstall, list[CompileAgent]] = {}  # per folder's Racket
        self.last_build: list[Path] = []
        self._opening: set[asyncio.Future[None]] = set()  # opened/saved before the graph was ready
        self._warming: asyncio.Task[None] | None = None
        self._untrusted_stamp: object = None  # what _untrusted_memo was computed for
        self._untrusted_memo: dict[Path, bool] = {}
        self._retiring: asyncio.TimerHandle | None = None  # _retire_spares_later
        self._stopping: set[asyncio.Task[None]] = set()  # spare agents being stopped

    # -- entry points -------------------------------------------------------

    def on_configured(self) -> None:
        """Start the first compile agent of each Racket that a trusted folder
        compiles with, now, while the module graph loads the installation's
        description and scans: the first compile (a stale module opened, a
        save) then finds it ready."""
        installs = self._compiling(self.server.client_roots())
        if installs and (self._warming is None or self._warming.done()):
            self._warming = asyncio.ensure_future(self._warm_up(installs))

    def _compiling(self, roots: list[Path]) -> set[RacketInstall]:
        """The Rackets that these folders compile with (trusted, with
        ``compileOnSave`` on)."""
        out = set()
        for root in roots:
            s, install = self.server.settings_for(root), self.server.install_for(root)
            if s.trusted and s.compile_on_save != "off" and install is not None:
                out.add(install)
        return out

    async def _warm_up(self, installs: set[RacketInstall]) -> None:
        starts = {i: asyncio.ensure_future((await self.agents(i))[0].warm_up()) for i in installs}
        await asyncio.wait(starts.values())
        for t in starts.values():
            if t.exception() is not None:  # the first compile starts it again and reports
                log.warning("could not start the compile agent: %s", t.exception())
        # A root inside the Racket installation is no workspace (known once
        # the graph has loaded the installation): its Racket's agents go.
        await self.server.feature_of(ModuleGraphFeature).ready.wait()
        kept = self._compiling(self.server.folders())
        for install in installs - kept:
            pool = self._pools.get(install, [])
            if all(a.compiles == 0 for a in pool):
                for a in self._pools.pop(install, []):
                    await a.stop()
        # Agents and test runners start from the helpers' source until their
        # compiled copy exists: make it once the first builds (what the user
        # waits for) and the check on startup are done.
        await self.server.settled()
        await self._builds_done()
        for install in installs & kept:
            await compile_helpers(install)

    def on_open(self, path: Path) -> None:
        """Build an opened module if compiler/cm would do anything to it, as
        the module graph (the one staleness oracle) says once it is ready;
        before the first scan, at once when it compiles nothing else
        (``_build_before_scan``)."""
        graph = self.server.feature_of(ModuleGraphFeature)
        if graph.ready.is_set():
            self._build_if_stale(graph, path)
            return
        task = asyncio.ensure_future(self._open_before_scan(graph, path))
        self._opening.add(task)
        task.add_done_callback(self._opening.discard)

    async def _open_before_scan(self, graph: ModuleGraphFeature, path: Path) -> None:
        await graph.info_known.wait()
        early = self._build_before_scan(graph, path)
        await graph.ready.wait()
        if early is None:
            self._build_if_stale(graph, path)
            return
        # Requested now, a build would cancel the early one: it ends first
        # (or its cancellation by a save carried its module on).
        await asyncio.wait([early])
        g = graph.graph_for(path)
        order, _ = g.recompile_order(path)
        dependents = [p for p in order if p != norm(path)]
        for p in dependents:
            # As a build does before compiling a dependent: compiled in the
            # same second as ``path``, its .zo would look current.
            age_compiled(p)
        for p in [path, *dependents]:
            g.reread_dep(p)
        dependents = [p for p in dependents if not up_to_date(g.staleness(p))]
        if dependents and self._enabled(path):
            self.request(*dependents)

    def _build_before_scan(
        self, graph: ModuleGraphFeature, path: Path
    ) -> asyncio.Task[None] | None:
        """Opened before the first scan is done: build ``path`` at once, alone
        (its dependents once the scan is done), when it is stale and
        compiling it compiles nothing else -- every workspace module it
        requires is up to date, so the scanned graph would order nothing
        before it.  Only when every folder is trusted (which modules require
        one of an untrusted folder is known after the scan).  The build, or
        None (then the scanned graph decides, as for a save)."""
        busy = self._targets or (self._build is not None and not self._build.done())
        if (
            busy
            or not self.server.settings.trusted
            or self.server.settings_for(path).compile_on_save == "workspace"
            or not self._enabled(path)
        ):
            return None
        g = graph.graph_before_scan(path)
        if g is None or up_to_date(s := g.staleness(path)):
            return None
        required = [d for d in g.dependencies(path) if g.contains(d) and d != norm(path)]
        if not all(up_to_date(g.staleness(d)) for d in required):
            return None
        why = s.reason or "compiler/cm would touch it"
        log.info("compiling %s on open, before the workspace scan: %s", path, why)
        self._targets.append(path)
        return self._start_build(
            self._run_build(None, expand=False, debounce=False, before_scan=True)
        )

    def on_save(self, path: Path) -> None:
        def save(graph: ModuleGraphFeature) -> None:
            if self._enabled(path):
                self.request(path)

        self._when_ready(save)

    def _when_ready(self, work: Callable[[ModuleGraphFeature], object]) -> None:
        """``work`` now, or once the module graph is ready: the graph's first
        scan comes after the folders' settings are known, so a file opened
        or saved before then is judged by its folder's settings."""
        graph = self.server.feature_of(ModuleGraphFeature)
        if graph.ready.is_set():
            work(graph)
            return

        async def later(graph: ModuleGraphFeature) -> None:
            await graph.ready.wait()
            work(graph)

        task = asyncio.ensure_future(later(graph))
        self._opening.add(task)
        task.add_done_callback(self._opening.discard)

    def _build_if_stale(self, graph: ModuleGraphFeature, path: Path) -> None:
        if not self._enabled(path):
            return
        g = graph.graph_for(path)
        g.reread_dep(path)  # what a compile would see now
        s = g.staleness(path)
        if not up_to_date(s):
            log.info("compiling %s on open: %s", path, s.reason or "compiler/cm would touch it")
            self.request(path)

    def request(self, *paths: Path) -> None:
        """Build ``paths`` (and, per the setting, their dependents): at once
        when no build is running (leading edge); else cancel the build in
        flight and start the next one after ``raco-lsp.debounce``, so that a
        burst of saves coalesces into one build."""
        for path in paths:
            if path not in self._targets:
                self._targets.append(path)
        busy = self._build is not None and not self._build.done()
        if busy:
            assert self._build is not None
            self._build.cancel()
        # A check on startup gives way at once: nothing to coalesce with.
        debounce, self._background = busy and not self._background, False
        self._start_build(self._run_build(self._build, debounce=debounce))

    @command("raco-lsp.buildWorkspace")
    async def build_workspace_command(self, *args: Any) -> BuildWorkspaceResult:
        """Compile everything stale in the workspace (any arguments are ignored);
        untrusted folders, and folders without Racket, are left out."""
        ls = self.server
        folders = ls.folders()
        if not any(ls.settings_for(f).trusted for f in folders or [Path()]):
            return BuildWorkspaceResult(compiled=[], errors=0, skipped="workspace not trusted")
        if not any(ls.install_for(f) for f in folders or [Path()]):
            why = " ".join(["Racket was not found:", *ls.install_problems])
            return BuildWorkspaceResult(compiled=[], errors=0, skipped=why)
        return await self.build_workspace()

    async def build_workspace(
        self, roots: list[Path] | None = None, *, background: bool = False
    ) -> BuildWorkspaceResult:
        """Compile every stale module of the workspace (or of the graphs of
        ``roots``).  ``background``: the check on startup, which any open or
        save cancels (what it had not compiled is carried into that build)
        and the user may cancel."""
        graph = self.server.feature_of(ModuleGraphFeature)
        await graph.ready.wait()
        stale: list[Path] = []
        for root, g in graph.graphs.items():
            if roots is None or root in roots:
                g.refresh()  # files may have changed with no event (other tools, git)
                stale += [
                    p
                    for p, node in g.nodes.items()
                    if self.may_compile(p)
                    and g.staleness(p).stale
                    # The check on startup leaves out what a build of this
                    # session saw, modules that include a FIFO or /dev/zero
                    # (they would hold an agent) and links out of the folders.
                    and not (
                        background
                        and (
                            p in self._owned
                            or node.special_includes
                            or self.server.outside_workspace([p])
                        )
                    )
                ]
        self.last_build = []  # what this call builds, even if that is nothing
        if background and not stale:  # nothing to cancel a build for
            return BuildWorkspaceResult(compiled=[], errors=self.error_count())
        for p in stale:
            if p not in self._targets:
                self._targets.append(p)
        if self._build is not None and not self._build.done():
            self._build.cancel()
        self._background = background
        build = self._start_build(
            self._run_build(self._build, expand=False, debounce=False, background=background)
        )
        await asyncio.wait([build])
        return BuildWorkspaceResult(
            compiled=[str(p) for p in self.last_build], errors=self.error_count()
        )

    def error_count(self) -> int:
        """The ``raco make`` errors reported now, over all files."""
        return sum(
            p.severity is Severity.ERROR
            for owned in self._owned.values()
            for ps in owned.values()
            for p in ps
        )

    def on_ready(self) -> None:
        """``raco-lsp.checkOnStartup``: check the stale modules of each trusted
        folder not checked yet (none with ``compileOnSave`` off), in the
        background, once the files opened meanwhile have had their build."""
        if self._startup is not None and not self._startup.done():
            return
        folders = [
            f
            for f in self.server.folders()
            if f not in self._checked
            and self.server.settings_for(f).check_on_startup
            and self.server.settings_for(f).compile_on_save != "off"
            and self.server.settings_for(f).trusted
            and self.server.install_for(f) is not None
        ]
        if folders:
            self._checked.update(folders)
            self._startup = asyncio.ensure_future(self._check_on_startup(folders))

    async def _check_on_startup(self, folders: list[Path]) -> None:
        while self._opening or (self._build is not None and not self._build.done()):
            await self.wait_builds()
        log.info("checking %s on startup", ", ".join(map(str, folders)))
        await self.build_workspace([norm(f) for f in folders], background=True)

    async def on_shutdown(self) -> None:
        """Cancel the build and stop the agents."""
        if self._retiring is not None:
            self._retiring.cancel()
        if self._warming is not None:
            self._warming.cancel()
        if self._startup is not None:
            self._startup.cancel()
        if self._build is not None and not self._build.done():
            self._build.cancel()
            await asyncio.wait([self._build], timeout=5)
        for pool in self._pools.values():
            for a in pool:
                await a.stop()

    async def wait_idle(self) -> None:
        if self._warming is not None:
            await asyncio.wait([self._warming])
        await self._builds_done()

    async def _builds_done(self) -> None:
        """Until no build runs or waits, the check on startup included."""
        startup = self._startup
        while (
            self._opening
            or (self._build is not None and not self._build.done())
            or (startup is not None and not startup.done())
        ):
            await self.wait_builds()
            if startup is not None:
                await asyncio.wait([startup])

    def _start_build(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Make ``work`` the build in flight (the one place that starts builds)."""
        self._build = build = asyncio.ensure_future(work)
        self._unbuilt = None
        build.add_done_callback(lambda _: self._stepped())
        build.add_done_callback(lambda _: self._retire_spares_later())
        return build

    def _retire_spares_later(self) -> None:
        """Once no build has run for ``spareAgentTimeout`` seconds, stop the
        idle agents beyond the first of each pool: one per core is for
        builds that compile modules side by side, and each holds ~100 MB.
        A timer, not a sleeping task: nothing is left pending at exit."""
        if self._retiring is not None:
            self._retiring.cancel()
            self._retiring = None
        delay = self.server.settings.spare_agent_timeout
        if delay > 0:
            self._retiring = asyncio.get_running_loop().call_later(
                delay, self._retire_spares, delay
            )

    def _retire_spares(self, delay: float) -> None:
        self._retiring = None
        if self._build is not None and not self._build.done():
            return  # its end sets the timer again

        async def retire() -> None:
            for pool in list(self._pools.values()):
                for agent in pool[1:]:
                    if await agent.stop_if_idle():
                        log.info("stopped a spare compile agent after %g s without a build", delay)

        task = asyncio.ensure_future(retire())
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    def _stepped(self) -> None:
        """A file of the build was published, or a build ended."""
        self._step.set()
        self._step = asyncio.Event()

    def _building(self, path: Path) -> bool:
        """Whether the build in flight (or the one waiting) may still compile
        ``path``: it is among its unpublished files, or its order is not known
        yet, or a build waits for the module graph's first scan."""
        if self._opening:
            return True
        build = self._build
        if build is None or build.done():
            return False
        return self._unbuilt is None or norm(path) in self._unbuilt

    async def wait_built(self, path: Path) -> bool:
        """Until the diagnostics of ``path``'s build are published (at once if
        no build would compile it); builds of other files are not waited for.
        False when the build it waited for was cancelled before ``path``."""
        waited: asyncio.Task[None] | None = None
        while self._building(path):
            waited = self._build
            if self._opening:
                await asyncio.wait(list(self._opening))
            else:
                await self._step.wait()
        return not (
            waited is not None
            and waited is self._build
            and waited.cancelled()
            and self._unbuilt is not None
            and norm(path) in self._unbuilt
        )

    async def wait_builds(self) -> None:
        """Until the build in flight (and the builds of files opened before the
        module graph was ready) has ended."""
        if self._opening:
            await asyncio.wait(list(self._opening))
        if self._build is not None:
            await asyncio.wait([self._build])

    # -- the work -----------------------------------------------------------

    def may_compile(self, path: Path) -> bool:
        """A module of a trusted folder that has a Racket, and that requires
        nothing of an untrusted folder (compiling it would expand that)."""
        return (
            is_module_path(path)
            and self.server.settings_for(path).trusted
            and self.server.install_for(path) is not None
            and special_file(path) is None  # Racket would read a FIFO or /dev/zero forever
            and not self.server.in_installation(path)  # raco setup compiles those
            and not self._requires_untrusted(path)
        )

    def _requires_untrusted(self, path: Path) -> bool:
        """``path`` requires, directly or through workspace modules, a module of
        an untrusted folder (the module graph's edges).  The answers are kept
        until an edge or a folder's trust changes: a build asks for every file
        it considers, and each walk would otherwise cover the same closure."""
        ls = self.server
        untrusted = tuple(norm(f) for f in ls.folders() if not ls.settings_for(f).trusted)
        if not untrusted:
            return False
        graph = ls.feature_of(ModuleGraphFeature)
        stamp = (untrusted, tuple((r, g.edges_version) for r, g in graph.graphs.items()))
        if stamp != self._untrusted_stamp:
            self._untrusted_stamp, self._untrusted_memo = stamp, {}
        memo = self._untrusted_memo
        start = norm(path)
        if start in memo:
            return memo[start]
        seen = {start}
        todo = [start]
        culprit: Path | None = None
        while todo and culprit is None:
            here = todo.pop()
            for d in graph.graph_for(here).dependencies(here):
                if any(d.is_relative_to(u) for u in untrusted) or memo.get(d):
                    culprit = d
                    break
                if d not in seen and d not in memo and ls.folder_of(d) is not None:
                    seen.add(d)
                    todo.append(d)
        if culprit is not None:
            log.info(
                "not compiling %s: it requires %s, of or through an untrusted folder", path, culprit
            )
            memo[start] = True
        else:  # the whole closure walked: none of it reaches an untrusted folder
            memo.update(dict.fromkeys(seen, False))
        return culprit is not None

    def _enabled(self, path: Path) -> bool:
        """Compile ``path`` on open and save (its folder's ``compileOnSave``)."""
        return self.server.settings_for(path).compile_on_save != "off" and self.may_compile(path)

    def rackets_in_use(self, install: RacketInstall) -> set[RacketInstall | None]:
        """The Rackets that a folder (or the workspace) uses, and ``install``:
        agents of any other are stopped."""
        return {self.server.install, install} | {
            self.server.install_for(f) for f in self.server.folders()
        }

    async def agents(self, install: RacketInstall) -> list[CompileAgent]:
        """The pool of compile agents of ``install`` (``raco-lsp.jobs``; started
        lazily).  Pools of a Racket no folder uses any more are stopped."""
        s = self.server.settings
        in_use = self.rackets_in_use(install)
        for old in [i for i in self._pools if i not in in_use]:
            for a in self._pools.pop(old):
                await a.stop()
        pool = self._pools.setdefault(install, [])
        jobs = s.jobs or os.cpu_count() or 1
        while len(pool) < jobs:
            pool.append(racket_agent(install))
        while len(pool) > jobs:
            await pool.pop().stop()
        for a in pool:
            a.memory_limit = s.agent_memory_limit * 2**20
        return list(pool)

    @staticmethod
    def _status(a: CompileAgent) -> dict[str, Any]:
        return {
            "state": a.state.value,
            "pid": a.pid,
            "restarts": a.restarts,
            "compiles": a.compiles,
            "rss": a.rss(),
        }

    def agent_status(self) -> dict[str, Any] | None:
        """The first agent's status (the one a lone build uses), plus all."""
        agents = [a for pool in self._pools.values() for a in pool]
        if not agents:
            return None
        return {**self._status(agents[0]), "all": [self._status(a) for a in agents]}

    def _order(self, targets: list[Path], expand: bool) -> list[Path]:
        """The files to compile, each after the workspace modules it requires."""
        graph = self.server.feature_of(ModuleGraphFeature)
        wanted: list[Path] = list(dict.fromkeys([*targets, *sorted(self._carry)]))
        if graph is None or not expand:
            return wanted
        closure: dict[Path, None] = {}
        for t in wanted:
            mode = self.server.settings_for(t).compile_on_save
            if mode == "file":
                closure[t] = None
                continue
            order, cycles = graph.graph_for(t).recompile_order(t)
            for c in cycles:
                log.warning("require cycle: %s", " -> ".join(p.name for p in c))
            closure.update(dict.fromkeys(order))
            if mode == "workspace":
                for g in graph.graphs.values():
                    closure.update(dict.fromkeys(p for p in g.nodes if g.staleness(p).stale))
        # Saved files first, then the rest in the order the graph gave.
        first = [t for t in targets if t in closure]
        return [*first, *(p for p in closure if p not in first)]

    async def _run_build(
        self,
        previous: asyncio.Task[None] | None,
        expand: bool = True,
        debounce: bool = True,
        background: bool = False,
        before_scan: bool = False,
    ) -> None:
        """``before_scan``: one module that compiles nothing else
        (``_build_before_scan``): no scanned graph needed, one agent."""
        if previous is not None:
            await asyncio.wait([previous])  # its cancellation carried its leftovers
        if debounce:
            await asyncio.sleep(self.server.settings.debounce)
        if not self._targets:
            return
        graph = self.server.feature_of(ModuleGraphFeature)
        if graph is not None and not before_scan:
            await graph.ready.wait()  # the dependents come from the scanned graph
        targets, self._targets = self._targets, []
        # Only files of trusted folders with a Racket, each by its folder's agents.
        order = [
            f
            for f in (
                targets
                if before_scan
                else self._with_stale_dependencies(self._order(targets, expand))
            )
            if self.may_compile(f)
        ]
        install_of: dict[Path, RacketInstall] = {}
        pools: dict[RacketInstall, list[CompileAgent]] = {}
        for f in order:
            install = self.server.install_for(f)
            assert install is not None  # may_compile
            install_of[f] = install
            if install not in pools:
                pools[install] = (await self.agents(install))[: 1 if before_scan else None]
        if self._build is asyncio.current_task():
            self._unbuilt = {norm(f) for f in order}
            self._stepped()
        if not order:
            return
        log.debug("build order: %s", " ".join(p.name for p in order))
        if not before_scan and self._nothing_to_do(order):
            log.info("nothing to compile: %s up to date", " ".join(p.name for p in order))
            self.last_build = []
            return
        self._carry = set()
        pending = list(order)
        done: list[Path] = []
        running: dict[asyncio.Task[CompileRun], tuple[Path, CompileAgent]] = {}
        idle = {install: list(agents) for install, agents in pools.items()}
        sent: tuple[int, int] | None = None
        progress: Progress | None = None

        def status(building: bool = True) -> None:
            """``raco/buildStatus`` when the counts changed (README: Compiling on save)."""
            nonlocal sent
            counts = (len(done), len(done) + len(running) + len(pending))
            if building and counts == sent:
                return
            sent = counts
            self.server.protocol.notify(
                "raco/buildStatus",
                BuildStatusParams(
                    building=building, done=counts[0], total=counts[1], errors=self.error_count()
                ),
            )

        status()  # before the $/progress begins: a client sees the build around it
        if graph is not None:
            graph.hold_refresh()  # a refresh at most every second while building
        # A build on save has no cancel button (a new save cancels it), though
        # a client's window/workDoneProgress/cancel still stops it; the check on
        # startup has one, and a check the user cancelled is not carried over.
        title = "Checking Racket workspace" if background else "Compiling Racket"
        try:
            async with work_done(self.server, title, cancellable=background) as progress:
                while pending or running:
                    pending = [p for p in pending if p.exists()]  # deleted meanwhile
                    free = sum(map(len, idle.values()))
                    for f in self._ready(pending, running, free):
                        agents = idle[install_of[f]]
                        if not agents:
                            continue  # its Racket's agents are busy: a later round
                        pending.remove(f)
                        agent = agents.pop(0)
                        progress.report(
                            f"Compiling {len(done) + len(running) + 1}/"
                            f"{len(done) + len(running) + len(pending) + 1}: {f.name}",
                            done=len(done),
                            total=len(done) + len(running) + len(pending) + 1,
                        )
                        if f not in targets:
                            age_compiled(f)
                        task = asyncio.ensure_future(self._compile(agent, f))
                        running[task] = (f, agent)
                    status()
                    if not running:
                        continue
                    finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in finished:
                        f, agent = running.pop(task)
                        idle[install_of[f]].append(agent)
                        idle[install_of[f]].sort(key=pools[install_of[f]].index)
                        run = task.result()
                        done.append(f)
                        if graph is not None:
                            graph.compile_ended(f, run.failure(f))
                        for again in self._apply(f, run):
                            install = self.server.install_for(again)
                            if install not in pools or not self.may_compile(again):
                                continue  # its folder changed meanwhile: the next build
                            assert install is not None
                            install_of[again] = install
                            busy = {g for g, _ in running.values()}
                            if again not in pending and again not in done and again not in busy:
                                pending.append(again)
                                if self._unbuilt is not None:
                                    self._unbuilt.add(norm(again))
                        if self._unbuilt is not None:
                            self._unbuilt.discard(norm(f))
                        self._stepped()  # f's diagnostics are published
                        await self.server.notify_built([f, *run.compiled, *run.touched])
                    status()
        except asyncio.CancelledError:
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(running)
            if not (background and progress is not None and progress.cancelled_by_client):
                self._carry.update(
                    p for p in [*pending, *(f for f, _ in running.values())] if p.exists()
                )
            log.info("build cancelled; %d file(s) carried over", len(self._carry))
            raise
        finally:
            self.last_build = done
            status(building=False)
            if graph is not None:
                graph.release_refresh()

    def _nothing_to_do(self, order: list[Path]) -> bool:
        """True when the graph is sure that compiler/cm would neither compile
        nor touch anything in ``order`` (every file's compiled form is current,
        by the same checks cm makes); then the agent is not asked at all."""
        graph = self.server.feature_of(ModuleGraphFeature)
        if graph is None or not order:
            return False
        # After a failed compile cm keeps the last good .zo: reverting to that
        # text looks up to date, but the failure's diagnostics must be cleared.
        with_problems = {p for owned in self._owned.values() for p, ps in owned.items() if ps}
        with_problems |= {o for o, owned in self._owned.items() if any(owned.values())}
        if with_problems & set(order):
            return False
        graphs = [graph.graph_for(f) for f in order]
        if any(f not in g.nodes for f, g in zip(order, graphs, strict=True)):
            return False
        # Reread every .dep first: each reread drops the staleness memo, so
        # interleaving them with the questions would redo every closure.
        for f, g in zip(order, graphs, strict=True):
            g.reread_dep(f)
        return all(up_to_date(g.staleness(f)) for f, g in zip(order, graphs, strict=True))

    def _deps_in(self, f: Path, among: set[Path]) -> set[Path]:
        graph = self.server.feature_of(ModuleGraphFeature)
        if graph is None or not among:
            return set()
        return {d for d in graph.graph_for(f).dependencies(f) if d in among and d != f}

    def _ready(
        self,
        pending: list[Path],
        running: dict[asyncio.Task[CompileRun], tuple[Path, CompileAgent]],
        free: int,
    ) -> list[Path]:
        """Files that can start now: everything they require within this build
        is compiled.  A require cycle would block forever: when nothing runs
        and nothing is ready, the first pending file starts anyway."""
        if free <= 0 or not pending:
            return []
        unfinished = set(pending) | {f for f, _ in running.values()}
        ready = []
        for f in pending:
            if not self._deps_in(f, unfinished - {f}):
                ready.append(f)
                if len(ready) == free:
                    break
        if not ready and not running:
            ready = [pending[0]]
        return ready

    def _with_stale_dependencies(self, order: list[Path]) -> list[Path]:
        """``order`` plus the stale workspace modules they require, so that no
        two agents ever compile the same dependency at once."""
        graph = self.server.feature_of(ModuleGraphFeature)
        if graph is None:
            return order
        out = list(order)
        seen = set(order)
        i = 0
        while i < len(out):
            g = graph.graph_for(out[i])
            for d in g.dependencies(out[i]):
                if d in g.nodes and d not in seen and g.staleness(d).stale:
                    seen.add(d)
                    out.append(d)
            i += 1
        return out

    async def _compile(self, agent: CompileAgent, f: Path) -> CompileRun:
        timeout = self.server.settings_for(f).compile_timeout
        discarded = discard_unreadable_dep(f)
        if discarded is not None:
            log.warning("%s: %s", f, discarded)
        roots = self.server.roots_for(f)
        for attempt in (1, 2):
            try:
                return await agent.compile([f], roots=roots, timeout=timeout)
            except AgentCrashed as e:
                log.warning("compile agent died compiling %s (attempt %d): %s", f, attempt, e)
                if attempt == 2:
                    run = CompileRun(crashed=str(e))
                    run.problems.append(
                        Problem(
                            f,
                            Span.at_line_start(),
                            Severity.ERROR,
                            f"the compile agent died while compiling {f.name}: {e}",
                            SOURCE,
                            code="crash",
                        )
                    )
                    return run
            except OSError as e:
                run = CompileRun(crashed=str(e))
                run.problems.append(
                    Problem(
                        f,
                        Span.at_line_start(),
                        Severity.ERROR,
                        f"could not run Racket: {e}",
                        SOURCE,
                        code="crash",
                    )
                )
                return run
        raise AssertionError("unreachable")

    def _apply(self, target: Path, run: CompileRun) -> set[Path]:
        """Publish ``target``'s run; return owners that must be compiled again."""
        for each in run.files.values():
            if each.output:
                log.info("output while compiling %s:\n%s", each.path, each.output)
        affected = set(self._owned.get(target, {}))
        new: dict[Path, list[Problem]] = defaultdict(list)
        for p in run.problems:
            new[p.path].append(p)
        recheck: set[Path] = set()
        outcome = run.files.get(target)
        if outcome is not None and outcome.ok:
            # The target and everything compiled with it are now known good:
            # problems other targets reported there are out of date, and those
            # targets need a new look.
            good = {target, *run.compiled, *run.touched}
            for owner, files in self._owned.items():
                if owner == target:
                    continue
                for f in good & files.keys():
                    affected.add(f)
                    del files[f]
                    recheck.add(owner)
                related = {r.path for probs in files.values() for p in probs for r in p.related}
                if related & good:
                    recheck.add(owner)
        self._owned[target] = dict(new)
        affected |= new.keys()
        self._republish(affected)
        return {o for o in recheck if o.exists()}

    def _republish(self, files: Iterable[Path]) -> None:
        publish_owned(self.server, SOURCE, self._owned, files)


def up_to_date(s: Staleness) -> bool:
    """compiler/cm would neither compile nor touch the module."""
    return s.known and not s.stale and not s.touched


def age_compiled(source: Path, seconds: int = 2) -> None:
    """Move a dependent's .zo/.dep modification times back.

    compiler/cm notices a changed dependency by timestamps in whole seconds:
    a dependency recompiled in the same second as this module's last compile
    looks no newer, and the stale .zo would be kept.  An older .zo makes cm
    check the recorded dependency hashes (its authoritative pass), which
    recompiles only if a dependency really changed and otherwise touches.
    """
    for p in compiled_paths(source):
        with contextlib.suppress(OSError):
            t = int(p.stat().st_mtime) - seconds
            os.utime(p, (t, t))
