"""``raco-lsp pkg-build``: the package-build service's steps with real Racket and
real raco pkg, each in a fresh isolated scope; the user's packages and the
installation are the same afterwards."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast

import pytest

from raco_lsp.cli.main import main
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.pkg_build import _missing, pkg_build, section_seconds
from raco_lsp.racket.setup import WorkspacePackage
from setup_packages import MISSING_PKG

MISSING_OUTPUT = """\
raco pkg install: missing dependencies;
 specify `--deps search-auto' to install them, or
 specify `--deps search-ask' to be asked about installing them
  for package: /tmp/x/archive/mine.zip
  missing packages:
   raco-lsp-no-such-pkg
   other-pkg
"""


def test_missing_packages_are_read_from_raco_pkg_install() -> None:
    assert _missing(MISSING_OUTPUT) == ["raco-lsp-no-such-pkg", "other-pkg"]
    assert _missing("raco pkg install: something else\n") == []


def test_the_last_setup_section_ends_when_the_run_ended() -> None:
    stdout = (
        "raco setup: --- building documentation ---                         [9:59:57]\n"
        "raco setup: --- checking package dependencies ---                  [9:59:59]\n"
    )
    assert section_seconds(stdout, "building documentation") == 2.0
    assert section_seconds(stdout, "checking package dependencies") == 0.0  # no end known
    ended = time.strptime("10:00:02", "%H:%M:%S")
    assert section_seconds(stdout, "checking package dependencies", ended) == 3.0


def _package(root: Path, name: str, deps: str, files: dict[str, str]) -> Path:
    d = root / name
    d.mkdir()
    (d / "info.rkt").write_text(f'#lang info\n(define collection "{name}")\n(define deps {deps})\n')
    for rel, text in files.items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(text)
    return d


def _run(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, Any]:
    code = main(["pkg-build", str(path), *extra])
    out = capsys.readouterr().out
    return code, (json.loads(out) if "--json" in extra else out)


def _step(report: dict[str, Any], name: str) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in report["steps"] if s["name"] == name)
    return step


def _netns_allowed() -> bool:
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


def _runs(caplog: pytest.LogCaptureFixture) -> list[tuple[list[str], Path]]:
    """The argv and cwd of every process started meanwhile (``process.run_process``'s log)."""
    return [
        (list(cast(list[str], r.args[0])), Path(str(r.args[1])))
        for r in caplog.records
        if r.name == "raco_lsp.racket.process" and isinstance(r.args, tuple) and len(r.args) == 2
    ]


def test_clean_package_succeeds_with_the_json_schema(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    untouched: None,
) -> None:
    caplog.set_level(logging.DEBUG, logger="raco_lsp.racket.process")
    monkeypatch.setenv("DISPLAY", ":99")
    isolated = _netns_allowed()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    network = (
        f'(check-exn exn:fail:network? (lambda () (tcp-connect "127.0.0.1" {port})))\n'
        if isolated
        else ""
    )
    main_rkt = (
        "#lang racket/base\n(provide x)\n(define x 1)\n"
        "(module+ test\n  (require rackunit racket/tcp setup/getinfo)\n  (check-equal? x 1)\n"
        '  (check-false (getenv "DISPLAY"))\n'
        # The tests run in a fresh install of the built form (raco pkg create --built
        # marks its info.rkt), as the service tests the built package.
        '  (define info (get-info/full (collection-path "cleanpkg")))\n'
        "  (check-equal? (cond [(info 'package-content-state (lambda () #f)) => car]"
        " [else 'source]) 'built)\n"
        '  (check-equal? (getenv "PLT_PKG_BUILD_SERVICE") "1")\n'
        f"  {network})\n"
    )
    doc = "#lang scribble/manual\n@title{Clean}\nNothing to see.\n"
    files = {"main.rkt": main_rkt, "scribblings/cleanpkg.scrbl": doc}
    pkg = _package(tmp_path, "cleanpkg", '\'("base")', files)
    (pkg / "info.rkt").write_text(
        (pkg / "info.rkt").read_text()
        + '(define build-deps \'("rackunit-lib" "scribble-lib"))\n'
        + '(define scribblings \'(("scribblings/cleanpkg.scrbl" ())))\n'
    )
    (pkg / "notes.txt~").write_text("an editor backup\n")
    try:
        code, report = _run(pkg / "main.rkt", capsys, "--json")
    finally:
        listener.close()
    assert code == 0, report
    assert report["package"] == "cleanpkg" and report["directory"] == str(pkg)
    assert report["verdict"] == "success" and report["categories"] == ["success"]
    assert report["networkIsolated"] is isolated
    assert "notYetChecked" not in report
    steps = ["archive", "conflicts", "install", "docs", "dependencies", "built", "tests"]
    assert [s["name"] for s in report["steps"]] == steps
    for s in report["steps"]:
        assert set(s) == {
            "name",
            "status",
            "why",
            "seconds",
            "log",
            "leftOut",
            "problems",
            "tests",
        }
        assert s["status"] == "success" and s["problems"] == []
        assert isinstance(s["seconds"], float) and isinstance(s["log"], str)
    assert _step(report, "archive")["leftOut"] == ["notes.txt~"]
    # The package is compiled and documented once: its dependencies are
    # checked by the install step's raco setup, after the compiling and the
    # docs (as the service checks right after its install, on the same VM),
    # not in another scope that compiles it again; what the document uses
    # counts (scribble-lib is not reported unused: no problems above).
    runs = _runs(caplog)
    setups = [(argv, cwd) for argv, cwd in runs if argv[1] == "setup"]
    ((check, _),) = [(argv, cwd) for argv, cwd in setups if "--check-pkg-deps" in argv]
    assert "--no-docs" not in check
    # The other sets up the built form with its docs (compiled already), in its
    # own scope; --binary-lib drops the docs: raco pkg install sets it up.
    assert sorted(cwd.parents[3].name for _, cwd in setups) == ["built", "install"]
    assert not [argv for argv, _ in runs if "--link" in argv]
    assert _step(report, "docs")["why"] == "built"
    # raco test --drdr runs info.rkt and the .scrbl too (as modules without tests).
    tests = _step(report, "tests")["tests"]
    assert tests == {
        "failed": 0,
        "total": 5 if isolated else 4,
        "files": 3,  # info.rkt and the document too
        "extraSystemDependencies": [],
    }

    code, text = _run(pkg, capsys)
    assert code == 0
    assert text.splitlines()[-1] == "cleanpkg: success"
    assert ("network isolated" if isolated else "network not isolated") in text


def test_undeclared_dependency_is_a_dependency_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    main_rkt = "#lang racket/base\n(require math/base)\n(provide y)\n(define y pi)\n"
    pkg = _package(tmp_path, "undeclpkg", '\'("base")', {"main.rkt": main_rkt})
    code, report = _run(pkg, capsys, "--json")
    assert code == 1
    assert report["verdict"] == "dependency problems"
    assert report["categories"] == ["dependency problems"]
    assert _step(report, "install")["status"] == "success"
    deps = _step(report, "dependencies")
    assert deps["status"] == "failure"
    (problem,) = deps["problems"]
    assert problem["path"] == str(pkg / "info.rkt") and problem["code"] == "undeclared"
    assert '"math-lib"' in problem["message"] and problem["line"] == 3
    assert _step(report, "tests")["status"] == "success"


def test_deps_entry_naming_no_package_is_a_problem_on_that_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    deps = f'\'("base"\n  "{MISSING_PKG}")'
    pkg = _package(tmp_path, "missingpkg", deps, {"main.rkt": "#lang racket/base\n"})
    code, report = _run(pkg, capsys, "--json")
    assert code == 1 and report["verdict"] == "failure"
    install = _step(report, "install")
    assert install["status"] == "failure" and MISSING_PKG in install["why"]
    (problem,) = install["problems"]
    assert problem["path"] == str(pkg / "info.rkt")
    assert (problem["line"], problem["column"]) == (4, 3)  # the entry itself
    assert MISSING_PKG in problem["message"]
    for name in ("dependencies", "built", "tests"):
        assert _step(report, name)["status"] == "skipped" and _step(report, name)["why"]


def test_compile_error_fails_at_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    files = {
        "bad.rkt": "#lang racket/base\n\n(define (g) (undefined-fn 1))\n",
        "uses-bad.rkt": '#lang racket/base\n(require "bad.rkt")\n',
    }
    pkg = _package(tmp_path, "badpkg", '\'("base")', files)
    code, text = _run(pkg / "bad.rkt", capsys)
    assert code == 1
    assert f"{pkg / 'bad.rkt'}:3:14: error: undefined-fn: unbound identifier" in text
    assert text.splitlines()[-1] == "badpkg: failure"
    code, report = _run(pkg, capsys, "--json")
    install = _step(report, "install")
    assert install["status"] == "failure"
    (problem,) = install["problems"]
    assert (problem["path"], problem["line"], problem["column"]) == (str(pkg / "bad.rkt"), 3, 14)


def test_documentation_errors_fail_the_install_at_their_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    head = "#lang scribble/manual\n@title{Broken}\n\n"
    files = {
        "main.rkt": "#lang racket/base\n",
        # A syntax error in a scribble expression: line 5.
        "syntax.scrbl": head + "Some text.\n@(let ([x]) x)\n",
        # An error while the document is built (no line: at the document).
        "run.scrbl": head + '@(+ 1 "a")\n',
    }
    pkg = _package(tmp_path, "docerrpkg", '\'("base")', files)
    (pkg / "info.rkt").write_text(
        (pkg / "info.rkt").read_text()
        + '(define build-deps \'("scribble-lib"))\n'
        + '(define scribblings \'(("syntax.scrbl" ()) ("run.scrbl" ())))\n'
    )
    page = tmp_path / "report.html"
    code, report = _run(pkg, capsys, "--json", "--html", str(page))
    assert code == 1
    assert report["verdict"] == "failure" and report["categories"] == ["failure", "documentation"]
    assert _step(report, "install")["status"] == "success"
    docs = _step(report, "docs")
    assert docs["status"] == "failure"
    found = {(p["path"], p["line"]) for p in docs["problems"]}
    assert found == {(str(pkg / "syntax.scrbl"), 5), (str(pkg / "run.scrbl"), 1)}
    messages = " ".join(p["message"] for p in docs["problems"])
    assert "let: bad syntax" in messages and "+: contract violation" in messages
    parsed = _parse_html(page.read_text(encoding="utf-8"))
    assert parsed.cells["docs"] == "Docs: build errors"
    assert parsed.cells["status"] == "install fails" and parsed.classes["status"] == "stop"
    assert parsed.links[:2] == ["#log-docs", "#log-docs"]


def test_a_test_writing_to_stderr_fails_under_drdr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    main_rkt = (
        "#lang racket/base\n(provide z)\n(define z 1)\n"
        '(module+ test\n  (eprintf "something went wrong\\n"))\n'
    )
    pkg = _package(tmp_path, "noisypkg", '\'("base")', {"main.rkt": main_rkt})
    code, report = _run(pkg, capsys, "--json")
    assert code == 1
    assert report["verdict"] == "test failures" and report["categories"] == ["test failures"]
    tests = _step(report, "tests")
    assert tests["status"] == "failure" and tests["tests"]["failed"] == 1
    (problem,) = tests["problems"]
    assert problem["path"] == str(pkg / "main.rkt") and problem["code"] == "test"
    assert "non-empty stderr" in problem["message"]


def test_tests_failing_only_without_network_or_display_are_extra_system_dependencies(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    untouched: None,
) -> None:
    monkeypatch.setenv("DISPLAY", ":99")  # the user's display: the retry keeps it
    isolated = _netns_allowed()
    head = "#lang racket/base\n(module+ test\n  (require rackunit racket/tcp)\n"
    files = {
        "display.rkt": head + '  (check-true (string? (getenv "DISPLAY"))))\n',
        # Loopback only: deterministic offline, yet down in a new network namespace.
        "net.rkt": head
        + "  (check-not-exn\n"
        + "    (lambda ()\n"
        + '      (define l (tcp-listen 0 4 #t "127.0.0.1"))\n'
        + "      (define-values (a port b c) (tcp-addresses l #t))\n"
        + '      (tcp-connect "127.0.0.1" port))))\n',
        "broken.rkt": head + "  (check-equal? 1 2))\n",
    }
    pkg = _package(tmp_path, "extrapkg", '\'("base" "rackunit-lib")', files)
    page = tmp_path / "report.html"
    code, report = _run(pkg, capsys, "--json", "--html", str(page))
    assert code == 1
    assert report["categories"] == ["test failures", "extra system dependencies"]
    tests = _step(report, "tests")
    assert tests["status"] == "failure"
    extra = [str(pkg / "display.rkt")] + ([str(pkg / "net.rkt")] if isolated else [])
    assert sorted(tests["tests"]["extraSystemDependencies"]) == sorted(extra)
    assert tests["tests"]["failed"] == 1 and tests["tests"]["files"] == 4  # with info.rkt
    assert "extra system dependencies" in tests["why"]
    found = {(p["path"], p["line"], p["code"], p["severity"]) for p in tests["problems"]}
    # The failing check (line 4), and its printout on stderr at the test submodule (line 2).
    expected = {(str(pkg / "broken.rkt"), line, "test", "error") for line in (2, 4)}
    expected |= {
        (path, line, "extra-system-dependencies", "warning") for path in extra for line in (2, 4)
    }
    assert found == expected
    parsed = _parse_html(page.read_text(encoding="utf-8"))
    assert parsed.classes["status"] == "yield"
    assert parsed.cells["status"] == (
        "install succeeds with test failures and with extra system dependencies"
    )


def test_sibling_packages_of_the_repository_are_offered_as_the_catalog_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    lib = _package(repo, "sib-lib", '\'("base")', {"util.rkt": UTIL})
    (lib / "info.rkt").write_text((lib / "info.rkt").read_text().replace('"sib-lib"', '"sib"'))
    more = "#lang racket/base\n(require sib/util)\n(provide more)\n(define (more) (+ 1 (one)))\n"
    _package(repo, "sib-more", '\'("base" "sib-lib")', {"main.rkt": more})
    _package(repo, "unrelated", '\'("base")', {"main.rkt": "#lang racket/base\n"})
    app = (
        "#lang racket/base\n(require sib-more sib/util)\n(provide two)\n(define two (more))\n"
        '(module+ test\n  (unless (= two (+ (one) 1)) (error "wrong")))\n'
    )
    (repo / "apps").mkdir()
    pkg = _package(repo / "apps", "sib-app", '\'("base" "sib-more" "sib-lib")', {"main.rkt": app})
    code, report = _run(pkg, capsys, "--json")
    assert code == 0, report
    assert report["verdict"] == "success"
    assert report["siblings"] == [
        {"name": "sib-lib", "directory": str(lib)},
        {"name": "sib-more", "directory": str(repo / "sib-more")},
    ]
    for s in report["steps"]:
        assert s["status"] in ("success", "skipped") and s["problems"] == [], s
    assert _step(report, "tests")["tests"]["failed"] == 0


UTIL = "#lang racket/base\n(provide one)\n(define (one) 1)\n"


def test_usage_errors_and_missing_racket_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "loose.rkt").write_text("#lang racket/base\n")
    assert main(["pkg-build", str(tmp_path / "loose.rkt")]) == 2  # no package holds it
    assert main(["pkg-build", str(tmp_path / "nowhere")]) == 2
    pkg = _package(tmp_path, "somepkg", '\'("base")', {})
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no racket anywhere
    assert main(["pkg-build", str(pkg), "--racket", str(tmp_path / "no-racket")]) == 2
    assert "racket" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["pkg-build"])
    assert e.value.code == 2
    capsys.readouterr()


