"""What a module's languages bring into its dependencies.

Each language a module uses (its ``#lang`` line, each ``(module name LANG
...)``) gives a *rule*: a profile key (``racket/langs.py``; None when the
language cannot be profiled) and the targets the rules below give (the
reader module, the module language, ``racket/runtime-config`` for the
languages whose ``#%module-begin`` adds a configure-runtime submodule).
``targets`` turns a module's rules into its language targets, using a
language's profile when it is known.

Plain records only: no pygls/lsprotocol here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from raco_lsp.racket.langs import LangProfiles, lang_key, lang_spec, module_key, profilable
from raco_lsp.racket.modpath import Resolver, collection_file_parts
from raco_lsp.syntax.module_facts import ModuleFacts

LangRule = tuple[str | None, list[Path]]
"""A language's profile key (None: cannot be profiled) and its rule targets."""

# Languages whose #%module-begin adds a configure-runtime submodule that
# requires racket/runtime-config (seen in every such module's .dep): racket,
# racket/base and the module they take it from, racket/private/pre-base.
RUNTIME_CONFIG_FILES = ("racket/main.rkt", "racket/base.rkt", "racket/private/pre-base.rkt")


# Languages whose module body is a list of module paths, each required and
# re-exported (scheme/private/provider/lang.rkt's #%module-begin).
BODY_REQUIRE_LANGS = {"scheme/private/provider"}

# Languages whose module body starts with a module path that the language's
# #%module-begin requires and re-exports (srfi/provider.rkt: `#lang s-exp
# srfi/provider srfi/1/list #:unprefix s:`).
FIRST_REQUIRE_LANGS = {"srfi/provider"}

# Languages whose module body is evaluated at run time, form by form, in a
# namespace (racket/load): the body's requires and modules are not compiled.
BODY_EVAL_LANGS = {"racket/load", "scheme/load"}


# Languages whose compiled code can differ between two compiles of the same
# code: Typed Racket's generated contracts carry gensym'd names that depend
# on what the compiling process did before (seen with raco make on
# `unsafe-require/typed/provide`: the first compile in a process and a later
# one give different .zo bytes).  After a comment-only edit of such a module,
# compiler/cm may recompile its dependents, so that is only a maybe.
UNREPRODUCIBLE_LANG_PREFIXES = ("typed/", "typed-racket/")


def reproducible_lang(lang: str | None, module_langs: list[tuple[str, str]]) -> bool:
    """Does recompiling the same code in this language give the same .zo?"""
    names = [lang or ""] + [text for kind, text in module_langs if kind == "collection"]
    words = (w for n in names for w in n.split())
    return not any(w.startswith(UNREPRODUCIBLE_LANG_PREFIXES) for w in words)


_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def file_form(path: Path) -> str:
    """``(file "/abs/path.rkt")``: a module path that means the same file
    from anywhere (Racket's string escapes are JSON's for such paths)."""
    return f"(file {json.dumps(str(path))})"


class LangRules:
    def __init__(self, resolver: Resolver, profiles: LangProfiles | None = None) -> None:
        self.resolver = resolver
        self.info = resolver.info
        self.profiles = profiles if profiles is not None else LangProfiles()
        self._runtime_config_files: set[Path] | None = None

    def of_module(self, facts: ModuleFacts, path: Path) -> list[LangRule]:
        """Profile key and rule targets of each language the module uses:
        its ``#lang`` line and its ``(module name LANG ...)`` forms."""
        rules: list[LangRule] = []
        line = facts.lang_line
        if line:
            spec = lang_spec(line)
            key = self._absolute_key(spec, path) if spec is not None else None
            rules.append(
                self.profile_key(
                    lang_key(key) if key is not None else None, self._lang_line_rules(line, path)
                )
            )
        for kind, lang in dict.fromkeys(facts.module_langs):
            key = module_key(lang) if kind == "collection" else None
            if kind == "relative":
                main = self.resolver.resolve("relative", lang, path).path
                key = module_key(file_form(main)) if main is not None else None
            rules.append(self.profile_key(key, self._module_lang_rules(kind, lang, path)))
        return rules

    def submodule(self, lang: str, requiring: Path) -> LangRule:
        """A submodule that a form declares in the collection language ``lang``."""
        return self.profile_key(
            module_key(lang), self._module_lang_rules("collection", lang, requiring)
        )

    def lazy_require_submodule(self, requiring: Path) -> list[Path]:
        """lazy-require at phase 1 declares a racket/base submodule that
        requires racket/runtime-path (racket/lazy-require.rkt)."""
        return [
            p
            for p in (
                *self._module_lang_rules("collection", "racket/base", requiring),
                self.resolver.resolve_collection(["racket", "runtime-path.rkt"]),
            )
            if p is not None
        ]

    def _absolute_key(self, line: str, path: Path) -> str | None:
        """``line`` with its relative module paths (``s-exp "lang.rkt"``)
        made absolute, so that a module elsewhere means the same; None when
        one does not resolve."""
        if '"' not in line:
            return line
        out: list[str] = []
        at = 0
        for m in _STRING.finditer(line):
            found = self.resolver.resolve("relative", m.group(1), path).path
            if found is None:
                return None
            out += [line[at : m.start()], file_form(found)]
            at = m.end()
        return "".join(out) + line[at:]

    def profile_key(self, key: str | None, rules: list[Path]) -> LangRule:
        """Keep ``key`` only for a language that lives in the installation
        (profiling compiles it, which runs its macros) and that names the
        language alone (``langs.profilable``)."""
        if key is None or self.info is None or not rules or not profilable(key):
            return None, rules
        if not all(self.info.in_installation(p) for p in rules):
            return None, rules
        return key, rules

    def targets(self, rules: list[LangRule], own_config: bool) -> list[Path]:
        """What a module's languages bring: each language's profile when
        known, else its rule targets."""
        out: list[Path] = []
        rc = (
            self.resolver.resolve_collection(["racket", "runtime-config.rkt"])
            if own_config
            else None
        )
        for i, (key, targets) in enumerate(rules):
            profile = self.profiles.get(key) if key is not None else None
            got = profile if profile is not None else targets
            if i == 0 and own_config:
                # The module's own configure-runtime submodule stands in for
                # the one its language would add; submodules written in such
                # a language (that one included) still get theirs.
                got = [p for p in got if p != rc]
            out.extend(got)
        return list(dict.fromkeys(out))

    def _module_lang_rules(self, kind: str, lang: str, requiring: Path) -> list[Path]:
        """``(module m LANG ...)``: LANG, and racket/runtime-config for the
        languages whose ``#%module-begin`` adds a configure-runtime submodule."""
        if kind == "relative":
            main = self.resolver.resolve("relative", lang, requiring).path
        else:
            parts = collection_file_parts(lang, "collection")
            main = self.resolver.resolve_collection(parts) if parts else None
        if main is None:
            return []
        if self._runtime_config_files is None:
            self._runtime_config_files = {
                p
                for f in RUNTIME_CONFIG_FILES
                for p in [self.resolver.resolve_collection(f.split("/"))]
                if p is not None
            }
        if main in self._runtime_config_files:
            rc = self.resolver.resolve_collection(["racket", "runtime-config.rkt"])
            return [main, rc] if rc is not None else [main]
        return [main]

    def _lang_line_rules(self, line: str, requiring: Path) -> list[Path]:
        """``#lang LINE`` without a profile: the reader module and the
        module language.  ``s-exp M`` reads with s-exp's reader into module
        language M; ``at-exp L`` wraps L's reader; ``reader M`` names the
        reader module; otherwise ``#lang X`` is X's ``reader`` submodule
        (when X exists, taken as the module language too) or X/lang/reader."""
        if self.info is None:
            return []
        words = line.split()
        name, rest = words[0], words[1:]

        def mod(text: str) -> list[Path]:
            if text.startswith('"') and text.endswith('"') and len(text) > 1:
                return self._module_lang_rules("relative", text[1:-1], requiring)
            return self._module_lang_rules("collection", text, requiring)

        def reader_of(coll: str) -> list[Path]:
            found = self.resolver.resolve_collection([coll, "lang", "reader.rkt"])
            return [found] if found is not None else []

        if name == "s-exp":
            return reader_of("s-exp") + (mod(rest[0]) if rest else [])
        if name == "reader":
            return mod(rest[0]) if rest else []
        if name == "at-exp":
            return reader_of("at-exp") + (
                self._lang_line_rules(" ".join(rest), requiring) if rest else []
            )
        main = self._module_lang_rules("collection", name, requiring)
        if main:
            return main
        parts = collection_file_parts(f"{name}/lang/reader", "collection")
        found = self.resolver.resolve_collection(parts) if parts else None
        return [found] if found is not None else []
