"""Agreement of raco-lsp's identifier answers with racket-langserver's, on real code.

Run by hand (not part of ``make test`` or ``make bench``)::

    python -m bench.compare_identifiers [--max-modules N] [--show N] [--out FILE]
        [--dep SPEC ...] [SPEC ...]

Each SPEC is ``NAME=DIR`` (the collection ``NAME``: ``DIR`` is copied to
``<tmp>/collects/NAME`` and that folder is put first in ``PLTCOLLECTS``, so
the package's own ``(require NAME/...)`` resolve to the copy) or ``DIR`` (copied
as a plain folder; its collection-path requires go to the installation); a
``--dep`` SPEC is copied and compiled the same way but not compared (txexpr
needs sugar).
Without SPECs: the public packages fetched under ``/tmp/real/src`` (sugar,
txexpr, threading) and the installation's ``data-lib/data``.  The copies are
compiled with ``raco make`` first, so both servers see compiled dependencies;
nothing is written outside the temporary directory.

For each package, both servers start over stdio on its copy (racket-langserver
as in ``bench/bench_lsp.py``: numeric ids, ``rootPath``, no
``workspace/configuration``; ``RACKET_LANGSERVER`` or an installed
``racket-langserver``, else the comparison is skipped with the reason).  Each
module is opened in both; once racket-langserver has published its
diagnostics and raco-lsp is idle, every identifier occurrence (tree-sitter
symbols outside quotes and ``#;`` comments) is asked, in both:
textDocument/definition, hover (present or not) and documentHighlight (the
set of ranges).  Each answer pair is classified: agree, none from both,
differ (same file / other file), only raco-lsp, only racket-langserver.  A
table per package is printed, then up to ``--show`` examples of each kind of
difference (both answers); ``--out`` writes every difference as JSON lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import client_capabilities

from bench.bench_lsp import SERVER, Session, _racket_langserver, _start, _stop
from raco_lsp.syntax.parser import Source

REAL = Path("/tmp/real/src")
DEFAULT_SPECS = [
    f"sugar={REAL / 'sugar/sugar'}",
    f"txexpr={REAL / 'txexpr/txexpr'}",
    f"threading={REAL / 'threading/threading-lib/threading'}",
    "/usr/share/racket/pkgs/data-lib/data",
]
READY = 120.0
"""Seconds racket-langserver's diagnostics of an opened module are waited for."""


@dataclass
class Occurrence:
    module: Path
    name: str
    position: types.Position  # UTF-16 column, as both servers count


@dataclass
class Tally:
    modules: int = 0
    identifiers: int = 0
    skipped: list[str] = field(default_factory=list)
    classes: dict[str, Counter[str]] = field(
        default_factory=lambda: {k: Counter() for k in ("definition", "hover", "highlight")}
    )


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def occurrences(path: Path) -> list[Occurrence]:
    """The identifier occurrences of a module: its symbols, but in quoted data
    and ``#;`` comments."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    source = Source.from_text(text)
    out: list[Occurrence] = []
    todo = [source.root]
    while todo:
        node = todo.pop()
        if node.type in ("quote", "sexp_comment", "comment", "block_comment"):
            continue
        if node.type == "symbol":
            start = source.pos_of_byte(node.start_byte)
            col = _utf16(lines[start.line][: start.col])
            out.append(Occurrence(path, source.text_of(node), types.Position(start.line, col)))
        todo.extend(reversed(node.children))
    return out


def _locations(result: Any) -> frozenset[tuple[str, int, int, int, int]]:
    """A definition answer as a set of (real path, range)."""
    if result is None:
        return frozenset()
    items = result if isinstance(result, list) else [result]
    out = set()
    for item in items:
        uri, rng = (
            (item.uri, item.range)
            if isinstance(item, types.Location)
            else (item.target_uri, item.target_selection_range)
        )
        path = os.path.realpath(uri.removeprefix("file://"))
        out.add((path, rng.start.line, rng.start.character, rng.end.line, rng.end.character))
    return frozenset(out)


def _ranges(result: list[types.DocumentHighlight] | None) -> frozenset[tuple[int, int, int, int]]:
    return frozenset(
        (h.range.start.line, h.range.start.character, h.range.end.line, h.range.end.character)
        for h in result or []
    )


def classify_definition(ours: frozenset[Any], theirs: frozenset[Any]) -> str:
    if ours == theirs:
        return "agree" if ours else "none from both"
    if len(ours) == 1 and next(iter(ours))[1:] == (0, 0, 0, 0):
        # A module path of a require: raco-lsp opens the module.
        return "raco-lsp opens the required module"
    if not theirs:
        return "only raco-lsp"
    if not ours:
        return "only racket-langserver"
    if {x[:3] for x in ours} == {x[:3] for x in theirs}:
        return "agree (same start, other end)"
    if {x[0] for x in ours} == {x[0] for x in theirs}:
        return "differ: same file, other place"
    return "differ: other file"


def classify_hover(ours: types.Hover | None, theirs: types.Hover | None) -> str:
    if (ours is None) == (theirs is None):
        return "none from both" if ours is None else "agree"
    if ours is None and _hover_text(theirs).startswith("**Source**"):
        return "only racket-langserver: its source card"
    return "only raco-lsp" if ours is not None else "only racket-langserver"


def classify_highlight(
    ours: frozenset[Any], theirs: frozenset[Any], position: types.Position
) -> str:
    if ours == theirs:
        return "agree" if ours else "none from both"
    at = (position.line, position.character)
    others = theirs - {(0, 0, 0, 0)}
    if (0, 0, 0, 0) in theirs and len(others) == 1 and next(iter(others))[:2] == at:
        # An imported binding: racket-langserver shows the occurrence and
        # the binder's range of the other file (0:0 here).
        return "racket-langserver: only this occurrence of an import"
    if not theirs:
        return "only raco-lsp"
    if not ours:
        return "only racket-langserver"
    if ours < theirs:
        return "differ: raco-lsp's a subset"
    if theirs < ours:
        return "differ: racket-langserver's a subset"
    return "differ: other sets"


def _copy(
    specs: list[str], deps: list[str], tmp: Path
) -> tuple[list[tuple[str, Path]], dict[str, str]]:
    """The packages' copies (name, folder) and the environment that finds them
    (``deps``: copied and compiled too, not compared)."""
    collects = tmp / "collects"
    plain = tmp / "plain"
    packages: list[tuple[str, Path, bool]] = []
    for spec in [*specs, *deps]:
        name, _, folder = spec.rpartition("=")
        src = Path(folder)
        if not src.is_dir():
            print(f"{spec}: no such folder, skipped")
            continue
        dest = (collects / name) if name else (plain / src.name)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("compiled", ".git"))
        packages.append((name or src.name, dest, spec in specs))
    env = {**os.environ, "PLTCOLLECTS": f"{collects}{os.pathsep}"}
    for _, dest, _ in packages:
        modules = [str(p) for p in _modules(dest)]
        done = subprocess.run(["raco", "make", *modules], env=env, capture_output=True, text=True)
        if done.returncode != 0:  # the modules that compile still count
            print(f"{dest.name}: raco make: {done.stderr.strip().splitlines()[:1]}")
    return [(name, dest) for name, dest, compared in packages if compared], env


def _modules(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*.rkt") if p.name != "info.rkt" and "compiled" not in p.parts
    )


class Failed:
    """A request answered with an error."""

    def __init__(self, error: Exception) -> None:
        self.error = f"{type(error).__name__}: {error}"

    def __repr__(self) -> str:
        return self.error


async def _request(send: Awaitable[Any]) -> Any:
    try:
        return await asyncio.wait_for(send, 120)
    except Exception as e:  # the server's error answer is a finding too
        return Failed(e)


async def _ask(session: Session, occ: Occurrence) -> tuple[Any, Any, Any]:
    client = session.client
    doc = types.TextDocumentIdentifier(uri=occ.module.as_uri())
    definition = await _request(
        client.text_document_definition_async(types.DefinitionParams(doc, occ.position))
    )
    hover = await _request(client.text_document_hover_async(types.HoverParams(doc, occ.position)))
    highlight = await _request(
        client.text_document_document_highlight_async(
            types.DocumentHighlightParams(doc, occ.position)
        )
    )
    return definition, hover, highlight


def _hover_text(hover: types.Hover | None) -> str:
    if hover is None:
        return ""
    contents = hover.contents
    return contents.value if isinstance(contents, types.MarkupContent) else str(contents)


async def compare_package(
    name: str,
    folder: Path,
    env: dict[str, str],
    theirs_command: list[str],
    max_modules: int | None,
    differences: list[dict[str, Any]],
) -> Tally:
    tally = Tally()
    ours = await _start(folder, env)
    caps = client_capabilities("visual-studio-code")
    if caps.workspace is not None:
        caps.workspace.configuration = False  # see bench_lsp._identifier_server
    theirs = await _start(folder, env, theirs_command, caps, integer_ids=True)
    try:
        await ours.wait_idle()
        for module in _modules(folder)[:max_modules]:
            published: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            original = theirs.client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

            def on_diagnostics(
                params: types.PublishDiagnosticsParams,
                uri: str = module.as_uri(),
                fut: asyncio.Future[None] = published,
            ) -> None:
                if params.uri == uri and not fut.done():
                    fut.set_result(None)

            theirs.client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = (
                on_diagnostics
            )
            theirs.open(module)
            ours.open(module)
            try:
                await asyncio.wait_for(published, READY)
            except TimeoutError:
                tally.skipped.append(f"{module.relative_to(folder)}: racket-langserver silent")
                continue
            finally:
                theirs.client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = (
                    original
                )
            await ours.wait_idle()
            tally.modules += 1
            found = occurrences(module)
            print(f"{name}/{module.relative_to(folder)}: {len(found)} identifiers", file=sys.stderr)
            for occ in found:
                (d1, h1, l1), (d2, h2, l2) = await asyncio.gather(
                    _ask(ours, occ), _ask(theirs, occ)
                )
                tally.identifiers += 1
                failed = [
                    (who, kind, a)
                    for who, answers in (
                        ("raco-lsp", (d1, h1, l1)),
                        ("racket-langserver", (d2, h2, l2)),
                    )
                    for kind, a in zip(("definition", "hover", "highlight"), answers, strict=True)
                    if isinstance(a, Failed)
                ]
                d1, h1, l1, d2, h2, l2 = (
                    None if isinstance(a, Failed) else a for a in (d1, h1, l1, d2, h2, l2)
                )
                kinds = {
                    "definition": (
                        classify_definition(_locations(d1), _locations(d2)),
                        sorted(_locations(d1)),
                        sorted(_locations(d2)),
                    ),
                    "hover": (
                        classify_hover(h1, h2),
                        _hover_text(h1),
                        _hover_text(h2),
                    ),
                    "highlight": (
                        classify_highlight(_ranges(l1), _ranges(l2), occ.position),
                        sorted(_ranges(l1)),
                        sorted(_ranges(l2)),
                    ),
                }
                for kind, (verdict, a, b) in kinds.items():
                    errors = [(who, a) for who, k, a in failed if k == kind]
                    if errors:
                        verdict = f"error from {' and '.join(who for who, _ in errors)}"
                        a, b = (
                            [repr(e) for w, e in errors if w == "raco-lsp"],
                            [repr(e) for w, e in errors if w != "raco-lsp"],
                        )
                    tally.classes[kind][verdict] += 1
                    if not verdict.startswith(("agree", "none", "racket-langserver: only")):
                        differences.append(
                            {
                                "package": name,
                                "module": str(module.relative_to(folder)),
                                "line": occ.position.line + 1,
                                "character": occ.position.character,
                                "identifier": occ.name,
                                "request": kind,
                                "class": verdict,
                                "raco-lsp": a,
                                "racket-langserver": b,
                            }
                        )
    finally:
        await _stop(ours)
        await _stop(theirs)
    return tally


def _percent(counter: Counter[str], total: int) -> str:
    agreed = sum(n for k, n in counter.items() if k.startswith(("agree", "none")))
    return f"{100 * agreed / total:.1f}%" if total else "-"


def report(tallies: dict[str, Tally]) -> None:
    print(
        "\n| package | modules | identifiers | definition agree | hover agree "
        "| highlight agree |\n| --- | --- | --- | --- | --- | --- |"
    )
    for name, t in tallies.items():
        cells = [
            _percent(t.classes[k], t.identifiers) for k in ("definition", "hover", "highlight")
        ]
        print(f"| {name} | {t.modules} | {t.identifiers} | {' | '.join(cells)} |")
    for name, t in tallies.items():
        print(f"\n{name}:")
        for kind, counter in t.classes.items():
            classes = ", ".join(f"{k} {n}" for k, n in counter.most_common())
            print(f"  {kind}: {classes}")
        for line in t.skipped:
            print(f"  skipped {line}")


def show(differences: list[dict[str, Any]], limit: int) -> None:
    seen: Counter[tuple[str, str]] = Counter()
    for d in differences:
        key = (d["request"], d["class"])
        seen[key] += 1
        if seen[key] > limit:
            continue
        print(
            f"\n{d['request']}, {d['class']}: {d['package']}/{d['module']}:{d['line']}:"
            f"{d['character']} {d['identifier']}\n  raco-lsp:          {d['raco-lsp']!r:.300}"
            f"\n  racket-langserver: {d['racket-langserver']!r:.300}"
        )


async def run(args: argparse.Namespace) -> int:
    command, why = _racket_langserver()
    if command is None:
        print(f"racket-langserver: {why}; nothing to compare")
        return 0
    print(f"racket-langserver: {why}")
    with tempfile.TemporaryDirectory(prefix="raco-lsp-compare-") as tmp:
        packages, env = _copy(args.specs or DEFAULT_SPECS, args.dep, Path(tmp))
        differences: list[dict[str, Any]] = []
        tallies: dict[str, Tally] = {}
        for name, folder in packages:
            with tempfile.TemporaryDirectory(prefix="raco-lsp-compare-cache-") as cache:
                tallies[name] = await compare_package(
                    name,
                    folder,
                    {**env, "XDG_CACHE_HOME": cache},
                    command,
                    args.max_modules,
                    differences,
                )
        report(tallies)
        show(differences, args.show)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as out:
                for d in differences:
                    out.write(json.dumps(d) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare_identifiers")
    parser.add_argument("specs", nargs="*", metavar="SPEC", help="NAME=DIR or DIR")
    parser.add_argument(
        "--dep", action="append", default=[], metavar="SPEC", help="copied, not compared"
    )
    parser.add_argument("--max-modules", type=int, default=None, help="per package")
    parser.add_argument("--show", type=int, default=3, help="examples per kind of difference")
    parser.add_argument("--out", help="every difference as JSON lines")
    args = parser.parse_args(argv)
    logging.getLogger("pygls").setLevel(logging.ERROR)
    assert SERVER  # raco-lsp's own command line, as the benchmarks start it
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
