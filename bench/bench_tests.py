"""`raco-lsp test` vs `raco test -j 2` on a 200-module synthetic workspace
with test submodules (precompiled with `raco make` for both sides).

Prints both wall times, the ratio (target >= 3x) and whether the per-file
counts are identical; first, a fidelity line per mode on the fixture files
of tests/testing_fixtures.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.synth import make_workspace

N = 200
_ROW = re.compile(r"^\s*(?:(\d+)\s+)?(\d+)\s+\./(\S+)$")
_TOTAL = re.compile(r"^(\d+)/(\d+) test failures|^(\d+) tests? passed", re.MULTILINE)


def _totals(text: str) -> tuple[int, int] | None:
    m = _TOTAL.search(text)
    if m is None:
        return None
    if m.group(3):
        return 0, int(m.group(3))
    return int(m.group(1)), int(m.group(2))


def _raco_table(stdout: str) -> dict[str, tuple[int, int]]:
    return {
        m.group(3): (int(m.group(1) or 0), int(m.group(2)))
        for m in map(_ROW.match, stdout.splitlines())
        if m and not m.group(0).startswith("raco test")
    }


def fidelity() -> None:
    """The fixture files of tests/testing_fixtures.py (pass, failure, error after
    checks, timeout, exits, test-case groups, test-suite, stderr, info.rkt keys):
    per-file counts of `raco-lsp test` vs `raco test -t`, in both modes."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from testing_fixtures import raco_test, write_fixtures

    with tempfile.TemporaryDirectory(prefix="raco-lsp-fidelity ") as tmp:
        root = Path(tmp)
        write_fixtures(root)
        for label, raco_flags, our_flags in (
            ("raco test", ["--timeout", "5"], ["--timeout", "5"]),
            ("raco test --drdr", ["--drdr"], ["--drdr"]),
        ):
            t0 = time.perf_counter()
            raco_code, theirs, _ = raco_test(root, *raco_flags)
            raco_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            ours = subprocess.run(
                [sys.executable, "-m", "raco_lsp", "test", "--json", *our_flags, "."],
                cwd=root,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
            )
            ours_s = time.perf_counter() - t0
            report = json.loads(ours.stdout)
            mine = {
                str(Path(f["path"]).relative_to(root)): (f["failed"], f["total"])
                for f in report["files"]
            }
            same = sum(1 for k in theirs if mine.get(k) == theirs[k])
            print(
                f"fidelity vs {label}: {same}/{len(theirs)} files identical "
                f"(ours {len(mine)} files), exit {ours.returncode} vs {raco_code}; "
                f"{ours_s:.1f} s vs {raco_s:.1f} s",
                flush=True,
            )


def main() -> None:
    fidelity()
    with tempfile.TemporaryDirectory(prefix="raco-lsp-bench-tests ") as tmp:
        root = Path(tmp) / "ws"
        synth = make_workspace(root, N, tests=True)
        print(f"workspace: {len(synth.modules)} modules under {root}", flush=True)
        t0 = time.perf_counter()
        subprocess.run(
            ["raco", "make", "-j", "2", *(str(m) for m in synth.modules)],
            check=True,
            cwd=root,
            stdin=subprocess.DEVNULL,
        )
        print(f"raco make (both sides use these .zo files): {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        raco = subprocess.run(
            ["raco", "test", "-j", "2", "-t", "."],
            cwd=root,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        raco_s = time.perf_counter() - t0
        raco_table = _raco_table(raco.stdout)
        raco_totals = _totals(raco.stdout + raco.stderr)

        t0 = time.perf_counter()
        ours = subprocess.run(
            [sys.executable, "-m", "raco_lsp", "test", "-j", "2", "--json", "."],
            cwd=root,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        ours_s = time.perf_counter() - t0
        report = json.loads(ours.stdout)
        our_table = {
            str(Path(f["path"]).relative_to(root)): (f["failed"], f["total"])
            for f in report["files"]
        }
        print(f"raco test -j 2:     {raco_s:6.1f} s  exit {raco.returncode}  totals {raco_totals}")
        print(
            f"raco-lsp test -j 2: {ours_s:6.1f} s  exit {ours.returncode}  "
            f"totals {(report['failed'], report['total'])}"
        )
        print(f"ratio: {raco_s / ours_s:.1f}x (target >= 3x)")
        same = (
            our_table == raco_table
            and raco_totals == (report["failed"], report["total"])
            and raco.returncode == ours.returncode
        )
        print(f"files: {len(our_table)} (raco test: {len(raco_table)}); identical counts: {same}")
        if not same:
            diff = {
                k: (raco_table.get(k), our_table.get(k))
                for k in raco_table.keys() | our_table.keys()
                if raco_table.get(k) != our_table.get(k)
            }
            print(f"differences (raco test, raco-lsp): {dict(sorted(diff.items())[:10])}")
