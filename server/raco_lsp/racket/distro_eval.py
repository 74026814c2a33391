"""A site configuration as the real distro-build package sees it.

When the ``distro-build`` collection is installed (``raco pkg install
distro-build-server``; not part of Debian's Racket), ``data/distro-eval.rkt``
evaluates the configuration with its ``distro-build/config`` language under a
mode and reports the tree with each node's effective options, as
``drive-clients`` merges them.  Evaluating runs the configuration's code:
callers start it for trusted folders only.  Readers never raise.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.racket.env import data_file, racket_env
from raco_lsp.racket.install import InstallInfo
from raco_lsp.racket.locate import RacketInstall
from raco_lsp.racket.modpath import Resolver
from raco_lsp.racket.process import run_process


@dataclass
class RealNode:
    """A node of the evaluated configuration: options written as ``~v`` does."""

    kind: str
    options: dict[str, str] = field(default_factory=dict)
    children: list[RealNode] = field(default_factory=list)


def distro_build_installed(info: InstallInfo | None) -> bool:
    """Whether ``distro-build/config`` resolves (installation or user scope)."""
    return Resolver(info).resolve_collection(["distro-build", "config.rkt"]) is not None


def _node(d: object) -> RealNode | None:
    if not isinstance(d, dict) or not isinstance(d.get("kind"), str):
        return None
    options = d.get("options")
    children = d.get("children")
    node = RealNode(str(d["kind"]))
    if isinstance(options, dict):
        node.options = {str(k): v for k, v in options.items() if isinstance(v, str)}
    for c in children if isinstance(children, list) else []:
        child = _node(c)
        if child is None:
            return None
        node.children.append(child)
    return node


async def evaluate_config(
    install: RacketInstall, config: Path, mode: str, *, timeout: float = 60.0
) -> tuple[RealNode | None, list[str]]:
    """The configuration's tree as the real package evaluates it, or None and
    why.  Runs in a fresh temporary directory (``(current-stamp)`` reads
    ``build/stamp.txt`` there: none, so "now")."""
    argv = [str(install.racket), str(data_file("distro-eval.rkt")), str(config), mode]
    with tempfile.TemporaryDirectory(prefix="raco-lsp-distro-") as cwd:
        result = await run_process(argv, cwd=Path(cwd), env=racket_env(), timeout=timeout)
    if result.timed_out:
        return None, [f"evaluating the configuration took over {timeout:g} s"]
    try:
        answer = (
            json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else None
        )
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return None, [str(answer["error"]).splitlines()[0]]
    node = _node(answer)
    if node is None:
        first = (result.stderr.strip().splitlines() or ["no answer"])[0]
        return None, [f"distro-build did not evaluate the configuration: {first}"]
    return node, []
