"""distro-build site configurations, statically: the keyword catalogue, the
checks on literal values, recognition, and fuzzed texts that never make the
checks, completion or hover raise."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raco_lsp.core.records import Pos
from raco_lsp.distro.assist import complete, hover
from raco_lsp.distro.catalog import KEYWORDS, SHAPES
from raco_lsp.distro.validate import is_site_config, validate_config
from raco_lsp.info.assist import PackageInfo

SITE = (Path(__file__).parent / "fixtures" / "site.rkt").read_text()
PATH = Path("/nonexistent/build/site.rkt")
L = "#lang distro-build/config\n"


def messages(text: str) -> list[str]:
    return [f.problem.message for f in validate_config(PATH, L + text)]


def test_catalogue_has_the_keywords_the_issue_names() -> None:
    named = [
        "host",
        "port",
        "user",
        "dir",
        "vbox",
        "docker",
        "platform",
        "cross-target",
        "configure",
        "pkgs",
        "test-pkgs",
        "dist-name",
        "dist-base",
        "dist-dir",
        "dist-suffix",
        "dist-base-url",
        "site-dest",
        "max-snapshots",
        "max-parallel",
        "timeout",
        "clean?",
        "release?",
        "source?",
        "versionless?",
        "fake-installers?",
        "server-hosts",
        "server-port",
        "variant",
        "splice",
    ]
    assert [n for n in named if n not in KEYWORDS] == []
    assert all(k.shape in SHAPES for k in KEYWORDS.values())
    top = {k.name for k in KEYWORDS.values() if k.top}
    assert {"server-hosts", "server-port", "site-dest", "fake-installers?"} <= top
    assert not {"host", "pkgs", "dist-base-url", "platform"} & top


def test_recognition() -> None:
    assert is_site_config(Path("/w/farm.rkt"), ";; farm\n#lang distro-build/config\n(machine)")
    assert is_site_config(Path("/w/build/site.rkt"), "#lang racket/base\n")
    assert not is_site_config(Path("/w/site.rkt"), "#lang racket/base\n")
    assert not is_site_config(Path("/w/x.rkt"), "#lang distro-build/configure\n")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("(machine)", None),
        ('(machine #:pkgs (list "a" x))', None),  # x is computed: not judged
        ('(machine #:port (+ 20 2) #:user #f #:clean? (equal? (current-mode) "c"))', None),
        ("(machine #:port 0)", "#:port expects a positive exact integer, not 0"),
        (
            "(machine #:pause-before -1)",
            "#:pause-before expects a non-negative real number, not -1",
        ),
        ("(machine #:user 'me)", "#:user expects a string without spaces, or #f"),
        (
            "(machine #:pkgs '(base))",
            "#:pkgs expects a list of strings without spaces: base is not a string",
        ),
        ('(machine #:pkgs "base")', "#:pkgs expects a list of strings without spaces"),
        ("(machine #:dir 'cs-build #:racket 'cs-build)", None),
        ("(machine #:bits 16)", "#:bits expects one of 32, 64, not 16"),
        ("(machine #:host)", "#:host has no value"),
        ('(machine #:host "a" #:host "b")', "#:host is given twice"),
        (
            '(machine #:dist-base-url "http://x.org/r")',
            "#:dist-base-url should end with /: the catalog and documentation URLs "
            "are made relative to it",
        ),
        ('(sequential #:server-hosts \'("localhost") (machine))', None),
    ],
)
def test_value_shapes(form: str, message: str | None) -> None:
    assert messages(form) == ([message] if message else [])


def test_top_level_only_inside_a_define_used_later_is_not_judged() -> None:
    # A machine defined apart may become the whole configuration: only lexical
    # nesting inside another configuration form is reported.
    assert messages('(define m (machine #:site-dest "s"))\nm\n') == []
    assert len(messages('(parallel (machine #:site-dest "s"))')) == 1


FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PKGS = {"base": PackageInfo("base", "installation", None)}


@FUZZ
@given(st.data())
def test_mutated_configurations_never_raise(data: st.DataObject) -> None:
    text = SITE
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 40)))
        piece = data.draw(
            st.sampled_from(["", "(", ")", "#:", "'", '"', "#:platform ", "(machine ", "\t", "é"])
        )
        text = text[:i] + piece + text[j:]
    validate_config(PATH, text)
    lines = text.split("\n")
    line = data.draw(st.integers(0, len(lines) - 1))
    pos = Pos(line, data.draw(st.integers(0, len(lines[line]))))
    complete(text, pos, PKGS)
    hover(text, pos)
