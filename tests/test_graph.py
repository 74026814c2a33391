"""The module graph against real Racket: resolution, edges, staleness, order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.cmcheck import EDITS, add_ext_file, apply_edit, predicted, recompiled, shift_back

from raco_lsp.racket.deps import compiled_paths, discard_unreadable_dep
from raco_lsp.racket.graph.index import ModuleGraph
from raco_lsp.racket.graph.staleness import CODE_SIGNATURES
from raco_lsp.racket.install import InstallInfo, load_install_info_sync
from raco_lsp.racket.locate import locate_racket
from raco_lsp.racket.modpath import Resolver

BASE = "#lang racket/base\n"


@pytest.fixture(scope="session")
def info() -> InstallInfo:
    install, _ = locate_racket()
    assert install is not None
    result, problems = load_install_info_sync(install)
    assert result is not None, problems
    return result


def make(*files: Path) -> None:
    subprocess.run(["raco", "make", *map(str, files)], check=True, stdin=subprocess.DEVNULL)


def graph(root: Path, info: InstallInfo) -> ModuleGraph:
    g = ModuleGraph([root], Resolver(info))
    g.scan()
    return g


def test_install_info_names_the_installation(info: InstallInfo) -> None:
    assert info.version == "8.7"
    assert info.vm == "ta6le"
    assert info.compiled_roots[0] == "same"
    assert info.in_installation(info.collects_dir / "racket" / "list.rkt")
    dep = info.find_dep(info.collects_dir / "racket" / "list.rkt")
    assert dep is not None and dep.name == "list_rkt.dep"


def test_resolution(info: InstallInfo, ws: Path) -> None:
    r = Resolver(info)
    here = ws / "m.rkt"
    (ws / "u.rkt").write_text(BASE)
    assert (
        r.resolve("collection", "racket/list", here).path == info.collects_dir / "racket/list.rkt"
    )
    assert r.resolve("collection", "rackunit", here).path.name == "main.rkt"  # type: ignore[union-attr]
    assert r.resolve("lib", "list.rkt racket", here).path == info.collects_dir / "racket/list.rkt"
    assert r.resolve("relative", "u.ss", here).path == ws / "u.rkt"
    assert r.resolve("file", str(ws / "u.rkt"), here).path == ws / "u.rkt"

    typo = r.resolve("collection", "racket/lsit", here)
    assert typo.path is None
    assert typo.problem == "cannot find module racket/lsit — did you mean racket/list?"
    coll = r.resolve("collection", "rackt/list", here)
    assert coll.problem is not None and "did you mean racket/list?" in coll.problem
    rel = r.resolve("relative", "uu.rkt", here)
    assert rel.problem is not None and 'did you mean "u.rkt"?' in rel.problem


def test_edges_mark_where_source_and_dep_disagree(info: InstallInfo, ws: Path) -> None:
    (ws / "a.rkt").write_text(BASE + "(provide x)\n(define x 1)\n")
    (ws / "b.rkt").write_text(BASE + "(provide y)\n(define y 2)\n")
    main = ws / "main.rkt"
    main.write_text(BASE + '(require "a.rkt")\n')
    make(main)
    g = graph(ws, info)
    edges = {e.target.name: (e.in_source, e.in_dep) for e in g.edges(main)}
    assert edges["a.rkt"] == (True, True)
    assert edges["runtime-config.rkt"] == (True, True)  # implied by the racket/base language
    # The buffer now requires b.rkt instead: the graph follows the buffer.
    g.update(main, BASE + '(require "b.rkt")\n')
    edges = {e.target.name: (e.in_source, e.in_dep) for e in g.edges(main)}
    assert edges["b.rkt"] == (True, False)
    assert edges["a.rkt"] == (False, True)
    assert [p.name for p in g.dependents(ws / "b.rkt")] == ["main.rkt"]


def test_staleness_follows_the_compile_manager(info: InstallInfo, ws: Path) -> None:
    util = ws / "util.rkt"
    main = ws / "main.rkt"
    inc = ws / "inc.rktl"
    util.write_text(BASE + "(provide twice)\n(define (twice x) (* 2 x))\n")
    inc.write_text("(define included 1)\n")
    main.write_text(BASE + '(require "util.rkt" racket/include)\n(include "inc.rktl")\n')
    g = graph(ws, info)
    assert g.staleness(main).reason == "main.rkt has never been compiled"

    make(main)
    g = graph(ws, info)
    assert predicted(g) == (set(), set())

    # A touch: `raco make` recorded Debian's first-compile hashes
    # (docs/racket-facts.md §4.4), so compiler/cm recompiles once; the graph
    # predicts exactly what it does.  After that a touch is only a touch.
    shift_back(ws)
    os.utime(util)
    g = graph(ws, info)
    sure, maybe = predicted(g)
    actual = recompiled(main)
    assert sure <= actual <= sure | maybe, (sure, maybe, actual)
    assert actual
    shift_back(ws)
    os.utime(util)
    assert predicted(graph(ws, info)) == (set(), set())
    assert recompiled(main) == set()

    # A comment after the code: the graph saw the compiled text (the last
    # graph read it), so it knows util's .zo stays the same.
    shift_back(ws)
    util.write_text(util.read_text() + ";; a comment\n")
    g = graph(ws, info)
    s = g.staleness(util)
    assert (s.stale, s.same_hash) == (True, True)
    assert s.reason is not None and "its compiled code stays the same" in s.reason
    m = g.staleness(main)
    assert (m.stale, m.touched) == (False, True)
    assert recompiled(main) == {"util.rkt"}  # same .zo: main is only touched

    # The same, edited while no graph had seen the compiled text (a fresh
    # process): whether util's .zo changes is not known.
    shift_back(ws)
    util.write_text(util.read_text() + ";; another comment\n")
    CODE_SIGNATURES.clear()
    g = graph(ws, info)
    s = g.staleness(util)
    assert (s.stale, s.certain, s.reason) == (True, True, "util.rkt changed since it was compiled")
    m = g.staleness(main)
    assert m.stale and not m.certain  # depends on whether util's .zo changes
    assert (
        m.reason == "depends on util.rkt, which may compile to new code: "
        "util.rkt changed since it was compiled"
    )
    assert recompiled(main) == {"util.rkt"}

    shift_back(ws)
    inc.write_text("(define included 2)\n")
    g = graph(ws, info)
    assert g.staleness(main).reason == "inc.rktl changed since main.rkt was compiled"
    assert recompiled(main) == {"main.rkt"}


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        (
            lambda d: d.replace(b'"8.7"', b'"8.6"', 1),
            "util.rkt was compiled by Racket 8.6, not 8.7",
        ),
        (
            lambda d: d.replace(b"ta6le", b"racket", 1),
            "util.rkt was compiled for racket, not ta6le",
        ),
        (lambda d: d[: len(d) // 2], "unreadable .dep (util_rkt.dep: "),
    ],
)
def test_staleness_of_foreign_or_broken_dep(
    info: InstallInfo, ws: Path, rewrite: object, reason: str
) -> None:
    util = ws / "util.rkt"
    util.write_text(BASE)
    make(util)
    dep = compiled_paths(util)[1]
    dep.write_bytes(rewrite(dep.read_bytes()))  # type: ignore[operator]
    s = graph(ws, info).staleness(util)
    assert s.stale and s.reason is not None and s.reason.startswith(reason)


@pytest.mark.parametrize("damage", ["unreadable .dep", "missing .zo"])
def test_a_dependency_with_no_hash_now_leaves_its_dependents_uncertain(
    info: InstallInfo, ws: Path, damage: str
) -> None:
    util, main = ws / "util.rkt", ws / "main.rkt"
    util.write_text(BASE + "(provide f)\n(define (f) 1)\n")
    main.write_text(BASE + '(require "util.rkt")\n(f)\n')
    make(main)
    shift_back(ws)
    zo, dep = compiled_paths(util)
    if damage == "missing .zo":
        zo.unlink()
    else:
        dep.write_bytes(dep.read_bytes()[:40])
    g = graph(ws, info)
    # Rebuilt from the same code, util gets back the hash main recorded.
    sure, maybe = predicted(g, main)
    assert (sure, maybe) == ({"util.rkt"}, {"main.rkt"})
    assert g.staleness(main).cause == g.staleness(util).reason
    discard_unreadable_dep(util)  # as the server's build does first
    # One compiler/cm run from main recompiles main as well; the server's
    # per-file build only touches it (test_lsp_build.py).  Both fit.
    assert sure <= recompiled(main) <= sure | maybe


def test_recompile_order_is_topological_and_reports_cycles(info: InstallInfo, ws: Path) -> None:
    (ws / "leaf.rkt").write_text(BASE)
    (ws / "mid.rkt").write_text(BASE + '(require "leaf.rkt")\n')
    (ws / "top.rkt").write_text(BASE + '(require "mid.rkt" "leaf.rkt")\n')
    (ws / "other.rkt").write_text(BASE)
    (ws / "c1.rkt").write_text(BASE + '(require "c2.rkt" "leaf.rkt")\n')
    (ws / "c2.rkt").write_text(BASE + '(require "c1.rkt")\n')
    (ws / "self.rkt").write_text(BASE + '(require "self.rkt")\n')
    g = graph(ws, info)
    order, cycles = g.recompile_order(ws / "leaf.rkt")
    names = [p.name for p in order]
    assert names[0] == "leaf.rkt"
    assert set(names) == {"leaf.rkt", "mid.rkt", "top.rkt", "c1.rkt", "c2.rkt"}
    assert names.index("mid.rkt") < names.index("top.rkt")
    assert [[p.name for p in c] for c in cycles] == [["c1.rkt", "c2.rkt"]]
    _, self_cycles = g.recompile_order(ws / "self.rkt")
    assert [[p.name for p in c] for c in self_cycles] == [["self.rkt"]]
    assert g.staleness(ws / "c1.rkt").stale  # never compiled; no infinite loop


def test_macro_requires_follow_the_macro_module(info: InstallInfo, ws: Path) -> None:
    """A user of a require-producing macro depends on what the macro's
    module says now: edits and removal of that module re-read its users."""
    macros = ws / "z-macros.rkt"
    rule = "(define-syntax-rule (use-lib m) (require m))\n"
    user = ws / "user.rkt"
    user.write_text(BASE + '(require "z-macros.rkt")\n(use-lib racket/list)\n')
    macros.write_text(BASE + "(provide use-lib)\n" + rule)
    g = graph(ws, info)  # user.rkt is read before macros.rkt
    racket_list = g.resolver.resolve("collection", "racket/list", user).path

    def deps() -> set[Path]:
        return set(g.nodes[user].source_targets())

    assert racket_list in deps()
    assert user in g.dependents(racket_list)
    g.update(macros, BASE + "(provide use-lib)\n(define (use-lib m) m)\n")
    assert racket_list not in deps()
    g.update(macros, BASE + "(provide use-lib)\n" + rule)
    assert racket_list in deps()
    macros.unlink()
    g.remove(macros)
    assert racket_list not in deps()


def test_bad_input_never_breaks_the_graph(info: InstallInfo, ws: Path) -> None:
    (ws / "junk.rkt").write_bytes(bytes(range(256)) * 50)
    big = ws / "big.rkt"
    big.write_text(BASE + "".join(f"(define v{i} {i})\n" for i in range(300_000)))
    assert big.stat().st_size > 5_000_000
    uni = ws / "dír λ"
    uni.mkdir()
    (uni / "mód ü.rkt").write_text(BASE + '(require "../nope.rkt" racket/lsit)\n')
    (ws / "link").symlink_to(uni, target_is_directory=True)
    (uni / "loop").symlink_to(ws, target_is_directory=True)
    g = graph(ws, info)
    assert (uni / "mód ü.rkt") in g.nodes
    node = g.nodes[uni / "mód ü.rkt"]
    problems = [r.resolution.problem for r in node.requires]
    assert problems[0] is not None and "nope.rkt" in problems[0]
    assert problems[1] is not None and "did you mean racket/list?" in problems[1]
    assert g.staleness(ws / "junk.rkt").stale


def test_comment_only_edits_leave_dependents_alone(info: InstallInfo, ws: Path) -> None:
    """An edit outside the code recompiles the module to the same .zo, so
    its dependents are only touched; an edit that moves code changes it."""
    util, main = ws / "util.rkt", ws / "main.rkt"
    util.write_text(BASE + "(provide f) ; the function\n(define (f) 1)\n")
    main.write_text(BASE + '(require "util.rkt")\n(f)\n')
    recompiled(main)
    graph(ws, info)  # the workspace is open: its compiled sources are seen
    for text, main_stale in [
        # same length comment, and a comment after the code
        (BASE + "(provide f) ; THE FUNCTION\n(define (f) 1)\n;; more\n", False),
        # a longer comment moves the code after it
        (BASE + "(provide f) ; the function, longer\n(define (f) 1)\n", True),
    ]:
        shift_back(ws)
        util.write_text(text)
        g = graph(ws, info)
        u, m = g.staleness(util), g.staleness(main)
        assert u.stale and u.same_hash != main_stale, u
        assert m.stale == main_stale and m.certain, m
        assert recompiled(main) == ({"util.rkt", "main.rkt"} if main_stale else {"util.rkt"})


def test_predictions_match_what_the_compile_manager_does(info: InstallInfo, ws: Path) -> None:
    """Random edit sequences (fixed seed): what compiler/cm recompiles lies
    between the graph's certain and possible predictions."""
    import random

    from bench.synth import make_workspace

    rng = random.Random(7)
    synth = make_workspace(ws, 12, layers=4, fanout=2)
    add_ext_file(synth)
    recompiled(synth.main)
    graph(ws, info)  # the workspace is open before the first edit
    exact = 0
    for step in range(8):
        shift_back(ws)
        kind = EDITS[step % len(EDITS)] if step < len(EDITS) else rng.choice(EDITS)
        target = apply_edit(synth, kind, step, rng)
        g = graph(ws, info)
        sure, maybe = predicted(g, synth.main)
        actual = recompiled(synth.main)
        assert sure <= actual <= sure | maybe, (step, kind, target.name, sure, maybe, actual)
        exact += sure == actual
    # With the compiled versions seen before the edits, each prediction is
    # exact, not just within bounds.
    assert exact == 8


