"""raco setup in raco-lsp's isolated package scope: parsing, fixes, real runs."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from racket_install import installation_dirs, pkg_show, snapshot
from raco_lsp.info.findings import Finding, apply_edits
from raco_lsp.info.setup_findings import add_fix, findings_of, move_fix, remove_fix
from raco_lsp.info.validate import has_errors, validate_info
from raco_lsp.racket.locate import RacketInstall, locate_racket
from raco_lsp.racket.setup import (
    NewerVersion,
    NotInstalled,
    Scope,
    SetupOutput,
    SetupReport,
    SharedModule,
    Unused,
    WorkspacePackage,
    check_package,
    find_packages,
    package_of,
    parse_setup_output,
    setup_argv,
    source_of_compiled,
)
from setup_packages import MISSING_PKG, NEEDS_MISSING, TEST_ONLY, write_package

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
    found = parse_setup_output(
        "", DEPS_ERR, package="mypkg", cwd=root, pkgs={"mypkg": root / "pkgs/mypkg"}
    )
    assert [(u.mode, u.package, u.module, u.source) for u in found.undeclared] == [
        ("run", "math-lib", '(lib "math/base.rkt")', root / "pkgs/mypkg/main.rkt"),
        ("build", "rackunit-lib", '(lib "rackunit/main.rkt")', root / "pkgs/mypkg/main.rkt"),
    ]
    assert found.unused == [Unused("db-lib")]  # math-lib's own unused deps are not ours
    assert found.errors == []


def test_parse_errors_resolves_paths_against_cwd_and_pkgs() -> None:
    root = Path("/home/dev/demo")
    found = parse_setup_output(
        "", COMPILE_ERR, package="mypkg", cwd=root, pkgs={"mypkg": root / "pkgs/mypkg"}
    )
    compile_err, doc_err = found.errors  # the second report of bad.rkt is the same error
    assert compile_err.kind == "compile" and compile_err.path == root / "pkgs/mypkg/bad.rkt"
    assert (compile_err.line, compile_err.col) == (3, 13)
    assert compile_err.message.startswith("undefined-fn: unbound identifier")
    assert doc_err.kind == "doc" and doc_err.path is None
    assert doc_err.target == root / "pkgs/mypkg/scribblings/mypkg.scrbl"
    assert doc_err.message.startswith("car: contract violation")


# Captured from Racket 8.7 (raco setup --check-pkg-deps --unused-pkg-deps --pkgs P).
FOR_RUN_ERR = """\
raco setup: found undeclared dependency:
raco setup:   mode: build
raco setup:   for package: "forrun"
raco setup:   on package: "typed-racket-lib"
raco setup:   dependent source: /w/forrun/compiled/main_rkt.dep
raco setup:   used module: (lib "typed/racket/no-check.rkt")
raco setup: unused dependencies detected
  for package: "forrun"
  on packages:
   "typed-racket-compatibility"
   "rackunit-lib" for run
   "testing-util-lib" for run
raco setup: --- summary of package problems ---                    [2:41:51]
raco setup: undeclared dependency detected
raco setup:   for package: "forrun"
raco setup:   on package for build:
raco setup:    "typed-racket-lib"
"""

MISSING_ERR = """\
main.rkt:2:9: collection not found
  for module path: gregor
  collection: "gregor"
  compilation context...:
   /w/missing/main.rkt
raco setup: package not installed: "gregor-lib"
raco setup:   dependency of: missing
raco setup: package not installed: "other-lib"
raco setup:   dependency of: math-lib
raco setup: unused dependencies detected
  for package: "missing"
  on packages:
   "math-lib"
   "gregor-lib"
   "db-lib"
