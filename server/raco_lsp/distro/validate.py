"""Static checks of a distro-build site configuration (plain records).

Nothing here runs the configuration (it is workspace code): the module is read
with tree-sitter, every ``machine``/``sequential``/``parallel`` call's keyword
arguments are checked against the catalogue, and a value is judged only when it
is a literal (a string, number, boolean, quoted datum or ``(list ...)`` of
literals); anything computed is left alone.  Readers never raise.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from raco_lsp.core.records import Related, Severity, Span
from raco_lsp.distro.catalog import FORMS, KEYWORDS, SHAPES, Keyword
from raco_lsp.distro.plan import Plan, Sym, body_expressions, keyword_options, plan_syntax
from raco_lsp.info.findings import Finding, Findings, Fix
from raco_lsp.syntax.info import Datum, InfoSyntax, parse_info

SOURCE = "distro-build"

_LANG_LINE = re.compile(r"\A(?:\s|;[^\n]*\n)*#lang[ \t]+distro-build/config(?=[\s;]|\Z)")
_INT = re.compile(r"[+-]?\d+\.?")
_REAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?|[+-]inf\.0", re.I)


def is_site_config(path: Path, text: str) -> bool:
    """A module in the ``distro-build/config`` language, or the makefile's
    default configuration file ``build/site.rkt``."""
    return bool(_LANG_LINE.match(text)) or path.parts[-2:] == ("build", "site.rkt")


@dataclass(frozen=True)
class Option:
    """One ``#:keyword value`` of a configuration form."""

    keyword: Datum
    value: Datum | None


@dataclass(frozen=True)
class Form:
    """A ``machine``/``sequential``/``parallel`` call and how many such calls
    enclose it."""

    datum: Datum
    depth: int

    @property
    def options(self) -> list[Option]:
        return [Option(k, v) for k, v in keyword_options(self.datum)]


def config_forms(forms: list[Datum]) -> Iterator[Form]:
    """Every configuration form in ``forms``, outermost first."""

    def walk(d: Datum, depth: int) -> Iterator[Form]:
        if d.kind in ("quote", "quasiquote"):
            return
        inner = depth
        if d.kind == "list" and d.head in FORMS:
            yield Form(d, depth)
            inner = depth + 1
        for item in d.items:
            yield from walk(item, inner)

    for f in forms:
        yield from walk(f, 0)


def _literal(d: Datum) -> tuple[str, object] | None:
    """``(kind, value)`` of a literal value, None when it is computed."""
    if d.kind == "string":
        return "string", d.value or ""
    if d.kind == "number":
        return "number", d.text
    if d.kind == "boolean":
        return "boolean", d.text
    if d.kind == "quote" and d.items:
        q = d.items[0]
        if q.kind == "symbol":
            return "symbol", q.text
        if q.kind == "list":
            return "list", list(q.items)
        return _literal(q)
    if d.kind == "list" and d.head == "list":
        return "list", list(d.items[1:])
    return None


def _false(lit: tuple[str, object]) -> bool:
    return lit[0] == "boolean" and str(lit[1]) in ("#f", "#false")


def shape_problem(k: Keyword, value: Datum) -> str | None:
    """Why a literal ``value`` does not fit ``k``'s shape (None: fits or unknown)."""
    lit = _literal(value)
    if lit is None:
        return None
    kind, v = lit
    shape = k.shape
    if shape.endswith("-or-false") and _false(lit):
        return None
    base = shape.removesuffix("-or-false")
    want = SHAPES[shape][0]
    if base in ("string", "string*", "path-string", "path-string-or-symbol", "string-or-symbol"):
        if kind == "symbol" and base.endswith("symbol"):
            return None
        if kind != "string":
            return f"#:{k.name} expects a {want}"
        if base == "string*" and re.search(r"\s", str(v)):
            return f"#:{k.name} expects a {want}: {value.text} contains whitespace"
        if base.startswith("path-string") and not v:
            return f"#:{k.name} expects a {want}, not an empty string"
        return None
    if base in ("positive-integer", "integer", "real", "nonnegative-real", "number"):
        if kind != "number":
            return f"#:{k.name} expects a {want}"
        text = str(v)
        if base in ("positive-integer", "integer") and not _INT.fullmatch(text):
            return f"#:{k.name} expects a {want}, not {text}"
        if base == "positive-integer" and _INT.fullmatch(text) and int(text.rstrip(".")) <= 0:
            return f"#:{k.name} expects a {want}, not {text}"
        if base == "nonnegative-real" and text.startswith("-"):
            return f"#:{k.name} expects a {want}, not {text}"
        if k.choices and text not in k.choices:
            return f"#:{k.name} expects one of {', '.join(k.choices)}, not {text}"
        return None
    if base == "boolean":
        return None if kind == "boolean" else f"#:{k.name} expects a {want}"
    if base == "symbol":
        if kind != "symbol":
            return f"#:{k.name} expects a quoted symbol"
        if k.choices and v not in k.choices:
            choices = ", ".join("'" + c for c in k.choices)
            return f"#:{k.name} expects one of {choices}, not '{v}"
        return None
    if base in ("list-string", "list-string*", "env"):
        if kind != "list":
            return f"#:{k.name} expects a {want}"
        assert isinstance(v, list)
        if base == "env":
            return None
        for item in v:
            quoted_symbol = item.kind == "symbol" and value.kind == "quote"
            il = ("symbol", item.text) if quoted_symbol else _literal(item)
            if il is None:
                continue
            if il[0] != "string":
                return f"#:{k.name} expects a {want}: {item.text} is not a string"
            if base == "list-string*" and re.search(r"\s", str(il[1])):
                return f"#:{k.name} expects a {want}: {item.text} contains whitespace"
        return None
    if base == "list":
        return None if kind == "list" else f"#:{k.name} expects a {want}"
    if base in ("hash", "hash-or-list", "procedure", "string-or-procedure"):
        if base == "string-or-procedure" and kind == "string":
            return None
        if base == "hash-or-list" and kind == "list":
            return None
        return f"#:{k.name} expects a {want}"
    return None


