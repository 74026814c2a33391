"""distro-build site configurations through the real server over stdio: the
configuration is checked, completed and explained statically (the distro-build
packages are not installed, and nothing runs the configuration)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import attrs
import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import diagnostics, lsp_session, open_file, rng, save_file, wait_idle
from raco_lsp.lsp.uris import path_uri
from test_lsp_info import apply_edit

SITE = Path(__file__).parent / "fixtures" / "site.rkt"


def _distro_build_installed() -> bool:
    """Whether Racket (with this environment's package scopes) has the
    distro-build package's ``distro-build/config`` (not in Debian's Racket)."""
    racket = shutil.which("racket")
    if racket is None:
        return False
    probe = '(void (collection-file-path "config.rkt" "distro-build"))'
    r = subprocess.run(
        [racket, "-e", probe], capture_output=True, stdin=subprocess.DEVNULL, timeout=60
    )
    return r.returncode == 0


DISTRO_BUILD = _distro_build_installed()
# What a trusted folder's plan is checked with.
SOURCE = "distro-build" if DISTRO_BUILD else "static"


def at(text: str, needle: str, delta: int = 0) -> tuple[int, int]:
    """(line, column) just after the first ``needle`` in ``text``, plus ``delta``."""
    i = text.index(needle) + len(needle) + delta
    return text.count("\n", 0, i), i - (text.rfind("\n", 0, i) + 1)


@attrs.define
class _RawResponse:
    id: int | str
    jsonrpc: str = "2.0"
    result: Any = None


async def plan_request(client: LanguageClient, params: dict[str, Any]) -> Any:
    """``raco/distroPlan``'s answer as the JSON sent.  (``lsp_support.request``
    goes through pygls' namedtuples, which rename keys such as ``release?``.)"""
    client.protocol.get_result_type = lambda method: _RawResponse  # type: ignore[assignment]
    return await asyncio.wait_for(
        client.protocol.send_request_async("raco/distroPlan", params),  # type: ignore[no-untyped-call]
        120,
    )


def farm(client: LanguageClient, path: Path) -> list[types.Diagnostic]:
    return [d for d in diagnostics(client, path) if d.source == "distro-build"]


async def completions(
    client: LanguageClient, path: Path, where: tuple[int, int]
) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=path_uri(path)),
            position=types.Position(line=where[0], character=where[1]),
        )
    )
    assert result is None or isinstance(result, types.CompletionList)
    return list(result.items) if result else []


async def labels(client: LanguageClient, path: Path, where: tuple[int, int]) -> list[str]:
    return [i.label for i in await completions(client, path, where)]


def site_in(ws: Path) -> tuple[Path, str]:
    (ws / "build").mkdir()
    f = ws / "build" / "site.rkt"
    shutil.copy(SITE, f)
    return f, f.read_text()


async def test_diagnostics_and_did_you_mean_fix(ws: Path) -> None:
    f, good = site_in(ws)
    uri = path_uri(f)
    async with lsp_session(ws) as client:
        open_file(client, f)
        await wait_idle(client)
        assert farm(client, f) == []  # the fixture is a correct configuration

        bad = (
            good.replace("#:platform 'windows", "#:platfrom 'windows")
            .replace('"linux-i386"', '"linux i386"')
            .replace("#:bits 64", '#:bits "64"')
            .replace("#:variant 'cs))", "#:variant 'chez))")
            .replace("#:port 2222", '#:port 2222 #:site-dest "out"')
        )
        save_file(client, f, bad)
        await wait_idle(client)
        found = {(d.message, d.range.start.line, d.range.start.character) for d in farm(client, f)}
        assert found == {
            (
                "unknown keyword #:platfrom for machine; did you mean #:platform?",
                *at(bad, "#:platfrom", -10),
            ),
            (
                '#:host expects a string without spaces: "linux i386" contains whitespace',
                *at(bad, '"linux i386"', -12),
            ),
            ("#:bits expects a positive exact integer", *at(bad, '#:bits "64"', -4)),
            (
                "#:variant expects one of 'cs, 'bc, '3m, 'cgc, not 'chez",
                *at(bad, "'chez", -5),
            ),
            (
                "#:site-dest belongs only on the outermost configuration, "
                "not inside another machine/sequential/parallel",
                *at(bad, "2222 #:site-dest", -11),
            ),
        }
        (unknown,) = [d for d in farm(client, f) if "platfrom" in d.message]
        assert unknown.range == rng(*at(bad, "#:platfrom", -10), *at(bad, "#:platfrom"))
        assert unknown.severity == types.DiagnosticSeverity.Error

        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=unknown.range,
                context=types.CodeActionContext(diagnostics=[unknown]),
            )
        )
        assert actions
        fixes = [
            a
            for a in actions
            if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.QuickFix
        ]
        assert [a.title for a in fixes][:1] == ["Change to #:platform"]
        fix = fixes[0]
        assert fix.edit is not None
        fixed = apply_edit(bad, fix.edit, uri)
        assert "#:platform 'windows" in fixed
        save_file(client, f, fixed)
        await wait_idle(client)
        assert not [d for d in farm(client, f) if "unknown keyword" in d.message]