raco setup: --- summary of package problems ---                    [2:42:00]
raco setup: package not installed: gregor-lib
raco setup: package not installed: other-lib
raco setup: error: during making for <pkgs>/missing
raco setup:   main.rkt:2:9: collection not found
raco setup:     for module path: gregor
raco setup:     collection: "gregor"
raco setup:     in collection directories:
raco setup:      /usr/share/racket/collects/
raco setup:      ... [166 additional linked and package directories]
raco setup:     compiling: <pkgs>/missing/main.rkt
"""

VERSION_ERR = """\
raco setup: implied package is not declared as a dependency:
raco setup:  in package: "vers"
raco setup:  implied package: "db-lib"
raco setup: package depends on newer version:
raco setup:   package: "vers"
raco setup:   depends on package: "math-lib"
raco setup:   depends on version: "99.1"
raco setup:   current package version: "1.2"
raco setup: --- summary of package problems ---                    [2:45:23]
raco setup: package depends on newer version:
raco setup:   package: "vers"
raco setup:   needed package versions:
raco setup:    "math-lib" version "99.1"
"""

CORE_ERR = """\
raco setup: found undeclared dependency:
raco setup:   mode: run
raco setup:   for package: "nodeps"
raco setup:   on package: core
raco setup:   dependent source: /w/nodeps/compiled/main_rkt.zo
raco setup:   used module: (lib "racket/base.rkt")
"""

# Shapes printed by setup/private/pkg-deps.rkt that need documentation builds or
# an installation with a conflict: written from its format strings.
SOURCE_SHAPES_ERR = """\
raco setup: found undeclared dependency:
raco setup:   mode: build (of documentation)
raco setup:   for package: "docs"
raco setup:   on package: "math-doc"
raco setup:   from document: "docs"
raco setup:   to document: "math"
raco setup:   for tag: (mod-path "math/base")
raco setup: module provided by multiple packages:
raco setup:   module: (lib "docs/main.rkt")
raco setup:   providing package: "docs"
raco setup:   other providing package: "docs-old"
raco setup: --- summary of package problems ---                    [2:45:23]
raco setup: module provided by multiple packages:
raco setup:   module: (lib "docs/main.rkt")
raco setup:   providing packages:
raco setup:    "docs"
raco setup:    "docs-old"
"""


def _parse(err: str, package: str, out: str = "") -> SetupOutput:
    return parse_setup_output(out, err, package=package, cwd=Path("/w") / package, pkgs={})


def test_parse_unused_for_run() -> None:
    found = _parse(FOR_RUN_ERR, "forrun")
    assert found.unused == [
        Unused("typed-racket-compatibility"),
        Unused("rackunit-lib", for_run=True),
        Unused("testing-util-lib", for_run=True),
    ]
    (u,) = found.undeclared
    assert (u.mode, u.package, u.source) == (
        "build",
        "typed-racket-lib",
        Path("/w/forrun/main.rkt"),
    )


def test_parse_not_installed_and_compile_error() -> None:
    found = _parse(MISSING_ERR, "missing")
    assert found.not_installed == [
        NotInstalled("gregor-lib", "missing"),
        NotInstalled("other-lib", "math-lib"),
    ]
    assert [u.package for u in found.unused] == ["math-lib", "gregor-lib", "db-lib"]
    (err,) = found.errors
    assert err.path == Path("/w/missing/main.rkt") and (err.line, err.col) == (2, 9)


def test_parse_versions_implies_core_docs_shared_no_deps() -> None:
    found = _parse(VERSION_ERR, "vers")
    assert found.newer_versions == [NewerVersion("math-lib", "99.1", "1.2")]
    assert found.implied_undeclared == ["db-lib"]
    assert _parse(VERSION_ERR, "other").clean
    summary_only = VERSION_ERR[VERSION_ERR.index("raco setup: --- summary") :]
    assert _parse(summary_only, "vers").newer_versions == [NewerVersion("math-lib", "99.1", None)]
    (core,) = _parse(CORE_ERR, "nodeps").undeclared
    assert core.package == "base"
    found = _parse(SOURCE_SHAPES_ERR, "docs")
    (doc,) = found.undeclared
    assert (doc.mode, doc.package, doc.module, doc.source) == (
        "build",
        "math-doc",
        'document "math"',
        None,
    )
    assert found.shared_modules == [SharedModule('(lib "docs/main.rkt")', ("docs-old",))]
    no_deps = _parse("", "p", 'raco setup: package declares no dependencies: "p"\n')
    assert no_deps.no_deps and not no_deps.clean


def test_setup_paths_name_the_package_not_its_directory() -> None:
    # `<pkgs>/P/sub` is `sub` inside the package named P, wherever it is linked from.
    err = (
        "raco setup: error: during making for <pkgs>/my-pkg\n"
        "raco setup:   boom\n"
        "raco setup:     compiling: <pkgs>/my-pkg/sub/bad.rkt\n"
    )
    d = Path("/src/my.pkg")
    found = parse_setup_output("", err, package="my-pkg", cwd=d, pkgs={"my-pkg": d})
    assert found.errors[0].target == d / "sub/bad.rkt"


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


def _report(err: str, package: str) -> SetupReport:
    report = SetupReport(WorkspacePackage(package, Path("/w") / package, "string"), 1)
    report.found = _parse(err, package)
    return report


def _span_text(text: str, f: Finding) -> str:
    lines = text.splitlines()
    s, e = f.problem.span.start, f.problem.span.end
    assert s.line == e.line
    return lines[s.line][s.col : e.col]


def test_findings_unused_for_run_moves_to_build_deps() -> None:
    text = (
        '#lang info\n(define collection "forrun")\n'
        '(define deps \'("base" "rackunit-lib" "typed-racket-compatibility"))\n'
    )
    findings = [f for f in findings_of(_report(FOR_RUN_ERR, "forrun"), text)]
    by_code = {(f.problem.code, _span_text(text, f)): f for f in findings}
    move = by_code[("unused", '"rackunit-lib"')]
    assert "move it to build-deps" in move.problem.message
    assert [x.title for x in move.fixes] == ['Move "rackunit-lib" to build-deps']
    moved = apply_edits(text, move.fixes[0].edits)
    assert moved == text.replace(' "rackunit-lib"', "") + '(define build-deps \'("rackunit-lib"))\n'
    _valid(moved)
    drop = by_code[("unused", '"typed-racket-compatibility"')]
    assert [x.title for x in drop.fixes] == ["Remove unused dependency"]
    implied = by_code[("unused", "deps")]  # testing-util-lib comes from rackunit-lib's implies
    assert "testing-util-lib" in implied.problem.message and implied.fixes == ()
    assert implied.problem.severity.value == "info"
    assert len(findings) == 4  # and the undeclared build dependency


def test_findings_not_installed_suppress_unused() -> None:
    text = (
        '#lang info\n(define collection "missing")\n'
        '(define deps \'("base" "gregor-lib" "math-lib" "db-lib"))\n'
    )
    findings = findings_of(_report(MISSING_ERR, "missing"), text)
    assert [(f.problem.code, f.problem.severity.value) for f in findings] == [
        ("not-installed", "error"),
        ("not-installed", "error"),
        ("compile", "error"),
    ]
    gregor, other, _ = findings
    assert _span_text(text, gregor) == '"gregor-lib"'
    assert gregor.problem.message.startswith('dependency "gregor-lib" is not installed')
    assert _span_text(text, other) == '"math-lib"'  # other-lib comes through math-lib
    assert 'depends on "other-lib"' in other.problem.message
    assert not any(x.title == "Remove unused dependency" for f in findings for x in f.fixes)


def test_findings_version_implies_no_deps() -> None:
    text = (
        '#lang info\n(define collection "vers")\n'
        '(define deps \'("base" ("math-lib" #:version "99.1")))\n'
        '(define implies \'("db-lib"))\n'
    )
    version, implied = findings_of(_report(VERSION_ERR, "vers"), text)
    assert _span_text(text, version) == '("math-lib" #:version "99.1")'
    assert version.problem.message == 'vers needs version 99.1 of "math-lib", but 1.2 is installed'
    assert _span_text(text, implied) == '"db-lib"' and implied.problem.span.start.line == 3
    assert [x.title for x in implied.fixes] == ['Add "db-lib" to deps']


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


def _check(install: RacketInstall, pkg: WorkspacePackage, scope: Scope) -> SetupReport:
    return asyncio.run(check_package(install, pkg, scope, timeout=300))


def _hand_run(install: RacketInstall, pkg_dir: Path, scratch: Path) -> tuple[set[str], str]:
    """raco setup --check-pkg-deps by hand in a scratch scope: ('mode pkg' lines, stderr)."""
    env = {**os.environ, "PLTADDONDIR": str(scratch / "addon"), "PLTUSERHOME": str(scratch)}
    link = [str(install.raco), "pkg", "install", "--scope", "user", "--link", "--no-setup"]
    link += ["--deps", "force"]  # as check_package links: a missing dependency is setup's report
    subprocess.run([*link, str(pkg_dir)], env=env, check=True, capture_output=True)
    check = ["setup", "--no-docs", "--check-pkg-deps", "--unused-pkg-deps", "--pkgs", pkg_dir.name]
    r = subprocess.run(
        [str(install.raco), *check],
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
    before, shown = snapshot(dirs), pkg_show()
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
    assert {(u.mode, u.package) for u in report.found.undeclared} == {
        ("run", "math-lib"),
        ("build", "rackunit-lib"),
    }
    assert report.found.unused == [] and report.found.errors == [] and report.failures == []
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
    assert by_hand == {f"{u.mode} {u.package}" for u in report.found.undeclared}

    text = info.read_text()
    text = apply_edits(text, run_dep.fixes[0].edits)
    text = apply_edits(text, findings_of(report, text)[1].fixes[0].edits)
    _valid(text)
    info.write_text(text)
    clean = _check(racket, pkg, scope)  # the scope is reused
    assert clean.clean, (clean.stdout, clean.stderr)

    info.write_text(text.replace('"base"', '"base" "db-lib"'))
    unused = _check(racket, pkg, scope)
    assert unused.found.unused == [Unused("db-lib")] and unused.found.undeclared == []
    (warn,) = findings_of(unused)
    assert warn.problem.severity.value == "warning" and "db-lib" in warn.problem.message
    info.write_text(apply_edits(info.read_text(), warn.fixes[0].edits))
    assert info.read_text() == text

    assert pkg_show() == shown
    assert snapshot(dirs) == before


def _unused_by_hand(stderr: str, package: str) -> set[str]:
    """The entries of raco setup's unused-dependency report for ``package``, as printed."""
    lines = stderr.splitlines()
    out: set[str] = set()
    for i, line in enumerate(lines):
        if "unused dependenc" in line and lines[i + 1].strip() == f'for package: "{package}"':
            j = i + 3
            while j < len(lines) and lines[j].startswith("   "):
                out.add(lines[j].strip())
                j += 1
    return out


