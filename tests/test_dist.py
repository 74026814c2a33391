"""raco exe / distribute / bundle / smoke run against real Racket.

The pipeline is slow (raco distribute copies the 42 MB racket binary;
bundling takes ~10 s), so each program is built once per module.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from raco_lsp.racket.locate import RacketInstall, locate_racket
from raco_lsp.racket.packaging.common import common_errors
from raco_lsp.racket.packaging.distribute import bundle, missing_modules
from raco_lsp.racket.packaging.exe import ExeOptions, create_executable, create_launchers
from raco_lsp.racket.packaging.pack import create_package_archive, pack_collection
from raco_lsp.racket.packaging.pipeline import Entry, build_distribution
from raco_lsp.racket.plt import listing_lines, read_plt
from raco_lsp.racket.process import ProcessResult

DYN = """#lang racket/base
(module+ main
  (define string-join (dynamic-require 'racket/string 'string-join))
  (displayln (string-join (list "joined" "at" "run" "time") "-")))
"""
# Spaces and quotes in directory, module and output names.
ODD_DIR = 'it\'s a "quoted" dir'
ODD_MODULE = "dyn prog's.rkt"


def _install() -> RacketInstall:
    install, problems = locate_racket()
    assert install is not None, problems
    return install


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "raco_lsp", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


@pytest.fixture(scope="module")
def dyn_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("dyn") / ODD_DIR
    d.mkdir()
    (d / ODD_MODULE).write_text(DYN)
    return d / ODD_MODULE


@pytest.fixture(scope="module")
def dyn_without_lib(dyn_program: Path) -> subprocess.CompletedProcess[str]:
    return _cli(["dist", dyn_program.name, "--output", "out 1"], dyn_program.parent)


def test_dist_cli_fails_the_smoke_run_and_suggests_lib(
    dyn_without_lib: subprocess.CompletedProcess[str], dyn_program: Path
) -> None:
    r = dyn_without_lib
    assert r.returncode == 1, r.stdout + r.stderr
    archive = Path(r.stdout.strip())
    assert archive == dyn_program.parent / "out 1" / "dyn prog's.tgz"
    assert archive.is_file()  # the steps before the smoke run worked
    assert "collection not found" in r.stderr
    assert "rebuild with ++lib racket/string" in r.stderr
    assert "smoke run dyn prog's/bin/dyn prog's: FAILED (exit 1)" in r.stderr


def test_dist_cli_passes_with_the_suggested_lib(
    dyn_without_lib: subprocess.CompletedProcess[str], dyn_program: Path, tmp_path: Path
) -> None:
    r = _cli(
        ["dist", dyn_program.name, "--output", "out 1", "++lib", "racket/string"],
        dyn_program.parent,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    archive = Path(r.stdout.strip())
    assert "smoke run dyn prog's/bin/dyn prog's: ok (exit 0)" in r.stderr
    # A moved copy of the archive runs, outside the workspace, without PLT* variables.
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(archive, moved / archive.name)
    with tarfile.open(moved / archive.name) as t:
        t.extractall(moved, filter="data")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(moved)}
    run = subprocess.run(
        [str(moved / "dyn prog's" / "bin" / "dyn prog's")],
        cwd=moved,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "joined-at-run-time\n"


def test_missing_module_is_reported_before_running(tmp_path: Path) -> None:
    step = asyncio.run(create_executable(_install(), tmp_path / "nope.rkt"))
    assert not step.ok and step.errors == [f"module not found: {tmp_path / 'nope.rkt'}"]
    (tmp_path / "a.rkt").write_text("#lang racket/base\n(provide f)\n(define (f) 1)\n")
    (tmp_path / "out").mkdir()
    step = asyncio.run(
        create_executable(_install(), tmp_path / "a.rkt", ExeOptions(output=tmp_path / "out"))
    )
    assert not step.ok and "is a directory" in step.errors[0]
    result = asyncio.run(
        build_distribution(_install(), [Entry(tmp_path / "nope.rkt")], tmp_path / "d")
    )
    assert not result.ok and result.errors == [f"module not found: {tmp_path / 'nope.rkt'}"]


def test_exe_warns_about_a_module_that_does_nothing(tmp_path: Path) -> None:
    (tmp_path / "lib.rkt").write_text("#lang racket/base\n(provide f)\n(define (f) 1)\n")
    step = asyncio.run(create_executable(_install(), tmp_path / "lib.rkt"))
    assert step.ok, step.errors
    assert step.outputs == [tmp_path / "lib"]
    assert "no `main` submodule and no top-level effects" in step.warnings[0]


def test_shared_collects_falls_back_when_main_submodules(tmp_path: Path) -> None:
    """docs/racket-facts.md §12: --collects-dest skips `main` submodules in 8.7."""
    a = tmp_path / "a.rkt"
    b = tmp_path / "b.rkt"
    a.write_text("#lang racket/base\n(module+ main (displayln 'a))\n")
    b.write_text("#lang racket/base\n(displayln 'b)\n")
    result = asyncio.run(
        build_distribution(
            _install(), [Entry(a), Entry(b)], tmp_path / "out", shared_collects=True, archive=False
        )
    )
    assert result.ok, result.errors
    assert "does not run the `main` submodule" in result.steps[0].warnings[0]
    assert "--collects-dest" not in result.steps[0].argv
    run = subprocess.run(
        [str(tmp_path / "out" / "a" / "bin" / "a")], capture_output=True, text=True
    )
    assert run.stdout == "a\n"


def test_shared_collects_for_programs_without_main(tmp_path: Path) -> None:
    progs = []
    for name, lib, expr in (
        ("a", "racket/list", "(first '(a))"),
        ("b", "racket/string", '(string-join (list "b"))'),
    ):
        p = tmp_path / f"{name}.rkt"
        p.write_text(f"#lang racket/base\n(require {lib})\n(displayln {expr})\n")
        progs.append(Entry(p))
    result = asyncio.run(
        build_distribution(_install(), progs, tmp_path / "out", shared_collects=True, archive=False)
    )
    assert result.ok, result.errors
    assert "--collects-dest" in result.steps[0].argv
    for name in ("a", "b"):
        exe = tmp_path / "out" / "a" / "bin" / name
        assert exe.stat().st_size < 500_000  # the library code is in the shared collects
        run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
        assert run.stdout == f"{name}\n", run.stderr


def test_tar_and_bundle_dist_make_the_same_archive(tmp_path: Path) -> None:
    dist = tmp_path / "my dist"
    (dist / "bin").mkdir(parents=True)
    (dist / "bin" / "prog").write_text("#!/bin/sh\n")
    (dist / "bin" / "prog").chmod(0o755)
    members = {}
    for method in ("tar", "racket"):
        step = asyncio.run(bundle(_install(), dist, tmp_path / method / "my dist", method=method))
        assert step.ok, step.errors
        assert step.outputs == [tmp_path / method / "my dist.tgz"]
        with tarfile.open(step.outputs[0]) as t:
            members[method] = {
                (m.name.rstrip("/"), m.isdir(), m.mode & 0o111 != 0) for m in t.getmembers()
            }
        again = asyncio.run(bundle(_install(), dist, tmp_path / method / "my dist", method=method))
        assert not again.ok and "exists" in again.errors[0]
    assert members["tar"] == members["racket"]
    assert ("my dist/bin/prog", False, True) in members["tar"]


def test_outputs_are_not_overwritten_unless_asked(tmp_path: Path) -> None:
    prog = tmp_path / "prog.rkt"
    prog.write_text("#lang racket/base\n(displayln 1)\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "prog.tgz").write_text("old")
    result = asyncio.run(build_distribution(_install(), [Entry(prog)], out, overwrite=False))
    assert not result.ok and result.errors == [f"output exists: {out / 'prog.tgz'}"]
    assert (out / "prog.tgz").read_text() == "old"
    # A folder named like the distribution that holds other things is never removed.
    (out / "prog").mkdir()
    (out / "prog" / "notes.txt").write_text("mine")
    result = asyncio.run(build_distribution(_install(), [Entry(prog)], out))
    assert not result.ok and "is not a distribution" in result.errors[0]
    assert (out / "prog" / "notes.txt").exists()


def test_disk_full_is_named() -> None:
    err = "write: error writing\n  system error: No space left on device"
    res = ProcessResult(1, "", err, False)
    assert common_errors(res, "raco exe", 10) == [
        "raco exe: the disk is full (No space left on device); free some space"
    ]


def test_missing_modules_parser() -> None:
    err = (
        "standard-module-name-resolver: collection not found\n"
        "  for module path: racket/string\n"
        '  collection: "racket"\n'
    )
    assert missing_modules(err) == ["racket/string"]
    assert missing_modules("all fine") == []
    err = (
        "default-load-handler: cannot open module file\n"
        "  module path: #<path:/w s/plugin.rkt>\n"
        "  path: /w s/plugin.rkt\n"
    )
    assert missing_modules(err) == ["/w s/plugin.rkt"]


def test_launchers_pack_and_package_archive(example: Path, tmp_path: Path) -> None:
    install = _install()
    step = asyncio.run(create_launchers(install, example, tmp_path / "bin dir"))
    assert step.ok, step.errors
    (launcher,) = step.outputs
    assert launcher == tmp_path / "bin dir" / "hello"
    run = subprocess.run([str(launcher), "Ann"], capture_output=True, text=True, timeout=60)
    assert run.stdout == "Hello, Ann.\n", run.stderr

    plt = tmp_path / "out" / "hello.plt"
    step = asyncio.run(
        pack_collection(install, example, plt, collection="hello", at_plt=True, replace=True)
    )
    assert step.ok, step.errors
    archive, problems = read_plt(plt)
    assert problems == []
    assert "collects/hello/main.rkt [replace]" in listing_lines(archive)
    assert archive.unpack_target == "user add-ons"

    step = asyncio.run(create_package_archive(install, example, tmp_path / "pkgs"))
    assert step.ok, step.errors
    assert [p.name for p in step.outputs] == ["hello-pkg.zip", "hello-pkg.zip.CHECKSUM"]


def test_exe_and_pack_cli_with_odd_names(dyn_program: Path, tmp_path: Path) -> None:
    out = tmp_path / "out dir" / 'my "exe"'
    r = _cli(["exe", str(dyn_program), "-o", str(out), "++lib", "racket/string"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    run = subprocess.run([str(out)], capture_output=True, text=True, timeout=60)
    assert run.stdout == "joined-at-run-time\n", run.stderr

    # A directory of its own: the fixture's folder also holds the dist tests' outputs.
    src = tmp_path / "src"
    (src / ODD_DIR).mkdir(parents=True)
    shutil.copy(dyn_program, src / ODD_DIR / ODD_MODULE)
    plt = tmp_path / 'it\'s "packed".plt'
    r = _cli(["pack", "--paths", str(plt), str(src), ODD_DIR], tmp_path)
    assert r.returncode == 0, r.stderr
    listing = _cli(["inspect-plt", str(plt)], tmp_path)
    unpack = subprocess.run(
        ["raco", "unpack", "-l", str(plt)], capture_output=True, text=True, timeout=60
    )
    assert listing.stdout == unpack.stdout
    assert f"{ODD_DIR}/{ODD_MODULE}" in listing.stdout.splitlines()


NEEDS_ARGS = """#lang racket/base
(module+ main
  (define args (current-command-line-arguments))
  (unless (and (= (vector-length args) 2) (equal? (vector-ref args 0) "--name"))
    (eprintf "usage: greet --name NAME\\n")
    (exit 1))
  (printf "hello ~a ~s\\n" (vector-ref args 1) (read-line)))
