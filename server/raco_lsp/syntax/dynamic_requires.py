"""Modules loaded at run time (grammars/dynamic-requires.scm), the modules a
stand-alone executable needs with ``raco exe ++lib``; and whether a module
has a ``main`` submodule or top-level effects (grammars/main-submodule.scm).

A ``define-runtime-path`` given to ``dynamic-require`` loads a module from
its source at run time: ``raco distribute`` copies the file, but its
``#lang`` reader, module language and collection requires are compiled in
the running executable, which embeds none of them unless told with ``++lib``
(``source_needs``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node

from raco_lsp.core.files import read_file
from raco_lsp.core.records import Span
from raco_lsp.core.text import decode_source
from raco_lsp.syntax.module_facts import module_facts
from raco_lsp.syntax.parser import Source, captures, in_datum_comment, items_of
from raco_lsp.syntax.requires import extract_requires


@dataclass(frozen=True)
class DynamicRequire:
    """A run-time module load.  ``lib`` is the text to pass to ``++lib`` (a
    collection path such as ``racket/string``, or an absolute file path for
    a string literal), or None when the module path is computed at run time."""

    form: str
    lib: str | None
    span: Span
    path: Path | None = None
    source: Path | None = None
    """A module file loaded from its source at run time (a ``define-runtime-path``
    given to ``dynamic-require``); ``source_needs`` lists what it needs."""


def _module_path(src: Source, node: Node, *, quoted: bool, base: Path | None) -> str | None:
    """The ``++lib`` text for a module path node, or None."""
    if quoted:  # an expression: 'racket/string, (quote racket/string), "file.rkt", `(lib "x")
        if node.type == "quote":
            inner = items_of(node)
            return _module_path(src, inner[0], quoted=False, base=base) if inner else None
        if node.type == "list":
            items = items_of(node)
            if len(items) == 2 and items[0].type == "symbol" and src.text_of(items[0]) == "quote":
                return _module_path(src, items[1], quoted=False, base=base)
            return None
        if node.type == "string":
            return _module_path(src, node, quoted=False, base=base)
        return None
    if node.type == "symbol":
        return src.text_of(node)
    if node.type == "string":
        rel = src.text_of(node)[1:-1]
        if base is None:
            return rel
        return str((base / rel).resolve())
    if node.type == "list":
        items = items_of(node)
        if len(items) >= 2 and items[0].type == "symbol":
            head = src.text_of(items[0])
            if head == "lib" and items[1].type == "string":
                return src.text_of(items[1])[1:-1]
            if head == "file" and items[1].type == "string":
                return _module_path(src, items[1], quoted=False, base=base)
            if head == "submod":
                return _module_path(src, items[1], quoted=False, base=base)
    return None


def _runtime_file(src: Source, node: Node, base: Path) -> Path | None:
    """The file a ``define-runtime-path`` names: a string, or ``(build-path
    "dir" ... "file")`` of strings, relative to the module's directory."""
    parts = [node]
    if node.type == "list":
        items = items_of(node)
        if not items or items[0].type != "symbol" or src.text_of(items[0]) != "build-path":
            return None
        parts = items[1:]
    if not parts or any(p.type != "string" for p in parts):
        return None
    return (base.joinpath(*(src.text_of(p)[1:-1] for p in parts))).resolve()


def _runtime_paths(src: Source, forms: list[Node], base: Path | None) -> dict[str, Path]:
    """``id -> file`` for each ``(define-runtime-path id PATH)`` of the module."""
    paths: dict[str, Path] = {}
    for form in forms:
        items = items_of(form)
        if base is None or len(items) != 3 or src.text_of(items[0]) != "define-runtime-path":
            continue
        file = _runtime_file(src, items[2], base)
        if items[1].type == "symbol" and file is not None:
            paths[src.text_of(items[1])] = file
    return paths


def find_dynamic_requires(src: Source, path: Path | None = None) -> list[DynamicRequire]:
    base = path.parent if path is not None else None
    out: list[DynamicRequire] = []
    found = captures("dynamic-requires", src.root).get("form", [])
    forms = [f for f in sorted(found, key=lambda n: n.start_byte) if not in_datum_comment(f)]
    runtime_paths = _runtime_paths(src, forms, base)
    for form in forms:
        items = items_of(form)
        head = src.text_of(items[0])
        targets: list[tuple[Node, bool]] = []
        if head in ("dynamic-require", "dynamic-require-for-syntax") and len(items) > 1:
            loaded = runtime_paths.get(src.text_of(items[1])) if items[1].type == "symbol" else None
            if loaded is not None:
                out.append(DynamicRequire(head, None, src.span_of(items[1]), path, loaded))
                continue
            targets.append((items[1], True))
        elif head.startswith("define-runtime-module-path") and len(items) > 2:
            targets.append((items[2], False))
        elif head.startswith("lazy-require"):
            for clause in items[1:]:
                parts = items_of(clause) if clause.type == "list" else []
                if parts:
                    targets.append((parts[0], False))
        for node, quoted in targets:
            lib = _module_path(src, node, quoted=quoted, base=base)
            out.append(DynamicRequire(head, lib, src.span_of(node), path))
    return out


