"""Per-field value checks of info.rkt (plain records).

Each field the catalog knows (``catalog.FIELDS``) names a value shape; the
``ShapeChecker`` checks a statically computed value (``evaluator.Val``)
against it, entry by entry, and that the files the value names exist.  What
the evaluator could not compute (``unknown``) is never reported.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.core.records import Severity
from raco_lsp.info.catalog import DISTRIBUTION_PREFERENCES, FIELDS, SCRIBBLINGS_FLAGS, Field
from raco_lsp.info.evaluator import Val
from raco_lsp.info.findings import Findings, Fix
from raco_lsp.syntax.info import Datum, Define

VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|(0|[1-9][0-9]?)(\.(0|[1-9][0-9]{0,2})){0,2}(?<!\.0))$")


@dataclass
class ShapeChecker:
    found: Findings
    check_files: bool
    exists: Callable[[Path], bool] = field(default=lambda p: os.path.exists(p))

    @property
    def path(self) -> Path:
        return self.found.path

    def add(
        self,
        v: Val | Datum,
        message: str,
        code: str,
        severity: Severity = Severity.ERROR,
        fixes: tuple[Fix, ...] = (),
    ) -> None:
        d = v.datum if isinstance(v, Val) else v
        self.found.add(d.span, message, code, severity, fixes=fixes)

    def list_of(self, v: Val, what: str, fname: str) -> tuple[Val, ...] | None:
        if v.kind == "list":
            return v.items
        if v.known:
            self.add(v, f"{fname}: expected {what}, found {_describe(v)}", "info-shape")
        return None

    def string(self, v: Val, fname: str, what: str = "a string") -> bool:
        if v.kind == "string" or not v.known:
            return True
        self.add(v, f"{fname}: expected {what}, found {_describe(v)}", "info-shape")
        return False

    def check(self, f: Field, v: Val) -> None:
        getattr(self, "shape_" + f.shape.replace("-", "_"), self.shape_any)(f, v)

    def shape_any(self, f: Field, v: Val) -> None:
        return

    def shape_string(self, f: Field, v: Val) -> None:
        self.string(v, f.name)

    def shape_collection(self, f: Field, v: Val) -> None:
        if v.kind == "symbol" and v.text not in ("multi", "use-pkg-name"):
            self.add(
                v,
                f"collection: expected a string, 'multi or 'use-pkg-name, found '{v.text}",
                "info-shape",
            )
        elif v.kind not in ("symbol", "string", "unknown"):
            self.add(v, f"collection: expected a string, found {_describe(v)}", "info-shape")
        elif v.kind == "string" and not _collection_name_element(v.text):
            self.add(
                v,
                f'collection: "{v.text}" is not a collection name (letters, digits, "+", "_", "-" '
                "and %-escapes only): raco pkg refuses it and the package has no collection",
                "info-shape",
            )

    def shape_version(self, f: Field, v: Val) -> None:
        if v.known and v.kind != "string":
            # Old collection-level info files use a list here; raco pkg ignores them.
            self.add(
                v,
                f"version: expected a version string, found {_describe(v)}",
                "info-version",
                Severity.WARNING,
            )
            return
        if v.kind == "string" and not VERSION.match(v.text):
            self.add(
                v,
                f'version: "{v.text}" is not a valid version (expected forms like "1.0", '
                '"1.2.3", "8.7.0.3": no leading zeros, no trailing ".0" part)',
                "info-version",
            )

    def shape_deps(self, f: Field, v: Val) -> None:
        items = self.list_of(v, "a list of dependencies", f.name)
        for item in items or ():
            if item.kind in ("string", "unknown"):
                continue
            if (
                item.kind != "list"
                or not item.items
                or item.items[0].kind
                not in (
                    "string",
                    "unknown",
                )
            ):
                self.add(
                    item,
                    f'{f.name}: each entry must be "pkg" or (list "pkg" \'#:version "v" ...), '
                    f"found {_describe(item)}",
                    "info-deps",
                )
                continue
            rest = item.items[1:]
            if len(rest) == 1 and rest[0].kind == "string":
                # The deprecated ("pkg" "version") form.
                if not VERSION.match(rest[0].text):
                    self.add(
                        rest[0],
                        f'{f.name}: "{rest[0].text}" is not a valid version',
                        "info-version",
                    )
                continue
            i = 0
            seen: set[str] = set()
            while i < len(rest):
                kw = rest[i]
                if not kw.known:
                    i += 2
                    continue
                if kw.kind == "keyword" and kw.text in seen:
                    self.add(kw, f"{f.name}: {kw.text} appears twice in one entry", "info-deps")
                    break
                seen.add(kw.text)
                if kw.kind != "keyword" or kw.text not in ("#:version", "#:platform"):
                    self.add(
                        kw,
                        f"{f.name}: expected '#:version or '#:platform, found {_describe(kw)}",
                        "info-deps",
                    )
                    break
                if i + 1 >= len(rest):
                    self.add(kw, f"{f.name}: {kw.text} needs a value", "info-deps")
                    break
                val = rest[i + 1]
                if kw.text == "#:version" and val.kind == "string" and not VERSION.match(val.text):
                    self.add(val, f'{f.name}: "{val.text}" is not a valid version', "info-version")
                elif kw.text == "#:version":
                    self.string(val, f.name, "a version string")
                elif val.kind == "symbol" and val.text not in ("unix", "windows", "macosx"):
                    self.add(
                        val,
                        f"{f.name}: a #:platform symbol must be 'unix, 'windows or 'macosx "
                        "(compared with (system-type))",
                        "info-deps",
                    )
                elif val.known and val.kind not in ("symbol", "string", "regex"):
                    self.add(
                        val,
                        f"{f.name}: #:platform expects a symbol, string or regexp, found "
                        f"{_describe(val)}",
                        "info-deps",
                    )
                i += 2

    def shape_implies(self, f: Field, v: Val) -> None:
        if v.kind == "symbol" and v.text == "core":
            return
        for item in self.list_of(v, "a list of package names", f.name) or ():
            if item.kind == "symbol" and item.text == "core":
                continue
            self.string(item, f.name, "a package name string")

    def shape_string_list(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of strings", f.name) or ():
            self.string(item, f.name)

    def shape_authors(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of strings or symbols", f.name) or ():
            if item.known and item.kind not in ("string", "symbol"):
                self.add(item, f"{f.name}: expected a string or symbol", "info-shape")

    def shape_license(self, f: Field, v: Val) -> None:
        if v.known and v.kind not in ("symbol", "list", "string"):
            self.add(v, f"license: expected an SPDX expression, found {_describe(v)}", "info-shape")

    def shape_distribution_preference(self, f: Field, v: Val) -> None:
        if v.known and (v.kind != "symbol" or v.text not in DISTRIBUTION_PREFERENCES):
            self.add(
                v, "distribution-preference: expected 'source, 'built or 'binary", "info-shape"
            )

    def shape_setup_collects(self, f: Field, v: Val) -> None:
        if v.kind == "symbol" and v.text == "all":
            return
        for item in self.list_of(v, "a list of collection paths or 'all", f.name) or ():
            if item.kind == "list":
                for s in item.items:
                    self.string(s, f.name)
            else:
                self.string(item, f.name)

    def shape_package_content_state(self, f: Field, v: Val) -> None:
        return

    def shape_path_list(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of path strings", f.name) or ():
            if self.string(item, f.name, "a path string") and item.kind == "string":
                self.path_exists(f, item)

    def shape_path(self, f: Field, v: Val) -> None:
        if self.string(v, f.name, "a path string") and v.kind == "string":
            self.path_exists(f, v)

    def shape_omit_paths(self, f: Field, v: Val) -> None:
        if v.kind == "symbol" and v.text == "all":
            return
        for item in self.list_of(v, "a list of paths or 'all", f.name) or ():
            if item.kind == "regex":
                continue
            if self.string(item, f.name, "a path string or regexp") and item.kind == "string":
                self.path_exists(f, item)

    def shape_bytes_list(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of byte strings", f.name) or ():
            if item.known and item.kind != "bytes":
                self.add(
                    item,
                    f'{f.name}: expected a byte string such as #"rhm"',
                    "info-shape",
                    Severity.WARNING,
                )

    def shape_launcher_flags(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of flag lists", f.name) or ():
            for s in self.list_of(item, "a list of strings", f.name) or ():
                self.string(s, f.name)

    def shape_install_platform(self, f: Field, v: Val) -> None:
        if v.known and v.kind not in ("symbol", "string", "regex"):
            self.add(v, "install-platform: expected a symbol, string or regexp", "info-shape")

    def _module_entries(self, f: Field, v: Val, second: str) -> None:
        for item in self.list_of(v, "a list of lists", f.name) or ():
            parts = self.list_of(item, f"(list module-path {second})", f.name)
            if parts is None:
                continue
            if len(parts) != 2:
                self.add(
                    item, f"{f.name}: each entry must be (list module-path {second})", "info-shape"
                )
                continue
            if f.name == "test-responsibles" and parts[0].kind == "symbol":
                if parts[0].text != "all":
                    self.add(
                        parts[0], "test-responsibles: expected a path string or 'all", "info-shape"
                    )
            elif (
                self.string(parts[0], f.name, "a module path string") and parts[0].kind == "string"
            ):
                self.path_exists(f, parts[0])
            yield_second = parts[1]
            if f.name == "test-timeouts" and yield_second.known and yield_second.kind != "number":
                self.add(yield_second, "test-timeouts: expected a number of seconds", "info-shape")
            if f.name == "test-lock-names":
                self.string(yield_second, f.name)
            if f.name == "test-command-line-arguments":
                for s in self.list_of(yield_second, "a list of strings", f.name) or ():
                    self.string(s, f.name)

    def shape_test_args(self, f: Field, v: Val) -> None:
        self._module_entries(f, v, "(list argument ...)")

    def shape_test_timeouts(self, f: Field, v: Val) -> None:
        self._module_entries(f, v, "seconds")

    def shape_test_responsibles(self, f: Field, v: Val) -> None:
        self._module_entries(f, v, "party")

    def shape_test_lock_names(self, f: Field, v: Val) -> None:
        self._module_entries(f, v, "lock-name")

    def shape_raco_commands(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of command entries", f.name) or ():
            if not item.known:
                continue
            if item.kind != "list" or len(item.items) != 4:
                n = len(item.items) if item.kind == "list" else 0
                self.add(
                    item,
                    "raco-commands: each entry must be a 4-element list (command-string "
                    f"module-path description-string prominence), found "
                    f"{f'{n} elements' if item.kind == 'list' else _describe(item)}",
                    "info-raco-commands",
                )
                continue
            cmd, _mod, desc, prominence = item.items
            self.string(cmd, f.name, "a command-name string")
            self.string(desc, f.name, "a description string")
            if prominence.known and not (
                prominence.kind == "number" or (prominence.kind == "boolean" and _false(prominence))
            ):
                self.add(
                    prominence,
                    "raco-commands: prominence must be a number or #f",
                    "info-raco-commands",
                )

    # DrRacket's plug-in fields (drracket/private/tools.rkt): `tools`, and the
    # `tool-names`, `tool-icons` and `tool-urls` lists parallel to it (also with
    # the `drracket-` prefix).  Each list must be a list, or DrRacket fails at
    # start-up; a malformed tool or name makes it refuse the tool.

    def shape_tools(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of tool module paths", f.name) or ():
            if not item.known:
                continue
            parts = (item,) if item.kind == "string" else item.items if item.kind == "list" else ()
            if not parts or any(p.known and p.kind != "string" for p in parts):
                self.add(
                    item,
                    f"{f.name}: each tool must be a path string, or a list of strings (the file, "
                    f'then the directories it is in: ("tool.rkt" "private")), found '
                    f"{_describe(item)}",
                    "info-tools",
                )
            elif all(p.kind == "string" for p in parts):
                # ("tool.rkt" "a" "b") is a/b/tool.rkt
                rel = "/".join([*(p.text for p in parts[1:]), parts[0].text])
                self.file_exists(f.name, item, rel)

    def shape_tool_names(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of name strings (or #f)", f.name) or ():
            if item.known and item.kind != "string" and not _false(item):
                self.add(item, f"{f.name}: expected a name string or #f", "info-tools")

    def shape_tool_urls(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of URL strings (or #f)", f.name) or ():
            if item.known and item.kind != "string" and not _false(item):
                self.add(item, f"{f.name}: expected a URL string or #f", "info-tools")

    def shape_tool_icons(self, f: Field, v: Val) -> None:
        for item in self.list_of(v, "a list of icon paths (or #f)", f.name) or ():
            if item.kind == "string":
                self.file_exists(f.name, item, item.text)
            elif item.known and not _false(item) and not _collection_file(item):
                # DrRacket shows no icon for anything else.
                self.add(
                    item,
                    f'{f.name}: expected an icon path string, a list ("icon.png" "collection" '
                    f"...) or #f, found {_describe(item)}",
                    "info-tools",
                    Severity.WARNING,
                )

    def shape_release_note_files(self, f: Field, v: Val) -> None:
        # racket-index (scribblings/main/private/release.rkt) leaves the whole
        # field out of the documentation's release notes when an entry is not
        # (list title path [exact-integer-order [(list (list title path) ...)]]).
        for entry in self.list_of(v, "a list of release-note entries", f.name) or ():
            if not entry.known:
                continue
            if entry.kind != "list" or len(entry.items) < 2:
                self.add(
                    entry,
                    f"{f.name}: each entry must be (list title-string path-string [order "
                    f"[sub-notes]]), found {_describe(entry)}",
                    "info-release-notes",
                )
                continue
            title, path, *rest = entry.items
            self.note(f.name, title, path)
            if rest and rest[0].known and not _exact_int(rest[0]):
                self.add(
                    rest[0], f"{f.name}: the order must be an exact integer", "info-release-notes"
                )
            subs = rest[1] if len(rest) > 1 else None
            if subs is None or not subs.known:
                continue
            if subs.kind != "list":
                self.add(
                    subs,
                    f"{f.name}: sub-notes must be a list of (list title-string path-string)",
                    "info-release-notes",
                )
                continue
            for sub in subs.items:
                if not sub.known:
                    continue
                if sub.kind != "list" or len(sub.items) != 2:
                    self.add(
                        sub,
                        f"{f.name}: each sub-note must be (list title-string path-string)",
                        "info-release-notes",
                    )
                else:
                    self.note(f.name, *sub.items)

    def note(self, fname: str, title: Val, path: Val) -> None:
        """A release note's title and file."""
        self.string(title, fname, "a title string")
        if self.string(path, fname, "a path string") and path.kind == "string":
            if not path.text:
                self.add(path, f"{fname}: the path must not be empty", "info-release-notes")
            self.file_exists(fname, path, path.text)

    def shape_scribblings(self, f: Field, v: Val) -> None:
        for doc in self.list_of(v, "a list of document entries", f.name) or ():
            if not doc.known:
                continue
            if doc.kind != "list" or not doc.items:
                self.add(
                    doc,
                    "scribblings: each document must be a list starting with its source file",
                    "info-scribblings",
                )
                continue
            parts = doc.items
            src = parts[0]
            if self.string(src, f.name, "a source path string") and src.kind == "string":
                if os.path.isabs(src.text) or not src.text:
                    self.add(
                        src, "scribblings: the source must be a relative path", "info-scribblings"
                    )
                else:
                    self.scribbling_source(src)
            if len(parts) > 1:
                self.flags(parts[1])
            if len(parts) > 2 and parts[2].known:
                cat = parts[2]
                if (
                    cat.kind != "list"
                    or not cat.items
                    or cat.items[0].kind
                    not in (
                        "symbol",
                        "string",
                        "unknown",
                    )
                ):
                    self.add(
                        cat,
                        "scribblings: a category must be a list starting with a "
                        "symbol, e.g. (library)",
                        "info-scribblings",
                    )
                elif len(cat.items) > 2:
                    self.add(
                        cat,
                        "scribblings: a category is (list symbol) or (list symbol sort-number)",
                        "info-scribblings",
                    )
                elif len(cat.items) > 1 and cat.items[1].known and cat.items[1].kind != "number":
                    self.add(
                        cat.items[1],
                        "scribblings: a category's sort position must be a number",
                        "info-scribblings",
                    )
            if (
                len(parts) > 3
                and parts[3].known
                and not (parts[3].kind == "string" or _false(parts[3]))
            ):
                self.add(
                    parts[3],
                    "scribblings: the document name must be a string or #f",
                    "info-scribblings",
                )
            if len(parts) > 4 and parts[4].known and not _positive_int(parts[4]):
                self.add(
                    parts[4], "scribblings: out-k must be a positive integer", "info-scribblings"
                )
            if len(parts) > 5 and parts[5].known and parts[5].kind != "number":
                self.add(parts[5], "scribblings: order-n must be a real number", "info-scribblings")
            if len(parts) > 6:
                self.add(
                    parts[6],
                    "scribblings: a document entry has at most 6 elements",
                    "info-scribblings",
                )

    def flags(self, flags: Val) -> None:
        if not flags.known:
            return
        if flags.kind != "list":
            self.add(
                flags,
                "scribblings: flags must be a list of mode symbols, e.g. (multi-page)",
                "info-scribblings",
            )
            return
        for flag in flags.items:
            if not flag.known:
                continue
            if flag.kind != "symbol":
                self.add(
                    flag,
                    f"scribblings: a flag must be a symbol, found {_describe(flag)}",
                    "info-flag",
                )
            elif flag.text not in SCRIBBLINGS_FLAGS:
                near = difflib.get_close_matches(
                    flag.text, list(SCRIBBLINGS_FLAGS), n=1, cutoff=0.6
                )
                fixes = (
                    (Fix.replace(f"Change to '{near[0]}'", flag.datum.span, near[0]),)
                    if near and flag.datum.kind == "symbol"
                    else ()
                )
                hint = f"; did you mean '{near[0]}?" if near else ""
                self.add(
                    flag, f"scribblings: unknown flag '{flag.text}{hint}", "info-flag", fixes=fixes
                )

    def scribbling_source(self, src: Val) -> None:
        if not self.check_files:
            return
        rel = src.text
        target = self.path.parent / rel
        if self.exists(target):
            return
        # A pre-rendered doc/<name>/ directory makes the source optional.
        stem = Path(rel).stem
        if self.exists(self.path.parent / "doc" / stem):
            return
        self.add(
            src,
            f'scribblings: "{rel}" does not exist (relative to {self.path.parent})',
            "info-missing-file",
        )

    def path_exists(self, f: Field, v: Val) -> None:
        if f.paths:
            self.file_exists(f.name, v, v.text, module=f.paths == "module")

    def file_exists(self, fname: str, v: Val, rel: str, *, module: bool = False) -> None:
        """A warning on ``v`` when ``rel`` (relative to this directory) does not
        exist (a module may leave out its ``.rkt``)."""
        if not self.check_files or not rel or os.path.isabs(rel):
            return
        target = self.path.parent / rel
        if self.exists(target):
            return
        if module and self.exists(target.with_suffix(".rkt")):
            return
        # A collection can be spread over several directories (packages), so a
        # missing file here is a warning; raco setup decides.
        self.add(
            v,
            f'{fname}: "{rel}" does not exist (relative to {self.path.parent})',
            "info-missing-file",
            Severity.WARNING,
        )


