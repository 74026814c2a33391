"""Hostile workspaces through the real server (under a memory limit, so a
regression fails instead of eating the machine) and the CLI: links to
/dev/zero, a FIFO, a file over the size cap, symlink loops."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from lsp_support import SERVER, diagnostics, lsp_session, request, wait_idle
from raco_lsp.lsp.uris import path_uri

# Address space for the server and the Racket helpers it starts.
LIMIT = ["prlimit", f"--as={3 << 30}"]
ZERO_URI = "file:///dev/zero"


def hostile(ws: Path, big_bytes: int) -> None:
    """Readable modules among a link to /dev/zero, an info.rkt and an
    ``include``d file that are links to /dev/zero, FIFOs nobody writes (a
    module and an info.rkt) and a module (mostly comments) of ``big_bytes``."""
    (ws / "a.rkt").write_text("#lang racket/base\n(provide x)\n(define x 1)\n")
    (ws / "main.rkt").write_text(
        '#lang racket/base\n(require racket/include "a.rkt")\n(include "inc.rktl")\n'
    )
    (ws / "t.rkt").write_text(
        '#lang racket/base\n(require "a.rkt")\n'
        "(module+ test (require rackunit) (check-equal? x 1))\n"
    )
    (ws / "inc.rktl").symlink_to("/dev/zero")
    (ws / "zero.rkt").symlink_to("/dev/zero")
    (ws / "sub").mkdir()
    (ws / "sub" / "info.rkt").symlink_to("/dev/zero")
    (ws / "fifo").mkdir()
    os.mkfifo(ws / "fifo" / "info.rkt")
    os.mkfifo(ws / "pipe.rkt")
    os.mkfifo(ws / "pipe.plt")
    line = ";; " + "x" * 76 + "\n"
    (ws / "big.rkt").write_text("#lang racket/base\n" + line * (big_bytes // len(line) + 1))


@pytest.mark.parametrize("trusted", [False, True])
async def test_special_and_big_files_never_block_the_server(ws: Path, trusted: bool) -> None:
    hostile(ws, big_bytes=3 << 19)  # 1.5 MB, over a cap of 1 MB
    # A compile or get-info reading a FIFO would wait for this timeout.
    init = {"raco-lsp": {"trusted": trusted, "maxFileSize": 1, "compileTimeout": 600}}
    async with lsp_session(ws, init_options=init, server=[*LIMIT, *SERVER]) as client:
        await wait_idle(client, 60)
        whole = await request(client, "raco/moduleGraph", None)
        names = {Path(n["path"]).name for n in whole["nodes"] if n["workspace"]}
        assert names == {"a.rkt", "main.rkt", "t.rkt"}
        assert await request(client, "raco/moduleGraph", {"uri": ZERO_URI}) == {
            "nodes": [],
            "edges": [],
        }
        plt = await request(client, "raco/inspectPlt", {"uri": ZERO_URI})
        assert "outside the workspace" in plt["problems"][0]
        plt = await request(client, "raco/inspectPlt", {"uri": path_uri(ws / "pipe.plt")})
        assert plt["entries"] == [] and "not a regular file" in plt["problems"][0]
        found = await request(client, "raco/discoverTests", {})
        assert [i["label"] for i in found["items"]] == ["t.rkt"]
        # Editors showing them: neither compiled on open nor read by get-info.
        infos = [ws / "sub" / "info.rkt", ws / "fifo" / "info.rkt"]
        for info in infos:
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=path_uri(info), language_id="racket", version=1, text="#lang info\n"
                    )
                )
            )
        command = types.ExecuteCommandParams(command="raco-lsp.infoIdle")
        await asyncio.wait_for(client.workspace_execute_command_async(command), 60)
        await wait_idle(client, 60)
        assert [diagnostics(client, info) for info in infos] == [[], []]


@pytest.mark.parametrize("trusted", [False, True])
async def test_symlink_loops_end_and_each_test_file_is_found_once(ws: Path, trusted: bool) -> None:
    sub = ws / "sub"
    sub.mkdir()
    (sub / "self").symlink_to(".")
    (sub / "up").symlink_to("..")
    test = "#lang racket/base\n(module+ test (require rackunit) (check-true #t))\n"
    (ws / "t1.rkt").write_text(test)
    (sub / "t2.rkt").write_text(test)
    init = {"raco-lsp": {"trusted": trusted}}
    async with lsp_session(ws, init_options=init, server=[*LIMIT, *SERVER]) as client:
        await wait_idle(client, 60)
        found = await request(client, "raco/discoverTests", {})
        assert sorted(i["uri"].rsplit("/", 2)[-1] for i in found["items"]) == [
            "t1.rkt",
            "t2.rkt",
        ]
        whole = await request(client, "raco/moduleGraph", None)
        assert sorted(Path(n["path"]).name for n in whole["nodes"] if n["workspace"]) == [
            "t1.rkt",
            "t2.rkt",
        ]


def raco_lsp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LIMIT, sys.executable, "-m", "raco_lsp", *args],
        capture_output=True,
        text=True,
        timeout=300,  # a deadline for finishing at all
    )


def test_cli_graph_check_and_info_finish_on_a_hostile_folder(ws: Path) -> None:
    hostile(ws, big_bytes=9 << 20)  # over the default cap of 8 MB
    (ws / "sub" / "self").symlink_to(".")
    graph = raco_lsp("graph", str(ws))
    assert graph.returncode == 0, graph.stderr
    nodes = {Path(n["path"]).name for n in json.loads(graph.stdout)["nodes"]}
    assert {"a.rkt", "main.rkt", "t.rkt"} <= nodes
    assert not nodes & {"zero.rkt", "pipe.rkt", "big.rkt", "info.rkt"}
    for name in ("zero.rkt", "pipe.rkt", "big.rkt"):
        assert graph.stderr.count(f"{ws / name}:") == 1, graph.stderr  # reported once
    info = raco_lsp("info", str(ws))
    assert info.returncode == 0, info.stdout + info.stderr
    assert "not a regular file" in info.stderr
    # Compiling is Racket's business (big.rkt is compiled), and Racket would
    # read main.rkt's include of /dev/zero: zero.rkt and pipe.rkt are no modules.
    (ws / "main.rkt").unlink()
    check = raco_lsp("check", "--json", str(ws))
    assert check.returncode == 0, check.stdout + check.stderr
    modules = {Path(m).name for m in json.loads(check.stdout)["modules"]}
    assert modules == {"a.rkt", "big.rkt", "t.rkt"}
