"""What of a ``#lang`` line may reach the language profiler: the language,
never the module body that follows it on the same line."""

from __future__ import annotations

import pytest

from raco_lsp.racket.langs import lang_spec, profilable


@pytest.mark.parametrize(
    ("line", "spec"),
    [
        ("racket/base", "racket/base"),
        ("racket/base (require (for-syntax racket/base)) (begin-for-syntax (x))", "racket/base"),
        ("racket/base #:x (y)", "racket/base #:x"),
        ("typed/racket/base #:no-optimize", "typed/racket/base #:no-optimize"),
        ("s-exp srfi/provider srfi/1/list #:unprefix s:", "s-exp srfi/provider"),
        ('s-exp "lang.rkt" (x)', 's-exp "lang.rkt"'),
        ("reader syntax/module-reader", "reader syntax/module-reader"),
        ("at-exp racket/base @(x)", "at-exp racket/base"),
        ("2d racket/base", "2d racket/base"),
        ('at-exp s-exp (file "/x")', None),
        ('s-exp (lib "x")', None),
        ('reader (submod "." reader)', None),
        ("racket/base|(x)|", None),
        ("(begin-for-syntax)", None),
        ("", None),
    ],
)
def test_lang_spec_keeps_the_language_only(line: str, spec: str | None) -> None:
    assert lang_spec(line) == spec
    if spec is not None and '"' not in spec:  # relative paths are made absolute first
        assert profilable(f"lang {spec}")


@pytest.mark.parametrize(
    "key",
    [
        "lang racket/base (begin-for-syntax (x))",
        "lang racket/base #:x (y)",
        "lang at-exp",
        'lang s-exp (lib "x")',
        'module (file "/a") (x)',
        "module racket/base\n(x)",
        "other racket/base",
    ],
)
def test_keys_with_anything_but_a_language_are_refused(key: str) -> None:
    assert not profilable(key)


def test_absolute_module_paths_are_profilable() -> None:
    assert profilable('lang s-exp (file "/usr/share/racket/collects/x/lang.rkt")')
    assert profilable('module (file "/usr/share/racket/collects/x/lang.rkt")')
