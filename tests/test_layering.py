"""The rooms of server/raco_lsp and what each may import (ARCHITECTURE.md's
code map), enforced by walking every module's imports, lazy ones included."""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "server" / "raco_lsp"

# room -> the project's rooms it may import (itself always may).
MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    "syntax": {"core"},
    "racket": {"core", "syntax"},
    "info": {"core", "syntax", "racket"},
    "distro": {"core", "syntax", "info"},
    "cli": {"core", "syntax", "racket", "info", "distro", "lsp"},
    "lsp": {"core", "syntax", "racket", "info", "distro", "features"},
    "features": {"core", "syntax", "racket", "info", "distro", "lsp"},
}
# third-party packages only some rooms may use.
THIRD_PARTY = {
    "tree_sitter": {"syntax"},
    "tree_sitter_language_pack": {"syntax"},
    "pygls": {"lsp", "features"},
    "lsprotocol": {"lsp", "features"},
    "cattrs": {"lsp"},
}


def imports_of(source: str, module: str) -> list[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in ``source``, the
    source of module ``module`` (``raco_lsp.racket.graph``)."""
    package = module.rsplit(".", 1)[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out += [(node.lineno, f"{base}.{a.name}" if base else a.name) for a in node.names]
    return out


def _parse(source: str) -> ast.Module:
    """``ast.parse``; in a fresh interpreter when CPython 3.11.7's AST
    validator trips over the recursion depth left by earlier work in this
    process ("AST constructor recursion depth mismatch", CPython gh-106905,
    fixed in 3.11.8)."""
    try:
        return ast.parse(source)
    except SystemError:
        code = (
            "import ast, pickle, sys; "
            "sys.stdout.buffer.write(pickle.dumps(ast.parse(sys.stdin.read())))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], input=source.encode(), capture_output=True, check=True
        ).stdout
        tree = pickle.loads(out)
        assert isinstance(tree, ast.Module)
        return tree


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "raco_lsp" else None


def violations(source: str, module: str) -> list[str]:
    room = room_of(module)
    if room is None:  # raco_lsp/__init__.py, __main__.py
        return []
    found = []
    for line, name in imports_of(source, module):
        top = name.split(".")[0]
        if top == "raco_lsp":
            target = room_of(name) if name.count(".") >= 2 else None
            if target is not None and target != room and target not in MAY_IMPORT[room]:
                found.append(f"{module}:{line}: {room}/ may not import {name}")
        elif top in THIRD_PARTY and room not in THIRD_PARTY[top]:
            found.append(f"{module}:{line}: {room}/ may not import {top}")
    return found


def _modules() -> list[tuple[str, Path]]:
    return [
        (".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts), p)
        for p in sorted(PACKAGE.rglob("*.py"))
    ]


def test_every_room_imports_only_what_it_may() -> None:
    rooms = {room_of(m) for m, _ in _modules()} - {None}
    assert rooms == set(MAY_IMPORT), "a new room needs its rules here and in ARCHITECTURE.md"
    found = [v for module, path in _modules() for v in violations(path.read_text("utf-8"), module)]
    assert found == []


def test_the_rules_catch_a_forbidden_import() -> None:
    assert violations("import pygls\n", "raco_lsp.racket.x") == [
        "raco_lsp.racket.x:1: racket/ may not import pygls"
    ]
    assert violations("from raco_lsp.features import testing\n", "raco_lsp.cli.x") == [
        "raco_lsp.cli.x:1: cli/ may not import raco_lsp.features.testing"
    ]
    lazy = "def f():\n    from tree_sitter import Node\n"
    assert violations(lazy, "raco_lsp.racket.graph") == [
        "raco_lsp.racket.graph:2: racket/ may not import tree_sitter"
    ]
    assert violations("from ..racket import graph\n", "raco_lsp.syntax.x") == [
        "raco_lsp.syntax.x:1: syntax/ may not import raco_lsp.racket.graph"
    ]
    assert violations("from raco_lsp.core.records import Pos\n", "raco_lsp.syntax.x") == []
