"""`raco setup` reports as problems on info.rkt, with quick fixes (plain records).

Undeclared run dependencies go on ``deps`` (or where it should be), build-mode
ones on ``build-deps``; unused, uninstalled and too old dependencies on their
entry (unused ones only when every module compiled: a module that did not was
not checked); compile and documentation errors at their location.  Fixes are
minimal text edits that keep the file's formatting.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from raco_lsp.core.records import Pos, Problem, Related, Severity, Span
from raco_lsp.core.text import TextIndex, read_source
from raco_lsp.info.findings import Finding, Fix, TextEdit
from raco_lsp.racket.setup import NotInstalled, SetupError, SetupReport, Undeclared, Unused
from raco_lsp.syntax.info import Datum, InfoSyntax, parse_info

SOURCE = "raco setup"


# -- the dependency lists ------------------------------------------------------


def _list_of(d: Datum | None) -> Datum | None:
    """The list datum of ``'(...)`` or ``(list ...)``; its items start at index 0/1."""
    if d is None:
        return None
    if d.kind == "quote" and d.items and d.items[0].kind == "list":
        return d.items[0]
    if d.kind == "list" and d.head == "list":
        return d
    return None


def _entries(lst: Datum) -> list[Datum]:
    return list(lst.items[1:]) if lst.head == "list" else list(lst.items)


def _entry_name(e: Datum) -> str | None:
    if e.kind == "string":
        return e.value
    if e.kind == "list" and e.items and e.items[0].kind == "string":
        return e.items[0].value
    return None


def find_entry(info: InfoSyntax, field: str, package: str) -> Datum | None:
    d = info.define(field)
    lst = _list_of(d.value if d else None)
    if lst is None:
        return None
    for e in _entries(lst):
        if _entry_name(e) == package:
            return e
    return None


def _anchor(info: InfoSyntax, field: str) -> Span:
    """Where a diagnostic about ``field`` goes when it is not defined."""
    for name in (field, "deps" if field == "build-deps" else "", "collection"):
        d = info.define(name) if name else None
        if d is not None:
            return d.name_span
    if info.lang_span is not None:
        return info.lang_span
    return Span.at_line_start(0)


# -- fixes ---------------------------------------------------------------------


def add_edit(text: str, field: str, package: str) -> TextEdit | None:
    """Insert ``"package"`` into ``field``'s list, or define the field."""
    info = parse_info(text)
    d = info.define(field)
    quoted = json.dumps(package)
    if d is not None:
        lst = _list_of(d.value)
        if lst is None:
            return None
        close = Pos(lst.span.end.line, lst.span.end.col - 1)
        sep = " " if _entries(lst) or lst.head == "list" else ""
        return TextEdit(Span(close, close), sep + quoted)
    anchor = None
    for name in ("deps", "collection") if field == "build-deps" else ("collection",):
        if (a := info.define(name)) is not None:
            anchor = a
            break
    if anchor is None and info.defines:
        anchor = info.defines[-1]
    new = f"(define {field} '({quoted}))"
    if anchor is not None:
        end = anchor.form.span.end
        return TextEdit(Span(end, end), "\n" + new)
    if info.lang_span is not None:
        end = Pos(info.lang_span.end.line, len(TextIndex(text).lines[info.lang_span.end.line]))
        return TextEdit(Span(end, end), "\n" + new)
    return None


def remove_edit(text: str, field: str, package: str) -> TextEdit | None:
    """Delete ``package``'s entry from ``field``'s list, with the space before it."""
    info = parse_info(text)
    d = info.define(field)
    lst = _list_of(d.value if d else None)
    if lst is None:
        return None
    entries = _entries(lst)
    index = TextIndex(text)
    for i, e in enumerate(entries):
        if _entry_name(e) != package:
            continue
        s, t = index.index_of(e.span.start), index.index_of(e.span.end)
        if i > 0:
            s = index.index_of(entries[i - 1].span.end)
        elif i + 1 < len(entries):
            t = index.index_of(entries[i + 1].span.start)
        elif lst.head == "list":
            s = index.index_of(lst.items[0].span.end)
        return TextEdit(Span(index.pos_at(s), index.pos_at(t)), "")
    return None


