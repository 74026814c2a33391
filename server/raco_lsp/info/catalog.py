"""The info.rkt fields raco-lsp knows: who reads them, what value they take,
and what they do -- written for raco-lsp from the raco manual (raco setup,
raco pkg, raco test, raco commands) and docs/racket-facts.md §11.

``shape`` names the value check in ``shapes.py`` (see ``SHAPES``);
``snippet`` is the LSP snippet inserted after the field name on completion;
``paths`` says how string entries name files (for completion and existence
checks): ``file`` (relative file), ``module`` (relative module file) or ``""``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    tool: str
    shape: str
    doc: str
    snippet: str
    paths: str = ""


# Human-readable value shapes, shown on hover.
SHAPES: dict[str, str] = {
    "string": "a string",
    "any": "any value",
    "collection": "a string, 'multi or 'use-pkg-name",
    "version": 'a version string such as "1.0" or "8.7.0.3"',
    "deps": 'a list of dependencies: "pkg", (list "pkg" \'#:version "v" \'#:platform spec)',
    "implies": "a list of package names (from deps), or 'core",
    "string-list": "a list of strings",
    "authors": "a list of strings (email addresses) or symbols",
    "license": "an SPDX license expression: a symbol such as 'MIT, or '(Apache-2.0 OR MIT)",
    "distribution-preference": "'source, 'built or 'binary",
    "setup-collects": "a list of collection paths (strings or lists of strings), or 'all",
    "package-content-state": "(list 'binary|'binary-lib|'built #f-or-version)",
    "scribblings": "(list (list src-string [flags [category [name [out-k [order-n]]]]]) ...)",
    "release-note-files": "(list (list title-string path-string [order] [sub-notes]) ...)",
    "path-list": "a list of relative path strings",
    "path": "a relative path string",
    "launcher-flags": "a list of lists of command-line strings",
    "install-platform": "a symbol (compared with (system-type)), a string, or a regexp",
    "omit-paths": "a list of relative path strings (or regexps), or 'all",
    "bytes-list": 'a list of byte-string suffixes, e.g. \'(#"scrbl")',
    "test-args": "(list (list module-path-string (list argument-string ...)) ...)",
    "test-timeouts": "(list (list module-path-string seconds) ...)",
    "test-responsibles": "(list (list module-path-string-or-'all party) ...)",
    "test-lock-names": "(list (list module-path-string lock-name-string) ...)",
    "raco-commands": "(list (list command-string module-path description-string prominence) ...)",
    "tools": 'a list of tool module paths: "tool.rkt", or ("tool.rkt" "subdir" ...)',
    "tool-names": "a list of name strings (or #f), parallel to the tools",
    "tool-icons": 'a list of icon paths: "icon.png", ("icon.png" "collection" ...) or #f',
    "tool-urls": "a list of URL strings (or #f), parallel to the tools",
}

_LIST = "'(${1})"
_STR = '"${1}"'


def _f(name: str, tool: str, shape: str, doc: str, snippet: str = _LIST, paths: str = "") -> Field:
    return Field(name, tool, shape, doc, snippet, paths)


_LAUNCHER_DOC = {
    "names": "Names of the {kind} launchers raco setup creates in the installation's "
    "executable directory. Must be parallel to {prefix}-launcher-libraries (or "
    "{prefix}-launcher-flags).",
    "libraries": "For each name in {prefix}-launcher-names, the module (relative to this "
    "collection) the {kind} launcher runs.",
    "flags": "For each name in {prefix}-launcher-names, the command-line arguments passed "
    "to {kind} instead of running a library; they win over {prefix}-launcher-libraries.",
}


def _launchers() -> list[Field]:
    out: list[Field] = []
    for prefix, kind, legacy in (
        ("racket", "racket", ""),
        ("mzscheme", "racket", " (legacy spelling of racket-launcher-*)"),
        ("gracket", "GRacket (GUI)", ""),
        ("mred", "GRacket (GUI)", " (legacy spelling of gracket-launcher-*)"),
    ):
        out.append(
            _f(
                f"{prefix}-launcher-names",
                "raco setup",
                "string-list",
                _LAUNCHER_DOC["names"].format(prefix=prefix, kind=kind) + legacy,
                '\'("${1}")',
            )
        )
        out.append(
            _f(
                f"{prefix}-launcher-libraries",
                "raco setup",
                "path-list",
                _LAUNCHER_DOC["libraries"].format(prefix=prefix, kind=kind) + legacy,
                '\'("${1:main.rkt}")',
                paths="module",
            )
        )
        out.append(
            _f(
                f"{prefix}-launcher-flags",
                "raco setup",
                "launcher-flags",
                _LAUNCHER_DOC["flags"].format(prefix=prefix, kind=kind) + legacy,
                '\'(("${1}"))',
            )
        )
    return out


_FIELDS: list[Field] = [
    # --- raco pkg -------------------------------------------------------------
    _f(
        "collection",
        "raco pkg",
        "collection",
        "The collection this package provides: a name, 'multi when each subdirectory is "
        "a collection, or 'use-pkg-name to use the package's name.",
        '"${1}"',
    ),
    _f(
        "deps",
        "raco pkg",
        "deps",
        "Packages this package needs at run time. Entries are package names (or "
        "sources), optionally with '#:version and '#:platform constraints.",
        '\'("${1:base}")',
    ),
    _f(
        "build-deps",
        "raco pkg",
        "deps",
        "Packages needed only to build this package (documentation, tests); a binary "
        "package drops them.",
        '\'("${1:rackunit-lib}")',
    ),
    _f(
        "implies",
        "raco pkg",
        "implies",
        "Dependencies that updating or removing this package also updates or removes, "
        "as if the user had installed them directly. Each must also be in deps.",
        '\'("${1}")',
    ),
    _f(
        "update-implies",
        "raco pkg",
        "string-list",
        "Packages from deps that are updated whenever this package is updated.",
        '\'("${1}")',
    ),
    _f(
        "version",
        "raco pkg",
        "version",
        'The package version; a valid Racket version string ("1.0", "8.7.0.3"). '
        'Defaults to "0.0"; deps can require a minimum with #:version.',
        '"${1:0.1}"',
    ),
    _f(
        "pkg-desc",
        "raco pkg",
        "string",
        "A one-line description of the package, shown by catalogs and `raco pkg show`.",
        _STR,
    ),
    _f(
        "pkg-authors",
        "raco pkg",
        "authors",
        "The package's authors: email strings, or symbols (a symbol s means "
        "s@racket-lang.org). raco test also uses them as default responsible parties.",
        "'(${1})",
    ),
    _f(
        "license",
        "raco pkg",
        "license",
        "The package's license as an SPDX expression: a license symbol, or a list joined "
        "with AND / OR / WITH.",
        "'${1:MIT}",
    ),
    _f(
        "distribution-preference",
        "raco pkg",
        "distribution-preference",
        "How a distribution should include this package: as 'source, 'built (source plus "
        "compiled files) or 'binary.",
        "'${1|source,built,binary|}",
    ),
    _f(
        "setup-collects",
        "raco pkg",
        "setup-collects",
        "Which collections `raco setup` should visit after installing the package; 'all "
        "for every collection it provides.",
        '\'("${1}")',
    ),
    _f(
        "package-content-state",
        "raco pkg",
        "package-content-state",
        "Written by raco pkg create for built or binary packages: what the package "
        "contains and for which Racket version.",
        "'(${1|built,binary,binary-lib|} #f)",
    ),
    _f(
        "source-omit-files",
        "raco pkg",
        "path-list",
        "Files and directories left out of a source package created by raco pkg create.",
        paths="file",
    ),
    _f(
        "source-keep-files",
        "raco pkg",
        "path-list",
        "Files kept in a source package that would otherwise be dropped.",
    ),
    _f(
        "binary-omit-files",
        "raco pkg",
        "path-list",
        "Files and directories left out of a binary package created by raco pkg create.",
        paths="file",
    ),
    _f(
        "binary-keep-files",
        "raco pkg",
        "path-list",
        "Files kept in a binary package (for example sources needed at run time) that "
        "would otherwise be stripped.",
    ),
    # --- raco setup -----------------------------------------------------------
    _f(
        "name",
        "raco setup",
        "string",
        "The collection's name as raco setup prints it in progress and error messages.",
        _STR,
    ),
    _f(
        "scribblings",
        "raco setup",
        "scribblings",
        "The Scribble documents raco setup builds for this collection. Each entry is a "
        "list: the source file (relative to this directory), then optionally a list of "
        "flags, a category, an output name (or #f), an out-k hint (positive integer) and "
        "an order-n hint (real).",
        '\'(("${1:scribblings/manual.scrbl}" (${2}) (${3:library})))',
        paths="file",
    ),
    _f(
        "release-note-files",
        "raco setup",
        "release-note-files",
        "Release-notes text files linked from the documentation's main page: each entry is "
        "a title, a file, an optional order and optional grouped sub-notes.",
        '\'(("${1:Title}" "${2:HISTORY.txt}"))',
    ),
    *_launchers(),
    _f(
        "copy-foreign-libs",
        "raco setup",
        "path-list",
        "Shared libraries to copy where ffi-lib finds them (only on a matching "
        "install-platform, when that is defined).",
        paths="file",
    ),
    _f(
        "move-foreign-libs",
        "raco setup",
        "path-list",
        "Like copy-foreign-libs, but the originals are removed after copying (for "
        "prebuilt packages).",
        paths="file",
    ),
    _f(
        "copy-shared-files",
        "raco setup",
        "path-list",
        "Files to copy into the installation's shared-files directory (only on a matching "
        "install-platform, when that is defined).",
        paths="file",
    ),
    _f(
        "move-shared-files",
        "raco setup",
        "path-list",
        "Like copy-shared-files, but the originals are removed after copying.",
        paths="file",
    ),
    _f(
        "copy-man-pages",
        "raco setup",
        "path-list",
        "Man pages to copy into the installation's man directory; the suffix (.1, .5, ...) "
        "is the section.",
        '\'("${1:tool.1}")',
        paths="file",
    ),
    _f(
        "move-man-pages",
        "raco setup",
        "path-list",
        "Like copy-man-pages, but the originals are removed after copying.",
        '\'("${1:tool.1}")',
        paths="file",
    ),
    _f(
        "install-platform",
        "raco setup",
        "install-platform",
        "Restricts the copy-/move- foreign-libs and shared-files fields to one platform: a "
        "symbol compared with (system-type), a string compared with "
        "(system-library-subpath #f), or a regexp matched against it.",
        "'${1|unix,windows,macosx|}",
    ),
    _f(
        "install-collection",
        "raco setup",
        "path",
        "A module (relative to this collection) providing `installer`, which raco setup "
        "calls after compiling the collection.",
        '"${1:installer.rkt}"',
        paths="module",
    ),
    _f(
        "pre-install-collection",
        "raco setup",
        "path",
        "A module providing `pre-installer`, called before the collection is compiled.",
        '"${1:installer.rkt}"',
        paths="module",
    ),
    _f(
        "post-install-collection",
        "raco setup",
        "path",
        "A module providing `post-installer`, called after install-collection; unlike the "
        "others it also runs with --no-install.",
        '"${1:installer.rkt}"',
        paths="module",
    ),
    _f(
        "assume-virtual-sources",
        "raco setup",
        "any",
        "When true, compiled files without a source are kept, and raco setup --clean "
        "deletes nothing here.",
        "#t",
    ),
    _f(
        "clean",
        "raco setup",
        "path-list",
        "Paths (relative to the collection) deleted by raco setup --clean instead of the "
        "default compiled/ contents.",
        '\'("${1:compiled}")',
    ),
    _f(
        "compile-omit-paths",
        "raco setup",
        "omit-paths",
        "Files and directories raco setup does not compile (modules they require are still "
        "compiled), or 'all. compiled/, doc/ and dot-files are always skipped.",
        '\'("${1}")',
        paths="file",
    ),
    _f(
        "compile-omit-files",
        "raco setup",
        "path-list",
        "Legacy form of compile-omit-paths (file names only); use compile-omit-paths.",
        paths="file",
    ),
    _f(
        "compile-include-files",
        "raco setup",
        "path-list",
        "Extra files to compile although their suffix is not a module suffix.",
        paths="file",
    ),
    _f(
        "module-suffixes",
        "raco setup",
        "bytes-list",
        "Extra file suffixes (byte strings without the dot) that raco setup and raco make "
        "treat as modules in every collection.",
        '\'(#"${1}")',
    ),
    _f(
        "doc-module-suffixes",
        "raco setup",
        "bytes-list",
        "Extra file suffixes (byte strings without the dot) treated as documentation modules.",
        '\'(#"${1}")',
    ),
    _f(
        "raco-commands",
        "raco",
        "raco-commands",
        "raco subcommands this collection adds: each entry is the command name, the "
        "implementing module path, a short lower-case description, and a prominence "
        "(a number, or #f to keep it out of the short help list). raco setup must index "
        "the file before raco sees them.",
        '\'(("${1:cmd}" ${2:collection/command} "${3:description}" #f))',
    ),
    # --- raco test ------------------------------------------------------------
    _f(
        "test-omit-paths",
        "raco test",
        "omit-paths",
        "Files and directories (relative to this directory) raco test skips, or 'all.",
        '\'("${1}")',
        paths="file",
    ),
    _f(
        "test-include-paths",
        "raco test",
        "omit-paths",
        "Files raco test runs although they do not end in .rkt or .scrbl, or 'all.",
        '\'("${1}")',
        paths="file",
    ),
    _f(
        "test-command-line-arguments",
        "raco test",
        "test-args",
        "Command-line arguments for particular test modules; listing a module also makes "
        "raco test run it.",
        '\'(("${1:main.rkt}" ("${2}")))',
    ),
    _f(
        "test-timeouts",
        "raco test",
        "test-timeouts",
        "Per-module timeouts in seconds, overriding the default.",
        '\'(("${1:main.rkt}" ${2:120}))',
    ),
    _f(
        "test-responsibles",
        "raco test",
        "test-responsibles",
        "Who to notify when a test module (or 'all modules here) fails: a string, a "
        "symbol, or a list of them.",
        "'((all ${1:me}))",
    ),
    _f(
        "test-lock-names",
        "raco test",
        "test-lock-names",
        "Lock-file names that serialize test modules: modules with the same lock name never "
        "run at the same time.",
        '\'(("${1:main.rkt}" "${2:lock}"))',
    ),
    _f(
        "test-ignore-stderrs",
        "raco test",
        "omit-paths",
        "Modules (or 'all) whose output on stderr does not count as a failure under raco test -e.",
        '\'("${1}")',
        paths="file",
    ),
    _f(
        "test-randoms",
        "raco test",
        "path-list",
        "Modules whose output varies from run to run (logged as such by raco test).",
        '\'("${1}")',
        paths="file",
    ),
    # --- DrRacket -------------------------------------------------------------
    _f(
        "drracket-tools",
        "DrRacket",
        "tools",
        "DrRacket plug-ins in this collection: each a module path as a list of strings, "
        "relative to the collection, whose module provides tool@.",
        '\'(("${1:tool.rkt}"))',
    ),
    _f(
        "drracket-tool-names",
        "DrRacket",
        "tool-names",
        "Names of the plug-ins, parallel to drracket-tools.",
        '\'("${1}")',
    ),
    _f(
        "drracket-tool-icons",
        "DrRacket",
        "tool-icons",
        "Icons shown in DrRacket's splash screen, parallel to drracket-tools (#f for none).",
        "'(${1:#f})",
    ),
    _f(
        "drracket-tool-urls",
        "DrRacket",
        "tool-urls",
        "Home pages of the plug-ins, parallel to drracket-tools (#f for none).",
        "'(${1:#f})",
    ),
    _f("tools", "DrRacket", "tools", "Legacy name of drracket-tools.", '\'(("${1:tool.rkt}"))'),
    _f("tool-names", "DrRacket", "tool-names", "Legacy name of drracket-tool-names.", '\'("${1}")'),
    _f("tool-icons", "DrRacket", "tool-icons", "Legacy name of drracket-tool-icons.", "'(${1:#f})"),
    _f("tool-urls", "DrRacket", "tool-urls", "Legacy name of drracket-tool-urls.", "'(${1:#f})"),
]

FIELDS: dict[str, Field] = {f.name: f for f in _FIELDS}

# Parallel lists: the names field, then the fields that must match its length.
PARALLEL: list[tuple[str, tuple[str, ...]]] = [
    (f"{p}-launcher-names", (f"{p}-launcher-libraries", f"{p}-launcher-flags"))
    for p in ("racket", "mzscheme", "gracket", "mred")
] + [
    (f"{p}tools", (f"{p}tool-names", f"{p}tool-icons", f"{p}tool-urls")) for p in ("", "drracket-")
]

SCRIBBLINGS_FLAGS: dict[str, str] = {
    "multi-page": "Render the document as multi-page HTML instead of one page.",
    "main-doc": "Write the document into the installation's documentation directory.",
    "user-doc": "Write the document into the user-specific documentation directory.",
    "depends-all": "Rebuild this document whenever any other document is rebuilt.",
    "depends-all-main": "Rebuild whenever a document of the main installation is rebuilt.",
    "depends-all-user": "Rebuild whenever a user-specific document is rebuilt.",
    "always-run": "Build the document on every raco setup run.",
    "no-depend-on": "Other documents never depend on this one; links to it stay direct.",
    "main-doc-root": "This document is the root of the installation's documentation.",
    "user-doc-root": "This document is the root of the user-specific documentation.",
    "keep-style": "Keep the document's own style instead of the manual style.",
    "no-search": "Build the document without a search box.",
    "every-main-layer": "Build the document in every main installation layer.",
}

SCRIBBLINGS_CATEGORIES: dict[str, str] = {
    "getting-started": "Introductory documentation, listed first.",
    "language": "A prominent programming language.",
    "tool": "An executable tool.",
    "gui-library": "GUI and graphics libraries.",
    "net-library": "Networking libraries.",
    "parsing-library": "Parsing libraries.",
    "tool-library": "Libraries for programming tools.",
    "interop": "Interoperability tools and libraries.",
    "library": "Libraries (the default, also used for unknown categories).",
    "legacy": "Deprecated libraries, languages and tools.",
    "experimental": "Experimental languages or libraries.",
    "other": "Other documentation.",
    "omit": "Not listed on the root page and not indexed for searching.",
    "omit-start": "Not listed on the root page, but indexed for searching.",
}

INSTALL_PLATFORMS: dict[str, str] = {
    "unix": "(system-type) on Linux, BSD and other Unix systems.",
    "windows": "(system-type) on Windows.",
    "macosx": "(system-type) on macOS.",
}

DISTRIBUTION_PREFERENCES = ("source", "built", "binary")
DEPS_KEYWORDS: dict[str, str] = {
    "#:version": "The minimum version of the package this package needs.",
    "#:platform": "Only depend on the package on matching platforms: a symbol (system-type), "
    "a string (system-library-subpath), or a regexp.",
}


def field_markdown(f: Field) -> str:
    shape = SHAPES.get(f.shape, f.shape)
    return f"**{f.name}** — read by {f.tool}\n\n*Value:* {shape}\n\n{f.doc}"
