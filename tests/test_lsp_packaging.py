"""Packaging commands, code actions, $/progress with cancellation, .plt
inspection and hover, through the real server and real Racket."""

from __future__ import annotations

import ast
import asyncio
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import EXAMPLE
from lsp_support import lsp_session, open_file
from raco_lsp.lsp.uris import path_uri


def _copy_example(ws: Path) -> None:
    for f in EXAMPLE.glob("*.rkt"):  # info.rkt included
        shutil.copy(f, ws / f.name)


async def _execute(client: LanguageClient, command: str, arg: dict[str, Any]) -> Any:
    return await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[arg])
        ),
        300,
    )


def _titles(actions: Any) -> list[str]:
    return [a.title for a in actions or []]


async def _code_actions(client: LanguageClient, path: Path) -> Any:
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(path)),
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )


async def test_build_distribution_with_progress(ws: Path, tmp_path: Path) -> None:
    _copy_example(ws)
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        main = ws / "main.rkt"
        open_file(client, main)
        actions = await _code_actions(client, main)
        assert _titles(actions) == ["Create executable", "Build distribution of this module"]

        # No modules given: the entries come from info.rkt's launchers.
        result = await _execute(client, "raco-lsp.buildDistribution", {"uri": path_uri(main)})
        assert result["ok"], result["errors"]
        assert result["archive"] == str(ws / "dist" / "bundle" / "hello.tgz")
        assert [s["step"] for s in result["steps"]] == [
            "raco exe",
            "raco distribute",
            "bundle",
            "smoke run",
        ]
        (smoke,) = result["smoke"]
        assert smoke["ok"] and smoke["output"] == "Hello, World."

        # pytest-lsp stores the WorkDoneProgressBegin/Report/End values.
        (values,) = client.progress_reports.values()
        reports: list[Any] = list(values)
        assert reports[0].kind == "begin" and reports[0].title == "Build distribution"
        assert [r.message for r in reports[1:-1]] == [
            "raco exe main.rkt",
            "raco distribute",
            "bundling hello",
            "smoke run",
            "done",
        ]
        assert reports[-1].kind == "end" and reports[-1].message == "done"
        assert client.messages[-1].message.startswith("Build distribution: done")

    # The archive runs from a moved copy, with arguments.
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(ws / "dist" / "bundle" / "hello.tgz", moved)
    with tarfile.open(moved / "hello.tgz") as t:
        t.extractall(moved, filter="data")
    run = subprocess.run(
        [str(moved / "hello" / "bin" / "hello"), "--loud", "Ann"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(moved)},
        cwd=moved,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout == "HELLO, ANN!\n", run.stderr


async def test_cancel_build_distribution(ws: Path) -> None:
    _copy_example(ws)
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        task = asyncio.create_task(
            _execute(client, "raco-lsp.buildDistribution", {"modules": [str(ws / "main.rkt")]})
        )
        for _ in range(600):
            if client.progress_reports:
                break
            await asyncio.sleep(0.05)
        (token,) = client.progress_reports
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        result = await task
        assert result["ok"] is False and result["cancelled"] is True
        last: Any = client.progress_reports[token][-1]
        assert last.message == "cancelled"
        assert not (ws / "dist" / "bundle" / "main.tgz").exists()
        assert not (ws / "dist" / "bundle" / "hello.tgz").exists()
        # The server is free again: the next job runs.
        status = await _execute(client, "raco-lsp.serverStatus", {})
        assert status["trusted"] is True


async def test_pack_collection_inspect_and_hover(ws: Path) -> None:
    _copy_example(ws)
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        info = ws / "info.rkt"
        actions = await _code_actions(client, info)
        assert _titles(actions) == [
            "Pack collection as .plt",
            "Create package archive (raco pkg create)",
            "Create launchers",
        ]
        (pack, *_) = actions
        # lsprotocol's client-side hook reads any CodeAction that has a
        # `command` as a Command, with the inner command's dict as .command.
        assert isinstance(pack, types.Command)
        cmd = ast.literal_eval(pack.command)
        assert cmd["command"] == "raco-lsp.packCollection"
        assert cmd["arguments"] == [{"uri": path_uri(info)}]
        result = await _execute(client, cmd["command"], cmd["arguments"][0])
        assert result["ok"], result["errors"]
        plt = ws / "dist" / "hello.plt"  # named after info.rkt's collection
        assert result["outputs"] == [str(plt)]
        assert result["plt"]["name"] == "hello"
        assert "collects/hello/main.rkt" in [e["path"] for e in result["plt"]["entries"]]

        inspected = await client.protocol.send_request_async(  # type: ignore[no-untyped-call]
            "raco/inspectPlt", {"path": str(plt)}
        )
        # pygls hands back an untyped response as a named tuple.
        assert inspected.problems == [] and inspected.unpackTo == "user add-ons"
        assert inspected.name == "hello" and len(inspected.entries) == 5

        # Hover on a "hello.plt" string in a module.
        user = ws / "install.rkt"
        user.write_text('#lang racket/base\n(define archive "dist/hello.plt")\n')
        open_file(client, user)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(user)),
                position=types.Position(line=1, character=20),
            )
        )
        assert hover is not None
        assert isinstance(hover.contents, types.MarkupContent)
        assert "collects/hello/main.rkt" in hover.contents.value
        assert '**.plt archive** "hello"' in hover.contents.value

        # Hover anywhere in an open .plt file.
        open_file(client, plt)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(plt)),
                position=types.Position(line=0, character=0),
            )
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert "- unpacks to: user add-ons" in hover.contents.value

        # A module with a dynamic-require gets a "++lib" variant of Create executable.
        dyn = ws / "plugins.rkt"
        dyn.write_text("#lang racket/base\n(module+ main (dynamic-require 'racket/string #f))\n")
        open_file(client, dyn)
        assert _titles(await _code_actions(client, dyn)) == [
            "Create executable",
            "Create executable with ++lib racket/string",
            "Build distribution of this module",
        ]
        result = await _execute(
            client,
            "raco-lsp.createExecutable",
            {"uri": path_uri(dyn), "libs": ["racket/string"]},
        )
        assert result["ok"], result["errors"]
        assert result["outputs"] == [str(ws / "dist" / "exe" / "plugins")]
        assert result["libSuggestions"] == ["racket/string"]
        assert "++lib" in result["argv"] and "racket/string" in result["argv"]
        run = subprocess.run(
            [str(ws / "dist" / "exe" / "plugins")], capture_output=True, timeout=60
        )
        assert run.returncode == 0, run.stderr


