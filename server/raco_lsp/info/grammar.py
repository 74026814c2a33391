"""The info-module grammar of the raco manual §6.4 (plain records).

An info.rkt is ``#lang info`` (or ``#lang setup/infotab``), or the expanded
``(module info <info language> ...)`` form, whose body holds only
``(define id expr)`` forms, each name defined once.  What is inside an
``expr`` is the evaluator's business (``evaluator.py``).
"""

from __future__ import annotations

from raco_lsp.core.records import Related, Span
from raco_lsp.info.findings import Findings
from raco_lsp.syntax.info import Define, InfoSyntax

INFO_LANGS = {"info", "setup/infotab"}
# Module languages of the expanded (module info <lang> ...) form (§6.4).
INFO_MODULE_LANGS = {
    "info",
    "setup/infotab",
    '(lib "info/main.rkt")',
    '(lib "setup/infotab.ss")',
    '(lib "setup/infotab.rkt")',
    '(lib "main.rkt" "info")',
    '(lib "infotab.rkt" "setup")',
    '(lib "infotab.ss" "setup")',
}


def check_module(info: InfoSyntax, found: Findings) -> bool:
    """Read errors, the module's language and name, and body forms that are
    not definitions.  False when the file is not an info module at all (then
    nothing else is worth checking)."""
    for span, message in info.syntax_errors:
        found.add(span, f"read: {message}", "info-read")
    if info.style == "none":
        if info.src.root.named_child_count or info.src.data.strip():
            found.add(
                Span.at_line_start(0),
                "info.rkt must start with `#lang info` (get-info: info file does not contain a "
                "module of the right shape)",
                "info-no-lang",
            )
        return False
    if info.style == "lang" and info.lang not in INFO_LANGS and info.lang_span is not None:
        found.add(
            info.lang_span,
            f"#lang {info.lang}: info.rkt must use `#lang info` (or `#lang setup/infotab`)",
            "info-lang",
        )
        return False
    if info.style == "module":
        lang = " ".join((info.lang or "").split())
        if lang not in INFO_MODULE_LANGS and info.lang_span is not None:
            found.add(
                info.lang_span,
                f"an info module must use the `info` language, not {lang}",
                "info-lang",
            )
            return False
        if info.module_name != "info" and info.module_name_span is not None:
            found.add(
                info.module_name_span,
                "get-info: the info module must be named `info`, as in "
                "(module info setup/infotab ...)",
                "info-module-name",
            )
        for extra in info.extra_top:
            found.add(extra.span, "get-info: info file has multiple expressions", "info-multiple")
    for other in info.others:
        what = "a definition with a non-identifier name" if other.head == "define" else None
        found.add(
            other.span,
            "infotab-module: not a well-formed definition; info.rkt may only contain "
            f"(define id expr){' (' + what + ')' if what else ''}",
            "info-not-define",
        )
    return True


def check_define(d: Define, first: Define | None, found: Findings) -> bool:
    """One ``(define id expr)``: ``first`` is an earlier definition of the same
    name.  False when it has no value to evaluate."""
    if first is not None:
        found.add(
            d.name_span,
            f"infotab-module: duplicate definition of {d.name}",
            "info-duplicate",
            related=(Related(found.path, first.name_span, "first defined here"),),
        )
    if d.value is None:
        found.add(d.form.span, f"define: bad syntax (no value for {d.name})", "info-syntax")
        return False
    if d.extra:
        found.add(d.extra[0].span, "define: bad syntax (more than one expression)", "info-syntax")
    return True
