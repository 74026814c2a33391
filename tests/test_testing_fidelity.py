"""Fidelity: per-file counts and statuses equal real `raco test`'s (process
mode, and `--drdr`), compared by running raco test on the same files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from raco_lsp.core.records import Pos
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.testing import TestOptions, TestReport, run_tests
from testing_fixtures import (
    COMPILE_ERROR,
    RUNTIME_COUNTS,
    RUNTIME_FILES,
    SEEN,
    raco_test,
    write_fixtures,
)


def ours(report: TestReport, root: Path) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
    table = {str(f.path.relative_to(root)): (f.failed, f.total) for f in report.files}
    why: dict[str, str] = {}
    for f in report.files:
        for m in f.modules:
            if m.status in ("timeout", "stderr"):
                why[f.path.name] = m.status
            elif m.status in ("error", "exit") and m.failed:
                why[f.path.name] = "exit"  # raco test: "non-zero exit: N"
    return table, why


async def test_counts_and_statuses_equal_raco_test(ws: Path) -> None:
    write_fixtures(ws)
    install, _ = locate_racket(None)
    assert install is not None
    code, table, why = raco_test(ws, "--timeout", "5")
    report = await run_tests(install, [ws], TestOptions(timeout=5, jobs=2))
    mine, my_why = ours(report, ws)
    assert "skipme/p.rkt" not in mine and "ignored.rkt" not in mine  # test-omit-paths
    assert mine["extra.txt"] == (0, 2)  # test-include-paths
    assert not any(k.startswith("allskip") for k in mine)  # 'all in a nested info.rkt
    assert mine == table
    assert my_why == why
    assert report.exit_code == code == 2
    # Structured results: the failing check, where it is, actual and expected.
    arith = next(f for f in report.files if f.path.name == "arith.rkt")
    failed = [i for i in arith.items if i.status == "failed"]
    first = failed[0]
    assert (first.check, first.message, first.actual, first.expected) == (
        "check-equal?",
        "one plus two",
        "3",
        "4",
    )
    assert first.span is not None and first.span.start == Pos(5, 2)
    grouped = next(i for i in failed if i.kind == "test-case")
    assert grouped.name == "grouped" and grouped.check == "check-true"
    assert grouped.span is not None and grouped.span.start == Pos(8, 4)
    assert grouped.params == "'(#f)"
    passed = {i.name for i in arith.items if i.status == "passed" and i.kind == "test-case"}
    assert passed == {"fine"}
    # test-suite results come from what rackunit printed (no hook reaches them).
    suite = next(f for f in report.files if f.path.name == "suite.rkt")
    bad, err = (i for i in suite.items if i.status != "passed")
    assert (bad.name, bad.check, bad.actual, bad.expected) == ("bad", "check-equal?", "2", "3")
    assert bad.span is not None and bad.span.start == Pos(5, 21)
    assert (err.name, err.status, err.message) == ("err", "errored", "x: kaboom")
    stderr = next(f for f in report.files if f.path.name == "stderr.rkt")
    assert stderr.modules[0].stderr == "warning: something\n"
    assert stderr.modules[0].stdout == "hello stdout\n"


async def test_drdr_mode_equals_raco_test_drdr(ws: Path) -> None:
    write_fixtures(ws)
    install, _ = locate_racket(None)
    assert install is not None
    code, table, why = raco_test(ws, "--drdr")
    report = await run_tests(install, [ws], TestOptions(mode="drdr", jobs=2))
    mine, my_why = ours(report, ws)
    assert mine == table
    assert my_why == why
    assert report.exit_code == code == 2


async def test_compile_error_is_an_error_at_its_srcloc(ws: Path) -> None:
    f = ws / "cerr.rkt"
    f.write_text(COMPILE_ERROR, encoding="utf-8")
    install, _ = locate_racket(None)
    assert install is not None
    proc = subprocess.run(
        ["raco", "test", "cerr.rkt"], cwd=ws, capture_output=True, text=True, timeout=120
    )
    report = await run_tests(install, [f], TestOptions(jobs=1))
    assert report.exit_code == proc.returncode == 1
    (result,) = report.files
    assert (result.failed, result.total) == (1, 1)
    (item,) = result.items
    assert item.status == "errored" and "f: unbound identifier" in item.message
    assert item.span is not None and item.span.start == Pos(3, 17)


@pytest.mark.parametrize("mode", ["default", "drdr"])
def test_tests_that_expand_at_run_time_pass_as_under_raco_test(ws: Path, mode: str) -> None:
    """`expand`/`eval-syntax` of the module's own macros, `eval` at the top level,
    `convert-compile-time-error`, in drdr mode the fresh temp dir: `raco test` passes
    each; so does `raco-lsp test`."""
    write_fixtures(ws, RUNTIME_FILES)
    drdr = ["--drdr"] if mode == "drdr" else []
    code, table, _ = raco_test(ws, *drdr)
    proc = subprocess.run(
        [sys.executable, "-m", "raco_lsp", "test", "--json", *(drdr or ["-j", "1"]), "."],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(proc.stdout)
    mine = {
        str(Path(f["path"]).relative_to(ws)): (f["failed"], f["total"]) for f in report["files"]
    }
    assert table == {**RUNTIME_COUNTS, "fresh.rkt": (0, 2 if mode == "drdr" else 1)}
    assert mine == table
    assert proc.returncode == code == 0


async def test_a_test_module_sees_what_raco_tests_child_process_shows_it(ws: Path) -> None:
    """`(find-system-path 'run-file)`, the top-level namespace, and whether the
    `configure-runtime` submodule ran (not for several PATHs), as under `raco test`."""
    (ws / "seen.rkt").write_text(SEEN, encoding="utf-8")
    (ws / "seen2.rkt").write_text(SEEN, encoding="utf-8")
    install, _ = locate_racket(None)
    assert install is not None

    def seen(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("SEEN ")]

    for args in (["."], ["seen.rkt", "seen2.rkt"]):
        proc = subprocess.run(
            ["raco", "test", *args],
            cwd=ws,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        report = await run_tests(install, [ws / a for a in args], TestOptions(jobs=1))
        mine = [line for f in report.files for m in f.modules for line in seen(m.stdout)]
        assert mine == seen(proc.stdout)
        assert mine.count("SEEN configure-runtime") == (2 if args == ["."] else 0)


UNFLUSHED = """#lang racket/base
(module+ test
  (define o (open-output-file "NAME.out" #:exists 'truncate))
  (write-string "written" o)
  END)
"""


async def test_files_left_open_are_flushed_as_when_raco_tests_process_exits(ws: Path) -> None:
    ends = {"ends": "(void)", "raises": '(error \'x "boom")', "exits": "(exit 3)"}
    for name, end in ends.items():
        text = UNFLUSHED.replace("NAME", name).replace("END", end)
        (ws / f"{name}.rkt").write_text(text, encoding="utf-8")
    install, _ = locate_racket(None)
    assert install is not None

    def written() -> dict[str, str]:
        out = {name: (ws / f"{name}.out").read_text(encoding="utf-8") for name in ends}
        for name in ends:
            (ws / f"{name}.out").unlink()
        return out

    subprocess.run(
        ["raco", "test", *(f"{name}.rkt" for name in ends)],
        cwd=ws,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    theirs = written()
    await run_tests(install, [ws / f"{name}.rkt" for name in ends], TestOptions(jobs=1))
    assert written() == theirs == dict.fromkeys(ends, "written")
