"""``file:`` URIs <-> paths: the one place the LSP layer converts them."""

from __future__ import annotations

from pathlib import Path

from pygls.uris import from_fs_path, to_fs_path


def path_uri(path: Path) -> str:
    """The ``file:`` URI of ``path`` (as pygls spells them, so open documents match)."""
    uri = from_fs_path(str(path))
    return uri if uri is not None else path.as_uri()


def uri_path(uri: str) -> Path | None:
    """The file system path of a ``file:`` URI, else None."""
    if not uri.startswith("file:"):
        return None
    fs = to_fs_path(uri)
    return Path(fs) if fs else None


def path_or_uri(value: str) -> Path | None:
    """A command argument that is a path or a ``file:`` URI."""
    return uri_path(value) if value.startswith("file:") else Path(value)