async def test_create_distribution_from_setting_and_launchers(ws: Path) -> None:
    _copy_example(ws)
    options = {"compileOnSave": "off", "distEntries": ["main.rkt"], "distOutput": "out dir"}
    async with lsp_session(ws, init_options=options) as client:
        result = await _execute(client, "raco-lsp.createDistribution", {})
        assert result["ok"], result["errors"]
        # The executable is named after info.rkt's racket-launcher-names entry.
        assert result["distDir"] == str(ws / "out dir" / "bundle" / "hello")
        assert result["archive"] is None and result["smoke"] == []
        run = subprocess.run(
            [str(ws / "out dir" / "bundle" / "hello" / "bin" / "hello"), "Bo"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.stdout == "Hello, Bo.\n", run.stderr

        result = await _execute(client, "raco-lsp.createLaunchers", {"dir": str(ws)})
        assert result["ok"], result["errors"]
        assert result["outputs"] == [str(ws / "out dir" / "launchers" / "hello")]


async def test_hover_on_a_plt_string_after_non_bmp_text(ws: Path) -> None:
    """The client counts columns in UTF-16: each emoji before the string is 2
    columns but 1 character of the line."""
    (ws / "hello.rkt").write_text("#lang racket/base\n")
    subprocess.run(["raco", "pack", "hello.plt", "hello.rkt"], cwd=ws, check=True, timeout=120)
    user = ws / "install.rkt"
    line = '(define archive (list "😀😀😀" "hello.plt"))'
    user.write_text(f"#lang racket/base\n{line}\n", encoding="utf-8")
    start, end = line.index('"hello.plt"'), line.index('"hello.plt"') + len('"hello.plt"')
    emoji_before = 3  # one extra UTF-16 column each

    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        open_file(client, user)

        async def hover_at(index: int) -> str:
            hover = await client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=path_uri(user)),
                    position=types.Position(line=1, character=index + emoji_before),
                )
            )
            if hover is None:
                return ""
            assert isinstance(hover.contents, types.MarkupContent)
            return hover.contents.value

        # On the string's closing quote: the archive.
        assert "hello.rkt" in await hover_at(end - 1)
        assert "**.plt archive**" in await hover_at(start)
        # On the space before the string: nothing about the archive.
        assert "**.plt archive**" not in await hover_at(start - 1)


