"""What a directory's info.rkt leaves out of a walk: of compiling, as
``raco setup`` reads it (setup/private/omitted-paths.rkt):
``compile-omit-paths`` and its old name ``compile-omit-files`` (lists of
relative paths and regexps, or ``'all`` for ``compile-omit-paths``); of
testing, as ``raco test`` reads ``test-omit-paths``.  Read statically
(info.rkt is never run), so a value the static evaluator cannot follow
omits nothing."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path, PurePosixPath

from raco_lsp.core.text import read_source
from raco_lsp.info.evaluator import Val, static_values
from raco_lsp.racket.workspace import OmitRules, Omits
from raco_lsp.syntax.info import decode_string, parse_info

log = logging.getLogger(__name__)


def compile_omits(directory: Path) -> Omits:
    """``directory``'s own compile omissions (none without an info.rkt)."""
    return _omits(directory, "compile-omit-paths", "compile-omit-files")


def compile_omit_rules() -> OmitRules:
    """Walk rules that skip what raco setup's compile skips."""
    return OmitRules(compile_omits)


def raco_test_omits(directory: Path) -> Omits:
    """``directory``'s own ``test-omit-paths`` (compiler/commands/test.rkt):
    the same paths and ``'all``, but a regexp is matched against each file's
    whole path."""
    own = _omits(directory, "test-omit-paths")
    return Omits(own.everything, own.paths, file_regexps=own.regexps)


def raco_test_omit_rules() -> OmitRules:
    """Walk rules that find the files ``raco test DIR`` runs: every directory
    is entered, dot-files and ``test-omit-paths`` are skipped."""
    return OmitRules(raco_test_omits, by_name=False)


def _omits(directory: Path, field: str, *more: str) -> Omits:
    text = read_source(directory / "info.rkt")
    if text is None:
        return Omits()
    values = static_values(parse_info(text))
    omit = values.get(field)
    if omit is not None and omit.kind == "symbol" and omit.text == "all":
        return Omits(everything=True)
    paths: list[tuple[str, ...]] = []
    regexps: list[re.Pattern[str]] = []
    for v in (values.get(name) for name in (field, *more)):
        for item in v.items if v is not None and v.kind == "list" else ():
            if item.kind == "string":
                rel = os.path.normpath(item.text)
                # raco setup rejects ".", absolute paths and ".." (an error).
                if rel != "." and not os.path.isabs(rel) and not rel.startswith(".."):
                    paths.append(PurePosixPath(rel).parts)
            elif item.kind == "regex" and (rx := _regexp(item)) is not None:
                regexps.append(rx)
    return Omits(paths=tuple(paths), regexps=tuple(regexps))


def _regexp(v: Val) -> re.Pattern[str] | None:
    """A ``#rx"..."`` / ``#px"..."`` literal as a Python pattern (the
    common syntax is the same); None when Python cannot read it."""
    m = re.match(r'#[rp]x#?(".*)', v.text, re.S)
    if m is None:
        return None
    try:
        return re.compile(decode_string(m.group(1)))
    except re.error:
        log.info("info.rkt regexp %s: not understood, ignored", v.text)
        return None
