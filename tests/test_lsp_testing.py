"""raco/discoverTests, raco/runTests, raco/testResult, diagnostics, code lenses
and progress through the real server and real Racket."""

from __future__ import annotations

import asyncio
import math
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from lsp_support import (
    collect,
    diagnostics,
    lsp_session,
    open_file,
    plain,
    request,
    rng,
    save_file,
    wait_idle,
)
from raco_lsp.lsp.uris import path_uri, uri_path
from testing_fixtures import FILES, RUNTIME_COUNTS, RUNTIME_FILES, raco_test, write_fixtures

PASSING_ARITH = (
    FILES["arith.rkt"]
    .replace('4 "one plus two"', '3 "one plus two"')
    .replace("(check-true #f)", "(check-true #t)")
    .replace('(error \'x "bad")', "(void)")
)


def walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i in items:
        out.append(i)
        out.extend(walk(i["children"]))
    return out


async def test_discover_run_diagnostics_and_clear(ws: Path) -> None:
    f = ws / "arith.rkt"
    f.write_text(FILES["arith.rkt"], encoding="utf-8")
    (ws / "skipme").mkdir()
    (ws / "skipme" / "p.rkt").write_text(FILES["skipme/p.rkt"], encoding="utf-8")
    (ws / "info.rkt").write_text('#lang info\n(define test-omit-paths \'("skipme"))\n')
    async with lsp_session(ws) as client:
        results = collect(client, "raco/testResult")
        live = collect(client, "raco/testItems")
        found = await request(client, "raco/discoverTests", {})
        (item,) = found["items"]  # skipme/ is omitted by info.rkt
        assert item["uri"] == path_uri(f) and item["kind"] == "file"
        assert item["range"] is None  # null, not left out: clients test for null
        kinds = [(i["kind"], i["label"]) for i in walk(item["children"])]
        assert ("submodule", "submodule test") in kinds
        assert ("test-case", "grouped") in kinds
        grouped = next(i for i in walk(item["children"]) if i["label"] == "grouped")
        assert grouped["range"]["start"] == {"line": 6, "character": 2}

        open_file(client, f)
        for _ in range(100):
            if live:
                break
            await asyncio.sleep(0.05)
        assert live[0]["uri"] == path_uri(f)
        assert [i["kind"] for i in live[0]["items"]] == ["submodule"]
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=path_uri(f)))
        )
        assert lenses is not None
        # Only the test lenses (the module graph adds its own on the #lang line).
        assert {
            (lens.range.start.line, lens.command.title)
            for lens in lenses
            if lens.command and lens.command.command == "raco-lsp.runTests"
        } == {
            (2, "Run tests"),
            (6, "Run tests"),
            (9, "Run tests"),
        }

        summary = await request(client, "raco/runTests", {"uris": [path_uri(f)]})
        assert summary["ran"] is True
        assert (summary["failed"], summary["total"], summary["exitCode"]) == (3, 6, 1)
        failing = [r for r in results if r["status"] == "failed"]
        first = failing[0]
        assert (first["check"], first["actual"], first["expected"]) == ("check-equal?", "3", "4")
        assert first["location"]["range"]["start"] == {"line": 5, "character": 2}
        assert first["id"] == f"{path_uri(f)}#check:5:2"
        tc = next(r for r in failing if r["kind"] == "test-case")
        assert tc["id"] == f"{path_uri(f)}#test-case:grouped"
        assert any(r["kind"] == "file" and r["failed"] == 3 for r in results)
        assert any(r["status"] == "passed" and r["name"] == "fine" for r in results)
        # Every key on the wire, null or not.
        assert {tuple(r) for r in results} == {
            (
                "runId", "uri", "id", "kind", "status", "name", "check", "message",
                "location", "actual", "expected", "params", "expression", "duration",
            ),
            (
                "runId", "uri", "id", "kind", "status", "failed", "total", "timedOut",
                "message", "stdout", "stderr", "duration",
            ),
        }  # fmt: skip
        assert list(summary) == [
            "ran", "runId", "mode", "failed", "total", "exitCode", "missing", "problems", "files",
        ]  # fmt: skip

        diags = [d for d in diagnostics(client, f) if d.source == "raco test"]
        assert [d.range for d in diags] == [
            rng(5, 2, 5, 43),
            rng(8, 4, 8, 19),
            rng(10, 2, 10, 46),
        ]
        assert "actual:   3" in diags[0].message and "expected: 4" in diags[0].message
        # Progress was reported and ended.
        assert any(
            isinstance(r, types.WorkDoneProgressEnd)
            for rs in client.progress_reports.values()
            for r in rs
        )

        # Fix and save, as in the editor (compile-on-save refreshes the .zo).
        save_file(client, f, PASSING_ARITH)
        await wait_idle(client)
        # Again through the code lens' command, as the editor runs it.
        (lens,) = [
            x
            for x in lenses
            if x.range.start.line == 6 and x.command and x.command.command == "raco-lsp.runTests"
        ]
        assert lens.command is not None
        summary = plain(
            await asyncio.wait_for(
                client.workspace_execute_command_async(
                    types.ExecuteCommandParams(
                        command=lens.command.command, arguments=lens.command.arguments
                    )
                ),
                120,
            )
        )
        assert (summary["failed"], summary["total"]) == (0, 6)
        assert [d for d in diagnostics(client, f) if d.source == "raco test"] == []
        # A generic client does nothing with the answer: the outcome is shown.
        assert "raco test: 6 tests passed" in [m.message for m in client.messages]


