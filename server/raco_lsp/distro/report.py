"""What ``raco-lsp distro plan`` and ``raco/distroPlan`` tell about one site
configuration: the static findings, the plan under a mode, and the Racket
source checkout (with its ``make`` commands) that would run the farm."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from raco_lsp.distro.checkout import TARGETS, find_source_checkout, make_command
from raco_lsp.distro.plan import DEFAULT_MODE, Plan, plan_config
from raco_lsp.distro.validate import validate_config
from raco_lsp.info.findings import Finding


@dataclass
class PlanReport:
    path: Path
    mode: str
    findings: list[Finding]
    plan: Plan | None
    plan_problems: list[str]
    checkout: Path | None = None
    commands: list[list[str]] = field(default_factory=list)

    @property
    def log_dir(self) -> Path:
        """Where the farm writes one log per machine: ``build/log`` of the
        checkout (the configuration's folder's when there is none)."""
        return (self.checkout or self.path.parent) / "build" / "log"


def plan_report(
    path: Path, text: str, *, mode: str = DEFAULT_MODE, version: str | None = None
) -> PlanReport:
    plan, why = plan_config(text, mode=mode, version=version)
    report = PlanReport(path, mode, validate_config(path, text), plan, why)
    report.checkout = find_source_checkout(path.parent)
    if report.checkout is not None:
        report.commands = [
            make_command(t, report.checkout, path, mode=None if mode == DEFAULT_MODE else mode)
            for t in TARGETS
        ]
    return report
