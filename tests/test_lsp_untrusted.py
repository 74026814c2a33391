"""Workspace trust: an untrusted folder runs nothing.

Every way the server or the command line could start Racket on workspace
content (language profiles, compiling on open/save/build, identifier
analyses for every request that uses one, running and planning tests, raco
setup, every packaging command) is tried on a
workspace whose modules would each write a marker file the moment Racket
expanded or ran them.  No marker may appear, and nothing may be written
into the workspace.  The trusted counterparts elsewhere in the suite show
that the same steps do run when trusted; here the trusted server and the
``graph`` command are also shown to profile a language without running the
rest of a one-line module's ``#lang`` line.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from lsp_support import (
    diagnostics,
    lsp_session,
    open_file,
    plain,
    request,
    save_file,
    wait_idle,
)
from raco_lsp.lsp.uris import path_uri, uri_path


def _mark(marks: Path, name: str) -> str:
    """Racket code that creates ``marks/name`` when evaluated.  No string
    literal: a relative-looking string on a ``#lang`` line must not be what
    keeps the payload from running."""
    target = str(marks / name)
    assert "|" not in target
    return f"(with-output-to-file (symbol->string '|{target}|) void #:exists 'replace)"


def make_payload_workspace(ws: Path, marks: Path) -> dict[str, Path]:
    """A package whose every module leaves a marker when Racket expands
    (phase 1) or runs (phase 0, tests) it."""
    marks.mkdir(exist_ok=True)
    files = {
        # Everything on the #lang line: the language is racket/base, the
        # rest is the module's body (a phase-1 effect).
        "oneline.rkt": "#lang racket/base (require (for-syntax racket/base)) "
        f"(begin-for-syntax {_mark(marks, 'oneline-expanded')})\n",
        "lib.rkt": "#lang racket/base\n(require (for-syntax racket/base))\n"
        f"(begin-for-syntax {_mark(marks, 'lib-expanded')})\n"
        "(provide x)\n(define x 1)\n",
        "main.rkt": "#lang racket/base\n"
        '(require (for-syntax racket/base) "lib.rkt")\n'
        f"(begin-for-syntax {_mark(marks, 'main-expanded')})\n"
        f"{_mark(marks, 'main-ran')}\n"
        f"(module+ test (require rackunit) {_mark(marks, 'test-ran')} (check-true #t))\n"
        "(module+ main (void))\n",
        "info.rkt": '#lang info\n(define collection "evil")\n(define deps \'("base"))\n'
        '(define racket-launcher-names \'("evil"))\n'
        '(define racket-launcher-libraries \'("main.rkt"))\n',
    }
    out = {}
    for name, text in files.items():
        (ws / name).write_text(text, encoding="utf-8")
        out[name] = ws / name
    return out


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(cache)}


async def _command(client: LanguageClient, command: str, *args: Any) -> Any:
    return plain(
        await asyncio.wait_for(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=list(args))
            ),
            120,
        )
    )


def _written(ws: Path) -> list[Path]:
    return [p for p in ws.rglob("*") if p.name in ("compiled", "dist")]


@pytest.mark.parametrize("trusted", [False, "false", None], ids=["false", "string", "null"])
async def test_untrusted_workspace_runs_nothing(ws: Path, tmp_path: Path, trusted: Any) -> None:
    marks = tmp_path / "marks"
    files = make_payload_workspace(ws, marks)
    cache = tmp_path / "cache"
    init = {"raco-lsp": {"trusted": trusted}}
    async with lsp_session(ws, env=_env(cache), init_options=init) as client:
        await wait_idle(client)  # the first scan, and language profiles when trusted
        status = await _command(client, "raco-lsp.serverStatus")
        assert status["trusted"] is False
        assert status["agent"] is None  # no compile agent, not even a warm one

        # Compile on open and on save, and a whole build.
        main = files["main.rkt"]
        open_file(client, main)
        save_file(client, main, main.read_text(encoding="utf-8"))
        await wait_idle(client)
        built = await _command(client, "raco-lsp.buildWorkspace")
        assert built["compiled"] == [] and "not trusted" in built["skipped"]

        # Identifier analysis (check-syntax expands the module): no answer,
        # for every request that would use one.
        doc = types.TextDocumentIdentifier(uri=path_uri(main))
        at = types.Position(line=3, character=20)
        assert not await client.text_document_hover_async(types.HoverParams(doc, at))
        assert not await client.text_document_document_highlight_async(
            types.DocumentHighlightParams(doc, at)
        )
        assert not await client.text_document_definition_async(types.DefinitionParams(doc, at))
        assert not await client.text_document_declaration_async(types.DeclarationParams(doc, at))
        assert not await client.text_document_references_async(
            types.ReferenceParams(
                text_document=doc,
                position=at,
                context=types.ReferenceContext(include_declaration=True),
            )
        )
        for renaming in (
            client.text_document_prepare_rename_async(types.PrepareRenameParams(doc, at)),
            client.text_document_rename_async(
                types.RenameParams(text_document=doc, position=at, new_name="renamed")
            ),
        ):
            with pytest.raises(JsonRpcException, match="only in trusted folders"):
                await renaming
        in_word = types.Position(line=3, character=5)  # "(with|-output-to-file"
        assert not await client.text_document_completion_async(
            types.CompletionParams(text_document=doc, position=in_word)
        )
        item = types.CompletionItem(
            label="x", data={"raco-lsp.identifier": "x", "uri": path_uri(main)}
        )
        assert (await client.completion_item_resolve_async(item)).documentation is None
        assert not await client.text_document_signature_help_async(
            types.SignatureHelpParams(
                text_document=doc, position=types.Position(line=3, character=21)
            )
        )
        # The outline is tree-sitter's: allowed.
        symbols = await client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=doc)
        )
        assert [s.name for s in symbols or [] if isinstance(s, types.DocumentSymbol)] == [
            "test",
            "main",
        ]

        # Tests: discovery still works (tree-sitter), running does not.
        found = await request(client, "raco/discoverTests", {})
        assert [_name(i["uri"]) for i in found["items"]] == ["main.rkt"]
        ran = await request(client, "raco/runTests", {"uris": [path_uri(main)]})
        assert ran["ran"] is False and "not trusted" in ran["reason"]
        ran = await _command(client, "raco-lsp.runTests", {"uris": [path_uri(main)]})
        assert ran["ran"] is False

        # raco setup, and every packaging command.
        info = files["info.rkt"]
        open_file(client, info)
        save_file(client, info, info.read_text(encoding="utf-8"))
        checked = await _command(client, "raco-lsp.checkPackage", {"uri": path_uri(info)})
        assert checked["ok"] is False and "not trusted" in checked["errors"][0]
        for command, arg in [
            ("raco-lsp.createExecutable", {"uri": path_uri(main)}),
            ("raco-lsp.createDistribution", {"uri": path_uri(main)}),
            ("raco-lsp.buildDistribution", {"modules": [str(main)]}),
            ("raco-lsp.packCollection", {"uri": path_uri(info)}),
            ("raco-lsp.createPackageArchive", {"uri": path_uri(info)}),
            ("raco-lsp.createLaunchers", {"uri": path_uri(info)}),
            ("raco-lsp.pkgBuild", {"uri": path_uri(main)}),
        ]:
            result = await _command(client, command, arg)
            assert result["ok"] is False and "not trusted" in result["errors"][0], command
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(main)),
                range=types.Range(
                    start=types.Position(line=0, character=0),
                    end=types.Position(line=0, character=0),
                ),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        assert not [a for a in actions or [] if a.title.startswith("Create")]
        await wait_idle(client)
        # No unused-requires warnings: nothing was analysed.
        assert not [d for d in diagnostics(client, main) if d.source == "racket-identifiers"]

    assert sorted(p.name for p in marks.iterdir()) == []
    assert _written(ws) == []
    assert not (cache / "raco-lsp" / "scopes").exists()


def _name(uri: str) -> str:
    p = uri_path(uri)
    assert p is not None
    return p.name


def _profiles(cache: Path) -> dict[str, Any]:
    (found,) = (cache / "raco-lsp").glob("langs-*.json")
    profiles: dict[str, Any] = json.loads(found.read_text())["profiles"]
    return profiles


async def test_trusted_server_profiles_the_language_not_the_line(ws: Path, tmp_path: Path) -> None:
    """A trusted server profiles ``racket/base`` for a one-line module, but
    never compiles the rest of its ``#lang`` line (nothing is opened and
    nothing is checked on startup, so nothing else compiles)."""
    marks = tmp_path / "marks"
    make_payload_workspace(ws, marks)
    cache = tmp_path / "cache"
    init = {"checkOnStartup": False}
    async with lsp_session(ws, env=_env(cache), init_options=init) as client:
        await wait_idle(client)
    assert list(marks.iterdir()) == []
    assert _profiles(cache).get("lang racket/base")
    assert _written(ws) == []


def _graph(ws: Path, cache: Path, *flags: str) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "raco_lsp", "graph", *flags, str(ws)],
        capture_output=True,
        text=True,
        env=_env(cache),
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    out: dict[str, Any] = json.loads(run.stdout)
    return out


def test_graph_command_compiles_nothing(ws: Path, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    make_payload_workspace(ws, marks)
    cache = tmp_path / "cache"
    graph = _graph(ws, cache)
    assert {Path(n["path"]).name for n in graph["nodes"]} >= {"main.rkt", "oneline.rkt"}
    assert not list((cache / "raco-lsp").glob("langs-*.json"))
    # Asked to, it profiles the installation language, and only that.
    _graph(ws, cache, "--profile-languages")
    assert _profiles(cache).get("lang racket/base")
    assert list(marks.iterdir()) == []
    assert _written(ws) == []
