"""The Racket helpers of ``racket/data/``, compiled once into the cache folder.

Racket run on a source file compiles it in memory at every start: for the
compile agent (``agent.rkt`` and ``compile.rkt``) that is about half of its
start (0.3 s of 0.55 s), paid again by every new server, agent restart and
test runner.  ``compile_helpers`` compiles copies of the helpers into
``<cache>/raco-lsp/helpers/<key>/`` (the key names the racket executable and
the helpers' text) with ``compile.rkt`` itself, so nothing outside that folder
is written; ``helper_file`` names the compiled copy once it is there, and the
shipped source until then.  A helper that does not start from the compiled
copy (a corrupt or unloadable file) makes its starter ``discard_compiled``
it and start again from the source.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import time
from pathlib import Path

from raco_lsp.racket.compile import compile_modules
from raco_lsp.racket.env import data_file
from raco_lsp.racket.install import cache_dir
from raco_lsp.racket.jsonl import HelperDied
from raco_lsp.racket.locate import RacketInstall

log = logging.getLogger(__name__)

STALE_TMP = 3600.0
"""Seconds after which a half-made copy (its server was killed) is removed."""


def _sources() -> list[Path]:
    return sorted(data_file("agent.rkt").parent.glob("*.rkt"))


@functools.cache
def _key(install: RacketInstall) -> str | None:
    try:
        racket = install.racket.resolve()
        st = racket.stat()
        h = hashlib.sha1(f"{racket}\0{st.st_mtime_ns}\0{st.st_size}".encode())
        for f in _sources():
            h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    except OSError:
        return None
    return h.hexdigest()[:16]


def _folder(install: RacketInstall) -> Path | None:
    key = _key(install)
    return None if key is None else cache_dir() / "helpers" / key


def helper_file(install: RacketInstall, name: str) -> Path:
    """The helper ``name`` to run: its compiled copy, else the shipped source."""
    folder = _folder(install)
    if folder is not None and folder.is_dir():
        return folder / name
    return data_file(name)


def discard_compiled(install: RacketInstall, died: HelperDied) -> bool:
    """A helper exited while starting: when it exited by itself with an
    error (not killed: a cancellation kills it) and a compiled copy for
    ``install`` is in use, remove that copy; whether the caller should start
    again (then from the source)."""
    folder = _folder(install)
    if died.returncode is None or died.returncode <= 0:
        return False
    if folder is None or not folder.is_dir():
        return False
    log.warning("a helper did not start from %s: removing it, running the sources", folder)
    gone = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    try:
        folder.rename(gone)  # out of the way at once, for every reader
    except OSError:
        gone = folder
    shutil.rmtree(gone, ignore_errors=True)
    return True


async def compile_helpers(install: RacketInstall) -> None:
    """Make the compiled copies for ``install`` unless they exist: copied and
    compiled in a folder of this process, then renamed into place, so that a
    reader never sees half of them.  Failing is no error: the sources stay
    in use."""
    target = _folder(install)
    if target is None or target.is_dir():
        return
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        _remove_stale(target.parent)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        copies = []
        for src in _sources():
            shutil.copyfile(src, tmp / src.name)
            copies.append(tmp / src.name)
    except OSError as e:
        log.info("helpers not compiled (%s): running them from source", e)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    try:
        run = await compile_modules(install, copies, roots=[tmp], timeout=300)
        if not all(o.ok for o in run.files.values()):
            why = "; ".join(p.message for p in run.problems[:3])
            log.warning("the helpers did not compile: %s", why)
            return
        try:
            tmp.rename(target)
        except OSError:  # another server made them meanwhile
            pass
        else:
            log.info("helpers compiled into %s", target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remove_stale(parent: Path) -> None:
    if not parent.is_dir():
        return
    now = time.time()
    for p in parent.glob("*.tmp"):
        try:
            if now - p.stat().st_mtime > STALE_TMP:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass
