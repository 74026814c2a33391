"""The language server: wiring of settings, the Racket installation and features.

pygls allows one handler per LSP method, so this module owns the handlers and
dispatches to *providers* that features register (see ``Providers``).  A
feature lives in ``features/<name>.py`` and exposes ``register(server)``,
called from ``create_server``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from raco_lsp import __version__
from raco_lsp.features import compile_on_save, info_rkt, module_graph, packaging
from raco_lsp.features import setup as setup_feature
from raco_lsp.features import testing as testing_feature
from raco_lsp.features.compile_on_save import CompileOnSave
from raco_lsp.features.diagnostics import DiagnosticStore, RangeConverter, path_uri
from raco_lsp.features.module_graph import GraphService
from raco_lsp.racket import files, process
from raco_lsp.racket.locate import INSTALL_HINT, RacketInstall, locate_racket
from raco_lsp.settings import SECTION, Settings, parse_settings

log = logging.getLogger(__name__)

T = TypeVar("T")
# A provider may be a plain function or a coroutine function.
Provider = Callable[["RacoLanguageServer", T], Any]
DocumentHook = Callable[["RacoLanguageServer", Path], Any]


@dataclass
class Providers:
    """What features plug in.  Hooks get the file's path (file: URIs only).

    - ``on_open``/``on_change``/``on_save``/``on_close``: document events.
    - ``completion``: results are concatenated.
    - ``hover``: the first non-None answer wins.
    - ``code_action``, ``code_lens``, ``document_link``, ``definition``:
      results are concatenated.
    - ``on_ready``: ``(ls)`` after initialization and after each settings change.
    - ``watched``: ``(ls, [FileEvent])`` for workspace/didChangeWatchedFiles.
    - ``on_built``: ``(ls, [Path])`` after a build wrote or touched these files.
    """

    on_open: list[DocumentHook] = field(default_factory=list)
    on_change: list[DocumentHook] = field(default_factory=list)
    on_save: list[DocumentHook] = field(default_factory=list)
    on_close: list[DocumentHook] = field(default_factory=list)
    completion: list[Provider[types.CompletionParams]] = field(default_factory=list)
    hover: list[Provider[types.HoverParams]] = field(default_factory=list)
    code_action: list[Provider[types.CodeActionParams]] = field(default_factory=list)
    code_lens: list[Provider[types.CodeLensParams]] = field(default_factory=list)
    document_link: list[Provider[types.DocumentLinkParams]] = field(default_factory=list)
    definition: list[Provider[types.DefinitionParams]] = field(default_factory=list)
    on_ready: list[Callable[[RacoLanguageServer], Any]] = field(default_factory=list)
    watched: list[Provider[list[types.FileEvent]]] = field(default_factory=list)
    on_built: list[Provider[list[Path]]] = field(default_factory=list)


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


async def _gather_lists(fns: list[Callable[..., Any]], *args: Any) -> list[Any]:
    out: list[Any] = []
    for fn in fns:
        try:
            items = await _call(fn, *args)
        except Exception:
            log.exception("provider %s failed", getattr(fn, "__qualname__", fn))
            continue
        if items:
            out.extend(items)
    return out


class RacoLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("raco-lsp", __version__)
        self.settings = Settings()
        self.install: RacketInstall | None = None
        self.install_problems: list[str] = []
        self.store = DiagnosticStore(self._send_diagnostics)
        self.providers = Providers()
        self.compiles = CompileOnSave(self)
        self.graph: GraphService | None = None
        self._shown: set[str] = set()

    # -- helpers shared by features ----------------------------------------

    def _send_diagnostics(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def uri_of(self, path: Path) -> str:
        return path_uri(path)

    def open_text(self, path: Path) -> str | None:
        uri = self.uri_of(path)
        # pygls keys open documents by the *unquoted* URI (a space stays a space).
        docs = self.workspace.text_documents
        doc = docs.get(uri) or docs.get(unquote(uri))
        return doc.source if doc is not None else None

    def range_converter(self) -> RangeConverter:
        return RangeConverter(self.workspace.position_codec, self.open_text)

    def roots_for(self, path: Path) -> list[Path]:
        """The workspace folders that hold ``path`` (its directory if none)."""
        roots = []
        for folder in self.workspace.folders.values():
            fs = to_fs_path(folder.uri)
            if fs and path.is_relative_to(fs):
                roots.append(Path(fs))
        if not roots and self.workspace.root_path:
            root = Path(self.workspace.root_path)
            if path.is_relative_to(root):
                roots.append(root)
        return roots or [path.parent]

    def show_once(self, message: str, kind: types.MessageType) -> None:
        if message in self._shown:
            return
        self._shown.add(message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        files.set_max_file_size(settings.max_file_size * files.MB)
        for problem in settings.problems:
            self.show_once(f"raco-lsp: {problem}", types.MessageType.Warning)
        self.install, self.install_problems = locate_racket(settings.racket_path)
        if self.install is None:
            self.show_once(
                "raco-lsp: Racket not found. "
                + " ".join(self.install_problems)
                + " "
                + INSTALL_HINT
                + " Compiling is disabled until then; the server keeps running.",
                types.MessageType.Error,
            )
        else:
            log.info("using racket at %s", self.install.racket)
        if not settings.trusted:
            log.info("workspace not trusted: nothing will be compiled")

    async def fetch_configuration(self) -> None:
        caps = self.client_capabilities.workspace
        if caps is None or not caps.configuration:
            return
        try:
            result = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            )
        except Exception as e:  # a client that fails the request: keep what we have
            log.warning("workspace/configuration failed: %s", e)
            return
        if result and isinstance(result[0], dict):
            self.apply_settings(parse_settings(result[0], self.settings))

    async def notify_ready(self) -> None:
        for fn in self.providers.on_ready:
            try:
                await _call(fn, self)
            except Exception:
                log.exception("on_ready provider failed")

    async def notify_built(self, paths: list[Path]) -> None:
        for fn in self.providers.on_built:
            try:
                await _call(fn, self, paths)
            except Exception:
                log.exception("on_built provider failed")

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "racket": str(self.install.racket) if self.install else None,
            "racketProblems": self.install_problems,
            "trusted": self.settings.trusted,
            "compileOnSave": self.settings.compile_on_save,
            "agent": self.compiles.agent_status(),
        }


def uri_path(uri: str) -> Path | None:
    """The file system path of a ``file:`` URI, else None."""
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return Path(fs) if fs else None


async def _run_hooks(ls: RacoLanguageServer, hooks: list[DocumentHook], uri: str) -> None:
    path = uri_path(uri)
    if path is None:
        return
    for hook in hooks:
        try:
            await _call(hook, ls, path)
        except Exception:
            log.exception("hook %s failed for %s", getattr(hook, "__qualname__", hook), path)


COMPLETION_TRIGGERS = ['"', "'", "(", "[", " ", "/", "#", "-"]


def create_server() -> RacoLanguageServer:
    server = RacoLanguageServer()
    compile_on_save.register(server)
    module_graph.register(server)
    testing_feature.register(server)
    packaging.register(server)
    info_rkt.register(server)
    setup_feature.register(server)

    @server.feature(types.INITIALIZE)
    def initialize(ls: RacoLanguageServer, params: types.InitializeParams) -> None:
        ls.settings = parse_settings(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: RacoLanguageServer, params: types.InitializedParams) -> None:
        # Settings from initializationOptions first, so a client without
        # workspace/configuration still gets them; then the client's view.
        ls.apply_settings(ls.settings)
        configured_before = ls.settings
        await ls.fetch_configuration()
        if ls.settings is not configured_before:
            log.info("settings from workspace/configuration: %s", ls.settings)
        await ls.notify_ready()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: RacoLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        caps = ls.client_capabilities.workspace
        if caps is not None and caps.configuration:
            await ls.fetch_configuration()
        else:
            ls.apply_settings(parse_settings(params.settings, ls.settings))
        await ls.notify_ready()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(
        ls: RacoLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        for fn in ls.providers.watched:
            try:
                await _call(fn, ls, params.changes)
            except Exception:
                log.exception("watched-files provider failed")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: RacoLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        await _run_hooks(ls, ls.providers.on_open, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: RacoLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        await _run_hooks(ls, ls.providers.on_change, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: RacoLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        await _run_hooks(ls, ls.providers.on_save, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: RacoLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        await _run_hooks(ls, ls.providers.on_close, params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS),
    )
    async def completion(
        ls: RacoLanguageServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        items = await _gather_lists(ls.providers.completion, ls, params)
        return types.CompletionList(is_incomplete=False, items=items) if items else None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: RacoLanguageServer, params: types.HoverParams) -> types.Hover | None:
        for fn in ls.providers.hover:
            try:
                result = await _call(fn, ls, params)
            except Exception:
                log.exception("hover provider failed")
                continue
            if result is not None:
                assert isinstance(result, types.Hover)
                return result
        return None

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION)
    async def code_action(
        ls: RacoLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction | types.Command] | None:
        return await _gather_lists(ls.providers.code_action, ls, params) or None

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    async def code_lens(
        ls: RacoLanguageServer, params: types.CodeLensParams
    ) -> list[types.CodeLens] | None:
        return await _gather_lists(ls.providers.code_lens, ls, params) or None

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    async def document_link(
        ls: RacoLanguageServer, params: types.DocumentLinkParams
    ) -> list[types.DocumentLink] | None:
        return await _gather_lists(ls.providers.document_link, ls, params) or None

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def definition(
        ls: RacoLanguageServer, params: types.DefinitionParams
    ) -> list[types.Location] | None:
        return await _gather_lists(ls.providers.definition, ls, params) or None

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: RacoLanguageServer, params: None) -> None:
        await ls.compiles.shutdown()
        process.kill_all()

    @server.command("raco-lsp.serverStatus")
    def server_status(ls: RacoLanguageServer, *args: Any) -> dict[str, Any]:
        return ls.status()

    @server.command("raco-lsp.waitIdle")
    async def wait_idle(ls: RacoLanguageServer, *args: Any) -> bool:
        """Resolves when no build is running or queued and the module graph
        has applied every change (for tests and scripts)."""
        if ls.graph is not None:
            await ls.graph.wait_idle()
        await ls.compiles.wait_idle()
        return True

    return server


def run_stdio() -> None:
    server = create_server()
    try:
        server.start_io()
    finally:
        process.kill_all()
    asyncio.set_event_loop(None)
