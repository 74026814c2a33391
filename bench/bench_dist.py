"""Build distribution of the example program: raco-lsp's pipeline
(``build_distribution``: raco exe, raco distribute, bundle, smoke run) against
the same raco commands run by hand with subprocess (raco exe, raco distribute,
``racket -l racket/base -l compiler/bundle-dist -e (bundle-directory ...)``,
tar -x of a copy and one run of the executable), in the same run.

raco-lsp runs twice per round: with its default bundler on Linux (``tar -czf``)
and with ``bundler="racket"`` (compiler/bundle-dist, as by hand).  Two
alternating rounds; the best time of each is reported.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.packaging.pipeline import Entry, build_distribution

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hello-pkg"


def by_hand(work: Path) -> float:
    pkg = work / "hello-pkg"
    out = work / "out"
    out.mkdir()
    start = time.perf_counter()

    def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
        return subprocess.run(
            argv, cwd=cwd, env=env, check=True, capture_output=True, text=True
        ).stdout

    run(["raco", "exe", "-o", str(out / "hello"), str(pkg / "main.rkt")], out)
    run(["raco", "distribute", str(out / "dist"), str(out / "hello")], out)
    bundle = '(bundle-directory "hello" "dist")'
    run(["racket", "-l", "racket/base", "-l", "compiler/bundle-dist", "-e", bundle], out)
    smoke = work / "smoke"
    smoke.mkdir()
    shutil.copy(out / "hello.tgz", smoke)
    run(["tar", "xzf", "hello.tgz"], smoke)
    text = run([str(smoke / "dist" / "bin" / "hello")], smoke, {"PATH": "/usr/bin:/bin"})
    assert text == "Hello, World.\n", text
    return time.perf_counter() - start


def with_tool(work: Path, bundler: str = "auto") -> float:
    install, problems = locate_racket()
    assert install is not None, problems
    start = time.perf_counter()
    result = asyncio.run(
        build_distribution(
            install, [Entry(work / "hello-pkg" / "main.rkt")], work / "out", bundler=bundler
        )
    )
    elapsed = time.perf_counter() - start
    assert result.ok, result.errors
    assert result.smoke[0].output == "Hello, World.", result.smoke
    return elapsed


def _fmt(times: list[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in times)


def main() -> None:
    hand: list[float] = []
    tool: list[float] = []
    tool_racket: list[float] = []

    def with_bundle_dist(work: Path) -> float:
        return with_tool(work, "racket")

    for _ in range(2):
        for fn, times in ((by_hand, hand), (with_tool, tool), (with_bundle_dist, tool_racket)):
            work = Path(tempfile.mkdtemp(prefix="raco-lsp-bench-dist-"))
            try:
                shutil.copytree(
                    EXAMPLE, work / "hello-pkg", ignore=shutil.ignore_patterns("compiled")
                )
                times.append(fn(work))
            finally:
                shutil.rmtree(work, ignore_errors=True)
    h, t, r = min(hand), min(tool), min(tool_racket)
    print(f"cpus: {os.cpu_count()}")
    print(f"by hand (raco exe, distribute, bundle-dist, unpack + run): {_fmt(hand)} s")
    print(f"raco-lsp build_distribution, tar bundler (default): {_fmt(tool)} s")
    print(f"raco-lsp build_distribution, bundler=racket: {_fmt(tool_racket)} s")
    print(
        f"best: by hand {h:.2f} s, raco-lsp {t:.2f} s (ratio {t / h:.2f}), "
        f"raco-lsp with bundle-dist {r:.2f} s (ratio {r / h:.2f})"
    )
