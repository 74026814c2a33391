"""The warm test runner survives what test code does: hangs the timeout
cannot interrupt, exits, stdin reads; and the `raco-lsp test` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from raco_lsp.racket.env import data_file
from raco_lsp.racket.helpers import compile_helpers, helper_file
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.testing import PlannedFile, TestOptions, TestPool
from testing_fixtures import FILES

ATOMIC_HANG = """#lang racket/base
(require ffi/unsafe/atomic)
(module+ test
  (require rackunit ffi/unsafe/atomic)
  (check-true #t)
  (start-atomic)
  (let loop () (loop)))
"""


async def test_a_hang_in_atomic_mode_kills_and_replaces_the_process(ws: Path) -> None:
    hang = ws / "hang.rkt"
    hang.write_text(ATOMIC_HANG, encoding="utf-8")
    ok = ws / "pass.rkt"
    ok.write_text(FILES["pass.rkt"], encoding="utf-8")
    install, _ = locate_racket(None)
    assert install is not None
    pool = TestPool(install, TestOptions(timeout=1, jobs=1, hard_grace=2))
    try:
        hung = await pool.run_file(PlannedFile(hang))
        assert (hung.failed, hung.total, hung.timed_out) == (1, 1, True)
        # Atomic mode starves the runner's own threads: only the kill is reported.
        assert [i.status for i in hung.items] == ["errored"]
        assert "killed" in (hung.modules[-1].message or "")
        after = await pool.run_file(PlannedFile(ok))  # a fresh process took over
        assert (after.failed, after.total, after.status) == (0, 2, "pass")
    finally:
        await pool.close()


async def test_the_runner_starts_from_the_compiled_helpers_else_from_source(
    ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test runner runs the compiled copy of test-runner.rkt (with
    main's argv: racket -N racket -t RUNNER); when that copy will not load,
    it is removed and the runner starts from the shipped source."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ok = ws / "pass.rkt"
    ok.write_text(FILES["pass.rkt"], encoding="utf-8")
    install, _ = locate_racket(None)
    assert install is not None
    await compile_helpers(install)
    made = helper_file(install, "test-runner.rkt")
    assert made != data_file("test-runner.rkt")
    zo = made.parent / "compiled" / "test-runner_rkt.zo"
    assert zo.is_file()
    for corrupt in (False, True):
        if corrupt:
            zo.write_bytes(b"#~not a compiled module")
        pool = TestPool(install, TestOptions(jobs=1))
        try:
            result = await pool.run_file(PlannedFile(ok))
            assert (result.failed, result.total, result.status) == (0, 2, "pass")
            (runner,) = pool._runners
            assert runner._helper is not None
            argv = Path(f"/proc/{runner._helper.pid}/cmdline").read_bytes().split(b"\0")
            expected = data_file("test-runner.rkt") if corrupt else made
            assert argv[-3:-1] == [b"-t", str(expected).encode()]
        finally:
            await pool.close()
    assert not made.parent.exists()  # the corrupt copy was removed


def test_cli_prints_failures_at_checks_and_exits_like_raco_test(ws: Path) -> None:
    for name in ("pass.rkt", "arith.rkt", "exit1.rkt"):
        (ws / name).write_text(FILES[name], encoding="utf-8")
    cmd = [sys.executable, "-m", "raco_lsp", "test", "-j", "1"]
    proc = subprocess.run(
        [*cmd, "pass.rkt", "arith.rkt", "exit1.rkt"],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        "arith.rkt:6:3: failure: check-equal?: one plus two (actual: 3, expected: 4)"
    )
    assert "arith.rkt:9:5: failure: grouped: check-true failed (params: '(#f))" in lines
    assert "exit1.rkt:2:1: error: raco test: non-zero exit: 3" in lines  # at (module+ test
    assert lines[-1] == "4/9 test failures"

    proc = subprocess.run(
        [*cmd, "--json", "pass.rkt"], cwd=ws, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0
    report = json.loads(proc.stdout)
    assert (report["failed"], report["total"], report["exitCode"]) == (0, 2, 0)
    assert report["files"][0]["items"][0]["range"] == {
        "line": 3,
        "column": 2,
        "endLine": 3,
        "endColumn": 26,
    }


def test_parse_printed_failures() -> None:
    from raco_lsp.racket.testing import parse_printed_failures

    text = (
        "noise\n--------------------\narith > bad\nFAILURE\nname:       check-equal?\n"
        "location:   suite.rkt:6:21\nactual:     2\nexpected:   3\n--------------------\n"
        "--------------------\nERROR\n\nx: kaboom\n  context...:\n--------------------\n"
        "--------------------\nFAILURE\nname:   check-not-exn\nexception:\n  x: bad\n"
        "--------------------\n"
    )
    first, second, third = parse_printed_failures(text)
    assert first.names == ("arith", "bad") and first.status == "failed"
    assert (first.get("location"), first.get("actual")) == ("suite.rkt:6:21", "2")
    assert second.names == () and second.status == "errored"
    assert second.message.startswith("x: kaboom")
    assert third.get("exception") == "x: bad"


def test_test_settings_nested_flat_and_bad() -> None:
    from raco_lsp.lsp.settings import Settings, parse_settings

    s = parse_settings({"raco-lsp": {"test": {"mode": "drdr", "timeout": 5, "jobs": 3}}})
    assert (s.test_mode, s.test_timeout, s.test_jobs) == ("drdr", 5.0, 3)
    s = parse_settings({"test.mode": "default", "test.jobs": 0}, s)
    assert (s.test_mode, s.test_timeout, s.test_jobs) == ("default", 5.0, 0)
    bad = parse_settings({"test": {"mode": "fast", "timeout": -1, "jobs": 1.5}})
    assert (bad.test_mode, bad.test_timeout, bad.test_jobs) == ("default", 90.0, 0)
    assert len(bad.problems) == 3
    assert Settings().test_mode == "default"


CONFIG_LONGER = """#lang racket/base
(module+ test
  (module config info (define timeout 4))
  (require rackunit)
  (sleep 2)
  (check-true #t))
"""


async def test_a_config_timeout_longer_than_the_default_is_honoured(ws: Path) -> None:
    f = ws / "cfglong.rkt"
    f.write_text(CONFIG_LONGER, encoding="utf-8")
    install, _ = locate_racket(None)
    assert install is not None
    pool = TestPool(install, TestOptions(timeout=1, jobs=1, hard_grace=0.5))
    try:
        result = await pool.run_file(PlannedFile(f))
        assert (result.failed, result.total, result.status) == (0, 1, "pass")
    finally:
        await pool.close()


SEES_SERVICE = """#lang racket/base
(module+ test
  (require rackunit)
  (check-equal? (getenv "PLT_PKG_BUILD_SERVICE") "1"))
"""


async def test_drdr_mode_sets_the_package_build_service_variable(ws: Path) -> None:
    f = ws / "service.rkt"
    f.write_text(SEES_SERVICE, encoding="utf-8")
    install, _ = locate_racket(None)
    assert install is not None
    env = {k: v for k, v in os.environ.items() if k != "PLT_PKG_BUILD_SERVICE"}
    for mode, expected in (("drdr", (0, 1)), ("default", (1, 1))):
        pool = TestPool(install, TestOptions(mode=mode, jobs=1), env=env)
        try:
            result = await pool.run_file(PlannedFile(f))
            assert (result.failed, result.total) == expected, mode
        finally:
            await pool.close()
