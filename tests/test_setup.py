"""raco setup in raco-lsp's isolated package scope: parsing, fixes, real runs."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from racket_install import installation_dirs, snapshot
from raco_lsp.info.findings import apply_edits
from raco_lsp.info.setup_findings import add_fix, findings_of, move_fix, remove_fix
from raco_lsp.info.validate import has_errors, validate_info
from raco_lsp.racket.locate import RacketInstall, locate_racket
from raco_lsp.racket.setup import (
    Scope,
    SetupReport,
    WorkspacePackage,
    check_package,
    find_packages,
    package_of,
    parse_setup_output,
    source_of_compiled,
)

# -- parsing (output as printed by Racket 8.7, docs/racket-facts.md §9) --------

DEPS_ERR = """\
raco setup: found undeclared dependency:
raco setup:   mode: run
raco setup:   for package: "mypkg"
raco setup:   on package: "math-lib"
raco setup:   dependent source: /home/dev/demo/pkgs/mypkg/compiled/main_rkt.zo
raco setup:   used module: (lib "math/base.rkt")
raco setup: found undeclared dependency:
raco setup:   mode: build
raco setup:   for package: "mypkg"
raco setup:   on package: "rackunit-lib"
raco setup:   dependent source: /home/dev/demo/pkgs/mypkg/compiled/main_rkt.dep
raco setup:   used module: (lib "rackunit/main.rkt")
raco setup: unused dependency detected
  for package: "mypkg"
  on package:
   "db-lib"
raco setup: unused dependencies detected
  for package: "math-lib"
  on packages:
   "r6rs-lib"
   "typed-racket-lib"
raco setup: --- summary of package problems ---                    [22:37:53]
raco setup: undeclared dependency detected
raco setup:   for package: "mypkg"
raco setup:   on package:
raco setup:    "math-lib"
"""

COMPILE_ERR = """\
pkgs/mypkg/bad.rkt:3:13: undefined-fn: unbound identifier
  in: undefined-fn