def test_the_whole_package_test_limit_stops_the_tests(tmp_path: Path, untouched: None) -> None:
    install, _ = locate_racket()
    assert install is not None
    main_rkt = "#lang racket/base\n(module+ test\n  (sleep 120))\n"
    d = _package(tmp_path, "slowpkg", '\'("base")', {"main.rkt": main_rkt})
    pkg = WorkspacePackage("slowpkg", d, "string")
    # The service's limit is 10 minutes; here 3 s against a test that sleeps 2 minutes.
    report = asyncio.run(pkg_build(install, pkg, test_limit=3))
    tests = report.step("tests")
    assert tests.status == "failure" and "did not finish within the 3 s limit" in tests.why
    assert report.categories == ["test failures"]


def test_a_module_reading_its_own_source_breaks_in_binary_lib_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    main_rkt = (
        "#lang racket/base\n(require racket/runtime-path racket/file)\n(provide n)\n"
        '(define-runtime-path here "main.rkt")\n(define n (length (file->lines here)))\n'
    )
    other = "#lang racket/base\n(provide m)\n(define m 2)\n"
    pkg = _package(
        tmp_path, "selfreadpkg", '\'("base")', {"main.rkt": main_rkt, "other.rkt": other}
    )
    code, report = _run(pkg, capsys, "--json")
    assert code == 1
    assert report["verdict"] == "failure" and report["categories"] == ["failure"]
    for name in ("archive", "conflicts", "install", "dependencies", "tests"):
        assert _step(report, name)["status"] == "success", name
    built = _step(report, "built")
    assert built["status"] == "failure"
    # The built form keeps the sources; binary-lib strips them.
    assert "built: 2 modules load" in built["why"] and "binary-lib: 1 of 2" in built["why"]
    (problem,) = built["problems"]
    assert (problem["path"], problem["line"], problem["code"]) == (
        str(pkg / "main.rkt"),
        1,
        "built-form",
    )
    assert "binary-lib" in problem["message"] and "open-input-file" in problem["message"]
    assert str(pkg / "main.rkt") in problem["message"]  # not the temporary install's path


