"""`raco-lsp distro`: a site configuration's problems and static plan, and the
make commands of a Racket source checkout, through the real command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from test_cli_info import run

SITE = Path(__file__).parent / "fixtures" / "site.rkt"


@pytest.fixture
def farm(tmp_path: Path) -> Path:
    (tmp_path / "build").mkdir()
    shutil.copy(SITE, tmp_path / "build" / "site.rkt")
    return tmp_path


def test_plan_text_and_json(farm: Path) -> None:
    r = run(["distro", "plan", "build/site.rkt", "--dist-version", "8.7"], farm)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == [
        "checked 1 configuration: no errors",
        "plan (static, mode default):",
        "  sequential 1 (line 7)",
    ]
    assert "      installer: racket-8.7-<platform:x86_64-win32>.exe" in lines

    r = run(["distro", "plan", "build/site.rkt", "--json", "--dist-version", "8.7"], farm)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["problems"], out["source"], out["mode"]) == ([], "static", "default")
    plan = out["plan"]
    assert (plan["kind"], plan["installer"], [c["kind"] for c in plan["children"]]) == (
        "sequential",
        None,
        ["parallel", "machine", "machine"],
    )
    mac = plan["children"][2]
    assert mac["installer"] == "racket-8.7-<platform:arm-macosx>.dmg"
    assert mac["options"]["pkgs"] == {
        "value": ["main-distribution"],
        "text": '\'("main-distribution")',
        "from": "1",
    }
    assert mac["reach"] == {"kind": "ssh", "summary": "SSH builder@mac-mini.local:2222"}
    assert (mac["log"], mac["platform"]) == ("Racket_Mac_OS_Apple_Silicon", "macosx")


def test_plan_uses_the_installations_version_and_the_mode(farm: Path) -> None:
    racket = shutil.which("racket")
    assert racket is not None
    cfg = farm / "build" / "site.rkt"
    cfg.write_text(
        cfg.read_text().replace(
            '#:dist-name "Racket"', '#:dist-name "Racket"\n #:dist-suffix (if release? "" "pre")'
        )
    )
    r = run(["distro", "plan", "build/site.rkt", "--json", "--mode", "release"], farm)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    win = out["plan"]["children"][1]
    # Racket 8.7 is the installation the tests run with (see the README).
    assert win["installer"] == "racket-8.7-<platform:x86_64-win32>.exe"
    r = run(["distro", "plan", "build/site.rkt", "--json", "--dist-version", "9"], farm)
    assert json.loads(r.stdout)["plan"]["children"][1]["installer"] == (
        "racket-9-<platform:x86_64-win32>-pre.exe"
    )


def test_plan_prints_problems_first_and_exits_1(farm: Path) -> None:
    cfg = farm / "build" / "site.rkt"
    cfg.write_text(cfg.read_text().replace("#:bits 64", '#:bits 64 #:docker "img" #:racket \'rk'))
    r = run(["distro", "plan", "build/site.rkt", "--dist-version", "8.7"], farm)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[:3] == [
        "build/site.rkt:29:21: warning: #:docker is ignored where #:vbox is given: the machine "
        "is a VirtualBox VM reached over SSH, not a Docker container",
        "build/site.rkt:29:45: error: a symbol for #:racket works only for a Docker client "
        "(#:docker without #:vbox)",
        "checked 1 configuration: 1 error in 1 file, 1 warning",
    ]
    assert lines[3] == "plan (static, mode default):"
    r = run(["distro", "plan", "build/site.rkt", "--json", "--dist-version", "8.7"], farm)
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert [(p["range"]["start"], p["severity"], p["code"]) for p in out["problems"]] == [
        ([28, 20], "warning", "vbox-and-docker"),
        ([28, 44], "error", "symbol-needs-docker"),
    ]
    cfg.write_text("#lang distro-build/config\n(define x 1)\n")
    r = run(["distro", "plan", "build/site.rkt", "--json"], farm)
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["plan"] is None
    assert out["planProblems"] == ["the module has no configuration expression"]
    assert [p["code"] for p in out["problems"]] == ["no-configuration"]


def test_make_commands_need_a_source_checkout(farm: Path) -> None:
    r = run(["distro", "installers", "build/site.rkt"], farm)
    assert r.returncode == 1
    assert "is in a Racket source checkout" in r.stderr and r.stdout == ""
    (farm / "racket" / "src").mkdir(parents=True)
    (farm / "Makefile").write_text("all:\n\techo\n\ninstallers:\n\t$(MAKE) x\n")
    r = run(["distro", "installers", "build/site.rkt", "--mode", "release", "--release"], farm)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        f"cd {farm} && make installers CONFIG=build/site.rkt CONFIG_MODE=release "
        "RELEASE_MODE=--release\n"
    )
    r = run(["distro", "describe-clients", str(farm / "build" / "site.rkt")], farm / "racket")
    assert r.stdout == f"cd {farm} && make describe-clients CONFIG=build/site.rkt\n"
    r = run(["distro", "site", "build/site.rkt", "--clean"], farm)
    assert r.stdout == f"cd {farm} && make site CONFIG=build/site.rkt CLEAN_MODE=--clean\n"
