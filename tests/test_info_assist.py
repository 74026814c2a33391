"""info.rkt completion and hover (the engine, without LSP)."""

from __future__ import annotations

from pathlib import Path

import pytest

from info_support import cursor
from raco_lsp.core.records import Pos, Span
from raco_lsp.info.assist import PackageInfo, complete, hover

PKGS = {
    "base": PackageInfo("base", "installation", Path("/usr/share/racket/pkgs/base")),
    "rackunit-lib": PackageInfo(
        "rackunit-lib", "installation", Path("/usr/share/racket/pkgs/rackunit-lib")
    ),
    "mine": PackageInfo("mine", "workspace", None),
}
L = "#lang info\n"


def labels(marked: str, path: Path = Path("/nowhere/pkg/info.rkt")) -> list[str]:
    text, pos = cursor(marked)
    return [s.label for s in complete(text, pos, path, PKGS)]


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        ("#l|", ["#lang info"]),
        (L + "(define scr|", ["scribblings"]),
        (L + '(define scribblings \'(("m.scrbl" (multi-|', ["multi-page"]),
        (L + '(define scribblings \'(("m.scrbl" (multi-page) (gui|', ["gui-library"]),
        (L + "(define deps '(\"rack|", ["rackunit-lib"]),
        (L + '(define build-deps (list "b|', ["base"]),
        (L + '(define deps \'(("base" #:v|', ["#:version"]),
        (L + "(define install-platform 'w|", ["windows"]),
        (L + "(define distribution-preference 'b|", ["built", "binary"]),
        (
            "(module info setup/infotab (#%module-begin "
            '(define scribblings (quote (("x.scrbl" (no-s|',
            ["no-search"],
        ),
        (L + "; (define deps '(\"ba|", []),
        # An unclosed form above: a paren in column 0 starts afresh.
        (L + "(define \n(define deps '(\"rackunit-l|", ["rackunit-lib"]),
    ],
)
def test_completion_contexts(marked: str, expected: list[str]) -> None:
    assert labels(marked) == expected


def test_field_names_skip_defined_ones_and_carry_snippets() -> None:
    text, pos = cursor(L + '(define collection "x")\n(define |)\n')
    found = {s.label: s for s in complete(text, pos, Path("/x/info.rkt"), PKGS)}
    assert "collection" not in found and "deps" in found
    deps = found["deps"]
    assert deps.snippet and deps.insert_text == 'deps \'("${1:base}")'
    assert deps.replace == Span(Pos(2, 8), Pos(2, 8))
    assert "raco pkg" in deps.detail


def test_deps_keywords_quote_themselves_outside_data() -> None:
    text, pos = cursor(L + '(define deps (list (list "base" |')
    found = complete(text, pos, Path("/x/info.rkt"), PKGS)
    assert [s.insert_text for s in found] == ["'#:version", "'#:platform"]


def test_paths_relative_to_the_info_directory(tmp_path: Path) -> None:
    (tmp_path / "scribblings").mkdir()
    (tmp_path / "scribblings" / "manual.scrbl").write_text("")
    (tmp_path / "main.rkt").write_text("")
    (tmp_path / "notes.txt").write_text("")
    info = tmp_path / "info.rkt"
    assert labels(L + "(define scribblings '((\"|", info) == ["scribblings/"]
    assert labels(L + "(define scribblings '((\"scribblings/|", info) == [
        "scribblings/manual.scrbl"
    ]
    assert labels(L + "(define racket-launcher-libraries '(\"|", info) == [
        "main.rkt",
        "scribblings/",
    ]


def test_hover_on_field_dep_and_flag() -> None:
    text = (
        L + '(define deps \'("base" "nothere"))\n'
        '(define scribblings \'(("m.scrbl" (multi-page) (library))))\n(define custom 1)\n'
    )
    p = Path("/x/info.rkt")
    h = hover(text, Pos(1, 9), p, PKGS)
    assert h is not None and h.span == Span(Pos(1, 8), Pos(1, 12))
    assert "**deps**" in h.markdown and "raco pkg" in h.markdown
    h = hover(text, Pos(1, 16), p, PKGS)
    assert h is not None and "installation package" in h.markdown
    assert "/usr/share/racket/pkgs/base" in h.markdown
    assert "Racket libraries" in h.markdown  # base's pkg-desc, read from its info.rkt
    h = hover(text, Pos(1, 25), p, PKGS)
    assert h is not None and "not installed" in h.markdown
    h = hover(text, Pos(2, 36), p, PKGS)
    assert h is not None and "multi-page" in h.markdown and h.span == Span(Pos(2, 34), Pos(2, 44))
    h = hover(text, Pos(2, 48), p, PKGS)
    assert h is not None and "document category" in h.markdown
    h = hover(text, Pos(3, 9), p, PKGS)
    assert h is not None and "not a field" in h.markdown
    assert hover(text, Pos(0, 2), p, PKGS) is None


def test_hover_on_the_lang_name() -> None:
    h = hover(L, Pos(0, 7), Path("/x/info.rkt"), PKGS)
    assert h is not None and h.span == Span(Pos(0, 6), Pos(0, 10))
    assert "only `(define id expr)`" in h.markdown