def test_every_conflict_at_once_with_documents_and_the_natipkg_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    # rackunit/text-ui belongs to the installation's rackunit-lib, rackunit/gui to
    # rackunit-gui (raco pkg install names only the first), the document "reference"
    # to racket-doc.
    empty = "#lang racket/base\n"
    doc = "#lang scribble/manual\n@title{Not the Reference}\n"
    files = {"text-ui.rkt": empty, "gui.rkt": empty, "extra.rkt": empty, "reference.scrbl": doc}
    natipkg = '("racket-x86_64-linux-natipkg-3" #:platform "x86_64-linux-natipkg")'
    pkg = _package(tmp_path, "conflpkg", f'\'("base"\n  {natipkg})', files)
    info = (pkg / "info.rkt").read_text().replace('"conflpkg"', '"rackunit"')
    info += '(define build-deps \'("scribble-lib"))\n'
    info += '(define scribblings \'(("reference.scrbl" ())))\n'
    (pkg / "info.rkt").write_text(info)
    code, report = _run(pkg, capsys, "--json")
    assert code == 1
    assert report["verdict"] == "conflicts" and report["categories"] == ["conflicts"]
    conflicts = _step(report, "conflicts")
    assert conflicts["status"] == "failure"
    found = {(p["path"], p["line"], p["column"], p["code"]) for p in conflicts["problems"]}
    assert found == {
        (str(pkg / "text-ui.rkt"), 1, 1, "conflict"),
        (str(pkg / "gui.rkt"), 1, 1, "conflict"),
        (str(pkg / "info.rkt"), 6, 24, "conflict"),  # at "reference.scrbl"
        (str(pkg / "info.rkt"), 4, 4, "natipkg"),  # at the entry's package name
    }
    messages = {p["code"] + ":" + p["message"] for p in conflicts["problems"]}
    assert "conflict:packages conflict: rackunit/text-ui (package rackunit-lib)" in messages
    assert "conflict:packages conflict: rackunit/gui (package rackunit-gui)" in messages
    assert any('document "reference"' in m and "racket-doc" in m for m in messages)
    (note,) = [p for p in conflicts["problems"] if p["code"] == "natipkg"]
    assert note["severity"] == "info"
    assert (
        "x86_64-linux-natipkg, where it is installed (here it is not installed)"
        in (note["message"])
    )
    # As the service does, the package is still built and tested.
    for name in ("install", "docs", "dependencies", "built", "tests"):
        assert _step(report, name)["status"] == "success", name


