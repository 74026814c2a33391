"""Run the benchmarks: ``python -m bench [NAME ...]`` (default: all).

Each ``bench/bench_<name>.py`` has ``main() -> None`` that measures its
target against a baseline in the same run and prints figures and ratios.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = argv or sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))
    failed = 0
    for name in names:
        print(f"\n=== bench {name} ===", flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(f"bench.bench_{name}").main()
        except Exception as e:  # report and go on with the others
            failed += 1
            print(f"bench {name} FAILED: {type(e).__name__}: {e}", flush=True)
        print(f"(bench {name}: {time.perf_counter() - start:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
