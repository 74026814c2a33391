"""Check package: first check (fresh scope) vs second check (scope reused).

One synthetic package (bench/synth.py, 20 modules with rackunit test
submodules, deps '("base") only, so the check reports rackunit-lib).  Measured
in the same run:

- first: ``check_package`` on a fresh isolated scope (link + raco setup, which
  compiles the package);
- second: the same again (scope and compiled files reused);
- baseline: what one does by hand, ``raco pkg install --link`` into a scratch
  scope then ``raco setup --check-pkg-deps --unused-pkg-deps`` (default -j),
  with the package already compiled (so it is comparable to "second").
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.synth import make_workspace
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.setup import Scope, WorkspacePackage, check_package


def main() -> None:
    install, problems = locate_racket()
    if install is None or install.raco is None:
        print("racket not found:", problems)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pkg_dir = root / "benchpkg"
        pkg_dir.mkdir()
        make_workspace(pkg_dir, 20, tests=True, seed=7)
        (pkg_dir / "info.rkt").write_text(
            '#lang info\n(define collection "benchpkg")\n(define deps \'("base"))\n'
        )
        pkg = WorkspacePackage("benchpkg", pkg_dir, "string")
        scope = Scope(root / "scope")

        t0 = time.perf_counter()
        first = asyncio.run(check_package(install, pkg, scope))
        t1 = time.perf_counter()
        second = asyncio.run(check_package(install, pkg, scope))
        t2 = time.perf_counter()

        scratch = root / "scratch"
        env = {**os.environ, "PLTADDONDIR": str(scratch / "addon"), "PLTUSERHOME": str(scratch)}
        t3 = time.perf_counter()
        link = ["pkg", "install", "--scope", "user", "--link", "--no-setup", "--deps", "force"]
        subprocess.run(
            [str(install.raco), *link, str(pkg_dir)],
            env=env,
            check=True,
            capture_output=True,
        )
        check = ["setup", "--no-docs", "--check-pkg-deps", "--unused-pkg-deps"]
        subprocess.run(
            [str(install.raco), *check, "--pkgs", "benchpkg"],
            env=env,
            capture_output=True,
            cwd=pkg_dir,
        )
        t4 = time.perf_counter()

    found = sorted({f"{u.mode}:{u.package}" for u in first.found.undeclared})
    same = found == sorted({f"{u.mode}:{u.package}" for u in second.found.undeclared})
    print(f"package: 20 modules; undeclared found: {found}; second run agrees: {same}")
    print(f"first check (fresh scope, compiles):  {t1 - t0:6.2f} s")
    print(f"second check (scope reused):          {t2 - t1:6.2f} s")
    print(f"baseline by hand (link + setup, -j default, already compiled): {t4 - t3:6.2f} s")
    print(f"ratio second/first: {(t2 - t1) / (t1 - t0):.2f}")
    print(f"ratio second/baseline: {(t2 - t1) / (t4 - t3):.2f}")