def test_unused_for_run_is_moved_to_build_deps(
    racket: RacketInstall, cache: Path, tmp_path: Path
) -> None:
    info = write_package(tmp_path, "forrun", ["base", "rackunit-lib"], {"main.rkt": TEST_ONLY})
    pkg_dir = info.parent
    pkg = WorkspacePackage("forrun", pkg_dir, "string")
    shutil.copytree(pkg_dir, tmp_path / "by-hand/forrun")  # nothing compiled yet
    _, stderr = _hand_run(racket, tmp_path / "by-hand/forrun", tmp_path / "scratch")
    report = _check(racket, pkg, Scope(cache / "forrun"))
    printed = _unused_by_hand(stderr, "forrun")
    assert '"rackunit-lib" for run' in printed  # Racket: used only at build time
    shown = {f'"{u.package}"' + (" for run" if u.for_run else "") for u in report.found.unused}
    assert shown == printed
    (move,) = [f for f in findings_of(report) if f.fixes]
    text = info.read_text()
    s, e = move.problem.span.start, move.problem.span.end
    assert text.splitlines()[s.line][s.col : e.col] == '"rackunit-lib"'
    assert [x.title for x in move.fixes] == ['Move "rackunit-lib" to build-deps']
    info.write_text(apply_edits(text, move.fixes[0].edits))
    assert _check(racket, pkg, Scope(cache / "forrun")).clean