"""


def test_dist_smoke_run_warns_on_a_nonzero_exit_and_passes_arguments(tmp_path: Path) -> None:
    (tmp_path / "greet.rkt").write_text(NEEDS_ARGS)
    r = _cli(["dist", "greet.rkt", "--output", "out"], tmp_path)
    # Exit 1 without arguments: a warning with the output, not a failed build.
    assert r.returncode == 0, r.stdout + r.stderr
    assert "smoke run greet/bin/greet: warning (exit 1)" in r.stderr
    assert "usage: greet --name NAME" in r.stderr
    assert "exited with 1" in r.stderr
    r = _cli(["dist", "greet.rkt", "--output", "out", "--smoke-args=--name world"], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "smoke run greet/bin/greet: ok (exit 0)" in r.stderr
    result = asyncio.run(
        build_distribution(
            _install(),
            [Entry(tmp_path / "greet.rkt")],
            tmp_path / "o2",
            smoke_args=["--name", "x y"],
        )
    )
    assert result.ok and result.smoke[0].ok, result.errors
    # An empty stdin: read-line sees end of file.
    assert result.smoke[0].output == "hello x y #<eof>"


# A command server loaded on demand: main.rkt gives a define-runtime-path to
# dynamic-require when run with --serve.  raco distribute copies server.rkt,
# which the executable then compiles from source: its #lang reader, language
# and requires must be embedded.
ON_DEMAND = """#lang racket/base
(require racket/runtime-path (for-syntax racket/base))
(define-runtime-path server-path (build-path "cmd" "server.rkt"))
(module+ main
  (define args (current-command-line-arguments))
  (if (equal? args (vector "--serve"))
      ((dynamic-require server-path 'serve))
      (displayln "client")))
"""
SERVER = """#lang racket/base
(require racket/string)
(provide serve)
(define (serve) (displayln (string-join (list "server" "up"))))
"""


def test_runtime_path_module_gets_lib_suggestions(tmp_path: Path) -> None:
    (tmp_path / "main.rkt").write_text(ON_DEMAND)
    (tmp_path / "cmd").mkdir()
    (tmp_path / "cmd" / "server.rkt").write_text(SERVER)
    install, entries = _install(), [Entry(tmp_path / "main.rkt")]
    # The smoke run (no arguments) never loads the server: only the sources tell.
    result = asyncio.run(build_distribution(install, entries, tmp_path / "out"))
    assert result.ok and result.smoke[0].output == "client", result.errors
    libs = ["racket/base/lang/reader", "racket/base", "racket/string"]
    assert result.suggestions == libs
    (warning,) = result.steps[0].warnings
    assert "(server.rkt: compiled from its source at run time, through define-runtime-path" in (
        warning
    )
    assert warning.endswith(
        "rebuild with ++lib racket/base/lang/reader ++lib racket/base ++lib racket/string"
    )
    # What Racket says where the server is loaded: the reader is not embedded.
    serve = asyncio.run(
        build_distribution(install, entries, tmp_path / "o2", smoke_args=["--serve"])
    )
    assert not serve.ok and serve.smoke[0].missing_modules == ["racket/base/lang/reader"]
    # With the suggested ++lib flags it runs.
    fixed = asyncio.run(
        build_distribution(install, entries, tmp_path / "o3", libs=libs, smoke_args=["--serve"])
    )
    assert fixed.ok, fixed.errors
    assert fixed.smoke[0].output == "server up"
    assert fixed.suggestions == [] and fixed.steps[0].warnings == []


def test_runtime_path_module_with_relative_requires(tmp_path: Path) -> None:
    """raco distribute copies only the file a define-runtime-path names: what
    it requires by relative path is missing where it runs, whatever ++lib."""
    (tmp_path / "main.rkt").write_text(ON_DEMAND)
    (tmp_path / "cmd").mkdir()
    (tmp_path / "cmd" / "server.rkt").write_text(
        '#lang racket/base\n(require "util.rkt")\n(provide serve)\n(define (serve) (say))\n'
    )
    (tmp_path / "cmd" / "util.rkt").write_text(
        '#lang racket/base\n(provide say)\n(define (say) (displayln "server up"))\n'
    )
    install, entries = _install(), [Entry(tmp_path / "main.rkt")]
    libs = ["racket/base/lang/reader", "racket/base"]
    result = asyncio.run(
        build_distribution(install, entries, tmp_path / "out", libs=libs, smoke_args=["--serve"])
    )
    assert result.steps[0].warnings == [
        "server.rkt, loaded from its source at run time through define-runtime-path, "
        "requires util.rkt, which raco distribute does not copy: load it with "
        "define-runtime-module-path-index instead, which embeds it and what it requires, "
        "compiled"
    ]
    assert not result.ok and result.smoke[0].missing_modules[0].endswith("/util.rkt")
    # As the warning says: define-runtime-module-path-index.
    (tmp_path / "main.rkt").write_text(
        ON_DEMAND.replace(
            '(define-runtime-path server-path (build-path "cmd" "server.rkt"))',
            '(define-runtime-module-path-index server-path "cmd/server.rkt")',
        )
    )
    fixed = asyncio.run(
        build_distribution(install, entries, tmp_path / "o2", smoke_args=["--serve"])
    )
    assert fixed.ok and fixed.smoke[0].output == "server up", fixed.errors
    assert fixed.steps[0].warnings == [] and fixed.suggestions == []