def _cli_graph(root: Path, cache: Path) -> dict[str, dict[str, object]]:
    """A fresh ``raco-lsp graph`` process, its nodes by file name."""
    out = subprocess.run(
        [sys.executable, "-m", "raco_lsp", "graph", str(root)],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    ).stdout
    return {Path(n["path"]).name: n for n in json.loads(out)["nodes"]}


def _comment_after_last_form(module: Path, cache: Path) -> None:
    """A graph run records the compiled version's code (in ``cache``), then
    a comment is appended after ``module``'s last form."""
    shift_back(module.parent)
    _cli_graph(module.parent, cache)
    with module.open("a") as f:
        f.write(";; a comment after the last form\n")


def _raco_make_vv(main: Path) -> tuple[set[str], set[str]]:
    """(compiled, only touched) according to real ``raco make --vv``."""
    out = subprocess.run(
        ["raco", "make", "--vv", str(main)],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    lines = (out.stdout + out.stderr).splitlines()
    compiled = {Path(ln.split()[-1]).name for ln in lines if ln.strip().startswith("compiling ")}
    touched = {
        Path(ln.split()[-1]).name.removesuffix(".zo").replace("_rkt", ".rkt")
        for ln in lines
        if ln.strip().startswith("hash-equivalent:")
    }
    return compiled, touched


def test_fresh_cli_knows_a_comment_only_touches_dependents(tmp_path: Path) -> None:
    """A comment after the last form: raco make recompiles util.rkt and only
    touches main.rkt.  A fresh ``raco-lsp graph`` process predicts that with
    certainty from the signatures an earlier process stored; with no store it
    says stale, not certain, and never claims the recompile."""
    root = tmp_path / "ws"
    root.mkdir()
    util = root / "util.rkt"
    # util.rkt requires no installation module, so its recompile records
    # the same dependency hash under raco make too (docs/racket-facts.md §4.4).
    util.write_text("(module util '#%kernel\n  (#%provide x)\n  (define-values (x) 1))\n")
    (root / "main.rkt").write_text(BASE + '(require "util.rkt")\nx\n')
    make(root / "main.rkt")
    # Past §4.4's first-compile hashes in main.rkt's .dep: one real recompile.
    shift_back(root)
    os.utime(util)
    make(root / "main.rkt")
    cache, empty = tmp_path / "cache", tmp_path / "empty"
    _comment_after_last_form(util, cache)

    blind = _cli_graph(root, empty)
    assert blind["main.rkt"]["stale"] is True
    assert blind["main.rkt"]["certain"] is False
    assert "will be recompiled" not in str(blind["main.rkt"]["reason"])

    known = _cli_graph(root, cache)
    assert known["util.rkt"] == {**known["util.rkt"], "stale": True, "certain": True}
    assert known["main.rkt"] == {**known["main.rkt"], "stale": False, "certain": True}

    compiled, touched = _raco_make_vv(root / "main.rkt")
    assert compiled == {"util.rkt"}
    assert touched == {"main.rkt"}


def test_typed_racket_comment_edit_leaves_dependents_uncertain(tmp_path: Path) -> None:
    """Typed Racket may compile the same code to other bytes (gensym'd
    contract names depend on what the process compiled before): after a
    comment-only edit of such a module raco make recompiles its dependent
    in some runs and only touches it in others.
    The graph says "maybe", never "only touched" (seen on the public
    typed-racket-stream package; this is a reproduction of our own)."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "untyped.rkt").write_text(
        BASE + "(provide g h)\n(define (g th) (th))\n(define h (list))\n"
    )
    typed = root / "typed.rkt"
    typed.write_text(
        "#lang typed/racket/base\n(require typed/racket/unsafe)\n"
        '(unsafe-require/typed/provide "untyped.rkt"\n'
        "  [g (All (a ...) (-> (-> (Values a ... a)) (Sequenceof a ... a)))]\n"
        "  [h (All (a ...) (Sequenceof a ... a))])\n"
    )
    (root / "user.rkt").write_text('#lang typed/racket/base\n(require "typed.rkt")\n(define x g)\n')
    make(root / "user.rkt")  # typed.rkt compiled in the same process as untyped.rkt
    cache = tmp_path / "cache"
    _comment_after_last_form(typed, cache)

    nodes = _cli_graph(root, cache)
    assert nodes["typed.rkt"]["stale"] is True
    assert nodes["user.rkt"]["stale"] is True
    assert nodes["user.rkt"]["certain"] is False

    # Either answer is raco make's own (it varies from run to run here, as
    # the .zo bytes do): typed.rkt recompiled, user.rkt recompiled or touched.
    compiled, touched = _raco_make_vv(root / "user.rkt")
    assert "typed.rkt" in compiled
    assert compiled | touched == {"typed.rkt", "user.rkt"}


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe garbage",
        b"[1, 2]",
        b'{"format": "other", "signatures": [["a", "b"]]}',
        b'{"format": "raco-lsp code signatures 1", "signatures": {"a": 1}}',
        b"[" * 100_000,
    ],
)
def test_code_signature_store_ignores_a_corrupt_or_foreign_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    store = type(CODE_SIGNATURES)(disk_limit=2)
    store.file().parent.mkdir(parents=True)
    store.file().write_bytes(content)
    assert store.get("a") is None
    for i in range(3):
        store.remember(f"s{i}", f"c{i}")
    store.save()
    again = type(CODE_SIGNATURES)()
    assert [again.get(f"s{i}") for i in range(3)] == [None, "c1", "c2"]  # the newest, bounded