def test_the_html_report_is_laid_out_like_the_service_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], untouched: None
) -> None:
    main_rkt = "#lang racket/base\n(require math/base)\n(provide y)\n(define y pi)\n"
    pkg = _package(tmp_path, "htmlpkg", '\'("base")', {"main.rkt": main_rkt})
    page = tmp_path / "out" / "report.html"
    page.parent.mkdir()
    code, text = _run(pkg, capsys, "--html", str(page))
    assert code == 1 and text.splitlines()[-1] == "htmlpkg: dependency problems"
    parsed = _parse_html(page.read_text(encoding="utf-8"))
    assert parsed.title == "Package Build Results: htmlpkg"
    assert parsed.external == []  # self-contained: no scripts, styles or images to fetch
    cells = parsed.cells
    assert cells["package"].startswith("htmlpkg")
    assert cells["docs"].startswith("Docs:")
    assert parsed.classes["status"] == "brake"  # the service's colour for dependency problems
    assert cells["status"] == "install succeeds with dependency problems and with no test failures"
    assert cells["conflicts"] == "" and parsed.classes["conflicts"] == "neutral"
    assert parsed.links == ["#log-install", "#log-dependencies", "#log-tests"]
    steps = ["archive", "conflicts", "install", "docs", "dependencies", "built", "tests"]
    assert parsed.sections == [f"log-{s}" for s in steps]  # every link has its target
    (problem,) = parsed.problems
    assert problem.startswith(f"{pkg / 'info.rkt'}:3:") and '"math-lib"' in problem
    assert parsed.verdict == "htmlpkg: dependency problems"