async def test_cancel_through_progress_stops_a_hanging_test(ws: Path) -> None:
    f = ws / "slow.rkt"
    f.write_text(FILES["slow.rkt"], encoding="utf-8")
    # No check on startup: the test run's is the one progress.
    init = {"test": {"timeout": 300}, "checkOnStartup": False}
    async with lsp_session(ws, init_options=init) as client:
        task = asyncio.ensure_future(
            client.protocol.send_request_async(  # type: ignore[no-untyped-call]
                "raco/runTests", {"uris": [path_uri(f)]}
            )
        )
        for _ in range(200):
            if client.progress_reports:
                break
            await asyncio.sleep(0.05)
        (token,) = client.progress_reports
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        done, _ = await asyncio.wait([task], timeout=30)
        assert done, "the run did not stop after cancellation"
        reports = client.progress_reports[token]
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        assert reports[-1].message == "cancelled"


# Where raco test DIR looks: every directory, no dot-file, not test-omit-paths
# (a string: that path; a regexp: matched against each file's whole path).
TEST_TREE = ["top.rkt", "doc/d.rkt", ".hidden/h.rkt", "CVS/c.rkt", "node_modules/n.rkt",
             "compiled/x.rkt", ".dot.rkt", "omitted/o.rkt", "skip.rkt", "sub/gen-y.rkt",
             "sub/keep.rkt"]  # fmt: skip


@pytest.mark.parametrize("trusted", [True, False])
async def test_discovery_finds_the_files_raco_test_runs(ws: Path, trusted: bool) -> None:
    """Trusted, Racket plans (info.rkt run); untrusted, the walker with
    test-omit-paths read statically: both find what real raco test runs."""
    for rel in TEST_TREE:
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(f'#lang racket/base\n(module+ test (displayln "RAN {rel}"))\n')
    (ws / "info.rkt").write_text(
        '#lang info\n(define test-omit-paths (list "omitted" "skip.rkt" #rx"gen-"))\n'
    )
    ran = subprocess.run(["raco", "test", ws.name], cwd=ws.parent, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    expected = sorted(line[4:] for line in ran.stdout.splitlines() if line.startswith("RAN "))
    assert expected == [".hidden/h.rkt", "CVS/c.rkt", "compiled/x.rkt", "doc/d.rkt",
                        "node_modules/n.rkt", "sub/keep.rkt", "top.rkt"]  # fmt: skip
    async with lsp_session(ws, init_options={"raco-lsp": {"trusted": trusted}}) as client:
        found = await request(client, "raco/discoverTests", {})
        got = sorted(
            Path(uri_path(i["uri"]) or "").relative_to(ws).as_posix() for i in found["items"]
        )
        assert got == expected


GREET = """#lang racket/base
(provide greet)
(define (greet name)
  (string-append "Hello, " name "."))

(module+ test
  (require rackunit)
  (check-equal? (greet "world") "Hello, world.")
  (check-equal? (greet "bye") "Goodbye.")
  (check-equal?
     (greet   "you")
     "Hello, you."))
"""


def raco_test_summary(file: Path) -> tuple[int, int]:
    """(failed, total) from real `raco test FILE`'s last line: "N/M test
    failures" or "N tests passed"."""
    proc = subprocess.run(
        ["raco", "test", file.name],
        cwd=file.parent,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    if m := re.search(r"^(\d+)/(\d+) test failures$", out, re.M):
        return int(m.group(1)), int(m.group(2))
    m = re.search(r"^(\d+) tests? passed$", out, re.M)
    assert m is not None, out
    return 0, int(m.group(1))


async def test_counts_equal_raco_test_labels_apart_durations_add_up(ws: Path) -> None:
    """Test Explorer: a run counts what `raco test` counts (one result per
    check or test-case, the file's own summary apart), three check-equal?
    can be told apart, and a file's duration is its run, which its results'
    durations add up to."""
    f = ws / "greet.rkt"
    f.write_text(GREET, encoding="utf-8")
    failed, total = raco_test_summary(f)
    assert (failed, total) == (1, 3)
    async with lsp_session(ws) as client:
        results = collect(client, "raco/testResult")
        found = await request(client, "raco/discoverTests", {"uri": path_uri(f)})
        checks = [i for i in walk(found["items"]) if i["kind"] == "check"]
        assert [i["label"] for i in checks] == [
            'check-equal? (greet "world")',
            'check-equal? (greet "bye")',
            'check-equal? (greet "you")',
        ]
        summary = await request(client, "raco/runTests", {"uris": [path_uri(f)]})
        assert (summary["failed"], summary["total"]) == (failed, total)
        items = [r for r in results if r["kind"] != "file"]
        (file,) = [r for r in results if r["kind"] == "file"]
        assert len(items) == total
        assert sum(r["status"] != "passed" for r in items) == failed
        assert {r["id"] for r in items} == {i["id"] for i in checks}
        assert (file["failed"], file["total"]) == (failed, total)
        assert file["duration"] > 0
        assert math.isclose(sum(r["duration"] for r in items), file["duration"], rel_tol=1e-6)


async def test_tests_that_expand_at_run_time_pass_as_under_raco_test(ws: Path) -> None:
    """The server's runs load test modules as `raco test` does (default and drdr)."""
    write_fixtures(ws, RUNTIME_FILES)
    async with lsp_session(ws) as client:
        for flags, mode in (((), "default"), (("--drdr",), "drdr")):
            code, table, _ = raco_test(ws, *flags)
            summary = await request(client, "raco/runTests", {"mode": mode})
            mine = {f["uri"]: (f["failed"], f["total"]) for f in summary["files"]}
            assert table == {**RUNTIME_COUNTS, "fresh.rkt": (0, 2 if mode == "drdr" else 1)}
            assert mine == {path_uri(ws / name): counts for name, counts in table.items()}
            assert summary["exitCode"] == code == 0