def add_fix(text: str, field: str, package: str) -> Fix | None:
    e = add_edit(text, field, package)
    return Fix(f'Add "{package}" to {field}', (e,)) if e else None


def move_fix(text: str, src: str, dst: str, package: str) -> Fix | None:
    rm = remove_edit(text, src, package)
    add = add_edit(text, dst, package)
    if rm is None or add is None:
        return None
    return Fix(f'Move "{package}" to {dst}', (rm, add))


def remove_fix(text: str, field: str, package: str) -> Fix | None:
    e = remove_edit(text, field, package)
    return Fix("Remove unused dependency", (e,)) if e else None


# -- report -> findings --------------------------------------------------------


def _module_short(module: str) -> str:
    m = re.match(r'^\(lib "(.*)"\)$', module)
    if not m:
        return module
    s = m.group(1)
    s = s[: -len(".rkt")] if s.endswith(".rkt") else s
    return s[: -len("/main")] if s.endswith("/main") else s


def _related(u: Undeclared) -> tuple[Related, ...]:
    if u.source is None:
        return ()
    text = read_source(u.source) or ""
    short = _module_short(u.module)
    span = Span.at_line_start(0)
    idx = TextIndex(text)
    for n, line in enumerate(idx.lines):
        col = line.find(short)
        if col >= 0:
            span = Span(Pos(n, col), Pos(n, col + len(short)))
            break
    return (Related(u.source, span, f"requires {u.module}"),)


def _error_problem(info_path: Path, info: InfoSyntax, e: SetupError) -> Problem:
    if e.path is not None and e.line is not None:
        idx = TextIndex(read_source(e.path) or "")
        start = idx.pos_of_line_column(e.line, e.col or 0)
        line = idx.lines[start.line] if start.line < len(idx.lines) else ""
        m = re.match(r"[^\s()\[\]{}\"]+", line[start.col :])
        end = Pos(start.line, start.col + (len(m.group(0)) if m else 0))
        return Problem(e.path, Span(start, end), Severity.ERROR, e.message, SOURCE, e.kind)
    if e.kind == "doc" and e.target is not None and e.target.is_file():
        idx = TextIndex(read_source(e.target) or "")
        return Problem(e.target, idx.first_line(), Severity.ERROR, e.message, SOURCE, "doc")
    span = _anchor(info, "scribblings" if e.kind == "doc" else "collection")
    rel = (Related(e.target, Span.at_line_start(0), "while building"),) if e.target else ()
    return Problem(info_path, span, Severity.ERROR, e.message, SOURCE, e.kind, rel)


def _declared(info: InfoSyntax, package: str) -> tuple[str, Datum] | None:
    """The field (``deps`` first) and entry that declare ``package``."""
    for field in ("deps", "build-deps"):
        if (e := find_entry(info, field, package)) is not None:
            return field, e
    return None


def _unused_finding(info_path: Path, info: InfoSyntax, text: str, pkg: str, u: Unused) -> Finding:
    """An unused dependency, on its own entry; ` for run` ones move to build-deps."""
    declared = _declared(info, u.package)
    span = declared[1].span if declared else _anchor(info, "deps")
    fix: Fix | None = None
    severity = Severity.WARNING
    if declared is None:
        severity = Severity.INFO  # nothing to edit here; it goes with the dependency
        # Not an entry: another dependency's `implies` brings it in.
        why = "unused at run time" if u.for_run else "unused"
        msg = f'"{u.package}" is {why} in {pkg}: it comes from a dependency\'s `implies`'
    elif u.for_run and declared[0] == "deps":
        msg = (
            f'dependency "{u.package}" is used only to build {pkg} (tests, docs, compile time):'
            " move it to build-deps"
        )
        fix = move_fix(text, "deps", "build-deps", u.package)
    else:
        msg = f'unused dependency "{u.package}": no module of {pkg} uses it'
        fix = remove_fix(text, declared[0], u.package)
    problem = Problem(info_path, span, severity, msg, SOURCE, "unused")
    return Finding(problem, (fix,) if fix else ())


