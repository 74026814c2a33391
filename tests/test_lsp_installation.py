"""Files of the Racket installation, through the real server: a root inside
the installation (what eglot and the README's Neovim configuration send for
an installation file opened on its own) is read-only, not a workspace, and
an installation file opened from a workspace is never compiled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import lsp_session, open_file, record_registrations, request, wait_idle
from racket_install import collects_and_pkgs_dirs, snapshot
from raco_lsp.lsp.uris import path_uri


def installation_module() -> Path:
    return collects_and_pkgs_dirs()[0] / "racket" / "list.rkt"


async def open_save_and_wait(client: LanguageClient, path: Path) -> dict[str, Any]:
    """Open and save ``path`` unchanged; the server's status once idle."""
    open_file(client, path)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(path))
        )
    )
    await wait_idle(client)
    status = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="raco-lsp.serverStatus")
    )
    assert isinstance(status, dict)
    return status


async def test_a_root_inside_the_installation_is_not_a_workspace() -> None:
    module = installation_module()
    before = snapshot([module.parent])
    registered: list[str] = []
    async with lsp_session(
        module.parent, before_initialize=record_registrations(registered)
    ) as client:
        await wait_idle(client)
        assert (await request(client, "raco/moduleGraph", None))["nodes"] == []  # nothing scanned
        assert registered == []  # nothing watched
        status = await open_save_and_wait(client, module)
        assert status["agent"] is None  # nothing compiled
        # The file itself is still served: its requires link to their files.
        links = await client.text_document_document_link_async(
            types.DocumentLinkParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(module))
            )
        )
        assert links and any(
            str(link.target).endswith("/racket/private/list-predicates.rkt") for link in links
        )
    assert snapshot([module.parent]) == before


async def test_an_installation_file_opened_from_a_workspace_is_never_compiled(ws: Path) -> None:
    (ws / "a.rkt").write_text("#lang racket/base\n(require racket/list)\n")
    registered: list[str] = []
    # Without the check on startup, which would compile a.rkt: any agent
    # then comes from the installation file.
    async with lsp_session(
        ws,
        init_options={"checkOnStartup": False},
        before_initialize=record_registrations(registered),
    ) as client:
        await wait_idle(client)
        assert registered == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]  # a real workspace
        nodes = (await request(client, "raco/moduleGraph", None))["nodes"]
        assert [Path(n["path"]).name for n in nodes if n["workspace"]] == ["a.rkt"]
        status = await open_save_and_wait(client, installation_module())
        # The workspace's agent started with the server; it compiled nothing.
        agents = status["agent"]["all"]
        assert agents and all(a["compiles"] == 0 for a in agents)
