"""info.rkt intelligence: diagnostics, completion, hover and quick fixes.

Static checks (``info/validate.py``) run on open and on every change; Racket's
own ``get-info`` runs on open and save (the file on disk), when Racket is
available and the workspace is trusted, and only when the static checks found
no error.  Both publish under the diagnostic source ``info.rkt``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from raco_lsp.core.files import special_file
from raco_lsp.core.records import Problem
from raco_lsp.core.text import read_source
from raco_lsp.info.assist import HoverInfo, PackageInfo, Suggestion, complete, hover
from raco_lsp.info.findings import Finding
from raco_lsp.info.validate import SOURCE, has_errors, validate_info
from raco_lsp.lsp.diagnostics import RangeConverter
from raco_lsp.lsp.feature import Feature, command
from raco_lsp.racket.info import cached_packages, get_info_problems, installed_packages
from raco_lsp.racket.setup import find_packages

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer

log = logging.getLogger(__name__)

_KINDS = {
    "field": types.CompletionItemKind.Field,
    "value": types.CompletionItemKind.EnumMember,
    "package": types.CompletionItemKind.Module,
    "file": types.CompletionItemKind.File,
    "keyword": types.CompletionItemKind.Keyword,
    "lang": types.CompletionItemKind.Keyword,
}


def is_info_file(path: Path) -> bool:
    return path.name == "info.rkt"


def workspace_packages(roots: list[Path]) -> dict[str, PackageInfo]:
    """The workspace's packages (``find_packages``) by their name."""
    out: dict[str, PackageInfo] = {}
    for p in find_packages(roots):
        out.setdefault(p.name, PackageInfo(p.name, "workspace", p.directory))
    return out


