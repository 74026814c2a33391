"""``raco-lsp pkg-build`` against the same steps done by hand, in the same run.

Two packages: the example package (examples/hello-pkg) and a generated one
(bench/synth.py: 20 modules with rackunit test submodules, plus a one-page
document, so the docs' cost shows).  For each, three runs one after another:

- preflight: ``pkg_build``, total and per step;
- same steps by hand: the commands a person would type for what the
  preflight checks, one after another, each scope fresh: ``raco pkg create
  --source``; ``raco pkg install --dry-run --strict-doc-conflicts`` (the
  conflicts; a fresh scope); ``raco pkg install`` of the archive (raco setup,
  docs included); ``raco setup -nxiID --check-pkg-deps --unused-pkg-deps``
  there (as the service checks); ``raco pkg create --from-install --built``;
  ``raco pkg install`` of the built archive into a fresh scope and
  ``racket -e '(dynamic-require ...)'`` of each module, then the same with
  ``--binary-lib`` in another; ``raco test --drdr --package`` in the first,
  under ``unshare -n`` when the machine permits;
- minimal by hand: what one usually types: ``raco pkg create --source``,
  ``raco pkg install``, ``raco setup --check-pkg-deps``, ``raco pkg create
  --from-install --built``, ``raco pkg install`` of that in a fresh scope,
  ``raco test --drdr --package``.

Both ratios are printed, not asserted.  The preflight still does more than
the same steps by hand: the conflicts helper finds every conflict (the dry
run stops at the first), and a failing test file runs again with the
user's environment.
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


class _ByHand:
    """Commands run one after another, as typed; seconds per preflight step."""

    def __init__(self, install: RacketInstall, pkg: WorkspacePackage, work: Path) -> None:
        assert install.raco is not None
        self.raco, self.racket = str(install.raco), str(install.racket)
        self.pkg, self.work = pkg, work
        self.times: dict[str, float] = {}
        work.mkdir()

    def scope(self, name: str) -> dict[str, str]:
        home = self.work / name
        (home / "addon").mkdir(parents=True)
        return {**os.environ, "PLTADDONDIR": str(home / "addon"), "PLTUSERHOME": str(home)}

    def run(self, step: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        start = time.perf_counter()
        r = subprocess.run(
            argv, env=env or dict(os.environ), cwd=self.work, capture_output=True, text=True
        )
        if r.returncode != 0 and "--dry-run" not in argv:
            print(f"  (by hand, {step}: exit {r.returncode}: {r.stderr.strip()[-300:]})")
        self.times[step] = self.times.get(step, 0.0) + time.perf_counter() - start

    def install(self, archive: Path, *flags: str) -> list[str]:
        argv = [self.raco, "pkg", "install", "--scope", "user", "--deps", "fail", *flags]
        return [*argv, "--name", self.pkg.name, str(archive)]

    def archive(self) -> Path:
        source = self.work / "source"
        source.mkdir()
        argv = [self.raco, "pkg", "create", "--source", "--dest", str(source)]
        self.run("archive", [*argv, str(self.pkg.directory)])
        return source / f"{self.pkg.name}.zip"

    def built_archive(self, env: dict[str, str]) -> Path:
        built = self.work / "built"
        built.mkdir()
        argv = [self.raco, "pkg", "create", "--from-install", "--built", "--dest", str(built)]
        self.run("built", [*argv, self.pkg.name], env)
        return built / f"{self.pkg.name}.zip"

    def load(self, collection: str, env: dict[str, str]) -> None:
        modules = [
            f"{collection}/{p.relative_to(self.pkg.directory).as_posix()}"
            for p in sorted(self.pkg.directory.rglob("*.rkt"))
            if p.name != "info.rkt"
        ]
        requires = " ".join(f'(dynamic-require (quote (lib "{m}")) #f)' for m in modules)
        self.run("built", [self.racket, "-l", "racket/base", "-e", requires], env)

    def test(self, env: dict[str, str], prefix: list[str]) -> None:
        self.run("tests", [*prefix, self.raco, "test", "--drdr", "--package", self.pkg.name], env)


def _no_network() -> list[str]:
    try:
        ok = subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    except OSError:
        ok = False
    return ["unshare", "-n"] if ok else []


def _same_steps(
    install: RacketInstall, pkg: WorkspacePackage, collection: str, work: Path
) -> dict[str, float]:
    h = _ByHand(install, pkg, work)
    archive = h.archive()
    strict = ("--dry-run", "--no-setup", "--strict-doc-conflicts")
    h.run("conflicts", h.install(archive, *strict), h.scope("conflicts"))
    a = h.scope("a")
    h.run("install", h.install(archive), a)
    check = ["setup", "-nxiID", "--check-pkg-deps", "--unused-pkg-deps", "--pkgs", pkg.name]
    h.run("dependencies", [h.raco, *check], a)
    built = h.built_archive(a)
    b, c = h.scope("b"), h.scope("c")
    h.run("built", h.install(built), b)
    h.load(collection, b)
    h.run("built", h.install(built, "--binary-lib"), c)
    h.load(collection, c)
    h.test({k: v for k, v in b.items() if k != "DISPLAY"}, _no_network())
    return h.times


def _minimal(install: RacketInstall, pkg: WorkspacePackage, work: Path) -> dict[str, float]:
    h = _ByHand(install, pkg, work)
    archive = h.archive()
    a = h.scope("a")
    h.run("install", h.install(archive), a)
    h.run("dependencies", [h.raco, "setup", "--check-pkg-deps", "--pkgs", pkg.name], a)
    built = h.built_archive(a)
    b = h.scope("b")
    h.run("built", h.install(built), b)
    h.test(b, [])
    return h.times


def _example(root: Path) -> tuple[WorkspacePackage, str]:
    example = root / "hello-pkg"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("compiled"))
    return WorkspacePackage("hello-pkg", example, "string"), "hello"


def _generated(root: Path) -> tuple[WorkspacePackage, str]:
    synth = root / "benchpkg"
    make_workspace(synth, 20, tests=True, seed=7)
    (synth / "scribblings").mkdir()
    (synth / "scribblings" / "benchpkg.scrbl").write_text(DOC)
    (synth / "info.rkt").write_text(
        '#lang info\n(define collection "benchpkg")\n(define deps \'("base"))\n'
        '(define build-deps \'("rackunit-lib" "scribble-lib"))\n'
        '(define scribblings \'(("scribblings/benchpkg.scrbl" ())))\n'
    )
    return WorkspacePackage("benchpkg", synth, "string"), "benchpkg"


def _timed(run: Callable[[], dict[str, float]]) -> tuple[dict[str, float], float]:
    start = time.perf_counter()
    times = run()
    return times, time.perf_counter() - start


def _measure(
    install: RacketInstall, label: str, make: Callable[[Path], tuple[WorkspacePackage, str]]
) -> None:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        pkg, collection = make(Path(tmp))
        start = time.perf_counter()
        report = asyncio.run(pkg_build(install, pkg))
        total = time.perf_counter() - start
        same, same_total = _timed(lambda: _same_steps(install, pkg, collection, Path(tmp) / "same"))
        minimal, minimal_total = _timed(lambda: _minimal(install, pkg, Path(tmp) / "minimal"))
    print(f"{label}: verdict {', '.join(report.categories)} (load average {load:.1f})")
    print(f"  {'step':<13} {'preflight':>10} {'same steps':>11} {'minimal':>10}")

    def cell(times: dict[str, float], name: str, width: int) -> str:
        return f"{times[name]:{width - 1}.2f}s" if name in times else f"{'-':>{width}}"

    for s in report.steps:
        row = f"{s.seconds:9.2f}s {cell(same, s.name, 11)} {cell(minimal, s.name, 10)}"
        print(f"  {s.name:<13} {row}  {s.status}")
    print(f"  {'total':<13} {total:9.2f}s {same_total:10.2f}s {minimal_total:9.2f}s")
    print("  (preflight steps overlap: their seconds add up to more than the total)")
    print(
        f"  ratio preflight/same steps by hand: {total / same_total:.2f}, "
        f"preflight/minimal by hand: {total / minimal_total:.2f}"
    )


def main() -> None:
    install, problems = locate_racket()
    if install is None or install.raco is None:
        print("racket not found:", problems)
        return
    _measure(install, "example package (4 files)", _example)
    _measure(install, "generated package (20 modules, one-page document)", _generated)
