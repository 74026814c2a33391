"""Compile on save (and on opening a stale file); publish compile errors.

Each compile *target* owns the problems its run reported, in any file (an
error in a dependency shows in the dependency and on the target's require).
A file's ``raco make`` diagnostics are the union over all owners.

Scheduling: one compile at a time (compiler/cm processes must not race on the
same ``.zo``); a new request for a target cancels its run in flight, and only
the newest run's result is published.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from raco_lsp.racket.compile import SOURCE, CompileRun, compile_modules
from raco_lsp.racket.deps import quick_staleness
from raco_lsp.racket.records import Problem, Severity, Span

if TYPE_CHECKING:
    from raco_lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

MODULE_SUFFIXES = (".rkt", ".ss", ".scrbl")


def is_module_path(path: Path) -> bool:
    return path.suffix in MODULE_SUFFIXES


class CompileOnSave:
    def __init__(self, server: RacoLanguageServer) -> None:
        self._server = server
        self._lock = asyncio.Lock()
        self._tasks: dict[Path, asyncio.Task[None]] = {}
        self._owned: dict[Path, dict[Path, list[Problem]]] = {}

    # -- entry points -------------------------------------------------------

    def on_open(self, path: Path) -> None:
        if not self._enabled(path):
            return
        reason = quick_staleness(path)
        if reason is not None:
            log.info("compiling %s on open: %s", path, reason)
            self.request(path)

    def on_save(self, path: Path) -> None:
        if self._enabled(path):
            self.request(path)

    def request(self, path: Path) -> None:
        previous = self._tasks.get(path)
        if previous is not None and not previous.done():
            previous.cancel()
        self._tasks[path] = asyncio.ensure_future(self._job(path, previous))

    async def shutdown(self) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    async def wait_idle(self) -> None:
        while pending := [t for t in self._tasks.values() if not t.done()]:
            await asyncio.wait(pending)

    # -- the work -----------------------------------------------------------

    def _enabled(self, path: Path) -> bool:
        s = self._server.settings
        return (
            is_module_path(path)
            and s.trusted
            and s.compile_on_save != "off"
            and self._server.install is not None
        )

    async def _job(self, path: Path, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # let the cancelled run kill its process
        install = self._server.install
        if install is None:
            return
        async with self._lock:
            if self._tasks.get(path) is not asyncio.current_task():
                return
            try:
                run = await compile_modules(
                    install,
                    [path],
                    roots=self._server.roots_for(path),
                    timeout=self._server.settings.compile_timeout,
                )
            except OSError as e:
                log.error("cannot run racket for %s: %s", path, e)
                run = CompileRun(crashed=str(e))
                run.problems.append(
                    Problem(
                        path,
                        Span.at_line_start(),
                        Severity.ERROR,
                        f"could not run Racket ({install.racket}): {e}",
                        SOURCE,
                        code="crash",
                    )
                )
        if self._tasks.get(path) is not asyncio.current_task():
            return  # superseded by a newer save
        for outcome in run.files.values():
            if outcome.output:
                log.info("output while compiling %s:\n%s", outcome.path, outcome.output)
        self._apply(path, run)
        await self._server.notify_built([path, *run.compiled, *run.touched])

    def _apply(self, target: Path, run: CompileRun) -> None:
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
        for owner in sorted(recheck):
            if owner.exists():
                log.info("rechecking %s after %s compiled", owner, target.name)
                self.request(owner)

    def _republish(self, files: Iterable[Path]) -> None:
        converter = self._server.range_converter()
        for f in files:
            seen: list[Problem] = []
            for owned in self._owned.values():
                for p in owned.get(f, []):
                    if p not in seen:
                        seen.append(p)
            seen.sort(key=lambda p: (p.span.start, p.message))
            self._server.store.put(
                SOURCE, self._server.uri_of(f), [converter.diagnostic(p) for p in seen]
            )


def register(server: RacoLanguageServer) -> None:
    server.providers.on_open.append(lambda ls, path: ls.compiles.on_open(path))
    server.providers.on_save.append(lambda ls, path: ls.compiles.on_save(path))
