"""`raco-lsp info` and the info.rkt part of `raco-lsp check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raco_lsp", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def test_info_cli_reports_static_and_get_info_problems(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "info.rkt").write_text('#lang info\n(define collection "good")\n')
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "info.rkt").write_text(
        "#lang info\n(define scriblings '())\n(define deps '(base))\n"
    )
    (tmp_path / "runtime").mkdir()
    (tmp_path / "runtime" / "info.rkt").write_text("#lang info\n(define x (car '()))\n")
    r = run(["info", "."], tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == [
        "bad/info.rkt:2:9: warning: unknown info.rkt field `scriblings`; did you mean "
        "`scribblings`?",
        'bad/info.rkt:3:16: error: deps: each entry must be "pkg" or (list "pkg" '
        '\'#:version "v" ...), found a symbol base',
        "runtime/info.rkt:1:1: error: get-info: car: contract violation",
    ]
    assert lines[-1] == "checked 3 info.rkt files: 2 errors in 2 files, 1 warning"

    r = run(["info", "--json", "good"], tmp_path)
    assert r.returncode == 0
    assert json.loads(r.stdout)["problems"] == []
    assert run(["info", "missing"], tmp_path).returncode == 2


def test_check_includes_info_problems(example: Path) -> None:
    info = example / "info.rkt"
    info.write_text(info.read_text().replace('"0.1"', '"0.01"'))
    r = run(["check", example.name], example.parent)
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'hello-pkg/info.rkt:3:17: error: version: "0.01" is not a valid version' in r.stdout
