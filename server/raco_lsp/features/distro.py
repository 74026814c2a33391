"""distro-build site configurations: diagnostics, completion, hover, quick fixes.

A ``#lang distro-build/config`` module (or ``build/site.rkt``) is checked
statically (``distro/validate.py``) on open and on every change, under the
diagnostic source ``distro-build``.  Nothing runs the configuration: it is
workspace code, and the distro-build packages need not be installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from raco_lsp.distro.assist import complete, hover
from raco_lsp.distro.validate import SOURCE, is_site_config, validate_config
from raco_lsp.features.info_rkt import InfoRkt, completion_item, hover_result
from raco_lsp.info.findings import Finding
from raco_lsp.lsp.diagnostics import document_quick_fixes
from raco_lsp.lsp.feature import Feature
from raco_lsp.lsp.uris import uri_path

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer


class DistroConfig(Feature):
    """Site-configuration checks and assistance.  State: the static findings
    of each open configuration (for code actions)."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self.findings: dict[Path, list[Finding]] = {}

    def _text(self, path: Path) -> str | None:
        """The configuration's text, or None when ``path`` is no site configuration."""
        if path.suffix != ".rkt":
            return None
        text = self.server.feature_of(InfoRkt).text_of(path)
        return text if is_site_config(path, text) else None

    # -- hooks ----------------------------------------------------------------

    def on_open(self, path: Path) -> None:
        self.validate(path)

    def on_change(self, path: Path) -> None:
        self.validate(path)

    def on_save(self, path: Path) -> None:
        self.validate(path)

    def on_close(self, path: Path) -> None:
        if self.findings.pop(path, None) is not None:
            self.server.store.put(SOURCE, self.server.uri_of(path), [])

    def validate(self, path: Path) -> None:
        text = self._text(path)
        if text is None:
            self.on_close(path)  # no longer a configuration (its #lang changed)
            return
        self.findings[path] = validate_config(path, text)
        converter = self.server.range_converter()
        self.server.store.put(
            SOURCE,
            self.server.uri_of(path),
            [converter.diagnostic(f.problem) for f in self.findings[path]],
        )

    async def completion(self, params: types.CompletionParams) -> list[types.CompletionItem]:
        path = uri_path(params.text_document.uri)
        text = self._text(path) if path is not None else None
        if path is None or text is None:
            return []
        converter = self.server.range_converter()
        pos = converter.pos(path, params.position)
        info = self.server.feature_of(InfoRkt)
        await info.ensure_packages()
        return [completion_item(converter, path, s) for s in complete(text, pos, info.packages())]

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        path = uri_path(params.text_document.uri)
        text = self._text(path) if path is not None else None
        if path is None or text is None:
            return None
        converter = self.server.range_converter()
        return hover_result(converter, path, hover(text, converter.pos(path, params.position)))

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        return document_quick_fixes(self.server, params, self.findings)