async def test_completion_and_hover(ws: Path) -> None:
    f, good = site_in(ws)
    (ws / "farm-tools").mkdir()
    (ws / "farm-tools" / "info.rkt").write_text('#lang info\n(define collection "farm")\n')
    async with lsp_session(ws) as client:
        open_file(client, f)
        await wait_idle(client)

        # Keywords of a machine, with the value shape as a snippet.
        text = good.replace("#:bits 64", "#:plat")
        save_file(client, f, text)
        (item,) = await completions(client, f, at(text, "#:plat"))
        assert item.label == "#:platform"
        assert item.insert_text_format == types.InsertTextFormat.Snippet
        assert isinstance(item.text_edit, types.TextEdit)
        assert (
            item.text_edit.new_text
            == "#:platform '${1|unix,macosx,windows,windows/bash,windows/cmd|}"
        )
        assert item.text_edit.range == rng(*at(text, "#:plat", -6), *at(text, "#:plat"))
        # Top-level-only keywords on the outermost form, not inside a machine.
        text = good.replace("#:bits 64", "#:site-").replace("#:dist-name", "#:site-d")
        save_file(client, f, text)
        in_machine = at(text, "'windows\n          #:site-")
        assert await labels(client, f, in_machine) == []
        assert "#:site-dest" in await labels(client, f, at(text, "#:site-d"))
        names = await labels(client, f, (in_machine[0], in_machine[1] - 5))  # after "#:"
        assert "#:timeout" in names and "#:server-port" not in names
        assert "#:platform" not in names  # already given

        # Closed value sets.
        text = good.replace("#:variant 'cs))", "#:variant '))")
        save_file(client, f, text)
        assert await labels(client, f, at(text, "#:variant '")) == ["cs", "bc", "3m", "cgc"]
        text = good.replace("#:bits 64", "#:clean? ")
        save_file(client, f, text)
        assert await labels(client, f, at(text, "#:clean? ")) == ["#t", "#f"]
        # Packages: the installation's and the workspace's.
        text = good.replace('"compiler-lib"', '"compiler-l"')
        save_file(client, f, text)
        assert await labels(client, f, at(text, '"compiler-l')) == ["compiler-lib"]
        text = good.replace('"compiler-lib"', '"farm-')
        save_file(client, f, text)
        assert await labels(client, f, at(text, '"farm-')) == ["farm-tools"]
        # The language's forms.
        text = good.replace('(machine #:name "Racket | {2}', '(mach #:name "Racket | {2}')
        save_file(client, f, text)
        assert await labels(client, f, at(text, "(mach")) == ["machine"]

        save_file(client, f, good)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=path_uri(f)),
                position=types.Position(*at(good, "#:server-p")),
            )
        )
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert hover.range == rng(*at(good, "#:server-port", -13), *at(good, "#:server-port"))
        value = hover.contents.value
        assert value.startswith("**#:server-port** — positive exact integer")
        assert "Default: SERVER_PORT (9440)" in value
        assert "Only at the top level of the configuration." in value