def validate_config(path: Path, text: str) -> list[Finding]:
    """The static findings about the site configuration ``text`` at ``path``."""
    found = Findings(path, SOURCE)
    syntax = parse_info(text)
    body = [d.form for d in syntax.defines] + list(syntax.others)
    for form in config_forms(body):
        seen: dict[str, Datum] = {}
        for opt in form.options:
            name = opt.keyword.text[2:]
            k = KEYWORDS.get(name)
            span = opt.keyword.span
            if k is None:
                close = difflib.get_close_matches(name, list(KEYWORDS), n=3, cutoff=0.6)
                fixes = tuple(Fix.replace(f"Change to #:{c}", span, "#:" + c) for c in close)
                hint = f"; did you mean #:{close[0]}?" if close else ""
                found.add(
                    span,
                    f"unknown keyword #:{name} for {form.datum.head}{hint}",
                    "unknown-keyword",
                    fixes=fixes,
                )
                continue
            if name in seen:
                found.add(span, f"#:{name} is given twice", "duplicate-keyword")
            seen[name] = opt.keyword
            if k.top and form.depth > 0:
                found.add(
                    span,
                    f"#:{name} belongs only on the outermost configuration, "
                    f"not inside another {FORMS[0]}/{FORMS[1]}/{FORMS[2]}",
                    "top-level-only",
                )
            if opt.value is None:
                found.add(span, f"#:{name} has no value", "missing-value")
                continue
            why = shape_problem(k, opt.value)
            if why is not None:
                found.add(opt.value.span, why, "wrong-shape")
            if (
                name == "dist-base-url"
                and opt.value.kind == "string"
                and opt.value.value
                and not opt.value.value.endswith("/")
            ):
                found.add(
                    opt.value.span,
                    "#:dist-base-url should end with /: the catalog and "
                    "documentation URLs are made relative to it",
                    "url-slash",
                    Severity.WARNING,
                )
    if not syntax.syntax_errors:
        _check_body(found, syntax)
        plan, _ = plan_syntax(syntax)
        if plan is not None:
            _cross_checks(found, plan)
    return found.items


def _check_body(found: Findings, syntax: InfoSyntax) -> None:
    """The module body holds exactly one configuration expression (besides
    definitions and requires), as the language's module-begin demands."""
    exprs = body_expressions(syntax)
    if not exprs:
        found.add(
            syntax.lang_span or Span.at_line_start(),
            "no configuration expression: the module must end up with one "
            "(machine ...), (sequential ...) or (parallel ...)",
            "no-configuration",
        )
        return
    for extra in exprs[1:]:
        found.add(
            extra.span,
            "a second top-level expression: a site configuration has exactly one",
            "second-expression",
            related=(Related(found.path, exprs[0].span, "the configuration expression"),),
        )
    first = exprs[0]
    if first.kind not in ("list", "symbol"):
        found.add(
            first.span,
            "this expression is not a site configuration: use machine, sequential or parallel",
            "not-a-configuration",
        )


def _cross_checks(found: Findings, plan: Plan) -> None:
    """What the documentation says about options together, on each machine's
    effective options (after inheritance), under the default mode."""
    said: set[tuple[str, Span]] = set()

    def once(code: str, span: Span) -> bool:
        if (code, span) in said:
            return False
        said.add((code, span))
        return True

    logs: dict[str, tuple[Span, str]] = {}
    for m in plan.machines():
        vbox, docker = m.options.get("vbox"), m.options.get("docker")
        vbox_on = vbox is not None and isinstance(vbox.setting.value, str)
        docker_on = docker is not None and isinstance(docker.setting.value, str)
        if (
            vbox_on
            and docker is not None
            and docker_on
            and once("vbox-docker", docker.setting.keyword_span)
        ):
            found.add(
                docker.setting.keyword_span,
                "#:docker is ignored where #:vbox is given: the machine is a VirtualBox VM "
                "reached over SSH, not a Docker container",
                "vbox-and-docker",
                Severity.WARNING,
            )
        for key in ("racket", "dir", "recompile-cache"):
            e = m.options.get(key)
            if e is None or not isinstance(e.setting.value, Sym):
                continue
            if docker_on and not vbox_on:
                continue
            if once("symbol-" + key, e.setting.value_span):
                found.add(
                    e.setting.value_span,
                    f"a symbol for #:{key} works only for a Docker client "
                    "(#:docker without #:vbox)",
                    "symbol-needs-docker",
                )
        if m.log_file is None:
            continue
        where = next(
            (
                m.options[k].setting.value_span
                for k in ("log-file", "name", "host")
                if k in m.options
            ),
            m.span,
        )
        first = logs.get(m.log_file)
        if first is None:
            logs[m.log_file] = (where, m.name or m.log_file)
        elif once("duplicate-log", where):
            found.add(
                where,
                f"another machine already writes the log file build/log/{m.log_file}: "
                "give each machine its own #:name (or #:log-file)",
                "duplicate-name",
                related=(
                    Related(found.path, first[0], f"the first machine with log {m.log_file}"),
                ),
            )
