"""The installation cache follows what Racket resolves with: two add-on
directories (``PLTADDONDIR``), each with its own linked package, share one
``XDG_CACHE_HOME``; ``raco-lsp graph`` agrees with ``raco make`` in each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.racket


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def test_each_addon_dir_resolves_its_own_linked_package(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    setups = []
    for name in ("alpha", "beta"):
        pkg = tmp_path / "pkgs" / name
        pkg.mkdir(parents=True)
        (pkg / "info.rkt").write_text(f'#lang info\n(define collection "{name}")\n')
        (pkg / "main.rkt").write_text("#lang racket/base\n(provide v)\n(define v 1)\n")
        ws = tmp_path / f"ws-{name}"
        ws.mkdir()
        (ws / "main.rkt").write_text(f"#lang racket/base\n(require {name})\nv\n")
        env = {
            **os.environ,
            "PLTADDONDIR": str(tmp_path / f"addon-{name}"),
            "XDG_CACHE_HOME": str(cache),
        }
        env.pop("PLTUSERHOME", None)
        env.pop("PLTCOLLECTS", None)
        r = _run(
            ["raco", "pkg", "install", "--scope", "user", "--deps", "fail", "--link", str(pkg)],
            tmp_path,
            env,
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert _run(["raco", "make", "main.rkt"], ws, env).returncode == 0
        setups.append((pkg, ws, env))

    for pkg, ws, env in setups * 2:  # alternate: alpha, beta, alpha, beta
        made = _run(["raco", "make", "-v", "main.rkt"], ws, env)
        assert "already up-to-date" in made.stdout, made.stdout + made.stderr
        r = _run([sys.executable, "-m", "raco_lsp", "graph", str(ws)], ws, env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "cannot be found" not in r.stderr, r.stderr
        report = json.loads(r.stdout)
        main = str(ws / "main.rkt")
        stale = {n["path"]: n["stale"] for n in report["nodes"]}
        assert stale[main] is False, json.dumps(report, indent=1)
        targets = {e["to"] for e in report["edges"] if e["from"] == main}
        assert str(pkg / "main.rkt") in targets, report
