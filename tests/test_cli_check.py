"""`raco-lsp check` against real Racket."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from racket_install import installation_dirs, snapshot
from raco_lsp.racket.deps import read_dep

CLI = [sys.executable, "-m", "raco_lsp", "check"]


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def test_clean_example_exits_zero(example: Path) -> None:
    r = run([example.name], example.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "checked 4 modules: no errors"


def test_broken_example_reports_exact_locations(example: Path) -> None:
    for f in (ROOT / "examples" / "broken-overlay").glob("*.rkt"):
        shutil.copy(f, example / f.name)
    r = run([example.name], example.parent)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [line for line in r.stdout.splitlines() if not line.startswith("    ")]
    assert lines == [
        "hello-pkg/farewell.rkt:6:1: error: read-syntax: expected a `)` to close `(`",
        "hello-pkg/greet.rkt:8:42: error: capitalise: unbound identifier",
        "hello-pkg/main.rkt:4:10: error: required module greet.rkt failed to compile: "
        "capitalise: unbound identifier",
        "checked 5 modules: 3 errors in 3 files",
    ]

    j = run(["--json", example.name], example.parent)
    assert j.returncode == 1
    report = json.loads(j.stdout)
    assert report["errors"] == 3
    greet = next(p for p in report["problems"] if p["path"].endswith("greet.rkt"))
    assert (greet["line"], greet["column"], greet["endLine"], greet["endColumn"]) == (8, 42, 8, 52)
    main = next(p for p in report["problems"] if p["path"].endswith("main.rkt"))
    assert main["related"][0]["path"] == greet["path"]


def test_columns_are_counted_in_characters(ws: Path) -> None:
    (ws / "u.rkt").write_text('#lang racket/base\n\t(define λ "é𝛌") nope\n', encoding="utf-8")
    r = run(["u.rkt"], ws)
    assert r.returncode == 1
    assert r.stdout.splitlines()[0] == "u.rkt:2:18: error: nope: unbound identifier"


def test_missing_path_and_missing_racket_exit_two(ws: Path) -> None:
    r = run(["no-such-dir"], ws)
    assert r.returncode == 2
    assert "no such file or directory" in r.stderr
    env = {k: v for k, v in os.environ.items() if k != "PATH"}
    env["PATH"] = str(ws)
    (ws / "a.rkt").write_text("#lang racket/base\n")
    r = run(["a.rkt"], ws, env=env)
    assert r.returncode == 2
    assert "Racket was not found" in r.stderr and "racketPath" in r.stderr


def test_compiling_never_touches_the_installation(example: Path) -> None:
    (example / "big.rkt").write_text(
        "#lang racket\n(require rackunit racket/gui/dynamic syntax/parse net/url json)\n"
        "(module+ test (check-equal? 1 1))\n"
    )
    dirs = installation_dirs()
    assert dirs, "racket names its installation directories"
    before = snapshot(dirs)
    assert len(before) > 1000
    r = run([example.name], example.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (example / "compiled" / "big_rkt.zo").exists()
    after = snapshot(dirs)
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert changed == []


def test_unreadable_dep_is_repaired(example: Path) -> None:
    r = run([example.name], example.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    dep = example / "compiled" / "greet_rkt.dep"
    dep.write_bytes(b"((garbage")  # raco make fails on this every time
    assert subprocess.run(["raco", "make", str(example / "main.rkt")]).returncode != 0
    r = run([example.name], example.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "greet.rkt:1:1: warning: unreadable .dep (greet_rkt.dep" in r.stdout
    assert read_dep(dep)[0] is not None
    assert subprocess.run(["raco", "make", str(example / "main.rkt")]).returncode == 0