raco setup: error: during making for <pkgs>/mypkg
raco setup:   pkgs/mypkg/bad.rkt:3:13: undefined-fn: unbound identifier
raco setup:     in: undefined-fn
raco setup:     compiling: <pkgs>/mypkg/bad.rkt
raco setup: error: during making for <pkgs>/mypkg
raco setup:   pkgs/mypkg/bad.rkt:3:13: undefined-fn: unbound identifier
raco setup:     in: undefined-fn
raco setup:     compiling: <pkgs>/mypkg/uses-bad.rkt
raco setup: error: during building docs for <pkgs>/mypkg/scribblings/mypkg.scrbl
raco setup:   car: contract violation
raco setup:     expected: pair?
raco setup:     given: 5
"""


def test_parse_dependency_report() -> None:
    root = Path("/home/dev/demo")
    und, unused, errors = parse_setup_output(
        "", DEPS_ERR, package="mypkg", cwd=root, pkgs_root=root / "pkgs"
    )
    assert [(u.mode, u.package, u.module, u.source) for u in und] == [
        ("run", "math-lib", '(lib "math/base.rkt")', root / "pkgs/mypkg/main.rkt"),
        ("build", "rackunit-lib", '(lib "rackunit/main.rkt")', root / "pkgs/mypkg/main.rkt"),
    ]
    assert unused == ["db-lib"]  # math-lib's own unused deps are not ours
    assert errors == []


def test_parse_errors_resolves_paths_against_cwd_and_pkgs() -> None:
    root = Path("/home/dev/demo")
    _, _, errors = parse_setup_output(
        "", COMPILE_ERR, package="mypkg", cwd=root, pkgs_root=root / "pkgs"
    )
    compile_err, doc_err = errors  # the second report of bad.rkt is the same error
    assert compile_err.kind == "compile" and compile_err.path == root / "pkgs/mypkg/bad.rkt"
    assert (compile_err.line, compile_err.col) == (3, 13)
    assert compile_err.message.startswith("undefined-fn: unbound identifier")
    assert doc_err.kind == "doc" and doc_err.path is None
    assert doc_err.target == root / "pkgs/mypkg/scribblings/mypkg.scrbl"
    assert doc_err.message.startswith("car: contract violation")


def test_source_of_compiled() -> None:
    assert source_of_compiled(Path("/p/compiled/main_rkt.zo")) == Path("/p/main.rkt")
    assert source_of_compiled(Path("/p/a/compiled/x_y_scrbl.dep")) == Path("/p/a/x_y.scrbl")
    assert source_of_compiled(Path("/p/compiled/errortrace/m_rkt.zo")) == Path("/p/m.rkt")


# -- fixes ---------------------------------------------------------------------

INFO = (
    '#lang info\n(define collection "mypkg")\n'
    '(define deps \'("base"\n               "db-lib")) ; keep\n'
    '(define version "0.1")\n'
)


def _valid(text: str) -> None:
    assert not has_errors(validate_info(Path("/nowhere/info.rkt"), text, check_files=False)), text


def test_add_to_existing_list_keeps_formatting() -> None:
    f = add_fix(INFO, "deps", "math-lib")
    assert f is not None and f.title == 'Add "math-lib" to deps'
    out = apply_edits(INFO, f.edits)
    assert out == INFO.replace('"db-lib"))', '"db-lib" "math-lib"))')
    _valid(out)


def test_add_creates_missing_define_after_deps() -> None:
    f = add_fix(INFO, "build-deps", "rackunit-lib")
    assert f is not None
    out = apply_edits(INFO, f.edits)
    assert "; keep\n" in out and '\n(define build-deps \'("rackunit-lib"))' in out
    assert out.index("build-deps") > out.index("db-lib")
    _valid(out)
    bare = '#lang info\n(define collection "p")\n'
    g = add_fix(bare, "deps", "base")
    assert g is not None
    assert (
        apply_edits(bare, g.edits)
        == '#lang info\n(define collection "p")\n(define deps \'("base"))\n'
    )
    empty = "#lang info\n(define deps (list))\n(define build-deps '())\n"
    h, i = add_fix(empty, "deps", "a"), add_fix(empty, "build-deps", "b")
    assert h is not None and i is not None
    assert apply_edits(empty, (*h.edits, *i.edits)) == (
        '#lang info\n(define deps (list "a"))\n(define build-deps \'("b"))\n'
    )


def test_remove_first_middle_last_and_only() -> None:
    text = '#lang info\n(define deps \'("a" "b" ("c" #:version "1.0")))\n'
    for name, left in (("a", '"b" ("c"'), ("b", '"a" ("c"'), ("c", '"a" "b"))')):
        f = remove_fix(text, "deps", name)
        assert f is not None and f.title == "Remove unused dependency"
        out = apply_edits(text, f.edits)
        assert left in out and f'"{name}"' not in out, out
        _valid(out)
    only = '#lang info\n(define deps (list "db-lib"))\n'
    f = remove_fix(only, "deps", "db-lib")
    assert f is not None and apply_edits(only, f.edits) == "#lang info\n(define deps (list))\n"
    g = remove_fix(INFO, "deps", "db-lib")
    assert g is not None
    out = apply_edits(INFO, g.edits)
    assert out == INFO.replace('"base"\n               "db-lib"))', '"base"))')
    _valid(out)


def test_move_between_fields() -> None:
    text = '#lang info\n(define deps \'("base"))\n(define build-deps \'("math-lib" "x"))\n'
    f = move_fix(text, "build-deps", "deps", "math-lib")
    assert f is not None and f.title == 'Move "math-lib" to deps'
    out = apply_edits(text, f.edits)
    assert out == '#lang info\n(define deps \'("base" "math-lib"))\n(define build-deps \'("x"))\n'
    _valid(out)


def test_find_packages(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/info.rkt").write_text('#lang info\n(define collection "a")\n')
    (tmp_path / "a/sub").mkdir()
    (tmp_path / "a/sub/info.rkt").write_text("#lang info\n(define scribblings '())\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m/info.rkt").write_text("#lang info\n(define collection 'multi)\n")
    (tmp_path / "top").mkdir()
    (tmp_path / "top/info.rkt").write_text('#lang info\n(define deps \'("base"))\n')
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain/info.rkt").write_text("#lang info\n(define test-omit-paths 'all)\n")
    found = {(p.name, p.collection) for p in find_packages([tmp_path])}
    assert found == {("a", "string"), ("m", "multi"), ("top", "none")}
    pkg = package_of(tmp_path / "a/sub/x.rkt", [tmp_path])
    assert pkg is not None and pkg.directory == tmp_path / "a"


# -- real Racket ---------------------------------------------------------------

MAIN = (
    "#lang racket/base\n(require racket/list math/base)\n(provide f)\n"
    "(define (f) (first (list pi)))\n"
    "(module+ test\n  (require rackunit)\n  (check-equal? (f) pi))\n"
)
PKG_INFO = '#lang info\n(define collection "mypkg")\n(define deps \'("base"))\n'


@pytest.fixture(scope="module")
def racket() -> RacketInstall:
    install, _ = locate_racket()
    if install is None or install.raco is None:
        pytest.skip("racket not installed")
    return install


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    d = tmp_path_factory.mktemp("cache")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(d)
    yield d
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


def _pkg_show() -> str:
    return subprocess.run(
        ["raco", "pkg", "show", "-a"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=True,
    ).stdout


def _check(install: RacketInstall, pkg: WorkspacePackage, scope: Scope) -> SetupReport:
    return asyncio.run(check_package(install, pkg, scope, timeout=300))


def _hand_run(install: RacketInstall, pkg_dir: Path, scratch: Path) -> tuple[set[str], str]:
    """raco setup --check-pkg-deps by hand in a scratch scope: ('mode pkg' lines, stderr)."""
    env = {**os.environ, "PLTADDONDIR": str(scratch / "addon"), "PLTUSERHOME": str(scratch)}
    link = [str(install.raco), "pkg", "install", "--scope", "user", "--link", "--no-setup"]
    subprocess.run([*link, str(pkg_dir)], env=env, check=True, capture_output=True)
    r = subprocess.run(
        [str(install.raco), "setup", "--no-docs", "--check-pkg-deps", "--pkgs", pkg_dir.name],
        env=env,
        capture_output=True,
        text=True,
        cwd=pkg_dir,
    )
    lines = r.stderr.splitlines()
    found = set()
    for i, line in enumerate(lines):
        if line.endswith("found undeclared dependency:"):
            mode = lines[i + 1].split(": ")[-1]
            on = lines[i + 3].split(": ")[-1].strip('"')
            found.add(f"{mode} {on}")
    return found, r.stderr


def test_check_package_end_to_end(racket: RacketInstall, cache: Path, tmp_path: Path) -> None:
    dirs = installation_dirs()
    before, shown = snapshot(dirs), _pkg_show()
    pkg_dir = tmp_path / "mypkg"
    pkg_dir.mkdir()
    (pkg_dir / "main.rkt").write_text(MAIN)
    info = pkg_dir / "info.rkt"
    info.write_text(PKG_INFO)
    pkg = WorkspacePackage("mypkg", pkg_dir, "string")
    scope = Scope(cache / "scope")

    # A run killed half-way (here: timed out) leaves no scope behind.
    killed = asyncio.run(check_package(racket, pkg, scope, timeout=0.5))
    assert killed.failures and not scope.root.exists()

    report = _check(racket, pkg, scope)
    assert {(u.mode, u.package) for u in report.undeclared} == {
        ("run", "math-lib"),
        ("build", "rackunit-lib"),
    }
    assert report.unused == [] and report.errors == [] and report.failures == []
    findings = findings_of(report)
    assert len(findings) == 2
    run_dep, build_dep = findings
    assert 'undeclared dependency on "math-lib"' in run_dep.problem.message
    assert "math/base" in run_dep.problem.message
    assert run_dep.problem.span.start.line == 2  # on `deps`
    (rel,) = run_dep.problem.related
    assert rel.path == pkg_dir / "main.rkt" and rel.span.start.line == 1
    assert build_dep.problem.span.start.line == 2  # where build-deps should go
    assert [f.title for f in run_dep.fixes] == ['Add "math-lib" to deps']
    assert [f.title for f in build_dep.fixes] == ['Add "rackunit-lib" to build-deps']

    # The same as raco setup --check-pkg-deps by hand in a scratch scope.
    by_hand, _ = _hand_run(racket, pkg_dir, tmp_path / "scratch")
    assert by_hand == {f"{u.mode} {u.package}" for u in report.undeclared}

    text = info.read_text()
    text = apply_edits(text, run_dep.fixes[0].edits)
    text = apply_edits(text, findings_of(report, text)[1].fixes[0].edits)
    _valid(text)
    info.write_text(text)
    clean = _check(racket, pkg, scope)  # the scope is reused
    assert clean.clean, (clean.stdout, clean.stderr)

    info.write_text(text.replace('"base"', '"base" "db-lib"'))
    unused = _check(racket, pkg, scope)
    assert unused.unused == ["db-lib"] and unused.undeclared == []
    (warn,) = findings_of(unused)
    assert warn.problem.severity.value == "warning" and "db-lib" in warn.problem.message
    info.write_text(apply_edits(info.read_text(), warn.fixes[0].edits))
    assert info.read_text() == text

    assert _pkg_show() == shown
    assert snapshot(dirs) == before


def test_compile_error_during_setup_cli_json(
    racket: RacketInstall, cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from raco_lsp.cli.main import main

    pkg_dir = tmp_path / "badpkg"
    pkg_dir.mkdir()
    (pkg_dir / "info.rkt").write_text(
        '#lang info\n(define collection "badpkg")\n(define deps \'("base"))\n'
    )
    (pkg_dir / "bad.rkt").write_text("#lang racket/base\n\n(define (g) (undefined-fn 1))\n")
    (pkg_dir / "uses-bad.rkt").write_text('#lang racket/base\n(require "bad.rkt")\n')
    assert main(["setup", str(pkg_dir / "uses-bad.rkt"), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["package"] == "badpkg" and out["undeclared"] == [] and out["unused"] == []
    (err,) = out["errors"]  # bad.rkt, reported twice by setup (also via uses-bad.rkt)
    assert err["path"] == str(pkg_dir / "bad.rkt") and (err["line"], err["col"]) == (3, 13)
    (problem,) = out["problems"]
    assert problem["path"] == str(pkg_dir / "bad.rkt")
    assert problem["range"] == {"start": [2, 13], "end": [2, 13 + len("undefined-fn")]}
    assert problem["message"].startswith("undefined-fn: unbound identifier")


def test_settings() -> None:
    from raco_lsp.lsp.settings import parse_settings

    s = parse_settings({"setupOnSave": True, "setupDocs": "yes"})
    assert s.setup_on_save is True and s.setup_docs is False
    assert s.problems == ("raco-lsp.setupDocs must be true or false",)
