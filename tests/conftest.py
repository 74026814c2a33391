from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hello-pkg"

# -- test tiers (markers registered in pyproject.toml) -------------------------
# `make test-fast` runs `pytest -m "not racket"`: pure Python, no Racket, npm or
# apt, in seconds.  Every test needs Racket (marker `racket`) unless its file is
# listed in FAST_FILES and the test is not in RACKET_TESTS.  `lsp` marks the
# tests that drive the real server over stdio, `e2e` the real editors (VS Code, Neovim, Emacs).
FAST_FILES = {
    "test_agent.py",
    "test_deps.py",
    "test_distro.py",
    "test_dynamic_requires.py",
    "test_identifiers.py",
    "test_info_assist.py",
    "test_info_fuzz.py",
    "test_info_syntax.py",
    "test_info_validate.py",
    "test_jsonl.py",
    "test_lang_spec.py",
    "test_layering.py",
    "test_markup.py",
    "test_packaging_settings.py",
    "test_protocol_wire.py",
    "test_requires.py",
    "test_rules.py",
    "test_settings_locate.py",
    "test_setup.py",
    "test_signature.py",
    "test_syntax_tests.py",
    "test_testing_runner.py",
    "test_text.py",
}
RACKET_TESTS = {
    "test_identifiers.py::test_helper_is_headless",
    "test_agent.py::test_real_agent_cancel_breaks_a_looping_compile",
    "test_agent.py::test_a_cancel_right_behind_its_compile_still_gets_the_result",
    "test_deps.py::test_an_unreadable_dep_is_stale_and_removing_it_lets_cm_recompile",
    "test_deps.py::test_fast_reader_agrees_with_general_reader_on_the_installation",
    "test_info_assist.py::test_hover_on_field_dep_and_flag",
    "test_info_fuzz.py::test_mutated_installation_files_never_raise",
    "test_info_validate.py::test_collection_names_as_racket_judges_them",
    "test_info_validate.py::test_every_installed_info_file_is_free_of_errors",
    "test_info_validate.py::test_grammar_errors_at_exact_ranges_and_racket_agrees",
    "test_jsonl.py::test_both_racket_helpers_answer_by_id_and_exit_when_asked",
    "test_settings_locate.py::test_locate_uses_path",
    "test_setup.py::test_check_package_end_to_end",
    "test_setup.py::test_compile_error_during_setup_cli_json",
    "test_setup.py::test_invalid_collection_never_sets_up_the_installation",
    "test_setup.py::test_missing_dependency_is_the_problem_not_unused",
    "test_setup.py::test_setup_paths_follow_the_package_name",
    "test_setup.py::test_unused_for_run_is_moved_to_build_deps",
    "test_testing_runner.py::test_a_config_timeout_longer_than_the_default_is_honoured",
    "test_testing_runner.py::test_a_hang_in_atomic_mode_kills_and_replaces_the_process",
    "test_testing_runner.py::test_cli_prints_failures_at_checks_and_exits_like_raco_test",
    "test_testing_runner.py::test_drdr_mode_sets_the_package_build_service_variable",
    "test_testing_runner.py::test_the_runner_starts_from_the_compiled_helpers_else_from_source",
    "test_text.py::test_decode_source_matches_racket_on_every_invalid_shape",
    "test_text.py::test_tree_sitter_positions_agree_with_the_racket_reader_after_invalid_bytes",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        file = item.path.name
        test = f"{file}::{getattr(item, 'originalname', item.name)}"
        if file in ("test_vscode_e2e.py", "test_editors_e2e.py"):
            item.add_marker(pytest.mark.e2e)
        elif file.startswith("test_lsp_"):
            item.add_marker(pytest.mark.lsp)
        if file not in FAST_FILES or test in RACKET_TESTS:
            item.add_marker(pytest.mark.racket)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """An empty workspace folder (a path with a space, to keep us honest)."""
    d = tmp_path / "work space"
    d.mkdir()
    return d


@pytest.fixture
def untouched() -> Iterator[None]:
    """The user's packages and the installation's files are the same afterwards."""
    from racket_install import installation_dirs, pkg_show, snapshot

    dirs = installation_dirs()
    before, shown = snapshot(dirs), pkg_show()
    yield
    assert pkg_show() == shown
    assert snapshot(dirs) == before


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A fresh copy of the example package."""
    d = tmp_path / "hello-pkg"
    shutil.copytree(EXAMPLE, d, ignore=shutil.ignore_patterns("compiled"))
    return d
