"""Language profiles (racket/langs.py) and the graph's language-implied
edges, checked against what compiler/cm records for real modules."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from raco_lsp.racket import langs
from raco_lsp.racket.graph import norm
from raco_lsp.racket.graph.index import ModuleGraph
from raco_lsp.racket.install import InstallInfo, load_install_info_sync
from raco_lsp.racket.locate import RacketInstall, locate_racket
from raco_lsp.racket.modpath import Resolver


@pytest.fixture(scope="module")
def install() -> RacketInstall:
    found, problems = locate_racket()
    assert found is not None, problems
    return found


@pytest.fixture(scope="module")
def info(install: RacketInstall) -> InstallInfo:
    result, problems = load_install_info_sync(install)
    assert result is not None, problems
    return result


def _names(paths: tuple[Path, ...] | None) -> set[str]:
    assert paths is not None
    return {"/".join(p.parts[-2:]) for p in paths}


def test_profiles_come_from_compiling_an_empty_module(
    install: RacketInstall, info: InstallInfo
) -> None:
    keys = ["lang racket/base", "module racket/base", "lang racket/unit", "lang no/such-lang"]
    new, problems = asyncio.run(langs.compute(install, info, keys))
    assert problems == []
    assert _names(new["lang racket/base"]) == {"racket/base.rkt", "racket/runtime-config.rkt"}
    assert new["module racket/base"] == new["lang racket/base"]
    # racket/unit wants an import clause, and the last one does not exist.
    assert new["lang racket/unit"] is None and new["lang no/such-lang"] is None
    profiles = langs.LangProfiles()
    langs.add(info, profiles, new)
    # Observed from the installation's own racket/unit modules instead.
    observed = _names(profiles.get("lang racket/unit"))
    assert {"lang/reader.rkt", "unit/lang.rkt"} <= observed
    assert "racket/unit.rkt" not in observed
    assert profiles.get("lang no/such-lang") is None


def test_profiles_are_cached_per_installation(
    install: RacketInstall, info: InstallInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    profiles = langs.load_cached(install)
    assert profiles.known == {}
    assert langs.compute_sync(install, info, profiles, ["lang racket/base"]) == []
    again = langs.load_cached(install)
    assert again.known == profiles.known and "lang racket/base" in again.known
    # Nothing left to do: no Racket process the second time.
    assert langs.compute_sync(install, info, again, ["lang racket/base"]) == []


FILES = {
    "a.rkt": "#lang racket/base\n(require racket/list)\n",
    "b.rkt": '#lang s-exp racket/base\n(require "a.rkt")\n',
    "c.rkt": "#lang at-exp racket/base\n(define x @list{hi})\n",
    "d.rkt": '(module d racket/base (require "a.rkt"))\n',
    "e.rkt": (
        "#lang racket/base\n(require (for-syntax racket/base racket/lazy-require))\n"
        "(begin-for-syntax (lazy-require [racket/list (first)]))\n"
    ),
    "f.rkt": "#lang racket/base\n(module configure-runtime '#%kernel)\n",
    "g.rkt": "#lang racket/unit\n(import)\n(export)\n",
    "h.rkt": '#lang racket/base\n(require racket/include)\n(include "inc.rktl")\n',
    "inc.rktl": "(require racket/string)\n",
    "i.rkt": (
        "#lang racket/base\n(require (for-syntax racket/base))\n"
        "(define-syntax (m stx) #'(require racket/set))\n"
    ),
    "j.rkt": (
        "(module j '#%kernel\n  (#%require (only racket/list first) (prefix s: racket/string)))\n"
    ),
    "kernel-lang.rkt": "(module kernel-lang '#%kernel (#%provide #%module-begin))\n",
    "k.rkt": '#lang racket/base\n(module sub "kernel-lang.rkt")\n',
    "l.rkt": "#lang scheme/base\n(define x 1)\n",
    "r.rkt": ";; an R6RS library\n#!r6rs\n(library (r) (export) (import))\n",
    # a configure-runtime submodule written in racket/base gets its own
    "m.rkt": "#lang racket/base\n(module configure-runtime racket/base (void))\n",
    # racket/load evaluates its body when run: nothing in it is compiled
    "n.rkt": (
        "#lang racket/load\n(module n2 racket/base (require racket/list))\n"
        "(require racket/string)\n"
    ),
    "o.rkt": "#reader scribble/reader\n(module o racket/base (define x @list{a}))\n",
    # require-producing macros: used here, or defined and never used
    "p.rkt": (
        "#lang racket/base\n"
        "(define-syntax-rule (use-all m ...) (begin (require m ...)))\n"
        "(define-syntax-rule (unused) (require racket/set))\n"
        "(use-all racket/list (only-in racket/string string-prefix?))\n"
    ),
    # ... and imported from a module the scan reads later
    "q.rkt": '#lang racket/base\n(require "z-macros.rkt")\n(with-tests using racket/math (void))\n',
    # typed/untyped-utils' form declares a typed and an untyped submodule
    "typed.rkt": (
        "#lang typed/racket/base\n(provide f)\n(: f (-> Integer Integer))\n(define (f x) x)\n"
    ),
    "u.rkt": (
        "#lang racket/base\n(require typed/untyped-utils)\n"
        '(require/untyped-contract "typed.rkt" [f (-> Integer Integer)])\n'
    ),
    # racket/require's forms
    "s.rkt": (
        "#lang racket/base\n(require racket/require (for-syntax racket/base))\n"
        "(require (multi-in racket (list string)) (subtract-in racket/set racket/list)\n"
        '  (matching-identifiers-in #rx"^pi$" racket/math)\n'
        '  (filtered-in (lambda (n) (and (equal? n "first") n)) racket/list))\n'
    ),
    # The body's first datum is the module the language requires; options
    # after the language name on the #lang line.
    "srfi.rkt": "#lang s-exp srfi/provider srfi/1/list #:unprefix s:\n",
    "tr-opt.rkt": "#lang typed/racket/base #:no-optimize\n(define x : Integer 1)\n",
    "two-d.rkt": "#lang 2d racket/base\n(define x 1)\n",
    "z-macros.rkt": (
        "#lang racket/base\n(provide with-tests)\n(define-syntax with-tests\n"
        "  (syntax-rules (using)\n"
        "    [(_ using lib body ...) (module+ test (require lib) body ...)]))\n"
    ),
}


def test_edges_from_source_equal_what_the_compile_manager_records(
    install: RacketInstall,
    info: InstallInfo,
    ws: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name, text in FILES.items():
        (ws / name).write_text(text)
    modules = sorted(p for p in ws.iterdir() if p.suffix == ".rkt")
    subprocess.run(
        ["raco", "make", *map(str, modules)], check=True, stdin=subprocess.DEVNULL, cwd=ws
    )
    profiles = langs.load_cached(install)
    g = ModuleGraph([ws], Resolver(info), profiles=profiles)
    g.scan()
    assert langs.compute_sync(install, info, profiles, g.wanted_profiles()) == []
    g.apply_profiles()
    wrong = {}
    for m in modules:
        node = g.nodes[norm(m)]
        ours = {norm(p) for p in node.source_targets()}
        # The direct dependencies (as the accuracy benchmark counts them):
        # not those registered as indirect (Typed Racket's type environments).
        assert node.dep is not None and g.oracle is not None
        truth = {
            norm(p)
            for e in node.dep.deps
            if e.kind == "module" and not e.indirect
            for p in [g.oracle.entry_path(e)]
            if p is not None
        }
        if ours != truth:
            wrong[m.name] = (sorted(map(str, ours - truth)), sorted(map(str, truth - ours)))
    assert wrong == {}