class InfoRkt(Feature):
    """info.rkt diagnostics, completion, hover and quick fixes.  State: the
    static findings per file (for code actions), get-info's problems per
    file and its running checks, the package lists completion offers."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self.findings: dict[Path, list[Finding]] = {}
        self.truth: dict[Path, list[Problem]] = {}
        self._tasks: dict[Path, asyncio.Task[None]] = {}
        self._pkg_task: asyncio.Task[Any] | None = None
        self._workspace: dict[str, PackageInfo] | None = None

    # -- hooks ----------------------------------------------------------------

    def on_open(self, path: Path) -> None:
        if is_info_file(path):
            self.validate(path)
            self.prefetch_packages()
            self.ground_truth(path)

    def on_change(self, path: Path) -> None:
        if is_info_file(path):
            self.validate(path)

    def on_save(self, path: Path) -> None:
        if is_info_file(path):
            self._workspace = None
            self.validate(path)
            self.ground_truth(path)

    def on_close(self, path: Path) -> None:
        if is_info_file(path):
            self.close(path)

    async def completion(self, params: types.CompletionParams) -> list[types.CompletionItem]:
        path = _info_path(params.text_document.uri)
        if path is None:
            return []
        text = self.text_of(path)
        converter = self.server.range_converter()
        pos = converter.pos(path, params.position)
        await self.ensure_packages()
        return [
            completion_item(converter, path, s) for s in complete(text, pos, path, self.packages())
        ]

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        path = _info_path(params.text_document.uri)
        if path is None:
            return None
        text = self.text_of(path)
        converter = self.server.range_converter()
        pos = converter.pos(path, params.position)
        await self.ensure_packages()
        return hover_result(converter, path, hover(text, pos, path, self.packages()))

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        path = _info_path(params.text_document.uri)
        if path is None:
            return []
        return self.server.range_converter().quick_fixes(
            params.text_document.uri, path, self.findings.get(path, []), params.range
        )

    @command("raco-lsp.infoIdle")
    async def info_idle(self, *_: Any) -> bool:
        """Resolves when no get-info check is running (for tests and scripts)."""
        await self.idle()
        return True

    # -- packages -------------------------------------------------------------

    def packages(self) -> dict[str, PackageInfo]:
        out: dict[str, PackageInfo] = {}
        for p in (cached_packages(self.server.install) or {}).values():
            out[p.name] = PackageInfo(p.name, p.scope, p.directory)
        if self._workspace is None:
            self._workspace = workspace_packages(self.server.folders())
        out.update(self._workspace)
        return out

    def prefetch_packages(self) -> None:
        install = self.server.install
        if install is None or cached_packages(install) is not None:
            return
        if self._pkg_task is None or self._pkg_task.done():
            self._pkg_task = asyncio.ensure_future(self._fetch(install))

    async def _fetch(self, install: Any) -> None:
        try:
            await installed_packages(install)
        except OSError as e:
            log.warning("cannot list installed packages: %s", e)

    async def ensure_packages(self, timeout: float = 5.0) -> None:
        self.prefetch_packages()
        if self._pkg_task is not None and not self._pkg_task.done():
            await asyncio.wait([self._pkg_task], timeout=timeout)

    # -- diagnostics ----------------------------------------------------------

    def text_of(self, path: Path) -> str:
        text = self.server.open_text(path)
        if text is None:
            text = read_source(path) or ""
        return text

    def validate(self, path: Path) -> None:
        self.findings[path] = validate_info(path, self.text_of(path))
        self.truth.pop(path, None)
        self.publish(path)

    def publish(self, path: Path) -> None:
        converter = self.server.range_converter()
        problems = [f.problem for f in self.findings.get(path, [])]
        problems += self.truth.get(path, [])
        self.server.store.put(
            SOURCE, self.server.uri_of(path), [converter.diagnostic(p) for p in problems]
        )

    def ground_truth(self, path: Path) -> None:
        s = self.server
        if (
            s.install_for(path) is None
            or not s.settings_for(path).trusted
            or has_errors(self.findings.get(path, []))
        ):
            return
        if special_file(path) is not None:  # get-info would read it forever
            return
        previous = self._tasks.get(path)
        if previous is not None and not previous.done():
            previous.cancel()
        self._tasks[path] = asyncio.ensure_future(self._truth_job(path))

    async def _truth_job(self, path: Path) -> None:
        install = self.server.install_for(path)
        if install is None:
            return
        try:
            result = await get_info_problems(
                install,
                [path],
                timeout=self.server.settings_for(path).compile_timeout,
                text_of=lambda p: read_source(p),
            )
        except OSError as e:
            log.warning("get-info failed to run for %s: %s", path, e)
            return
        if self._tasks.get(path) is not asyncio.current_task():
            return
        if path in result and not has_errors(self.findings.get(path, [])):
            self.truth[path] = result[path]
            self.publish(path)

    async def idle(self) -> None:
        while pending := [t for t in self._tasks.values() if not t.done()]:
            await asyncio.wait(pending)

    def close(self, path: Path) -> None:
        self.findings.pop(path, None)
        self.truth.pop(path, None)
        task = self._tasks.pop(path, None)
        if task is not None and not task.done():
            task.cancel()
        self.server.store.put(SOURCE, self.server.uri_of(path), [])


def _info_path(uri: str) -> Path | None:
    from raco_lsp.lsp.uris import uri_path

    p = uri_path(uri)
    return p if p is not None and is_info_file(p) else None


def completion_item(converter: RangeConverter, path: Path, s: Suggestion) -> types.CompletionItem:
    rng = converter.range(path, s.replace)
    return types.CompletionItem(
        label=s.label,
        kind=_KINDS.get(s.kind, types.CompletionItemKind.Text),
        detail=s.detail or None,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=s.doc)
        if s.doc
        else None,
        text_edit=types.TextEdit(range=rng, new_text=s.insert_text),
        insert_text_format=types.InsertTextFormat.Snippet
        if s.snippet
        else types.InsertTextFormat.PlainText,
        filter_text=s.label,
    )


def hover_result(converter: RangeConverter, path: Path, h: HoverInfo | None) -> types.Hover | None:
    if h is None:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=h.markdown),
        range=converter.range(path, h.span),
    )
