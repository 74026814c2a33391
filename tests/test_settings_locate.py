import os
import stat
from pathlib import Path

from raco_lsp.lsp.settings import Settings, parse_settings
from raco_lsp.racket.locate import locate_racket


def test_parse_settings_nested_and_flat() -> None:
    s = parse_settings({"raco-lsp": {"racketPath": "/opt/r", "compileTimeout": 5}})
    assert (s.racket_path, s.compile_timeout) == ("/opt/r", 5.0)
    s2 = parse_settings({"trusted": False, "compileOnSave": "off"}, s)
    assert (s2.racket_path, s2.trusted, s2.compile_on_save) == ("/opt/r", False, "off")


def test_bad_settings_are_reported_and_ignored() -> None:
    s = parse_settings({"compileTimeout": -1, "trusted": "yes", "compileOnSave": "always"})
    # An invalid trust value fails closed.
    assert (s.compile_timeout, s.trusted, s.compile_on_save) == (60.0, False, "dependents")
    assert len(s.problems) == 3
    assert parse_settings(None) == Settings()
    assert parse_settings([1, 2]) == Settings()


def _exe(p: Path) -> Path:
    p.write_text("#!/bin/sh\n")
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return p


def test_locate_from_directory_and_executable(tmp_path: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    racket = _exe(bindir / "racket")
    raco = _exe(bindir / "raco")
    for configured in (str(tmp_path), str(bindir), str(racket), str(raco)):
        found, problems = locate_racket(configured, path_env="")
        assert found is not None, configured
        assert (found.racket, found.raco, problems) == (racket, raco, [])


def test_locate_reports_missing(tmp_path: Path) -> None:
    found, problems = locate_racket(str(tmp_path / "nope"), path_env=str(tmp_path))
    assert found is None
    assert any("neither a directory nor an executable" in p for p in problems)
    assert any("not found on PATH" in p for p in problems)


def test_locate_uses_path() -> None:
    found, _ = locate_racket(None, path_env=os.environ["PATH"])
    assert found is not None and found.racket.name == "racket"


def test_jobs_setting() -> None:
    assert parse_settings({"jobs": 3}).jobs == 3
    assert parse_settings({}).jobs == 0  # one per core
    bad = parse_settings({"jobs": -1})
    assert bad.jobs == 0 and bad.problems


def test_max_file_size_setting() -> None:
    assert parse_settings({}).max_file_size == 8  # MB
    assert parse_settings({"raco-lsp": {"maxFileSize": 32}}).max_file_size == 32
    for bad in (0, 1.5, "8", True, None):
        s = parse_settings({"maxFileSize": bad})
        assert s.max_file_size == 8 and s.problems == (
            "raco-lsp.maxFileSize must be a whole number of MB (>= 1)",
        )


def test_spare_agent_timeout_parses_and_rejects_bad_values() -> None:
    s = parse_settings({"spareAgentTimeout": 2.5})
    assert s.spare_agent_timeout == 2.5 and s.problems == ()
    assert parse_settings({"spareAgentTimeout": 0}).spare_agent_timeout == 0.0
    for bad in (-1, True, "60", None):
        b = parse_settings({"spareAgentTimeout": bad}, s)
        assert b.spare_agent_timeout == 2.5 and len(b.problems) == 1
    assert Settings().spare_agent_timeout == 60.0