def test_missing_dependency_is_the_problem_not_unused(
    racket: RacketInstall, cache: Path, tmp_path: Path
) -> None:
    files = {
        "main.rkt": NEEDS_MISSING,
        "other.rkt": "#lang racket/base\n(require db/base)\n(define c connection?)\n",
    }
    info = write_package(tmp_path, "needs", ["base", MISSING_PKG, "math-lib", "db-lib"], files)
    pkg_dir = info.parent
    pkg = WorkspacePackage("needs", pkg_dir, "string")
    shutil.copytree(pkg_dir, tmp_path / "by-hand/needs")  # nothing compiled yet
    _, stderr = _hand_run(racket, tmp_path / "by-hand/needs", tmp_path / "scratch")
    report = _check(racket, pkg, Scope(cache / "needs"))
    # What Racket prints: the missing package, and what main.rkt needs as unused, because
    # main.rkt did not compile (with -j 1, other.rkt is not compiled either: db-lib too).
    assert f'raco setup: package not installed: "{MISSING_PKG}"' in stderr
    assert {f'"{MISSING_PKG}"', '"math-lib"'} <= _unused_by_hand(stderr, "needs")
    findings = findings_of(report)
    assert [f.problem.code for f in findings] == ["not-installed", "compile"]
    missing, error = findings
    s, e = missing.problem.span.start, missing.problem.span.end
    assert info.read_text().splitlines()[s.line][s.col : e.col] == f'"{MISSING_PKG}"'
    assert missing.problem.severity.value == "error"
    assert error.problem.path == pkg_dir / "main.rkt"