def _not_installed_finding(info_path: Path, info: InfoSyntax, pkg: str, n: NotInstalled) -> Finding:
    """A dependency that is not installed, on the entry that brings it in."""
    declared = _declared(info, n.package)
    via = _declared(info, n.dependency_of) if n.dependency_of else None
    if declared is not None:
        span = declared[1].span
        msg = f'dependency "{n.package}" is not installed: modules of {pkg} using it cannot compile'
    elif via is not None:
        span = via[1].span
        msg = f'"{n.dependency_of}" depends on "{n.package}", which is not installed'
    else:
        span = _anchor(info, "deps")
        of = f' (a dependency of "{n.dependency_of}")' if n.dependency_of else ""
        msg = f'package "{n.package}"{of} is not installed'
    msg += f"; install it with `raco pkg install {n.package}`"
    return Finding(Problem(info_path, span, Severity.ERROR, msg, SOURCE, "not-installed"))


def findings_of(report: SetupReport, info_text: str | None = None) -> list[Finding]:
    """Problems (info.rkt, sources) for a report, with quick fixes on info.rkt."""
    info_path = report.package.directory / "info.rkt"
    text = info_text if info_text is not None else (read_source(info_path) or "")
    info = parse_info(text)
    found = report.found
    pkg = report.package.name
    out: list[Finding] = []
    for n in found.not_installed:
        out.append(_not_installed_finding(info_path, info, pkg, n))
    seen: set[tuple[str, str]] = set()
    run_time = {u.package for u in found.undeclared if u.mode == "run"}
    for u in found.undeclared:
        if (u.mode, u.package) in seen or (u.mode == "build" and u.package in run_time):
            continue  # a run-time dependency serves the build too (Racket's summary)
        seen.add((u.mode, u.package))
        field = "build-deps" if u.mode == "build" else "deps"
        who = u.source.name if u.source else pkg
        what = "build dependency" if u.mode == "build" else "dependency"
        msg = f'undeclared {what} on "{u.package}": {who} uses {u.module}'
        fixes: list[Fix] = []
        if field == "deps" and find_entry(info, "build-deps", u.package) is not None:
            mv = move_fix(text, "build-deps", "deps", u.package)
            if mv:
                fixes.append(mv)
        if not fixes and (f := add_fix(text, field, u.package)) is not None:
            fixes.append(f)
        problem = Problem(
            info_path, _anchor(info, field), Severity.ERROR, msg, SOURCE, "undeclared", _related(u)
        )
        out.append(Finding(problem, tuple(fixes)))
    # Modules that failed to compile were not checked: what they use looks unused.
    compiled = not any(e.kind == "compile" for e in found.errors)
    missing = {n.package for n in found.not_installed}
    for unused in found.unused:
        if compiled and unused.package not in missing:
            out.append(_unused_finding(info_path, info, text, pkg, unused))
    for v in found.newer_versions:
        declared = _declared(info, v.package)
        span = declared[1].span if declared else _anchor(info, "deps")
        have = f", but {v.current} is installed" if v.current else ""
        msg = f'{pkg} needs version {v.wanted} of "{v.package}"{have}'
        out.append(Finding(Problem(info_path, span, Severity.ERROR, msg, SOURCE, "version")))
    for name in found.implied_undeclared:
        entry = find_entry(info, "implies", name)
        span = entry.span if entry is not None else _anchor(info, "implies")
        msg = f'implied package "{name}" is not declared in deps'
        fix = add_fix(text, "deps", name)
        problem = Problem(info_path, span, Severity.ERROR, msg, SOURCE, "implies")
        out.append(Finding(problem, (fix,) if fix else ()))
    for sm in found.shared_modules:
        others = ", ".join(f'"{o}"' for o in sm.others)
        msg = f"module {sm.module} is also provided by {others}"
        span = _anchor(info, "collection")
        out.append(
            Finding(Problem(info_path, span, Severity.WARNING, msg, SOURCE, "shared-module"))
        )
    if found.no_deps:
        msg = f"{pkg} declares no dependencies, so raco setup does not check them: declare deps"
        fix = add_fix(text, "deps", "base")
        problem = Problem(
            info_path, _anchor(info, "deps"), Severity.WARNING, msg, SOURCE, "no-deps"
        )
        out.append(Finding(problem, (fix,) if fix else ()))
    for e in found.errors:
        out.append(Finding(_error_problem(info_path, info, e)))
    for why in report.failures:
        anchor = _anchor(info, "collection")
        out.append(Finding(Problem(info_path, anchor, Severity.ERROR, why, SOURCE, "setup")))
    return out
