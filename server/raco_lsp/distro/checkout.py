"""Running a build farm: the Racket source checkout's makefile targets.

A build farm is driven from a Racket source checkout (a directory with
``racket/src`` and a top-level ``Makefile`` that has an ``installers``
target) by ``make installers CONFIG=...`` and its siblings; the variables
CONFIG_MODE, RELEASE_MODE and CLEAN_MODE pass the configuration mode and the
default ``#:release?``/``#:clean?``.  This module finds such a checkout and
builds the command line; nothing here runs anything.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from raco_lsp.core.files import read_file

# The makefile targets offered, in the order a user meets them.
TARGETS = ("describe-clients", "installers", "site")
_INSTALLERS_TARGET = re.compile(r"^installers[ \t]*:", re.M)


def is_source_checkout(d: Path) -> bool:
    """``d`` holds ``racket/src`` and a Makefile with an ``installers`` target."""
    if not (d / "racket" / "src").is_dir():
        return False
    data, _ = read_file(d / "Makefile")
    return data is not None and bool(_INSTALLERS_TARGET.search(data.decode("utf-8", "replace")))


def find_source_checkout(start: Path) -> Path | None:
    """The innermost source checkout holding ``start`` (itself or a parent)."""
    start = start.absolute()
    for d in [start, *start.parents]:
        if is_source_checkout(d):
            return d
    return None


def make_command(
    target: str,
    checkout: Path,
    config: Path,
    *,
    mode: str | None = None,
    release: bool = False,
    clean: bool = False,
) -> list[str]:
    """The ``make`` argv to run in ``checkout`` for ``target`` with ``config``
    (relative to the checkout when inside it)."""
    config = config.absolute()
    try:
        shown = os.path.relpath(config, checkout.absolute())
    except ValueError:
        shown = str(config)
    if shown.startswith(".."):
        shown = str(config)
    argv = ["make", target, f"CONFIG={shown}"]
    if mode:
        argv.append(f"CONFIG_MODE={mode}")
    if release:
        argv.append("RELEASE_MODE=--release")
    if clean:
        argv.append("CLEAN_MODE=--clean")
    return argv
