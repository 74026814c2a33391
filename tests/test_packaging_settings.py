"""The packaging settings (raco-lsp.distEntries, distOutput, smokeTimeout)."""

from __future__ import annotations

from raco_lsp.lsp.settings import Settings, parse_settings


def test_packaging_settings_parse_and_reject_bad_values() -> None:
    s = parse_settings(
        {
            "raco-lsp": {
                "distEntries": ["main.rkt", "tools/x.rkt"],
                "distOutput": "out",
                "smokeTimeout": 5,
            }
        }
    )
    assert s.dist_entries == ("main.rkt", "tools/x.rkt")
    assert s.dist_output == "out" and s.smoke_timeout == 5.0 and s.problems == ()
    bad = parse_settings({"distEntries": "main.rkt", "distOutput": "", "smokeTimeout": True}, s)
    assert (bad.dist_entries, bad.dist_output, bad.smoke_timeout) == (
        s.dist_entries,
        s.dist_output,
        s.smoke_timeout,
    )
    assert len(bad.problems) == 3
    assert Settings().dist_output == "dist"