def test_invalid_collection_never_sets_up_the_installation(
    racket: RacketInstall, cache: Path, tmp_path: Path
) -> None:
    """A `collection` raco pkg refuses leaves the package without a
    collection, and `raco setup --pkgs P` then set up the whole installation
    (as root: launchers, icons, compiled docs rewritten).  The check stops at
    the link and says why; raco setup never runs without --avoid-main."""
    dirs = installation_dirs()
    before = snapshot(dirs)
    info = write_package(tmp_path, "my.pkg", ["base"], {"x.rkt": "#lang racket/base\n1\n"})
    pkg_dir = info.parent
    pkg = package_of(pkg_dir / "x.rkt", [tmp_path])
    assert pkg is not None
    report = _check(racket, pkg, Scope(cache / "badcoll"))
    (why,) = report.failures
    assert "bad `collection` definition" in why
    assert report.returncode is None  # raco setup did not run
    assert snapshot(dirs) == before
    assert "--avoid-main" in setup_argv(Path("raco"), "p", docs=False)


def test_setup_paths_follow_the_package_name(
    racket: RacketInstall, cache: Path, tmp_path: Path
) -> None:
    # The directory is my.pkg, the package my-pkg: raco setup prints `<pkgs>/my-pkg`.
    bad = (
        '#lang racket/base\n(require (for-syntax racket/base))\n(begin-for-syntax (error "boom"))\n'
    )
    pkg_dir = write_package(tmp_path, "my.pkg", ["base"], {"bad.rkt": bad}, "mypkgx").parent
    pkg = package_of(pkg_dir / "bad.rkt", [tmp_path])
    assert pkg is not None and pkg.name == "my-pkg"
    report = _check(racket, pkg, Scope(cache / "mypkg"))
    assert "raco setup: error: during making for <pkgs>/my-pkg" in report.stderr
    (err,) = findings_of(report)
    assert err.problem.message.startswith("boom")
    (rel,) = err.problem.related
    assert rel.path == pkg_dir


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
