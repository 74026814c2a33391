"""What every Racket process is started with: the helper files shipped in
``racket/data/`` and the scrubbed environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

# Variables that would make compiler/cm read or write compiled files outside
# the workspace, the installation's included (docs/racket-facts.md §13).
SCRUBBED = ("PLTCOMPILEDROOTS", "PLT_ZO_PATH", "PLT_COMPILED_FILE_CHECK")


def data_file(name: str) -> Path:
    """A helper shipped in ``racket/data/`` (``agent.rkt``, ``compile.rkt``...)."""
    return Path(str(resources.files("raco_lsp").joinpath("racket", "data", name)))


def racket_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Racket that compiles or runs workspace code: the
    server's (or ``base``), minus the variables that would make the compile
    manager write into the installation."""
    env = dict(os.environ if base is None else base)
    for var in SCRUBBED:
        env.pop(var, None)
    return env
