"""Driving the real raco-lsp server over stdio with pytest-lsp's client."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from raco_lsp.lsp.uris import path_uri

SERVER = [sys.executable, "-m", "raco_lsp", "serve", "--log-level", "INFO"]


@asynccontextmanager
async def lsp_session(
    root: Path,
    *,
    init_options: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    configuration: dict[str, Any] | None = None,
    server: list[str] = SERVER,
    capabilities: types.ClientCapabilities | None = None,
    before_initialize: Callable[[LanguageClient], None] | None = None,
    folders: dict[Path, dict[str, Any] | None] | None = None,
) -> AsyncIterator[LanguageClient]:
    """A server started on ``root`` with VS Code's client capabilities (or
    ``capabilities``; ``server``: the command line, e.g. ``SERVER`` under
    ``prlimit``; ``before_initialize``: e.g. to add handlers to the client).
    ``folders``: the workspace folders (else ``root``), each with the
    configuration the client answers for its ``scopeUri`` (None: the unscoped
    ``configuration``)."""
    client = await ClientServerConfig(server_command=server, server_env=env).start()
    assert isinstance(client, LanguageClient)
    if before_initialize is not None:
        before_initialize(client)
    if configuration is not None:
        client.set_configuration(configuration)
    for folder, scoped in (folders or {}).items():
        if scoped is not None:
            client.set_configuration(scoped, scope_uri=path_uri(folder))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities("visual-studio-code"),
            root_uri=path_uri(root),
            workspace_folders=[
                types.WorkspaceFolder(uri=path_uri(f), name=f.name) for f in folders or [root]
            ],
            initialization_options=init_options,
        )
    )
    try:
        yield client
    finally:
        await asyncio.wait_for(client.shutdown_session(), timeout=20)


def open_file(client: LanguageClient, path: Path) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path_uri(path),
                language_id="racket",
                version=1,
                text=path.read_text(encoding="utf-8"),
            )
        )
    )


_versions: dict[str, int] = {}


def save_file(client: LanguageClient, path: Path, text: str) -> None:
    """Write ``text`` to disk as the editor would, then didChange + didSave."""
    path.write_bytes(text.encode("utf-8"))
    uri = path_uri(path)
    _versions[uri] = _versions.get(uri, 1) + 1
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=_versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


async def wait_idle(client: LanguageClient, timeout: float = 120) -> None:
    await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="raco-lsp.waitIdle")
        ),
        timeout,
    )


def diagnostics(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    return list(client.diagnostics.get(path_uri(path), []))


def rng(l1: int, c1: int, l2: int, c2: int) -> types.Range:
    return types.Range(
        start=types.Position(line=l1, character=c1), end=types.Position(line=l2, character=c2)
    )


def plain(x: Any) -> Any:
    """A custom request's result as plain JSON values."""
    if hasattr(x, "_asdict"):
        x = x._asdict()
    if isinstance(x, dict):
        # pygls's client turns unknown results into namedtuples, which rename
        # the JSON key "from" (a Python keyword) to "_0"; the wire has "from".
        return {("from" if k == "_0" else k): plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    return x


def collect(client: LanguageClient, method: str) -> list[dict[str, Any]]:
    """Every custom notification ``method`` (``raco/...``) from now on, as plain JSON values."""
    got: list[dict[str, Any]] = []

    @client.feature(method)  # type: ignore[untyped-decorator]
    def on_notification(params: Any) -> None:
        got.append(plain(params))

    return got


async def request(client: LanguageClient, method: str, params: Any, timeout: float = 120) -> Any:
    """A custom request (``raco/...``), its result as plain JSON values."""
    return plain(
        await asyncio.wait_for(
            client.protocol.send_request_async(method, params),  # type: ignore[no-untyped-call]
            timeout,
        )
    )


def record_registrations(got: list[Any]) -> Any:
    """A ``before_initialize`` hook: the client accepts
    ``client/registerCapability`` (as editors do) and records the methods."""

    def setup(client: LanguageClient) -> None:
        @client.feature(types.CLIENT_REGISTER_CAPABILITY)  # type: ignore[untyped-decorator]
        def register(params: types.RegistrationParams) -> None:
            got.extend(r.method for r in params.registrations)

    return setup