async def test_distro_plan_request_and_view(ws: Path) -> None:
    f, good = site_in(ws)
    # The workspace is a Racket source checkout with a log of an earlier run.
    (ws / "racket" / "src").mkdir(parents=True)
    (ws / "Makefile").write_text("installers:\n\t$(MAKE) x\n")
    (ws / "build" / "log").mkdir()
    (ws / "build" / "log" / "Racket_Windows_x64").write_text("done\n")
    async with lsp_session(ws) as client:
        open_file(client, f)
        await wait_idle(client)
        # The buffer, not the file: an unsaved edit is planned.
        text = good.replace(
            '#:dist-name "Racket"', '#:dist-name "Racket" #:dist-suffix (if release? "" "pre")'
        )
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=path_uri(f), version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        got = await plan_request(client, {"uri": path_uri(f), "mode": "release"})
        assert (got["source"], got["mode"], got["problems"], got["planProblems"]) == (
            SOURCE,
            "release",
            [],
            [],
        )
        assert got["checkout"] == str(ws)
        assert got["commands"][0] == [
            "make",
            "describe-clients",
            "CONFIG=build/site.rkt",
            "CONFIG_MODE=release",
        ]
        plan = got["plan"]
        assert [c["kind"] for c in plan["children"]] == ["parallel", "machine", "machine"]
        win, mac = plan["children"][1:]
        # The installation's version (8.7, as the suite requires) names the installers.
        assert win["installer"] == "racket-8.7-<platform:x86_64-win32>.exe"
        assert win["logPath"] == str(ws / "build" / "log" / "Racket_Windows_x64")
        assert "logPath" not in mac and mac["log"] == "Racket_Mac_OS_Apple_Silicon"
        assert mac["options"]["dist-suffix"] == {"value": "", "text": '""', "from": "1"}
        assert mac["reach"] == {"kind": "ssh", "summary": "SSH builder@mac-mini.local:2222"}
        page = Path(got["view"]).read_text()
        assert str(ws) not in Path(got["view"]).parents[0].as_posix()  # never in the workspace
        log_uri = (ws / "build" / "log" / "Racket_Windows_x64").as_uri()
        assert f"[log build/log/Racket_Windows_x64]({log_uri})" in page
        assert "make installers CONFIG=build/site.rkt CONFIG_MODE=release" in page

        default = await plan_request(client, {"uri": path_uri(f)})
        assert default["plan"]["children"][1]["installer"] == (
            "racket-8.7-<platform:x86_64-win32>-pre.exe"
        )
        elsewhere = await plan_request(client, {"uri": path_uri(ws.parent / "x.rkt")})
        assert elsewhere["plan"] is None and elsewhere["planProblems"]
        other = ws / "other.rkt"
        other.write_text("#lang racket/base\n")
        got = await plan_request(client, {"uri": path_uri(other)})
        assert got["planProblems"] == [f"{other} is not a distro-build site configuration"]


async def test_distro_plan_in_an_untrusted_folder_is_static_and_runs_nothing(
    ws: Path, tmp_path: Path
) -> None:
    mark = tmp_path / "ran"
    f = ws / "farm.rkt"
    f.write_text(
        "#lang distro-build/config\n"
        f'(define host (begin (with-output-to-file "{mark}" void) "h"))\n'
        '(machine #:host host #:name "Linux 64" #:platform \'unix)\n'
    )
    init = {"raco-lsp": {"trusted": False}}
    async with lsp_session(ws, init_options=init) as client:
        open_file(client, f)
        await wait_idle(client)
        got = await plan_request(client, {"uri": path_uri(f)})
        assert got["source"] == "static"
        machine = got["plan"]
        assert machine["kind"] == "machine" and machine["options"]["host"]["value"] is None
        assert machine["options"]["host"]["unknown"] == (
            "void is not a constant defined in this module"
        )
        assert "reach" not in machine and machine["installer"] is not None
    assert not mark.exists()


@pytest.mark.skipif(not DISTRO_BUILD, reason="distro-build-server is not installed")
async def test_distro_plan_cross_checked_with_the_distro_build_package(ws: Path) -> None:
    f = ws / "farm.rkt"
    text = (
        "#lang distro-build/config\n"
        '(define release? (equal? (current-mode) "release"))\n'
        '(sequential #:pkgs \'("main-distribution") #:j 2\n'
        '  (machine #:name "Linux 64" #:platform \'unix #:timeout (* 60 60)\n'
        '           #:dist-suffix (if release? "" (string-append "pre" (number->string 7))))\n'
        '  (machine #:host "mac" #:user "me" #:port 2222 #:platform \'macosx))\n'
    )
    f.write_text(text)
    async with lsp_session(ws) as client:
        open_file(client, f)
        await wait_idle(client)
        got = await plan_request(client, {"uri": path_uri(f)})
        assert got["source"] == "distro-build"
        # Only the computed suffix is news to the static plan; all else agrees.
        assert got["crossCheck"] == ['1.1 #:dist-suffix: "pre7" (not known statically)']
        assert got["agreed"] == 11
        got = await plan_request(client, {"uri": path_uri(f), "mode": "release"})
        assert (got["crossCheck"], got["agreed"]) == ([], 12)
        page = Path(got["view"]).read_text()
        assert "cross-checked with the distro-build package: 12 machine options agree" in page
        # An unsaved edit is planned, but distro-build evaluates files.
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=path_uri(f), version=2),
                content_changes=[
                    types.TextDocumentContentChangeWholeDocument(text=text.replace("2222", "22"))
                ],
            )
        )
        got = await plan_request(client, {"uri": path_uri(f)})
        assert got["crossCheck"] == [
            "not cross-checked with distro-build: save the configuration first"
        ]
