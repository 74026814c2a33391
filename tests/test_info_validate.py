"""Static info.rkt validation, checked against Racket's own get-info."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from info_support import apply_fix
from racket_install import collects_and_pkgs_dirs
from raco_lsp.core.records import Pos, Severity, Span
from raco_lsp.info.findings import Finding
from raco_lsp.info.validate import validate_info
from raco_lsp.racket.info import get_info_problems
from raco_lsp.racket.locate import locate_racket

L = "#lang info\n"


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.problem.severity is Severity.ERROR]


def one(text: str, path: Path = Path("/nonexistent/info.rkt"), **kw: bool) -> Finding:
    found = validate_info(path, text, **kw)
    assert len(found) == 1, [f.problem.message for f in found]
    return found[0]


def span(l1: int, c1: int, l2: int, c2: int) -> Span:
    return Span(Pos(l1, c1), Pos(l2, c2))


def _install_dirs() -> list[Path]:
    return list(collects_and_pkgs_dirs())


def test_every_installed_info_file_is_free_of_errors() -> None:
    files = sorted(f for d in _install_dirs() for f in d.rglob("info.rkt"))
    assert len(files) > 300
    expanded = 0
    for f in files:
        text = f.read_text(encoding="utf-8")
        expanded += text.lstrip().startswith("(module")
        found = errors(validate_info(f, text))
        assert not found, (f, [x.problem.message for x in found])
    assert expanded > 100  # Debian's pre-expanded (module info setup/infotab ...) form
    install, _ = locate_racket()
    assert install is not None
    truth = asyncio.run(get_info_problems(install, files, timeout=300))
    assert len(truth) == len(files)
    assert not [p for ps in truth.values() for p in ps]


# (text, expected error span, message fragment): static errors Racket also rejects.
GRAMMAR = [
    ("#lang racket/base\n(define x 1)\n", span(0, 6, 0, 17), "#lang info"),
    ("(define x 1)\n", span(0, 0, 0, 0), "must start with `#lang info`"),
    (L + "(define x 1)\n(define x 2)\n", span(2, 8, 2, 9), "duplicate definition of x"),
    (L + "(require racket/list)\n", span(1, 0, 1, 21), "not a well-formed definition"),
    (L + "(displayln 1)\n", span(1, 0, 1, 13), "not a well-formed definition"),
    (L + "(define x (map add1 '(1 2)))\n", span(1, 11, 1, 14), "map: unbound identifier"),
    (L + "(define x (list 1 2)\n", span(1, 0, 1, 1), "expected a `)` to close `(`"),
    (L + "(define x y)\n(define y 2)\n", span(1, 10, 1, 11), "before its definition"),
    (L + "(define x #:k)\n", span(1, 10, 1, 13), "keyword misused"),
    (L + "(define x (define y 1))\n", span(1, 10, 1, 22), "not allowed in an expression"),
    (L + '(define x (lib "racket"))\n', span(1, 10, 1, 24), "module-path constructor"),
    (L + "(define (f) 1)\n", span(1, 0, 1, 14), "not a well-formed definition"),
    (L + "(define x (if #t 1))\n", span(1, 10, 1, 19), "if: bad syntax"),
    ("(module info racket/base (define x 1))\n", span(0, 13, 0, 24), "`info` language"),
    ("(module foo info (define x 1))\n", span(0, 8, 0, 11), "named `info`"),
]


def test_grammar_errors_at_exact_ranges_and_racket_agrees(tmp_path: Path) -> None:
    files = []
    for n, (text, where, fragment) in enumerate(GRAMMAR):
        d = tmp_path / f"case{n}"
        d.mkdir()
        (d / "info.rkt").write_text(text)
        files.append(d / "info.rkt")
        found = errors(validate_info(d / "info.rkt", text))
        assert found, text
        assert found[0].problem.span == where, (text, found[0].problem)
        assert fragment in found[0].problem.message, found[0].problem.message
        assert found[0].problem.source == "info.rkt"
    install, _ = locate_racket()
    assert install is not None
    truth = asyncio.run(get_info_problems(install, files))
    for f, (text, _, _) in zip(files, GRAMMAR, strict=True):
        assert truth[f], f"get-info accepted {text!r}"


def test_what_info_allows_is_accepted() -> None:
    text = (
        L + '(define version "1.2")\n(define deps `("base" ("racket" #:version ,version)))\n'
        '(define x (if (equal? 1 2) (getenv "HOME") (string-append "a" "b")))\n'
        '(define h (hash-set (hash) \'a 1))\n(define v #(1 2))\n(define r #rx"a")\n'
        '(define p (path->string (build-path "a" "b")))\n(define q (list* 1 \'(2)))\n'
    )
    assert validate_info(Path("/x/info.rkt"), text) == []


def test_unknown_flag_with_fix() -> None:
    text = L + '(define scribblings \'(("m.scrbl" (multi-pag))))\n'
    f = one(text, check_files=False)
    assert f.problem.span == span(1, 34, 1, 43)
    assert "unknown flag 'multi-pag" in f.problem.message and "multi-page" in f.problem.message
    (fix,) = f.fixes
    assert validate_info(Path("/x/info.rkt"), apply_fix(text, fix), check_files=False) == []


def test_collection_names_as_racket_judges_them() -> None:
    """raco pkg refuses a `collection` that is not a collection-name-element?
    (and raco setup --pkgs then had nothing to set up); the validator agrees
    with Racket's own predicate, except that it accepts every well-formed
    %-escape (Racket's rule for those depends on the character)."""
    import json
    import subprocess

    names = ["mine", "a-b_c+d", "A9", "my.pkg", "", "a b", "a/b", "caf\u00e9", "a%2e", "a%2"]
    names += ["a%zz", "a%", "x.y.z", "a;b"]
    out = subprocess.run(
        [
            "racket",
            "-l",
            "racket/base",
            "-l",
            "setup/collection-name",
            "-l",
            "json",
            "-e",
            "(write-json (for/list ([s (read-json)]) (and (collection-name-element? s) #t)))",
        ],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name, ok in zip(names, json.loads(out), strict=True):
        found = validate_info(Path("/x/info.rkt"), L + f"(define collection {json.dumps(name)})\n")
        flagged = any("is not a collection name" in f.problem.message for f in found)
        assert flagged == (not ok), (name, ok, [f.problem.message for f in found])


def test_category_must_start_with_a_symbol() -> None:
    f = one(L + '(define scribblings \'(("m.scrbl" () (5))))\n', check_files=False)
    assert f.problem.span == span(1, 36, 1, 39)
    assert "category" in f.problem.message


def test_missing_scribblings_source(tmp_path: Path) -> None:
    (tmp_path / "here.scrbl").write_text("")
    text = L + '(define scribblings \'(("here.scrbl") ("gone.scrbl")))\n'
    f = one(text, tmp_path / "info.rkt")
    assert f.problem.severity is Severity.ERROR
    assert f.problem.span == span(1, 38, 1, 50)
    assert '"gone.scrbl" does not exist' in f.problem.message


def test_parallel_launcher_lists_and_fix(tmp_path: Path) -> None:
    for name in ("a.rkt", "b.rkt"):
        (tmp_path / name).write_text("")
    text = (
        L + '(define racket-launcher-names \'("a" "b"))\n'
        '(define racket-launcher-libraries \'("a.rkt"))\n'
    )
    f = one(text, tmp_path / "info.rkt")
    assert f.problem.span == span(2, 34, 2, 44)
    assert "1 entries but racket-launcher-names has 2" in f.problem.message
    (fix,) = f.fixes
    fixed = apply_fix(text, fix)
    assert '(define racket-launcher-libraries \'("a.rkt" "b.rkt"))' in fixed
    assert validate_info(tmp_path / "info.rkt", fixed) == []


def test_parallel_fix_adds_a_name_when_names_are_short() -> None:
    text = (
        L + "(define racket-launcher-names '())\n"
        '(define racket-launcher-libraries (list "tool.rkt"))\n'
    )
    f = one(text, check_files=False)
    (fix,) = f.fixes
    fixed = apply_fix(text, fix)
    assert '(define racket-launcher-names \'("tool"))' in fixed
    assert validate_info(Path("/x/info.rkt"), fixed, check_files=False) == []


def test_raco_commands_entries_have_four_elements() -> None:
    f = one(L + '(define raco-commands \'(("hi" my/hi "say hi")))\n')
    assert f.problem.span == span(1, 24, 1, 45)
    assert "4-element list" in f.problem.message and "3 elements" in f.problem.message


def test_invalid_version() -> None:
    f = one(L + '(define version "1.02")\n')
    assert f.problem.span == span(1, 16, 1, 22)
    assert "not a valid version" in f.problem.message


def test_deps_entry_forms() -> None:
    ok = L + '(define deps \'("base" ("rackunit-lib" #:version "1.1") ("x" "1.0")))\n'
    assert validate_info(Path("/x/info.rkt"), ok) == []
    f = one(L + "(define deps '(base))\n")
    assert f.problem.span == span(1, 15, 1, 19)
    f = one(L + '(define deps \'(("a" #:versoin "1.0")))\n')
    assert f.problem.span == span(1, 20, 1, 29)
    assert "#:version" in f.problem.message


def test_unknown_field_warns_with_did_you_mean_and_fix() -> None:
    text = L + "(define scriblings '())\n(define my-own-field 1)\n"
    f = one(text)
    assert f.problem.severity is Severity.WARNING
    assert f.problem.span == span(1, 8, 1, 18)
    assert "did you mean `scribblings`" in f.problem.message
    (fix,) = f.fixes
    assert "(define scribblings '())" in apply_fix(text, fix)


@pytest.mark.parametrize(
    "value",
    ["'(1)", '"s"', '\'(("m.scrbl" multi-page))', '\'(("m.scrbl" () (library) 5))'],
)
def test_scribblings_shapes_are_errors(value: str) -> None:
    found = validate_info(
        Path("/x/info.rkt"), L + f"(define scribblings {value})\n", check_files=False
    )
    assert errors(found), value


@pytest.mark.parametrize(
    ("value", "where", "fragment"),
    [
        ('\'(("a" #:platform linux))', span(1, 31, 1, 36), "'unix, 'windows or 'macosx"),
        ('\'(("a" #:version "1.0" #:version "1.1"))', span(1, 36, 1, 45), "appears twice"),
        ('\'(("a" "1.00"))', span(1, 20, 1, 26), "not a valid version"),
    ],
)
def test_deps_entries_as_raco_pkg_checks_them(value: str, where: Span, fragment: str) -> None:
    f = one(L + f"(define deps {value})\n")
    assert f.problem.span == where and fragment in f.problem.message


def test_scribblings_category_length_and_relative_source() -> None:
    f = one(L + '(define scribblings \'(("m.scrbl" () (library 1 2))))\n', check_files=False)
    assert f.problem.span == span(1, 36, 1, 49)
    f = one(L + '(define scribblings \'(("/abs/m.scrbl")))\n')
    assert "relative path" in f.problem.message


def test_implies_outside_deps_warns() -> None:
    f = one(L + '(define deps \'("base"))\n(define implies \'("base" "other"))\n')
    assert f.problem.severity is Severity.WARNING
    assert f.problem.span == span(2, 25, 2, 32)
    assert "not in deps" in f.problem.message


def test_get_info_errors_map_to_their_srcloc() -> None:
    from raco_lsp.racket.info import problem_of_error

    f = Path("/w/p/info.rkt")
    text = L + "(define x (list 1 2)\n"
    loc = {"source": str(f), "line": None, "column": None, "position": 12, "span": 1}
    p = problem_of_error(f, f"{f}::12: read: expected a `)` to close `(`", [loc], text)
    assert p.span == span(1, 0, 1, 1)  # position-only srcloc
    assert p.message == "get-info: read: expected a `)` to close `(`"
    loc = {"source": str(f), "line": 2, "column": 10, "position": 22, "span": 3}
    p = problem_of_error(f, "p/info.rkt:2:10: map: unbound identifier\n  in: map", [loc], text)
    assert p.span == span(1, 10, 1, 13) and p.code == "get-info"
    p = problem_of_error(f, "get-info: info file has multiple expressions in x", [], text)
    assert p.span == span(0, 0, 0, 10) and p.message.startswith("get-info: info file")


def test_every_catalog_shape_has_a_check() -> None:
    from raco_lsp.info.catalog import FIELDS, SHAPES
    from raco_lsp.info.shapes import ShapeChecker

    for f in FIELDS.values():
        assert f.shape in SHAPES, f.name
        method = "shape_" + f.shape.replace("-", "_")
        assert f.shape == "any" or hasattr(ShapeChecker, method), f.name


def _at(text: str, needle: str) -> Span:
    """The span of the last ``needle`` in ``text``."""
    lines = text.split("\n")
    n = max(i for i, line in enumerate(lines) if needle in line)
    col = lines[n].rindex(needle)
    return span(n, col, n, col + len(needle))


# (definitions, the offending text, message fragment, severity): what DrRacket
# (drracket/private/tools.rkt) and the release notes page (racket-index's
# scribblings/main/private/release.rkt) do not accept.
E, W = Severity.ERROR, Severity.WARNING
CATALOG_SHAPES = [
    ('(define drracket-tools "tool.rkt")', '"tool.rkt"', "expected a list of tool module", E),
    ("(define tools '(tool))", "tool", "each tool must be a path string", E),
    ('(define drracket-tools \'(("t.rkt" 1)))', '("t.rkt" 1)', "each tool must be", E),
    ("(define tools '(()))", "()", "each tool must be a path string", E),
    ("(define tool-names '(name))", "name", "expected a name string or #f", E),
    ('(define drracket-tool-names "x")', '"x"', "expected a list of name strings", E),
    ("(define tool-urls '(5))", "5", "expected a URL string or #f", E),
    ("(define drracket-tool-icons '(icon))", "icon", "expected an icon path string", W),
    ('(define tool-icons \'(("i.png")))', '("i.png")', "expected an icon path string", W),
    ('(define release-note-files \'("H.txt"))', '"H.txt"', "each entry must be (list", E),
    ('(define release-note-files \'(("T")))', '("T")', "each entry must be (list", E),
    ('(define release-note-files \'((T "H.txt")))', "T", "expected a title string", E),
    ('(define release-note-files \'(("T" "H.txt" 1.5)))', "1.5", "exact integer", E),
    ('(define release-note-files \'(("T" "H.txt" 0 x)))', "x", "sub-notes must be a list", E),
    ('(define release-note-files \'(("T" "H.txt" 0 (("S")))))', '("S")', "each sub-note", E),
    ('(define release-note-files \'(("T" "H.txt" 0 (("S" 1)))))', "1", "a path string", E),
    ('(define release-note-files \'(("T" "")))', '""', "must not be empty", E),
]


@pytest.mark.parametrize(("define", "where", "fragment", "severity"), CATALOG_SHAPES)
def test_tools_and_release_note_shapes(
    define: str, where: str, fragment: str, severity: Severity
) -> None:
    text = L + define + "\n"
    f = one(text, check_files=False)
    assert fragment in f.problem.message
    assert (f.problem.span, f.problem.severity) == (_at(text, where), severity)


def test_tools_and_release_notes_as_the_installation_writes_them(tmp_path: Path) -> None:
    for name in ("t.rkt", "HISTORY.txt", "Old.txt", "clock.png"):
        (tmp_path / name).write_text("")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "u.rkt").write_text("")
    text = L + (
        '(define tools \'(("t.rkt") ("u.rkt" "private")))\n'
        '(define tool-names (list "T" #f))\n'
        '(define tool-icons \'("clock.png" ("bomb.png" "icons")))\n'
        '(define tool-urls \'("https://racket-lang.org/" #f))\n'
        '(define drracket-tools \'("t.rkt"))\n'
        "(define release-note-files "
        '\'(("Core" "HISTORY.txt" -100 (("Porting" "Old.txt")))))\n'
    )
    assert validate_info(tmp_path / "info.rkt", text) == []


def test_missing_tool_files_warn(tmp_path: Path) -> None:
    text = L + (
        '(define tools \'(("t.rkt" "private")))\n'
        '(define tool-icons \'("i.png"))\n'
        '(define release-note-files \'(("T" "H.txt" 0 (("S" "S.txt")))))\n'
    )
    found = validate_info(tmp_path / "info.rkt", text)
    assert [(f.problem.severity, f.problem.span) for f in found] == [
        (W, _at(text, '("t.rkt" "private")')),
        (W, _at(text, '"i.png"')),
        (W, _at(text, '"H.txt"')),
        (W, _at(text, '"S.txt"')),
    ]
    assert '"private/t.rkt" does not exist' in found[0].problem.message


def test_tool_lists_are_parallel() -> None:
    text = L + '(define drracket-tools \'("a.rkt" "b.rkt"))\n(define drracket-tool-names \'("A"))\n'
    f = one(text, check_files=False)
    assert f.problem.code == "info-parallel" and f.problem.span == _at(text, '\'("A")')
    assert "drracket-tool-names has 1 entries but drracket-tools has 2" in f.problem.message
