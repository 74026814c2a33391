"""The module dependency graph of a workspace, as the compile manager sees it.

- ``index.py``: ``ModuleGraph``, its nodes (read from ``syntax/module_facts``
  and the ``.dep`` files), edges, reverse index, updates and the
  recompile order.
- ``lang_rules.py``: what a module's languages bring (language profiles
  when known, rules otherwise).
- ``staleness.py``: compiler/cm's compile-root / maybe-compile-zo decision,
  without building, memoised.

Plain records only: no pygls/lsprotocol (and no tree-sitter) here.
"""

from __future__ import annotations

import os
from pathlib import Path


def norm(p: Path) -> Path:
    """The graph's key for a path (normalised, not resolved)."""
    return Path(os.path.normpath(p))
