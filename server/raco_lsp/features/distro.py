"""distro-build site configurations: diagnostics, completion, hover, quick
fixes, and the plan (request ``raco/distroPlan``).

A ``#lang distro-build/config`` module (or ``build/site.rkt``) is checked
statically (``distro/validate.py``) on open and on every change, under the
diagnostic source ``distro-build``.  Nothing runs the configuration: it is
workspace code, and the distro-build packages need not be installed.  The plan
(``distro/plan.py``) is read from the buffer too, in trusted and untrusted
folders alike, and written as a Markdown view (``install.view_file``) that
links each machine to its log.  Only when the folder is trusted and the
distro-build package is installed is the saved configuration also evaluated
with it (``racket/distro_eval.py``), to cross-check the static plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from raco_lsp.core.text import read_source
from raco_lsp.distro.assist import complete, hover
from raco_lsp.distro.plan import DEFAULT_MODE, PlanNode, Unknown, node_facts, walk_plan, written
from raco_lsp.distro.report import PlanReport, plan_report
from raco_lsp.distro.validate import SOURCE, is_site_config, validate_config
from raco_lsp.features.info_rkt import InfoRkt, completion_item, hover_result
from raco_lsp.features.module_graph import ModuleGraphFeature
from raco_lsp.info.findings import Finding
from raco_lsp.lsp.diagnostics import document_quick_fixes
from raco_lsp.lsp.feature import Feature, request
from raco_lsp.lsp.protocol import DistroPlanNode, DistroPlanParams, DistroPlanResult
from raco_lsp.lsp.uris import uri_path
from raco_lsp.racket.distro_eval import RealNode, distro_build_installed, evaluate_config
from raco_lsp.racket.install import InstallInfo, view_file, write_cache_text

if TYPE_CHECKING:
    from raco_lsp.lsp.server import RacoLanguageServer


class DistroConfig(Feature):
    """Site-configuration checks and assistance.  State: the static findings
    of each open configuration (for code actions)."""

    def __init__(self, server: RacoLanguageServer) -> None:
        super().__init__(server)
        self.findings: dict[Path, list[Finding]] = {}

    def _text(self, path: Path) -> str | None:
        """The configuration's text, or None when ``path`` is no site configuration."""
        if path.suffix != ".rkt":
            return None
        text = self.server.feature_of(InfoRkt).text_of(path)
        return text if is_site_config(path, text) else None

    # -- hooks ----------------------------------------------------------------

    def on_open(self, path: Path) -> None:
        self.validate(path)

    def on_change(self, path: Path) -> None:
        self.validate(path)

    def on_save(self, path: Path) -> None:
        self.validate(path)

    def on_close(self, path: Path) -> None:
        if self.findings.pop(path, None) is not None:
            self.server.store.put(SOURCE, self.server.uri_of(path), [])

    def validate(self, path: Path) -> None:
        text = self._text(path)
        if text is None:
            self.on_close(path)  # no longer a configuration (its #lang changed)
            return
        self.findings[path] = validate_config(path, text)
        converter = self.server.range_converter()
        self.server.store.put(
            SOURCE,
            self.server.uri_of(path),
            [converter.diagnostic(f.problem) for f in self.findings[path]],
        )

    async def completion(self, params: types.CompletionParams) -> list[types.CompletionItem]:
        path = uri_path(params.text_document.uri)
        text = self._text(path) if path is not None else None
        if path is None or text is None:
            return []
        converter = self.server.range_converter()
        pos = converter.pos(path, params.position)
        info = self.server.feature_of(InfoRkt)
        await info.ensure_packages()
        return [completion_item(converter, path, s) for s in complete(text, pos, info.packages())]

    async def hover(self, params: types.HoverParams) -> types.Hover | None:
        path = uri_path(params.text_document.uri)
        text = self._text(path) if path is not None else None
        if path is None or text is None:
            return None
        converter = self.server.range_converter()
        return hover_result(converter, path, hover(text, converter.pos(path, params.position)))

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        return document_quick_fixes(self.server, params, self.findings)

    @request("raco/distroPlan")
    async def distro_plan(self, params: DistroPlanParams | None) -> DistroPlanResult:
        """The static plan of the configuration ``uri`` under ``mode``, with its
        problems and a generated Markdown view; never runs the configuration."""
        mode = (params.mode if params is not None else None) or DEFAULT_MODE
        uri = params.uri if params is not None else None
        path = uri_path(uri) if uri is not None else None
        if path is None:
            return _refusal(mode, "raco/distroPlan needs the uri of a site configuration")
        outside = self.server.outside_workspace([path])
        if outside:
            return _refusal(mode, *outside)
        text = self._text(path)
        if text is None:
            return _refusal(mode, f"{path} is not a distro-build site configuration")
        info = self.server.feature_of(ModuleGraphFeature).graph_for(path).info
        report = plan_report(path, text, mode=mode, version=info.version if info else None)
        cross = await self._cross_check(path, text, report, info)
        result = DistroPlanResult.of(report, None, cross)
        view = view_file("distro-plan", path, f"{path.stem}.md")
        if write_cache_text(view, plan_markdown(report, result)):
            result = DistroPlanResult.of(report, view, cross)
        return result

    async def _cross_check(
        self, path: Path, text: str, report: PlanReport, info: InstallInfo | None
    ) -> tuple[list[str], int] | None:
        """With the distro-build package installed and the folder trusted: the
        saved configuration evaluated by it, against the static plan; None
        otherwise (the plan stays static)."""
        install = self.server.install_for(path)
        if (
            report.plan is None
            or install is None
            or not self.server.settings_for(path).trusted
            or not distro_build_installed(info)
        ):
            return None
        if read_source(path) != text:
            return ["not cross-checked with distro-build: save the configuration first"], 0
        real, why = await evaluate_config(install, path, report.mode)
        if real is None:
            return [f"distro-build could not evaluate the configuration: {w}" for w in why], 0
        return cross_check(report.plan.root, real)


