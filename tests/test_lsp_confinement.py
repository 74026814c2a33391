"""Commands act only inside the workspace, and archives never hold their
own outputs: through the real server and real Racket."""

from __future__ import annotations

import asyncio
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import EXAMPLE
from lsp_support import lsp_session, plain, request
from raco_lsp.lsp.uris import path_uri


async def _command(client: LanguageClient, command: str, arg: dict[str, Any]) -> Any:
    return plain(
        await asyncio.wait_for(
            client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=[arg])
            ),
            300,
        )
    )


def _tree(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


async def test_commands_refuse_paths_outside_the_workspace(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(EXAMPLE, outside / "pkg", ignore=shutil.ignore_patterns("compiled"))
    (outside / "x.plt").write_bytes(b"PLT")
    for f in EXAMPLE.glob("*.rkt"):
        shutil.copy(f, ws / f.name)
    (ws / "link").symlink_to(outside / "pkg", target_is_directory=True)
    before = _tree(outside)
    main, info = ws / "main.rkt", ws / "info.rkt"
    refused: list[tuple[str, dict[str, Any]]] = [
        ("raco-lsp.createPackageArchive", {"uri": path_uri(outside / "pkg")}),
        ("raco-lsp.createPackageArchive", {"dir": str(ws / "link")}),  # a symlink out
        ("raco-lsp.createPackageArchive", {"uri": path_uri(info), "dest": str(outside)}),
        ("raco-lsp.createExecutable", {"uri": path_uri(main), "output": str(outside / "exe")}),
        ("raco-lsp.createExecutable", {"uri": path_uri(outside / "pkg" / "main.rkt")}),
        ("raco-lsp.buildDistribution", {"modules": [str(outside / "pkg" / "main.rkt")]}),
        ("raco-lsp.createDistribution", {"uri": path_uri(main), "output": str(outside)}),
        ("raco-lsp.packCollection", {"dir": str(ws / "link")}),
        ("raco-lsp.packCollection", {"uri": path_uri(info), "output": str(outside / "a.plt")}),
        ("raco-lsp.createLaunchers", {"uri": path_uri(info), "dest": str(outside)}),
        ("raco-lsp.checkPackage", {"uri": path_uri(outside / "pkg" / "info.rkt")}),
        ("raco-lsp.pkgBuild", {"uri": path_uri(outside / "pkg" / "main.rkt")}),
        ("raco-lsp.clearPackageScope", {"uri": path_uri(outside / "pkg" / "info.rkt")}),
    ]
    async with lsp_session(ws, init_options={"compileOnSave": "off"}) as client:
        for command, arg in refused:
            result = await _command(client, command, arg)
            assert result["ok"] is False, (command, arg, result)
            assert "outside the workspace" in " ".join(result["errors"]), (command, result)
        # Packaging runs from code actions: a refusal is shown, not only answered.
        shown = {
            m.message.split(": not run: ")[0]
            for m in client.messages
            if m.type == types.MessageType.Warning and "outside the workspace" in m.message
        }
        assert shown == {
            "Create package archive",
            "Create executable",
            "Build distribution",
            "Create distribution",
            "Pack collection",
            "Create launchers",
        }
        ran = await request(
            client, "raco/runTests", {"uris": [path_uri(outside / "pkg" / "main.rkt")]}
        )
        assert ran["ran"] is False and "outside the workspace" in ran["reason"]
        found = await request(
            client, "raco/discoverTests", {"uri": path_uri(outside / "pkg" / "main.rkt")}
        )
        assert found["items"] == [] and "outside the workspace" in found["problems"][0]
        plt = await request(client, "raco/inspectPlt", {"path": str(outside / "x.plt")})
        assert "outside the workspace" in plt["problems"][0]
        # Inside the workspace the same command works.
        ok = await _command(client, "raco-lsp.createPackageArchive", {"uri": path_uri(info)})
        assert ok["ok"], ok
    assert _tree(outside) == before


def _entries(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as z:
        return z.namelist()


async def test_package_archive_never_holds_its_outputs(example: Path, tmp_path: Path) -> None:
    dist = example / "dist"
    dist.mkdir()
    (dist / "old-build").write_bytes(os.urandom(1 << 20))  # an earlier executable, say
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    info = example / "info.rkt"
    async with lsp_session(example, env=env, init_options={"compileOnSave": "off"}) as client:
        for _ in range(2):  # the second run finds the first archive in dist/
            result = await _command(
                client, "raco-lsp.createPackageArchive", {"uri": path_uri(info)}
            )
            assert result["ok"], result
            archive = dist / "hello-pkg.zip"
            assert result["outputs"] == [str(archive), str(archive) + ".CHECKSUM"]
            names = _entries(archive)
            assert "info.rkt" in names and "main.rkt" in names
            assert not [n for n in names if n.startswith("dist")], names
            assert archive.stat().st_size < 100_000
        # A failing run (a single-collection package has no .plt form)
        # leaves nothing behind, in dist/ or in the temporary folder.
        failed = await _command(
            client, "raco-lsp.createPackageArchive", {"uri": path_uri(info), "format": "plt"}
        )
        assert failed["ok"] is False and "single-collection" in failed["output"]
        assert not (dist / "hello-pkg.plt").exists()
    assert list(tmp.iterdir()) == []
    assert sorted(p.name for p in dist.iterdir()) == [
        "hello-pkg.zip",
        "hello-pkg.zip.CHECKSUM",
        "old-build",
    ]
