"""The language server: wiring of settings, the Racket installation and features."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from raco_lsp import __version__
from raco_lsp.features.compile_on_save import CompileOnSave
from raco_lsp.features.diagnostics import DiagnosticStore, RangeConverter, path_uri
from raco_lsp.racket import process
from raco_lsp.racket.locate import INSTALL_HINT, RacketInstall, locate_racket
from raco_lsp.settings import SECTION, Settings, parse_settings

log = logging.getLogger(__name__)


class RacoLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("raco-lsp", __version__)
        self.settings = Settings()
        self.install: RacketInstall | None = None
        self.install_problems: list[str] = []
        self.store = DiagnosticStore(self._send_diagnostics)
        self.compiles = CompileOnSave(self)
        self._shown: set[str] = set()

    # -- helpers shared by features ----------------------------------------

    def _send_diagnostics(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def uri_of(self, path: Path) -> str:
        return path_uri(path)

    def open_text(self, path: Path) -> str | None:
        doc = self.workspace.text_documents.get(self.uri_of(path))
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

    def status(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "racket": str(self.install.racket) if self.install else None,
            "racketProblems": self.install_problems,
            "trusted": self.settings.trusted,
            "compileOnSave": self.settings.compile_on_save,
        }


def _path(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return Path(fs) if fs else None


def create_server() -> RacoLanguageServer:
    server = RacoLanguageServer()

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

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: RacoLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        caps = ls.client_capabilities.workspace
        if caps is not None and caps.configuration:
            await ls.fetch_configuration()
        else:
            ls.apply_settings(parse_settings(params.settings, ls.settings))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RacoLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if path is not None:
            ls.compiles.on_open(path)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RacoLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        path = _path(params.text_document.uri)
        if path is not None:
            ls.compiles.on_save(path)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: RacoLanguageServer, params: None) -> None:
        await ls.compiles.shutdown()
        process.kill_all()

    @server.command("raco-lsp.serverStatus")
    def server_status(ls: RacoLanguageServer, *args: Any) -> dict[str, Any]:
        return ls.status()

    @server.command("raco-lsp.waitIdle")
    async def wait_idle(ls: RacoLanguageServer, *args: Any) -> bool:
        """Resolves when no compile is running or queued (for tests and scripts)."""
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