def cross_check(static: PlanNode, real: RealNode) -> tuple[list[str], int]:
    """Where the static plan and the package's evaluation differ, node by node
    (kinds, children, and each machine's effective options as ``~v`` writes
    them), and how many machine options agree."""
    out: list[str] = []
    agreed = 0

    def walk(s: PlanNode, r: RealNode) -> None:
        nonlocal agreed
        if s.kind == "unknown":
            out.append(f"{s.id}: {s.text} is a {r.kind} (not known statically)")
            return
        if s.kind != r.kind:
            out.append(f"{s.id}: the static plan has a {s.kind}, distro-build a {r.kind}")
            return
        if s.kind == "machine":
            for k in sorted(set(s.options) | set(r.options)):
                e = s.options.get(k)
                mine = None if e is None else e.setting.value
                theirs = r.options.get(k)
                if isinstance(mine, Unknown) and theirs is not None:
                    out.append(f"{s.id} #:{k}: {theirs} (not known statically)")
                elif mine is None or theirs is None or written(mine) != theirs:
                    shown = "absent" if mine is None else written(mine)
                    out.append(f"{s.id} #:{k}: static {shown}, distro-build {theirs or 'absent'}")
                else:
                    agreed += 1
        if len(s.children) != len(r.children):
            out.append(
                f"{s.id}: {len(s.children)} children statically, {len(r.children)} in distro-build"
            )
        for a, b in zip(s.children, r.children, strict=False):
            walk(a, b)

    walk(static, real)
    return out, agreed


def _refusal(mode: str, *why: str) -> DistroPlanResult:
    return DistroPlanResult(
        source="static", mode=mode, problems=[], plan_problems=list(why), commands=[]
    )


def plan_markdown(report: PlanReport, result: DistroPlanResult) -> str:
    """The plan as a page: problems, the make commands, then the tree (one
    nested list item per node, with its facts); each machine whose log exists
    links to it."""
    lines = [f"# Build farm plan: {report.path.name}", ""]
    if result.source == "static":
        lines.append(f"Mode `{report.mode}`; read statically from `{report.path}` (nothing ran).")
    else:
        lines.append(
            f"Mode `{report.mode}`; read statically from `{report.path}`, and cross-checked "
            f"with the distro-build package: {result.agreed} machine options agree."
        )
        lines += ["", *[f"- cross-check: {c}" for c in result.cross_check or []]]
    lines.append("")
    for f in report.findings:
        p = f.problem
        lines.append(
            f"- {p.severity.value} at {p.span.start.line + 1}:{p.span.start.col + 1}: {p.message}"
        )
    if report.checkout is not None:
        lines += ["", f"Run from the Racket source checkout `{report.checkout}`:", ""]
        lines += [f"    {' '.join(c)}" for c in report.commands]
    else:
        lines += ["", "No Racket source checkout holds this configuration: run it from one."]
    lines.append("")
    lines += [f"No plan: {why}" for why in report.plan_problems]
    logs: dict[str, str] = {}

    def collect(n: DistroPlanNode) -> None:
        if n.log_path is not None:
            logs[n.id] = n.log_path
        for c in n.children:
            collect(c)

    if result.plan is not None:
        collect(result.plan)
    if report.plan is not None:
        for depth, node in walk_plan(report.plan.root):
            title, facts = node_facts(node)
            indent = "  " * depth
            lines.append(f"{indent}- **{title}**")
            if node.id in logs:
                link = Path(logs[node.id]).as_uri()
                lines.append(f"{indent}  - [log build/log/{node.log_file}]({link})")
            lines += [f"{indent}  - {fact}" for fact in facts]
    return "\n".join(lines) + "\n"