def workspace_dynamic_requires(entry: Path, root: Path | None = None) -> list[DynamicRequire]:
    """Dynamic requires in ``entry`` and in the workspace modules it requires
    (relative and ``file`` requires under ``root``, transitively)."""
    root = (root or entry.parent).resolve()
    seen: set[Path] = set()
    todo = [entry.resolve()]
    out: list[DynamicRequire] = []
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        data, _ = read_file(p)
        if data is None:
            continue
        src = Source(data)
        for found in find_dynamic_requires(src, p):
            out.append(found)
            if found.source is not None:
                out.extend(source_needs(found))
        for spec in extract_requires(src):
            if spec.kind in ("relative", "file"):
                target = (p.parent / spec.value).resolve()
                if target.is_relative_to(root):
                    todo.append(target)
    return out


def lang_libs(line: str | None) -> list[str]:
    """The collection modules reading and expanding ``#lang LINE`` loads: the
    reader (``X/lang/reader``; ``s-exp``, ``reader`` and ``at-exp`` chain to the
    language after them) and the module language (``X``, which also holds the
    reader when it is X's ``reader`` submodule)."""
    words = (line or "").split()
    if not words:
        return []
    name, rest = words[0], words[1:]
    if name == "at-exp":
        return ["at-exp/lang/reader", *lang_libs(" ".join(rest))]
    if name in ("s-exp", "reader"):
        return [f"{name}/lang/reader", *(m for m in rest[:1] if not m.startswith('"'))]
    return [f"{name}/lang/reader", name]


def source_needs(loaded: DynamicRequire) -> list[DynamicRequire]:
    """What the module file ``loaded.source``, compiled from its source at run
    time, needs from the collections: its ``#lang`` reader and module language,
    and the collection modules it requires (in any submodule or phase:
    expanding it needs them all).  Not ``(module name LANG ...)`` languages:
    a ``match`` pattern looks the same, and a wrong ``++lib`` fails raco exe.  One
    ``define-runtime-path`` record each, at ``loaded``'s span.  Its relative
    requires are recorded with their absolute paths: ``raco distribute`` copies
    only the file itself, so those need ``define-runtime-module-path-index``."""
    if loaded.source is None:
        return []
    data, _ = read_file(loaded.source)
    if data is None:
        return []
    facts = module_facts(decode_source(data))
    libs = lang_libs(facts.lang_line)
    for spec in facts.requires:
        if spec.kind == "collection" or (spec.kind == "lib" and " " not in spec.value):
            libs.append(spec.value)
        elif spec.kind in ("relative", "file"):
            libs.append(str((loaded.source.parent / spec.value).resolve()))
    return [
        DynamicRequire("define-runtime-path", lib, loaded.span, loaded.path, loaded.source)
        for lib in dict.fromkeys(libs)
    ]


def lib_suggestions(found: list[DynamicRequire]) -> list[str]:
    """The distinct ``++lib`` values, in order of appearance.  ``raco exe ++lib
    X`` embeds ``(lib "X")``, so file paths are left out."""
    libs: list[str] = []
    for d in found:
        if d.lib and not Path(d.lib).is_absolute() and d.lib not in libs:
            libs.append(d.lib)
    return libs


_NO_EFFECT_HEADS = {
    "define",
    "define-values",
    "define-syntax",
    "define-syntaxes",
    "define-syntax-rule",
    "define-struct",
    "struct",
    "require",
    "provide",
    "module",
    "module+",
    "module*",
    "define-for-syntax",
    "begin-for-syntax",
    "define-runtime-path",
    "define-logger",
    "define-namespace-anchor",
    "define-runtime-module-path-index",
    "lazy-require",
    "contract-out",
}


def has_main_submodule(src: Source) -> bool:
    forms = captures("main-submodule", src.root).get("form", [])
    return any(not in_datum_comment(f) for f in forms)


def has_top_level_effects(src: Source) -> bool:
    """Does the module body hold something other than definitions, requires,
    provides and submodules (so running it does something)?"""
    for node in src.root.named_children:
        if node.type in ("extension", "comment", "block_comment", "sexp_comment"):
            continue
        if node.type == "list":
            items = items_of(node)
            if items and items[0].type == "symbol" and src.text_of(items[0]) in _NO_EFFECT_HEADS:
                continue
            return True
        # A bare literal or identifier at module level is printed by racket/base.
        return True
    return False
