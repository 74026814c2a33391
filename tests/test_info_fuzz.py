"""Fuzzing: generated and mutated info.rkt texts never make the validator,
completion or hover raise, at any position."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from racket_install import collects_and_pkgs_dirs
from raco_lsp.core.records import Pos
from raco_lsp.info.assist import PackageInfo, complete, hover
from raco_lsp.info.catalog import FIELDS, SCRIBBLINGS_FLAGS
from raco_lsp.info.validate import validate_info

PATH = Path("/nonexistent/pkg/info.rkt")
PKGS = {"base": PackageInfo("base", "installation", None)}
FUZZ = settings(
    max_examples=1500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

atoms = st.one_of(
    st.sampled_from(
        [
            '"main.rkt"',
            '"base"',
            "#t",
            "#f",
            "#:version",
            "#:platform",
            "1.5",
            "42",
            "'multi",
            "multi-page",
            "library",
            '#rx"a"',
            '#"rhm"',
            "#\\a",
            "|a b|",
            "list",
            "quote",
            "define",
            "unquote",
            ",x",
            ",@y",
            "all",
            "#(1 2)",
            '"1.0"',
            '"a\\"b"',
            ".",
        ]
    ),
    st.sampled_from(sorted(FIELDS)),
    st.sampled_from(sorted(SCRIBBLINGS_FLAGS)),
    st.text(alphabet="abc-/.#:'\"\\ ", max_size=6),
)


def _wrap(children: list[str], opener: str) -> str:
    return opener + " ".join(children) + ")"


datums = st.recursive(
    atoms,
    lambda inner: st.builds(
        _wrap, st.lists(inner, max_size=5), st.sampled_from(["(", "'(", "`(", "(list ", "["])
    ),
    max_leaves=8,
)
defines = st.builds(
    lambda name, value, close: f"(define {name} {value}{close}",
    st.one_of(
        st.sampled_from(sorted(FIELDS)),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12),
    ),
    datums,
    st.sampled_from([")", ")", ")", "", "))"]),
)
headers = st.sampled_from(["#lang info\n", "#lang setup/infotab\n", "#lang racket\n", "", "#l"])
generated = st.builds(
    lambda head, body, expanded: (
        f"(module info setup/infotab (#%module-begin {' '.join(body)}))"
        if expanded
        else head + "\n".join(body)
    ),
    headers,
    st.lists(defines, max_size=8),
    st.booleans(),
)


@cache
def _seeds() -> list[str]:
    files = sorted(f for d in collects_and_pkgs_dirs() for f in d.rglob("info.rkt"))
    return [f.read_text(encoding="utf-8") for f in files[::8]]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_seeds()))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 8)))
        piece = draw(st.text(alphabet="()[]{}'\"`,#;|\\ \n\r\tab:.λ𝛌", max_size=4))
        text = text[:i] + piece + text[j:]
    return text


def _positions(text: str, picks: list[int]) -> list[Pos]:
    lines = text.split("\n")
    out = []
    for p in picks:
        line = p % len(lines)
        out.append(Pos(line, (p // len(lines)) % (len(lines[line]) + 2)))
    return out


def _exercise(text: str, picks: list[int]) -> None:
    validate_info(PATH, text)
    positions = (
        _positions(text, picks)
        if len(text) > 120
        else [
            Pos(line, col)
            for line, content in enumerate(text.split("\n"))
            for col in range(len(content) + 1)
        ]
    )
    for pos in positions:
        complete(text, pos, PATH, PKGS)
        hover(text, pos, PATH, PKGS)


@FUZZ
@given(generated, st.lists(st.integers(0, 10_000), min_size=1, max_size=4))
def test_generated_texts_never_raise(text: str, picks: list[int]) -> None:
    _exercise(text, picks)


TOKENS = [
    "(",
    "(",
    ")",
    ")",
    "[",
    "]",
    "'",
    "`",
    ",",
    ",@",
    "#lang info\n",
    "(define ",
    "\n",
    " ",
    "deps",
    "scribblings",
    "racket-launcher-names",
    '"base"',
    '"x.scrbl"',
    "#:version",
    "multi-page",
    "(list ",
    "(quote ",
    "(module info setup/infotab ",
    "(#%module-begin ",
    ";c\n",
    "#|",
    "|#",
    "#;",
    '"',
    "\\",
    "#(",
    "#hash(",
    ".",
    "1",
    "#f",
    "'all",
    "(if ",
    "getenv",
]


@FUZZ
@given(
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
    st.lists(st.integers(0, 10_000), min_size=1, max_size=4),
)
def test_token_soup_never_raises(text: str, picks: list[int]) -> None:
    _exercise(text, picks)


@FUZZ
@given(mutated(), st.lists(st.integers(0, 10_000), min_size=1, max_size=4))
def test_mutated_installation_files_never_raise(text: str, picks: list[int]) -> None:
    _exercise(text, picks)


@settings(max_examples=500, deadline=None, database=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_raises(text: str) -> None:
    _exercise(text, [0])
