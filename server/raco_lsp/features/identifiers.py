"""Identifier intelligence from check-syntax's view of a saved module.

On a definition, highlight or hover request in a module of a trusted folder
(what ``CompileOnSave.may_compile`` allows: the analysis expands the module,
which runs its macros), the compile agent analyses the saved file
(``racket/identifiers.py``), once per content hash, after the build in
flight has ended (so its dependencies are compiled).  An open buffer that
differs from the saved file gets no answer (its positions would be wrong).

- Definition: a local binding's binder in the file; an imported binding's
  definition site in the defining module (workspace or installation source:
  that module is analysed too, to find where it defines the name).
- Highlight: the binder and every use of it in the file.
- Hover: Typed Racket's type, the installed documentation's blue box and
  a link to its page (anchor included), where an imported binding comes
  from, and check-syntax's mouse-over texts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from lsprotocol import types

from raco_lsp.core.files import read_file
from raco_lsp.core.records import Span
from raco_lsp.core.text import TextIndex, decode_source, read_source
from raco_lsp.features.compile_on_save import CompileOnSave, is_module_path
from raco_lsp.lsp.feature import Feature
from raco_lsp.lsp.uris import uri_path
from raco_lsp.racket.agent import AgentCrashed, AgentState
from raco_lsp.racket.identifiers import Analysis, Doc, read_analysis

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

IMPORTED = "imported from "


class Identifiers(Feature):
    """Definition, document highlight and hover for identifiers.  State: the
    analyses by file (with the content hash they were made of)."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self._cache: dict[Path, tuple[str, Analysis]] = {}
        self._locks: dict[Path, asyncio.Lock] = {}
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

    async def analysis(self, path: Path, *, definition_site: bool = False) -> Analysis | None:
        """check-syntax's view of the saved ``path``, or None (not allowed,
        unreadable, unsaved edits in the buffer, or it does not expand)."""
        if not self._may_analyse(path, definition_site=definition_site):
            return None
        async with self._locks.setdefault(path, asyncio.Lock()):
            data, _ = read_file(path)
            if data is None:
                return None
            text = decode_source(data)
            if not definition_site:
                buffer = self.server.open_text(path)
                if buffer is not None and buffer != text:
                    return None
            key = hashlib.sha256(data).hexdigest()
            cached = self._cache.get(path)
            if cached is not None and cached[0] == key:
                return cached[1]
            install = self.server.install_for(path) or self.server.install
            if install is None:
                return None
            cos = self.server.feature_of(CompileOnSave)
            await cos.wait_builds()  # its dependencies compiled, the agents free
            agents = await cos.agents(install)
            agent = next((a for a in agents if a.state is AgentState.IDLE), agents[0])
            started = time.monotonic()
            try:
                answer = await agent.analyze(
                    path, timeout=self.server.settings_for(path).compile_timeout
                )
            except AgentCrashed as e:
                log.warning("analysis of %s: %s", path, e)
                return None
            self.runs += 1
            log.info("analysis of %s: %.0f ms", path, (time.monotonic() - started) * 1000)
            analysis, problems = read_analysis(answer, text)
            for p in problems:
                log.info("analysis of %s: %s", path, p)
            if analysis is None:
                return None
            self._cache[path] = (key, analysis)
            return analysis

    async def _at(
        self, uri: str, position: types.Position
    ) -> tuple[Path, Analysis, types.Position] | None:
        path = uri_path(uri)
        if path is None or not is_module_path(path):
            return None
        analysis = await self.analysis(path)
        return None if analysis is None else (path, analysis, position)

    def _text_at(self, path: Path, span: Span) -> str | None:
        text = self.server.open_text(path)
        if text is None:
            text = read_source(path)  # what was analysed
        if text is None:
            return None
        index = TextIndex(text)
        return text[index.index_of(span.start) : index.index_of(span.end)]

    # -- language features ------------------------------------------------

    async def definitions(self, params: types.DefinitionParams) -> list[types.Location]:
        found = await self._at(params.text_document.uri, params.position)
        if found is None:
            return []
        path, analysis, position = found
        conv = self.server.range_converter()
        pos = conv.pos(path, position)
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
        binding = analysis.binding_at(pos)
        if binding is None or binding[1][0].imported:
            return []
        return [types.Location(uri=params.text_document.uri, range=conv.range(path, binding[0]))]

    async def document_highlights(
        self, params: types.DocumentHighlightParams
    ) -> list[types.DocumentHighlight]:
        found = await self._at(params.text_document.uri, params.position)
        if found is None:
            return []
        path, analysis, position = found
        conv = self.server.range_converter()
        binding = analysis.binding_at(conv.pos(path, position))
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
        path, analysis, position = found
        conv = self.server.range_converter()
        pos = conv.pos(path, position)
        texts = analysis.mouse_at(pos)
        jump = analysis.jump_at(pos)
        doc = analysis.doc_at(pos)
        typed = analysis.types_at(pos)
        if not texts and jump is None and doc is None and not typed:
            return None
        lines = [_code("\n".join(dict.fromkeys(t for _, t in typed)))] if typed else []
        if doc is not None:
            lines += self._doc_lines(doc)
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

    def _doc_lines(self, doc: Doc) -> list[str]:
        """The installed documentation's blue box (its kind, then the
        signature lines) and a link to the page, at the entry's anchor."""
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
