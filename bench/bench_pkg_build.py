"""``raco-lsp pkg-build`` against the same steps done by hand, in the same run.

Two packages: the example package (examples/hello-pkg) and a generated one
(bench/synth.py: 20 modules with rackunit test submodules, plus a one-page
document, so the docs' cost shows).  For each:

- preflight: ``pkg_build`` (every step in its own fresh scope), total and per step;
- by hand: the raco commands one would type, each scope fresh: ``raco pkg
  create --source``; ``raco pkg install`` of that archive (it runs raco setup,
  docs included); ``raco setup --check-pkg-deps`` there; ``raco pkg create
  --from-install --built``; ``raco pkg install`` of the built archive into
  another fresh scope; ``raco test --drdr --package`` there.

The preflight does more than the hand-made run (a conflicts step with its own
scope, the dependency check in a fresh scope, the binary-lib install, loading
every module, no network for the tests): the ratio is printed, not asserted.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.synth import make_workspace
from raco_lsp.racket.locate import RacketInstall, locate_racket
from raco_lsp.racket.pkg_build import pkg_build
from raco_lsp.racket.setup import WorkspacePackage

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hello-pkg"
DOC = "#lang scribble/manual\n@title{Bench}\nOne page.\n"


def _by_hand(install: RacketInstall, pkg: WorkspacePackage, work: Path) -> dict[str, float]:
    """The same steps with raco commands, each scope fresh; seconds per step."""
    assert install.raco is not None
    raco = str(install.raco)
    times: dict[str, float] = {}

    def scope_env(name: str) -> dict[str, str]:
        home = work / name
        (home / "addon").mkdir(parents=True)
        return {**os.environ, "PLTADDONDIR": str(home / "addon"), "PLTUSERHOME": str(home)}

    def run(step: str, argv: list[str], env: dict[str, str]) -> None:
        start = time.perf_counter()
        r = subprocess.run(argv, env=env, cwd=work, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            print(f"  (by hand, {step}: exit {r.returncode}: {r.stderr.strip()[-300:]})")
        times[step] = times.get(step, 0.0) + time.perf_counter() - start

    source, built = work / "source", work / "built"
    source.mkdir()
    built.mkdir()
    run(
        "archive",
        [raco, "pkg", "create", "--source", "--dest", str(source), str(pkg.directory)],
        dict(os.environ),
    )
    archive = str(source / f"{pkg.name}.zip")
    a = scope_env("a")
    install_argv = [raco, "pkg", "install", "--scope", "user", "--deps", "fail", "--name"]
    run("install", [*install_argv, pkg.name, archive], a)
    run("dependencies", [raco, "setup", "--check-pkg-deps", "--pkgs", pkg.name], a)
    create = [raco, "pkg", "create", "--from-install", "--built", "--dest", str(built), pkg.name]
    run("built", create, a)
    b = scope_env("b")
    run("built", [*install_argv, pkg.name, str(built / f"{pkg.name}.zip")], b)
    run("tests", [raco, "test", "--drdr", "--package", pkg.name], b)
    return times


def _example(root: Path) -> WorkspacePackage:
    example = root / "hello-pkg"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("compiled"))
    return WorkspacePackage("hello-pkg", example, "string")


def _generated(root: Path) -> WorkspacePackage:
    synth = root / "benchpkg"
    make_workspace(synth, 20, tests=True, seed=7)
    (synth / "scribblings").mkdir()
    (synth / "scribblings" / "benchpkg.scrbl").write_text(DOC)
    (synth / "info.rkt").write_text(
        '#lang info\n(define collection "benchpkg")\n(define deps \'("base"))\n'
        '(define build-deps \'("rackunit-lib" "scribble-lib"))\n'
        '(define scribblings \'(("scribblings/benchpkg.scrbl" ())))\n'
    )
    return WorkspacePackage("benchpkg", synth, "string")


def _measure(install: RacketInstall, label: str, make: Callable[[Path], WorkspacePackage]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pkg = make(Path(tmp))
        start = time.perf_counter()
        report = asyncio.run(pkg_build(install, pkg))
        total = time.perf_counter() - start
        hand_work = Path(tmp) / "by-hand"
        hand_work.mkdir()
        start = time.perf_counter()
        hand = _by_hand(install, pkg, hand_work)
        hand_total = time.perf_counter() - start
    print(f"{label}: verdict {', '.join(report.categories)}")
    print(f"  {'step':<13} {'preflight':>10} {'by hand':>10}")
    for s in report.steps:
        by_hand = f"{hand[s.name]:9.2f}s" if s.name in hand else f"{'-':>10}"
        print(f"  {s.name:<13} {s.seconds:9.2f}s {by_hand}  {s.status}")
    print(f"  {'total':<13} {total:9.2f}s {hand_total:9.2f}s")
    print(f"  ratio preflight/by hand: {total / hand_total:.2f}")


def main() -> None:
    install, problems = locate_racket()
    if install is None or install.raco is None:
        print("racket not found:", problems)
        return
    _measure(install, "example package (4 files)", _example)
    _measure(install, "generated package (20 modules, one-page document)", _generated)
