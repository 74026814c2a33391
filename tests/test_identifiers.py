"""The identifier analysis's Racket helper and its reader: headless
(racket/gui never loaded, no display), and bad answers never raise."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from raco_lsp.core.records import Pos, Span
from raco_lsp.racket.env import data_file
from raco_lsp.racket.identifiers import read_analysis

TEXT = "#lang racket/base\r\n(define (f x)\tx)\n(f 1)\n"


def test_helper_is_headless(tmp_path: Path) -> None:
    module = tmp_path / "m.rkt"
    module.write_bytes(TEXT.encode())
    helper = data_file("identifiers.rkt")
    program = (
        f"(require (file {json.dumps(str(helper))})) "
        "(require json) "
        f"(write-json (analyze-file {json.dumps(str(module))})) (newline) "
        "(write (module-declared? 'racket/gui/base #f))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    run = subprocess.run(
        ["racket", "-l", "racket/base", "-e", program],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 0, run.stderr
    answer, gui = run.stdout.splitlines()
    assert gui == "#f"
    analysis, problems = read_analysis(json.loads(answer), TEXT)
    assert analysis is not None and problems == []
    # CRLF is one Racket position, a TAB one character: `x` after the TAB.
    (binding,) = [a for a in analysis.arrows if a.binder == Span(Pos(1, 11), Pos(1, 12))]
    assert binding.use == Span(Pos(1, 14), Pos(1, 15))
    assert not list(tmp_path.glob("compiled"))  # nothing written


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"error": "boom"},
        {"cancelled": True},
        {"arrows": None, "mouse": [[1]], "jumps": [["a", 2, 3, 4, 5]], "targets": 7},
        {"arrows": [[5, 1, 2, 3, True, 0], [-1, 2, 3, 4, "x", "y"]], "mouse": [[0, 1, 2]]},
        {"unused": [[1], [3, 2]], "docs": [[0, 1, 5], [0, 1, "x"]], "doc_entries": [[1, 2, 3, 4]]},
        {"types": [["a", 1, 2], [0, 1, None]], "doc_entries": None, "docs": [[0, 1, 0]]},
        {"scope": {}, "locals": None},
        {
            "scope": [["a"], [1, "procedure", "lang", 1, 2, "id", [[1, "x"]], [[1, 2]]], 5],
            "locals": [[0, 1, "x", 5, 2, None], [0, 1, 2, 3, 4, 5], "bad"],
        },
        {
            "scope": [
                ["f", "procedure", "lang", None, None, "f", [[1, "x"], 7], [["a", 2]], [["#:k", 1]]]
            ],
            "locals": [[0, 1, "x", 0, 3, [["a"], 5]]],
        },
    ],
)
def test_reader_never_raises(answer: dict[str, Any]) -> None:
    analysis, problems = read_analysis(answer, TEXT)
    assert analysis is None or analysis.arrows == ()
    assert analysis is not None or problems
    if analysis is not None:
        assert all(isinstance(s.name, str) and s.arities is None for s in analysis.scope)
        assert all(s.params is None and not s.keywords for s in analysis.scope)
        assert all(b.params in (None, (("a",),)) for b in analysis.locals)


def test_reader_docs_unused_and_types() -> None:
    answer = {
        "arrows": [],
        "mouse": [],
        "jumps": [],
        "targets": [],
        "unused": [[18, 34]],
        "docs": [[19, 25, 0]],
        "doc_entries": [
            ["/d/r.html", "(form._x)", "View documentation for define", ["syntax", "(d)"]]
        ],
        "types": [[32, 33, "Integer"]],
    }
    analysis, problems = read_analysis(answer, TEXT)
    assert analysis is not None and problems == []
    assert analysis.unused == (Span(Pos(1, 0), Pos(1, 16)),)
    doc = analysis.doc_at(Pos(1, 3))
    assert doc is not None and doc.file == Path("/d/r.html") and doc.bluebox == ("syntax", "(d)")
    assert analysis.types_at(Pos(1, 14)) == [(Span(Pos(1, 14), Pos(1, 15)), "Integer")]


def test_several_binders_of_one_use_in_text_order() -> None:
    """A macro can make several binders of one name (``define-generics``'
    fast defaults): definition offers each, in text order, whatever order
    check-syntax's arrows come in; highlight keeps to the first."""
    text = "#lang racket/base\n(m f)\n(m f)\n(f 1)\n"
    first, second, use = [21, 22], [27, 28], [31, 32]
    empty: dict[str, Any] = {
        k: [] for k in ("mouse", "jumps", "targets", "unused", "docs", "doc_entries", "types")
    }
    for arrows in (
        [[*second, *use, False, 0], [*first, *use, False, 0]],
        [[*first, *use, False, 0], [*second, *use, False, 0]],
    ):
        analysis, problems = read_analysis({**empty, "arrows": arrows}, text)
        assert analysis is not None and problems == []
        at_use = Pos(3, 1)
        assert analysis.binders_at(at_use) == [
            Span(Pos(1, 3), Pos(1, 4)),
            Span(Pos(2, 3), Pos(2, 4)),
        ]
        binding = analysis.binding_at(at_use)
        assert binding is not None and binding[0] == Span(Pos(1, 3), Pos(1, 4))
        assert analysis.binders_at(Pos(2, 3)) == [Span(Pos(2, 3), Pos(2, 4))]  # on a binder
    imported, _ = read_analysis({**empty, "arrows": [[0, 5, *use, True, 0]]}, text)
    assert imported is not None and imported.binders_at(Pos(3, 1)) == []