def _false(v: Val) -> bool:
    return v.kind == "boolean" and v.text in ("#f", "#false")


def _exact_int(v: Val) -> bool:
    return v.kind == "number" and re.fullmatch(r"[+-]?[0-9]+", v.text) is not None


_COLLECTION_CHARS = re.compile(r"[a-zA-Z0-9+_%-]+")
_BAD_ESCAPE = re.compile(r"%(?![0-9a-f]{2})")


def _collection_name_element(text: str) -> bool:
    """setup/collection-name's ``collection-name-element?``, except that a
    well-formed %-escape is accepted without checking what it encodes."""
    return bool(_COLLECTION_CHARS.fullmatch(text)) and not _BAD_ESCAPE.search(text)


def _collection_file(v: Val) -> bool:
    """A ``collection-file-path`` spec: ("file" "collection" ...)."""
    return v.kind == "list" and len(v.items) >= 2 and all(i.kind == "string" for i in v.items)


def _positive_int(v: Val) -> bool:
    return v.kind == "number" and v.text.isdigit() and int(v.text) > 0


def _describe(v: Val) -> str:
    if v.kind == "unknown":
        return "a computed value"
    text = v.datum.text
    if len(text) > 40:
        text = text[:37] + "..."
    article = "an" if v.kind[0] in "aeiou" else "a"
    return f"{article} {v.kind} {text}"


def unknown_field(d: Define, found: Findings) -> None:
    """A warning on a field name that is not in the catalog but close to one."""
    near = difflib.get_close_matches(d.name, list(FIELDS), n=1, cutoff=0.85)
    if not near or near[0] == d.name:
        return  # tools may define fields of their own
    found.add(
        d.name_span,
        f"unknown info.rkt field `{d.name}`; did you mean `{near[0]}`?",
        "info-unknown-field",
        Severity.WARNING,
        fixes=(Fix.replace(f"Rename to `{near[0]}`", d.name_span, near[0]),),
    )
