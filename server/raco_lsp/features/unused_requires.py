"""Unused requires: check-syntax's own answer, as warnings with a quick fix.

When an open module of a trusted folder has been built (or is opened up to
date), its analysis (``Identifiers.analysis``: the one agent call) lists the
require specs check-syntax finds unused.  Each becomes a warning (tag
Unnecessary) whose message says what removing it costs: how many modules
leave the file's dependency closure, from the module graph
(``ModuleGraph.closure``: workspace modules' source requires and compiled
``.dep`` records, every other module's ``.dep``), with and without that
edge.  The quick fix "Remove unused require" deletes the spec, or the whole
``(require ...)`` form when it was its only spec (``syntax/requires.py``'s
``require_removal``).  A module whose text does not expand gets the
warnings of its last good analysis, mapped onto the current text (those in
changed text left out: ``carried_over``); one that cannot be analysed keeps
what was published.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from raco_lsp.core.records import Problem, Severity, Span
from raco_lsp.core.text import span_texts
from raco_lsp.features.compile_on_save import is_module_path
from raco_lsp.features.identifiers import Identifiers
from raco_lsp.features.module_graph import ModuleGraphFeature
from raco_lsp.info.findings import Finding, Fix
from raco_lsp.lsp.diagnostics import document_quick_fixes
from raco_lsp.lsp.feature import Feature
from raco_lsp.racket.graph import norm
from raco_lsp.racket.identifiers import Analysis
from raco_lsp.syntax.parser import Source
from raco_lsp.syntax.requires import require_removal

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

SOURCE = "racket-identifiers"
STORE_KEY = "racket-identifiers/unused-requires"
CODE = "unused-require"
FIX_TITLE = "Remove unused require"


class UnusedRequires(Feature):
    """State: the findings published per open module, and the refresh
    running per module (a trigger during one runs it once more)."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self.findings: dict[Path, list[Finding]] = {}
        self._running: dict[Path, asyncio.Task[None]] = {}
        self._again: set[Path] = set()

    # -- triggers -------------------------------------------------------------

    def on_open(self, path: Path) -> None:
        self._schedule(path)

    def on_built(self, paths: list[Path]) -> None:
        for p in dict.fromkeys(paths):
            if self.server.open_text(p) is not None:
                self._schedule(p)

    def on_close(self, path: Path) -> None:
        self.findings.pop(path, None)
        self.server.store.put(STORE_KEY, self.server.uri_of(path), [])

    def on_shutdown(self) -> None:
        for task in self._running.values():
            task.cancel()

    async def wait_idle(self) -> None:
        while self._running:
            await asyncio.wait(list(self._running.values()))

    def _schedule(self, path: Path) -> None:
        if not is_module_path(path):
            return
        if path in self._running:
            self._again.add(path)
            return
        self._running[path] = asyncio.ensure_future(self._run(path))

    async def _run(self, path: Path) -> None:
        try:
            while True:
                self._again.discard(path)
                try:
                    await self._refresh(path)
                except Exception:
                    log.exception("unused requires of %s", path)
                if path not in self._again:
                    break
        finally:
            self._running.pop(path, None)

    async def _refresh(self, path: Path) -> None:
        analysis = await self.server.feature_of(Identifiers).analysis(path)
        if analysis is None or self.server.open_text(path) is None:
            return  # unavailable: what was published stays; closed: nothing to say
        text = self.server.current_text(path) or ""
        findings = self._findings_of(path, analysis, text)
        self.findings[path] = findings
        converter = self.server.range_converter()
        diagnostics = []
        for f in findings:
            d = converter.diagnostic(f.problem)
            d.tags = [types.DiagnosticTag.Unnecessary]
            diagnostics.append(d)
        self.server.store.put(STORE_KEY, self.server.uri_of(path), diagnostics)

    # -- findings -------------------------------------------------------------

    def _findings_of(self, path: Path, analysis: Analysis, text: str) -> list[Finding]:
        written = span_texts(text)
        src = Source.from_text(text)
        out = []
        for span in analysis.unused:
            name = written(span)
            removal = require_removal(src, span)
            fixes = (Fix.replace(FIX_TITLE, removal, ""),) if removal is not None else ()
            message = f"unused require: {name}\n{self._cost(path, span)}"
            problem = Problem(path, span, Severity.WARNING, message, SOURCE, CODE)
            out.append(Finding(problem, fixes))
        return out

    def _cost(self, path: Path, span: Span) -> str:
        """What removing the require at ``span`` takes out of ``path``'s
        dependency closure, according to the module graph."""
        graph_feature = self.server.feature_of(ModuleGraphFeature)
        node = graph_feature.node(path)
        if node is None:
            return "Its cost is unknown: the module graph does not know this file."
        graph = graph_feature.graph_for(path)
        required = next((r for r in node.requires if r.spec.span == span), None)
        target = required.resolution.path if required is not None else None
        if target is None:
            return "Its cost is unknown: the module graph did not resolve it to a file."
        others = [r.resolution.path for r in node.requires if r is not required]
        if any(p is not None and norm(p) == norm(target) for p in [*others, *node.lang_targets]):
            return (
                "Removing it changes nothing in the dependency closure: this file "
                "requires that module otherwise too."
            )
        before = graph.closure(path)
        gone = before - graph.closure(path, without=target)
        workspace = sum(1 for p in gone if graph.contains(p))
        n = len(gone)
        return (
            f"Removing it takes {n} of the {len(before)} modules in this file's dependency "
            f"closure out of it ({workspace} of the workspace, {n - workspace} others): "
            "they no longer trigger its recompiles. (Counted on the module graph: "
            "workspace modules' requires and compiled .dep records, other modules' .dep "
            "records.)"
        )

    # -- LSP ------------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        return document_quick_fixes(self.server, params, self.findings)
