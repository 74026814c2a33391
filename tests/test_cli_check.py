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


BASE_MODULE = "#lang racket/base\n"
BROKEN = "#lang racket/base\n(undefined-thing)\n"
OMITTING_INFO = """#lang info
(define collection "omitting")
(define deps '("base"))
(define compile-omit-paths '("omitted" "sub/one.rkt" #rx"^gen-"))
"""
# Where raco setup looks and where it does not (setup/private/omitted-paths.rkt).
OMITTING_FILES = {
    "main.rkt": BASE_MODULE,
    "gen-a.rkt": BROKEN,  # the regexp, in info.rkt's own directory
    "sub/one.rkt": BROKEN,  # a relative path
    "sub/two.rkt": BASE_MODULE,
    "sub/gen-b.rkt": BASE_MODULE,  # ^gen- is matched against "sub/gen-b.rkt"
    "omitted/x.rkt": BROKEN,
    "doc/d.rkt": BROKEN,  # "doc" is omitted outside the main collects tree
    "CVS/c.rkt": BROKEN,
    ".hidden/h.rkt": BROKEN,
    "node_modules/n.rkt": BASE_MODULE,  # not omitted
    "all/info.rkt": "#lang info\n(define compile-omit-paths 'all)\n",
    "all/a.rkt": BROKEN,
    "lib/info.rkt": '#lang info\n(define compile-omit-files \'("old.rkt"))\n',
    "lib/old.rkt": BROKEN,
    "lib/new.rkt": BASE_MODULE,
}


def omitting_package(root: Path) -> Path:
    pkg = root / "omitting"
    for rel, text in {"info.rkt": OMITTING_INFO, **OMITTING_FILES}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text)
    return pkg


def setup_compiles(pkg: Path, addon: Path) -> set[str]:
    """The modules real ``raco setup`` compiles in the package (linked in a
    scope of its own under ``addon``), relative to the package."""
    env = {**os.environ, "PLTADDONDIR": str(addon)}
    for argv in (
        ["raco", "pkg", "install", "--no-setup", "--link", "--type", "dir", str(pkg)],
        ["raco", "setup", "--no-docs", "-j", "1", "--pkgs", pkg.name],
    ):
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
    return {
        (zo.parent.parent / zo.name.removesuffix(".zo").replace("_rkt", ".rkt"))
        .relative_to(pkg)
        .as_posix()
        for zo in pkg.rglob("compiled/*_rkt.zo")
    }


def test_check_and_graph_walk_what_raco_setup_compiles(tmp_path: Path) -> None:
    pkg = omitting_package(tmp_path / "setup")
    compiled = setup_compiles(pkg, tmp_path / "addon")
    assert compiled == {
        "info.rkt",
        "lib/info.rkt",
        "lib/new.rkt",
        "main.rkt",
        "node_modules/n.rkt",
        "sub/gen-b.rkt",
        "sub/two.rkt",
    }
    mine = omitting_package(tmp_path / "check")
    j = run(["--json", str(mine)], tmp_path)
    assert j.returncode == 0, j.stdout + j.stderr
    report = json.loads(j.stdout)
    assert {Path(m).relative_to(mine).as_posix() for m in report["modules"]} == compiled
    assert {Path(o).relative_to(mine).as_posix() for o in report["omitted"]} == {
        "all",
        "gen-a.rkt",
        "lib/old.rkt",
        "omitted",
        "sub/one.rkt",
    }
    text = run(["omitting"], mine.parent).stdout.splitlines()
    assert "omitting/omitted: skipped (compile-omit-paths in info.rkt)" in text
    graph = subprocess.run(
        [sys.executable, "-m", "raco_lsp", "graph", str(mine)],
        capture_output=True,
        text=True,
        check=True,
    )
    nodes = {n["path"] for n in json.loads(graph.stdout)["nodes"]}
    assert {Path(n).relative_to(mine).as_posix() for n in nodes if n.startswith(f"{mine}/")} == (
        compiled
    )


def test_a_named_module_is_compiled_wherever_it_is(ws: Path) -> None:
    """raco make compiles the files it is given, even under doc/ or an
    omitted directory: so does check."""
    pkg = omitting_package(ws)
    for rel in ("doc/d.rkt", "omitted/x.rkt"):
        make = subprocess.run(["raco", "make", rel], cwd=pkg, capture_output=True, text=True)
        assert make.returncode == 1 and "undefined-thing: unbound identifier" in make.stderr
        r = run([rel], pkg)
        assert r.returncode == 1
        assert r.stdout.splitlines()[0] == f"{rel}:2:2: error: undefined-thing: unbound identifier"
