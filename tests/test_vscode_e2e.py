"""End-to-end in a REAL VS Code: code-server 4.100.3 + Playwright + Debian Chromium.

The built .vsix is installed into a fresh profile; the extension starts the real
server from this repository's .venv with real Racket behind it. A node script
(vscode-extension/e2e/run.js) drives the browser; the extension's test-only
command (enabled by RACO_LSP_VSCODE_DUMP) writes VS Code's own state (its
diagnostics, Test Explorer results, command results) as JSON, which is asserted
on here. Screenshots go to build/e2e-artifacts/.

`make test` installs code-server and Chromium first (`make e2e-setup`); when
that could not be done the test is skipped with the reason, unless
RACO_LSP_REQUIRE_E2E=1.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "vscode-extension"
ARTIFACTS = ROOT / "build" / "e2e-artifacts"
CACHE = Path(os.environ.get("RACO_LSP_E2E_CACHE", str(Path.home() / ".cache" / "raco-lsp-e2e")))
CODE_SERVER = CACHE / "code-server-4.100.3" / "package" / "out" / "node" / "entry.js"
CHROMIUM = Path("/usr/bin/chromium")


def _vsix() -> Path:
    version = json.loads((EXT / "package.json").read_text())["version"]
    return EXT / f"raco-lsp-{version}.vsix"


def _missing() -> str | None:
    for what, p in [
        ("code-server (make e2e-setup)", CODE_SERVER),
        ("chromium (make e2e-setup)", CHROMIUM),
        ("the .vsix (make vsix)", _vsix()),
        ("playwright-core (make vsix)", EXT / "node_modules" / "playwright-core"),
    ]:
        if not p.exists():
            return f"{what} is missing: {p}"
    if shutil.which("node") is None:
        return "node is missing"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(
    scenario: str, folder: Path, scratch: Path, *, trust: bool, python: Path | None = None
) -> dict[str, Any]:
    missing = _missing()
    if missing is not None:
        if os.environ.get("RACO_LSP_REQUIRE_E2E") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{scenario}-*"):
        old.unlink()
    data, exts = scratch / "data", scratch / "exts"
    (data / "User").mkdir(parents=True)
    python = python or ROOT / ".venv" / "bin" / "python"
    (data / "User" / "settings.json").write_text(
        json.dumps(
            {
                "workbench.startupEditor": "none",
                "workbench.welcomePage.walkthroughs.openOnInstall": False,
                "telemetry.telemetryLevel": "off",
                "extensions.autoUpdate": False,
                "workbench.tips.enabled": False,
                "raco-lsp.server.pythonPath": str(python),
                "raco-lsp.trace.server": "messages",
            }
        )
    )
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(scratch / "xdg" / "config"),
        "XDG_DATA_HOME": str(scratch / "xdg" / "data"),
        "XDG_CACHE_HOME": str(scratch / "xdg" / "cache"),
        "XDG_STATE_HOME": str(scratch / "xdg" / "state"),
        "RACO_LSP_VSCODE_DUMP": str(scratch / "dump.json"),
    }
    base = ["node", str(CODE_SERVER), "--user-data-dir", str(data), "--extensions-dir", str(exts)]
    subprocess.run(
        [*base, "--install-extension", str(_vsix())],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    conf = scratch / "config.yaml"
    conf.write_text(f"bind-addr: 127.0.0.1:{port}\nauth: none\ncert: false\n")
    argv = [*base, "--config", str(conf), "--disable-telemetry", "--disable-update-check"]
    if trust:
        argv.append("--disable-workspace-trust")  # else VS Code asks, and run.js answers No
    log = (scratch / "code-server.log").open("wb")
    server = subprocess.Popen(
        [*argv, str(folder)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("code-server did not start") from None
                time.sleep(0.5)
        cfg = scratch / "run.json"
        cfg.write_text(
            json.dumps(
                {
                    "port": port,
                    "folder": str(folder),
                    "dump": str(scratch / "dump.json"),
                    "artifacts": str(ARTIFACTS),
                    "scenario": scenario,
                    "chromium": str(CHROMIUM),
                    "profile": str(scratch / "chromium"),
                }
            )
        )
        proc = subprocess.run(
            ["node", str(EXT / "e2e" / "run.js"), str(cfg)],
            cwd=EXT,
            env=env,
            capture_output=True,
            text=True,
            timeout=420,
        )
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr[-4000:])
        dump: dict[str, Any] = json.loads((scratch / "dump.json").read_text())
        (ARTIFACTS / f"{scenario}-state.json").write_text(json.dumps(dump, indent=2))
        for f in (data / "logs").rglob("*raco-lsp*"):
            if f.is_file():
                shutil.copy(f, ARTIFACTS / f"{scenario}-{f.name}")
        assert proc.returncode == 0, proc.stdout[-3000:]
        return dump
    finally:
        # The extension host and the language server outlive the browser:
        # end code-server's whole process group.
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()


def _diags(dump: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        d for f in dump["diagnostics"] if f["path"].endswith(f"/{name}") for d in f["diagnostics"]
    ]


def _find(
    items: list[dict[str, Any]], pred: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in items:
        if pred(i):
            out.append(i)
        out.extend(_find(i["children"], pred))
    return out


# Driving a real browser UI on a loaded 2-core machine: one retry for timing.
@pytest.mark.flaky(reruns=1)
def test_vscode_trusted(example: Path, tmp_path: Path) -> None:
    text = example / "text.rkt"
    text.write_text(text.read_text().replace('(shout "hi") "HI!"', '(shout "hi") "HI?"'))
    dump = _run("trusted", example, tmp_path / "vscode", trust=True)

    # The Test Explorer: files -> test submodule -> checks; the failing check has the diff.
    assert dump["trusted"] is True
    failed = _find(dump["tests"], lambda i: i.get("state") == "failed")
    assert failed, dump["tests"]
    check = next(i for i in failed if "#check:" in i["id"])
    assert check["line"] == 16
    assert check["expected"] == '"HI?"' and check["actual"] == '"HI!"'
    passed = _find(dump["tests"], lambda i: i.get("state") == "passed")
    assert any(i["id"].endswith("#check:14:2") for i in passed)

    # Build Distribution from the palette: the archive, smoke-run.
    dist = dump["results"]["Build Distribution"]
    assert dist["ok"] is True, dist
    assert Path(dist["archive"]).is_file()
    assert dist["smoke"] and all(s["ok"] for s in dist["smoke"]), dist["smoke"]

    # Show Module Graph on greet.rkt: text.rkt is a dependency, main.rkt a dependent.
    graph = dump["results"]["Show Module Graph"]
    greet, text_rkt, main = (str(example / n) for n in ("greet.rkt", "text.rkt", "main.rkt"))
    assert {"from": greet, "to": text_rkt} in [
        {"from": e["from"], "to": e["to"]} for e in graph["edges"]
    ]
    assert any(e["from"] == main and e["to"] == greet for e in graph["edges"])
    # Its "N dependencies" lens opens the webview too, not the server's generic view.
    lens = dump["results"]["Module Graph Lens"]
    assert any(e["from"] == main and e["to"] == greet for e in lens["edges"])

    # The error typed and saved in greet.rkt: at line 10 (0-based 9), on the identifier.
    failing = json.loads((tmp_path / "vscode" / "dump.json.error.json").read_text())
    errors = [d for d in _diags(failing, "greet.rkt") if d["severity"] == "Error"]
    assert errors, failing["diagnostics"]
    assert any(
        "oops-undefined" in d["message"] and d["range"][0] == 9 and d["range"][1] == 1
        for d in errors
    ), errors
    assert "error" in failing["status"]

    # Fixed and saved: the lens said "failed to compile", then "up to date" (run.js
    # waits for both on screen); the one graph view (run twice) was re-rendered in place.
    assert not [d for d in _diags(dump, "greet.rkt") if d["severity"] == "Error"]
    assert len(dump["graphTabs"]) == 1, dump["graphTabs"]
    (node,) = [n for n in dump["results"]["Show Module Graph"]["nodes"] if n["path"] == greet]
    assert node["stale"] is False and "failed" not in node, node


# Driving a real browser UI on a loaded 2-core machine: one retry for timing.
@pytest.mark.flaky(reruns=1)
def test_vscode_untrusted(example: Path, tmp_path: Path) -> None:
    dump = _run("untrusted", example, tmp_path / "vscode", trust=False)
    assert dump["trusted"] is False
    assert dump["server"] == "running"
    assert "restricted" in dump["status"]
    assert "not trusted" in dump["statusTooltip"]
    # Saved with an unbound identifier, but nothing was compiled.
    assert not [d for d in _diags(dump, "greet.rkt") if d["severity"] == "Error"], dump
    assert not list(example.rglob("compiled"))


# Driving a real browser UI on a loaded 2-core machine: one retry for timing.
@pytest.mark.flaky(reruns=1)
def test_vscode_without_raco_lsp(example: Path, tmp_path: Path) -> None:
    """A pythonPath without raco_lsp: the error names it and the fix; the status says failed."""
    dump = _run(
        "no-server", example, tmp_path / "vscode", trust=True, python=Path("/usr/bin/python3")
    )
    assert dump["server"] == "failed"
    assert "server failed" in dump["status"]