async def test_module_loaded_through_a_runtime_path_code_actions_and_build(ws: Path) -> None:
    main = ws / "main.rkt"
    main.write_text(
        "#lang racket/base\n(require racket/runtime-path)\n"
        '(define-runtime-path server "server.rkt")\n'
        '(module+ main (when (getenv "SERVE") ((dynamic-require server \'serve))))\n'
    )
    (ws / "server.rkt").write_text(
        "#lang racket\n(require racket/date)\n(provide serve)\n(define (serve) 1)\n"
    )
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        open_file(client, main)
        actions = await _code_actions(client, main)
        assert _titles(actions) == [
            "Create executable",
            "Create executable with ++lib racket/lang/reader ++lib racket ++lib racket/date",
            "Build distribution of this module",
        ]
        # The smoke run never loads the server: the answer still has the ++lib flags.
        result = await _execute(client, "raco-lsp.buildDistribution", {"modules": [str(main)]})
        assert result["ok"], result["errors"]
        assert result["suggestions"] == ["racket/lang/reader", "racket", "racket/date"]
        (warning,) = result["warnings"]
        assert warning.endswith(
            "rebuild with ++lib racket/lang/reader ++lib racket ++lib racket/date"
        )


async def test_executable_and_distribution_in_either_order(ws: Path) -> None:
    """Create executable and Build distribution of the same module (named
    ``prog``, no info.rkt launchers) each write to a folder of their own: run
    in either order, both succeed, and an ``output`` is taken relative to the
    workspace folder."""
    prog = ws / "prog.rkt"
    prog.write_text('#lang racket/base\n(module+ main (display "hi"))\n')
    exe = ws / "dist" / "exe" / "prog"

    def runs(path: Path) -> str:
        return subprocess.run([str(path)], capture_output=True, text=True, timeout=60).stdout

    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        made = await _execute(client, "raco-lsp.createExecutable", {"uri": path_uri(prog)})
        assert made["ok"], made["errors"]

        built = await _execute(client, "raco-lsp.buildDistribution", {"uri": path_uri(prog)})
        assert built["ok"], built["errors"]
        assert built["archive"] == str(ws / "dist" / "bundle" / "prog.tgz")
        assert built["smoke"][0]["output"] == "hi"

        again = await _execute(client, "raco-lsp.createExecutable", {"uri": path_uri(prog)})
        assert again["ok"], again["errors"]
        assert made["outputs"] == again["outputs"] == [str(exe)] and runs(exe) == "hi"
        assert runs(ws / "dist" / "bundle" / "prog" / "bin" / "prog") == "hi"

        chosen = await _execute(
            client, "raco-lsp.createExecutable", {"uri": path_uri(prog), "output": "out/p"}
        )
        assert chosen["ok"], chosen["errors"]
        assert chosen["outputs"] == [str(ws / "out" / "p")]