class _Page(HTMLParser):
    """What the report page shows: summary cells by id, links, sections,
    problems, and anything it would fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.verdict = ""
        self.cells: dict[str, str] = {}
        self.classes: dict[str, str] = {}
        self.links: list[str] = []
        self.sections: list[str] = []
        self.problems: list[str] = []
        self.external: list[str] = []
        self._into: list[tuple[str, str]] = []  # (tag, where its text goes)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "link", "iframe") or "src" in a:
            self.external.append(tag)
        where = ""
        if tag == "title":
            where = "title"
        elif tag == "td" and a.get("id"):
            where = "cell:" + a["id"]
            self.cells[a["id"]] = ""
            self.classes[a["id"]] = a.get("class", "")
        elif tag == "p" and a.get("id") == "verdict":
            where = "verdict"
        elif tag == "li" and "problem" in a.get("class", ""):
            where = "problem"
            self.problems.append("")
        elif tag == "a" and self._into and self._into[-1][1].startswith("cell:"):
            self.links.append(a.get("href", ""))
        if tag == "section":
            self.sections.append(a.get("id", ""))
        inherited = self._into[-1][1] if self._into and not where else where
        self._into.append((tag, inherited))

    def handle_endtag(self, tag: str) -> None:
        while self._into:
            if self._into.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        where = self._into[-1][1] if self._into else ""
        if where == "title":
            self.title += data
        elif where == "verdict":
            self.verdict += data
        elif where.startswith("cell:"):
            self.cells[where[5:]] += data
        elif where == "problem":
            self.problems[-1] += data


def _parse_html(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page
