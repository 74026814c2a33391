"""``raco-lsp pkg-build``: the package-build service's steps with real Racket and
real raco pkg, each in a fresh isolated scope; the user's packages and the
installation are the same afterwards."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from raco_lsp.cli.main import main
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.pkg_build import _missing, pkg_build
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


def test_clean_package_succeeds_with_the_json_schema(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    untouched: None,
) -> None:
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
        "(module+ test\n  (require rackunit racket/tcp)\n  (check-equal? x 1)\n"
        '  (check-false (getenv "DISPLAY"))\n'
        '  (check-equal? (getenv "PLT_PKG_BUILD_SERVICE") "1")\n'
        f"  {network})\n"
    )
    pkg = _package(tmp_path, "cleanpkg", '\'("base")', {"main.rkt": main_rkt})
    (pkg / "info.rkt").write_text(
        (pkg / "info.rkt").read_text() + '(define build-deps \'("rackunit-lib"))\n'
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
    assert report["notYetChecked"] == ["built form", "documentation", "conflicts"]
    assert [s["name"] for s in report["steps"]] == ["archive", "install", "dependencies", "tests"]
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
    # raco test --drdr runs info.rkt too (as a module without tests).
    tests = _step(report, "tests")["tests"]
    assert tests == {"failed": 0, "total": 4 if isolated else 3, "files": 2}

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
    for name in ("dependencies", "tests"):
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
