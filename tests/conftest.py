from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hello-pkg"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """An empty workspace folder (a path with a space, to keep us honest)."""
    d = tmp_path / "work space"
    d.mkdir()
    return d


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A fresh copy of the example package."""
    d = tmp_path / "hello-pkg"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns("compiled"))
    return d
