""".plt decoding (racket/plt.py) checked against `raco unpack -l` and `-c`."""

from __future__ import annotations

import base64
import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from raco_lsp.racket.plt import config_lines, decode_plt, listing_lines, read_plt

KINDS = ["paths", "collect", "at-plt-replace", "paths-at-plt", "all-users"]
# A collection whose file names carry spaces, quotes and non-ASCII text.
ODD = 'it\'s "q" é.rkt'


def _raco(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    r = subprocess.run(
        ["raco", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("plt")
    extra = d / "extra" / "my lib"
    extra.mkdir(parents=True)
    (extra / "main.rkt").write_text("#lang racket/base\n(provide x)\n(define x 1)\n")
    (extra / ODD).write_text("#lang racket/base\n'odd\n")
    coll = d / "coll" / "mypkg"
    (coll / "sub").mkdir(parents=True)
    (coll / "info.rkt").write_text('#lang info\n(define name "My \\"Pkg\\"")\n')
    (coll / "main.rkt").write_text("#lang racket/base\n1\n")
    (coll / "sub" / ODD).write_bytes(bytes(range(256)))  # binary data with '*' and newlines
    env = {**os.environ, "PLTCOLLECTS": f"{d / 'coll'}{os.pathsep}"}
    out = {
        "paths": d / "paths.plt",
        "collect": d / "collect.plt",
        "at-plt-replace": d / "at plt replace.plt",
        "paths-at-plt": d / "paths-at-plt.plt",
        "all-users": d / "all-users.plt",
    }
    _raco(["pack", str(out["paths"]), "extra"], d)
    _raco(["pack", "--collect", str(out["collect"]), "mypkg"], d, env)
    flags = ["--collect", "--at-plt", "--replace", "++setup", "mypkg"]
    _raco(["pack", *flags, str(out["at-plt-replace"]), "mypkg"], d, env)
    _raco(["pack", "--at-plt", "--plt-name", "Extra ✓", str(out["paths-at-plt"]), "extra"], d)
    _raco(["pack", "--all-users", str(out["all-users"]), "extra"], d)
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_listing_equals_raco_unpack_l(archives: dict[str, Path], kind: str) -> None:
    archive, problems = read_plt(archives[kind])
    assert problems == []
    expected = _raco(["unpack", "-l", str(archives[kind])], archives[kind].parent)
    assert listing_lines(archive) == expected.splitlines()
    assert archive.files  # something was decoded


@pytest.mark.parametrize("kind", KINDS)
def test_config_equals_raco_unpack_c(archives: dict[str, Path], kind: str, tmp_path: Path) -> None:
    # `raco unpack -c` also extracts into the cwd: run it in a scratch directory.
    expected = _raco(["unpack", "-c", str(archives[kind])], tmp_path)
    archive, _ = read_plt(archives[kind])
    assert config_lines(archive) == expected.splitlines()


def test_decoded_fields(archives: dict[str, Path]) -> None:
    a, _ = read_plt(archives["at-plt-replace"])
    assert a.name == 'My "Pkg"'
    assert a.unpack_target == "user add-ons"
    assert a.setup_collections == ["mypkg", "mypkg"]
    assert all(e.replace for e in a.files)
    odd = next(e for e in a.files if e.parts[-1] == ODD)
    assert odd.size == 256
    b, _ = read_plt(archives["collect"])
    assert b.conflicts == ["mypkg"] and b.unpack_target == "user add-ons"
    d, _ = read_plt(archives["all-users"])
    assert d.unpack_target == "main installation"
    assert d.fallback_dirs == ["collects", "doc", "include", "lib"]
    c, _ = read_plt(archives["paths"])
    assert c.name == "archive" and c.unpack_target == "locally" and c.setup_collections == []


def test_cli_inspect_plt(archives: dict[str, Path]) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "raco_lsp", "inspect-plt", str(archives["at-plt-replace"])],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "collects/mypkg/main.rkt [replace]" in r.stdout.splitlines()


def _plt(raw: bytes) -> bytes:
    return base64.encodebytes(gzip.compress(raw))


def test_bad_input_never_raises(tmp_path: Path) -> None:
    assert decode_plt(b"\x00\x01not base64 at all")[1]
    assert decode_plt(_plt(b"XYZ"))[1] == ["not an unpackable distribution archive (no PLT header)"]
    truncated = b'PLT\n(lambda (r f) 1)\n(unit)\nfile\n("a")\n10\n*abc'
    archive, problems = decode_plt(_plt(truncated))
    assert problems == ["archive truncated inside a"]
    assert archive.config_recognized is False
    assert decode_plt(_plt(b'PLT\n(lambda (r f) 1)\n(unit)\ndir\n("..")\n'))[1]
    assert decode_plt(_plt(b"PLT\n(lambda (r f) 1)\n(unit)\nboom\n"))[1]
    assert read_plt(tmp_path / "missing.plt")[1]
    # Unknown config shapes are kept raw and printed as raco unpack -c does.
    a, problems = decode_plt(_plt(b'PLT\n(lambda (r f) 1)\n(unit)\ndir\n("a" "b")\n'))
    assert problems == [] and listing_lines(a) == ["a/b/"]
    assert config_lines(a)[0] == "config function:"


def test_copy_of_archive_decodes_the_same(archives: dict[str, Path], tmp_path: Path) -> None:
    moved = tmp_path / "x y.plt"
    shutil.copy(archives["collect"], moved)
    assert listing_lines(read_plt(moved)[0]) == listing_lines(read_plt(archives["collect"])[0])
