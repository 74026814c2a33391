"""Identifier intelligence from check-syntax's view of a module's current text.

On a definition, highlight or hover request in a module of a trusted folder
(what ``CompileOnSave.may_compile`` allows: the analysis expands the module,
which runs its macros), the module's current text -- the open buffer's, even
unsaved, else the file's -- is analysed (``racket/identifiers.py``), once per
content hash, by an analysis agent of its own (one per Racket, started on the
first request or after the first build of a trusted folder): compile-on-save
never waits for an analysis.  An analysis starts once the diagnostics of the
module's own build are published (its dependencies are compiled), and a newer
edit or save of the module cancels it (the agent breaks it); a module already
analysed is analysed again shortly after each edit.  An unsaved buffer is
read as the file's text in a fresh namespace: nothing is written.

When the current text does not expand, the last good analysis stays, marked
stale (``carried_over``): answers come from it only where the text before
the position is unchanged, and hover says so.

- Definition: a local binding's binder in the file; an imported binding's
  definition site in the defining module (workspace or installation source:
  that module is analysed too, to find where it defines the name).
- Declaration: where the module binds it: the require spec of an import,
  else the binder (as definition).
- Highlight: the binder and every use of it in the file.
- Hover: Typed Racket's type, the installed documentation's blue box and
  a link to its page (anchor included), where an imported binding comes
  from, and check-syntax's mouse-over texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from lsprotocol import types

from raco_lsp.core.records import Pos, Span
from raco_lsp.core.text import read_source, span_texts
from raco_lsp.features.compile_on_save import CompileOnSave, is_module_path
from raco_lsp.lsp.feature import Feature
from raco_lsp.lsp.uris import uri_path
from raco_lsp.racket.agent import AgentCrashed, CompileAgent, racket_agent
from raco_lsp.racket.identifiers import (
    Analysis,
    DocEntry,
    InScope,
    carried_over,
    read_analysis,
    read_doc_entry,
)
from raco_lsp.racket.locate import RacketInstall

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

IMPORTED = "imported from "
CHANGE_DEBOUNCE = 0.3
"""Seconds after an edit before a module already analysed is analysed again."""
ATTEMPTS = 5
"""Analyses a request starts before it gives up (each cancelled by a newer edit)."""
DOCS_KEPT = 10_000
"""Documentation look-ups kept (``Identifiers.documentation``)."""


class Identifiers(Feature):
    """Definition, declaration, document highlight and hover for identifiers.  State: the
    analysis of each module's last text (by content hash), its last good
    analysis (with that text), the analyses in flight and the agents."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self._cache: dict[Path, tuple[str, Analysis | None]] = {}
        self._good: dict[Path, tuple[str, Analysis]] = {}
        self._runs: dict[Path, tuple[str, asyncio.Task[Analysis | None]]] = {}
        self._soon: dict[Path, asyncio.Task[None]] = {}  # analyses after an edit
        self._agents: dict[RacketInstall, CompileAgent] = {}
        self._warming: set[asyncio.Task[None]] = set()
        self._docs: dict[tuple[RacketInstall, str, tuple[str, ...]], DocEntry | None] = {}
        self._closed = False  # shut down: no more analyses, no new agents
        self.runs = 0  # analyses the agent ran

    def _may_analyse(self, path: Path, *, definition_site: bool) -> bool:
        cos = self.server.feature_of(CompileOnSave)
        if cos.may_compile(path):
            return True
        # The module an imported identifier comes from: installation sources too.
        return (
            definition_site
            and is_module_path(path)
            and self.server.in_installation(path)
            and self.server.install is not None
        )

    def _current(self, path: Path) -> tuple[str, bool] | None:
        """The text to analyse (the open buffer's, else the file's) and
        whether it differs from the file (then it is sent to the agent)."""
        saved = read_source(path)
        buffer = self.server.open_text(path)
        if buffer is None:
            return None if saved is None else (saved, False)
        return buffer, buffer != saved

    async def analysis(self, path: Path, *, definition_site: bool = False) -> Analysis | None:
        """check-syntax's view of the current text of ``path``: the open
        buffer's (saved or not), else the file's.  When that text does not
        expand, the last good analysis marked stale (``Analysis.stale``,
        positions mapped, ``usable_at``); None when not allowed, unreadable,
        or no text of it ever expanded."""
        # Until the server has started, which modules reach an untrusted
        # folder (``_may_analyse``) is not known: the module graph's first
        # scan ends with the start (trust itself fails closed until the
        # client's settings are in: ``server.settings_for``).
        await self.server.started.wait()
        if self._closed or not self._may_analyse(path, definition_site=definition_site):
            return None
        for _ in range(ATTEMPTS):
            current = self._current(path)
            if current is None:
                return None
            text, unsaved = current
            key = _key(text)
            cached = self._cache.get(path)
            if cached is not None and cached[0] == key:
                return cached[1]
            run = self._runs.get(path)
            if run is None or run[0] != key or run[1].done():
                if run is not None:
                    run[1].cancel()
                task = asyncio.ensure_future(self._run(path, key, text, unsaved))
                self._runs[path] = run = (key, task)
            # Not cancelled with this request: other requests may share it.
            await asyncio.wait([run[1]])
            if not run[1].cancelled():
                return run[1].result()
            if self._closed:
                return None
            # A newer edit cancelled it: analyse the text as it is now.
        return None

    async def _run(self, path: Path, key: str, text: str, unsaved: bool) -> Analysis | None:
        """Analyse ``text`` (``unsaved``: the buffer's, sent to the agent) once
        the diagnostics of the module's build are published."""
        cos = self.server.feature_of(CompileOnSave)
        await cos.wait_built(path)  # its dependencies compiled
        install = self.server.install_for(path) or self.server.install
        if install is None:
            return None
        started = time.monotonic()
        try:
            answer = await self._agent(install).analyze(
                path,
                text=text if unsaved else None,
                timeout=self.server.settings_for(path).compile_timeout,
            )
        except AgentCrashed as e:
            log.warning("analysis of %s: %s", path, e)
            return self._outcome(path, text, None, str(e))
        self.runs += 1
        log.info("analysis of %s: %.0f ms", path, (time.monotonic() - started) * 1000)
        analysis, problems = read_analysis(answer, text)
        for p in problems:
            log.info("analysis of %s: %s", path, p)
        if answer.get("cancelled"):
            return None  # not ours to keep
        result = self._outcome(path, text, analysis, problems[0] if problems else "no analysis")
        self._cache[path] = (key, result)
        return result

    def _outcome(
        self, path: Path, text: str, analysis: Analysis | None, why: str
    ) -> Analysis | None:
        """``analysis`` (kept as the last good one), or else the last good
        analysis carried over to ``text``, stale because of ``why``."""
        if analysis is not None:
            self._good[path] = (text, analysis)
            return analysis
        good = self._good.get(path)
        if good is None:
            return None
        return carried_over(good[1], good[0], text, why.replace(str(path), path.name))

    async def documentation(self, path: Path, binding: InScope) -> DocEntry | None:
        """The installed documentation of ``binding``, a module-level binding
        of ``path`` imported from the installation (not at a position in the
        text: completionItem/resolve), looked up by the analysis agent on
        demand and kept; None when it has none, or ``path`` may not be
        analysed."""
        if binding.module is None or binding.origin == "definition" or self._closed:
            return None
        if binding.file is not None and not self.server.in_installation(binding.file):
            return None  # a workspace module: no installed documentation (nor loaded)
        if not self._may_analyse(path, definition_site=False):
            return None
        install = self.server.install_for(path) or self.server.install
        if install is None:
            return None
        names = tuple(dict.fromkeys((binding.name, binding.id)))
        key = (install, binding.module, names)
        if key not in self._docs:
            try:
                row = await self._agent(install).doc(
                    binding.module, names, timeout=self.server.settings_for(path).compile_timeout
                )
            except AgentCrashed as e:
                log.warning("documentation of %s: %s", binding.name, e)
                return None
            if len(self._docs) >= DOCS_KEPT:
                self._docs.clear()
            self._docs[key] = read_doc_entry(row)
        return self._docs[key]

    def _agent(self, install: RacketInstall) -> CompileAgent:
        """The analysis agent of ``install`` (started by its first request);
        those of a Racket no folder uses any more are stopped."""
        in_use = self.server.feature_of(CompileOnSave).rackets_in_use(install)
        for old in [i for i in self._agents if i not in in_use]:
            self._keep(asyncio.ensure_future(self._agents.pop(old).stop()))
        if install not in self._agents:
            self._agents[install] = racket_agent(install, "analysis")
        agent = self._agents[install]
        agent.memory_limit = self.server.settings.agent_memory_limit * 2**20
        return agent

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    # -- lifecycle and documents ------------------------------------------

    def on_ready(self) -> None:
        """Start the analysis agent of each trusted folder's Racket once the
        build side is idle (compile agents started, the check on startup
        done), so that the first request does not wait for check-syntax to
        load."""
        for folder in self.server.folders():
            install = self.server.install_for(folder)
            if install is not None and self.server.settings_for(folder).trusted:
                self._warm(install, startup=True)

    def on_built(self, paths: list[Path]) -> None:
        """After the first build of a trusted folder's module, start its
        Racket's analysis agent (once the build has ended)."""
        cos = self.server.feature_of(CompileOnSave)
        for path in paths[:1]:
            install = self.server.install_for(path)
            if install is not None and cos.may_compile(path):
                self._warm(install, startup=False)

    def _warm(self, install: RacketInstall, *, startup: bool) -> None:
        if install in self._agents or self._closed:
            return
        agent = self._agent(install)
        cos = self.server.feature_of(CompileOnSave)

        async def warm() -> None:
            if startup:
                await self.server.settled()
                await cos.wait_idle()
            else:
                await cos.wait_builds()
            try:
                await agent.warm_up()
            except (AgentCrashed, OSError) as e:  # the first request starts it again
                log.warning("could not start the analysis agent: %s", e)

        self._keep(asyncio.ensure_future(warm()))

    def on_change(self, path: Path) -> None:
        self._edited(path, CHANGE_DEBOUNCE)

    def on_save(self, path: Path) -> None:
        self._edited(path, 0.0)

    def on_close(self, path: Path) -> None:
        self._edited(path, None)

    def _edited(self, path: Path, debounce: float | None) -> None:
        """The text of ``path`` may have changed: cancel the analysis of an
        older text in flight, and (``debounce``) analyse the new one soon if
        the module was analysed before."""
        soon = self._soon.pop(path, None)
        if soon is not None:
            soon.cancel()
        run = self._runs.get(path)
        current = self._current(path) if run is not None and not run[1].done() else None
        if run is not None and current is not None and run[0] != _key(current[0]):
            run[1].cancel()
        if debounce is None or (path not in self._cache and path not in self._good):
            return

        async def later() -> None:
            await asyncio.sleep(debounce)
            if not await self.server.feature_of(CompileOnSave).wait_built(path):
                return  # its build was cancelled: analyse when asked, not now
            try:
                await self.analysis(path)
            except Exception:
                log.exception("analysis of %s after an edit", path)

        self._soon[path] = task = asyncio.ensure_future(later())
        task.add_done_callback(
            lambda t: self._soon.pop(path, None) if self._soon.get(path) is t else None
        )

    async def wait_idle(self) -> None:
        while busy := [
            *self._warming,
            *self._soon.values(),
            *(t for _, t in self._runs.values() if not t.done()),
        ]:
            await asyncio.wait(busy)

    async def on_shutdown(self) -> None:
        self._closed = True
        for task in [*self._warming, *self._soon.values(), *(t for _, t in self._runs.values())]:
            task.cancel()
        for agent in self._agents.values():
            with contextlib.suppress(Exception):
                await agent.stop()

    async def _at(self, uri: str, position: types.Position) -> tuple[Path, Analysis, Pos] | None:
        """The analysis of the module at ``uri`` and the position in it, when
        answers may come from it there (``Analysis.usable_at``)."""
        path = uri_path(uri)
        if path is None or not is_module_path(path):
            return None
        analysis = await self.analysis(path)
        if analysis is None:
            return None
        pos = self.server.range_converter().pos(path, position)
        return (path, analysis, pos) if analysis.usable_at(pos) else None

    def _text_at(self, path: Path, span: Span) -> str | None:
        return span_texts(self.server.current_text(path))(span)  # what was analysed

    # -- language features ------------------------------------------------

    async def definitions(self, params: types.DefinitionParams) -> list[types.Location]:
        found = await self._at(params.text_document.uri, params.position)
        if found is None:
            return []
        path, analysis, pos = found
        conv = self.server.range_converter()
        jump = analysis.jump_at(pos)
        if jump is not None:
            site = await self.analysis(jump.file, definition_site=True)
            target = site.target_named(jump.name, jump.submodules) if site is not None else None
            where = (
                conv.range(jump.file, target.span)
                if target is not None
                else types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
            )
            return [types.Location(uri=self.server.uri_of(jump.file), range=where)]
        return self._in_file(params.text_document.uri, path, *analysis.binders_at(pos))

    async def declarations(self, params: types.DeclarationParams) -> list[types.Location]:
        """Where this module binds the identifier: the require spec that
        imports it (check-syntax's require arrows start there), or the
        binder of a local or module-level binding (as definition)."""
        found = await self._at(params.text_document.uri, params.position)
        if found is None:
            return []
        path, analysis, pos = found
        binding = analysis.binding_at(pos)
        return [] if binding is None else self._in_file(params.text_document.uri, path, binding[0])

    def _in_file(self, uri: str, path: Path, *spans: Span) -> list[types.Location]:
        conv = self.server.range_converter()
        return [types.Location(uri=uri, range=conv.range(path, span)) for span in spans]

    async def document_highlights(
        self, params: types.DocumentHighlightParams
    ) -> list[types.DocumentHighlight]:
        found = await self._at(params.text_document.uri, params.position)
        if found is None:
            return []
        path, analysis, pos = found
        conv = self.server.range_converter()
        binding = analysis.binding_at(pos)
        if binding is None:
            return []
        binder, arrows = binding
        spans = [] if arrows[0].imported else [(binder, types.DocumentHighlightKind.Write)]
        spans += [(a.use, types.DocumentHighlightKind.Read) for a in arrows]
        return [
            types.DocumentHighlight(range=conv.range(path, s), kind=k)
            for s, k in dict.fromkeys(spans)
        ]

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        found = await self._at(params.text_document.uri, params.position)
        if found is None:
            return None
        path, analysis, pos = found
        conv = self.server.range_converter()
        texts = analysis.mouse_at(pos)
        jump = analysis.jump_at(pos)
        doc = analysis.doc_at(pos)
        typed = analysis.types_at(pos)
        if not texts and jump is None and doc is None and not typed:
            return None
        lines = [_code("\n".join(dict.fromkeys(t for _, t in typed)))] if typed else []
        if doc is not None:
            lines += self.doc_lines(doc)
        for _, t in texts:
            if jump is not None and t.startswith(IMPORTED):
                written = self._text_at(path, jump.span)
                t = (
                    f"{t} as {jump.name}"
                    if written == jump.name
                    else f"{t} (defines it as {jump.name})"
                )
            lines.append(t)
        if jump is not None:
            lines.append(f"defined in `{jump.file}`")
        if analysis.stale is not None:
            lines.append(f"analysis is stale: {analysis.stale}")
        span = next(
            s
            for s in (
                jump.span if jump else None,
                doc.span if doc else None,
                typed[0][0] if typed else None,
                texts[0][0] if texts else None,
            )
            if s is not None
        )
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value="\n\n".join(dict.fromkeys(lines))
            ),
            range=conv.range(path, span),
        )

    def doc_lines(self, doc: DocEntry) -> list[str]:
        """The installed documentation's blue box (its kind, then the
        signature lines) and a link to the page, at the entry's anchor:
        Markdown paragraphs (hover, completionItem/resolve)."""
        out = []
        if doc.bluebox:
            # Blue boxes space with no-break spaces: plain ones in a code block.
            kind, *signature = (line.replace("\xa0", " ") for line in doc.bluebox)
            out.append(f"_{kind}_")
            if signature:
                out.append(_code("\n".join(signature)))
        label = doc.label.removeprefix("View documentation for ")
        if doc.file is not None and doc.file.is_file():
            link = f"{self.server.uri_of(doc.file)}#{quote(doc.anchor, safe='')}"
            out.append(f"[Documentation: {label}]({link})")
        elif label:
            out.append(f"Documented: {label}")
        return out


def _code(text: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}racket\n{text}\n{fence}"


def _key(text: str) -> str:
    """The cache key of a text analysed."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
