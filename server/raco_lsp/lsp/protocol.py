"""The wire shapes of raco-lsp's own LSP extensions.

Every ``raco/*`` request's params and result, every ``raco/*`` notification's
params and every ``raco-lsp.*`` command's argument and result is an attrs class
declared here with ``@wire``: snake_case fields in Python, camelCase on the wire
(``in_source`` travels as ``inSource``; a trailing underscore is dropped, so
``from_`` is ``from``).  Handlers take and return these types: ``converter()``
(pygls' lsprotocol converter plus hooks for these classes) structures what the
client sends and unstructures what we answer, and ``RacoProtocol`` asks
``request_message_type(method)`` how to read a ``raco/*`` request, so a request
whose params do not fit its class is answered with ``InvalidParams``.

The TypeScript side mirrors these shapes in ``vscode-extension/src/lsp_ext.ts``.
Only this module and ``features/`` know the wire: ``racket/`` returns records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar, dataclass_transform

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from lsprotocol import types
from pygls.protocol import default_converter

from raco_lsp.distro.plan import Unknown, json_value, written

if TYPE_CHECKING:
    from raco_lsp.distro.plan import PlanNode
    from raco_lsp.distro.report import PlanReport
    from raco_lsp.info.findings import Finding
    from raco_lsp.racket.graph.index import GraphView
    from raco_lsp.racket.packaging.common import StepResult
    from raco_lsp.racket.packaging.pipeline import DistributionResult
    from raco_lsp.racket.plt import PltArchive
    from raco_lsp.racket.setup import SetupReport

T = TypeVar("T")

_WIRE: set[type] = set()
_KEEP_NULL = "raco_lsp.keep_null"
REQUESTS: dict[str, type | None] = {}
"""``raco/*`` request method -> its params class (None: takes no params)."""


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(attrs.field,))
def wire(cls: type[T]) -> type[T]:
    """Declare a wire shape: an attrs class (frozen, keyword-only) whose
    fields travel in camelCase."""
    made = attrs.frozen(kw_only=True)(cls)
    _WIRE.add(made)
    return made


def nullable() -> Any:
    """A field (default None) that travels as ``null`` when None, where the
    wire has always carried the key; other None fields are left out."""
    return attrs.field(default=None, metadata={_KEEP_NULL: True})


def request(method: str, params: type | None) -> None:
    """Declare that ``raco/METHOD`` requests carry ``params`` (a ``@wire`` class)."""
    REQUESTS[method] = params


def camel(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _renames(cls: type) -> dict[str, Any]:
    return {a.name: override(rename=camel(a.name)) for a in attrs.fields(cls)}


def converter() -> Converter:
    """pygls' converter, taught the ``@wire`` classes (camelCase keys,
    ``None`` fields left out of answers)."""
    c: Converter = default_converter()  # type: ignore[no-untyped-call]

    def unstructure_fn(cls: type) -> Callable[[Any], dict[str, Any]]:
        inner: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, c, **_renames(cls))
        keep = {camel(a.name) for a in attrs.fields(cls) if a.metadata.get(_KEEP_NULL)}

        def unstructure(obj: Any) -> dict[str, Any]:
            return {k: v for k, v in inner(obj).items() if v is not None or k in keep}

        return unstructure

    def structure_fn(cls: type) -> Callable[[Any, type], Any]:
        inner: Callable[[Any, type], Any] = make_dict_structure_fn(cls, c, **_renames(cls))

        def structure(data: Any, t: type) -> Any:
            if data is None:
                data = {}
            if not isinstance(data, dict):
                raise TypeError(f"expected a JSON object for {t.__name__}, got {data!r:.80}")
            return inner(data, t)

        return structure

    c.register_unstructure_hook_factory(lambda t: t in _WIRE, unstructure_fn)
    c.register_structure_hook_factory(lambda t: t in _WIRE, structure_fn)
    return c


@cache
def request_message_type(method: str) -> type | None:
    """The JSON-RPC request message class of a declared ``raco/*`` method
    (what pygls structures the incoming message as), else None."""
    if method not in REQUESTS:
        return None
    params = REQUESTS[method]
    name = "".join(p[:1].upper() + p[1:] for p in re.split(r"\W+", method))
    return attrs.make_class(
        f"{name}Request",
        {
            "id": attrs.field(type=int | str),  # type: ignore[arg-type]
            "params": attrs.field(type=(params | None) if params else Any, default=None),  # type: ignore[arg-type]
            "method": attrs.field(type=str, default=method),
            "jsonrpc": attrs.field(type=str, default="2.0"),
        },
    )


# -- packaging ------------------------------------------------------------------
# The raco-lsp.create*/buildDistribution/packCollection commands' arguments and
# answers, and raco/inspectPlt; `raco-lsp exe|dist|pack|inspect-plt --json`
# prints the same answers.  Built from racket/packaging and racket/plt records.

EXE_FOLDER = "exe"
"""Create executable's default output: ``<distOutput>/exe/<module name>``."""
BUNDLE_FOLDER = "bundle"
"""Create/Build distribution's default output: ``<distOutput>/bundle/`` (``NAME/``,
``NAME.tgz``), apart from the executables, so neither run trips over the other's output."""


@wire
class CreateExecutableArgs:
    """``raco-lsp.createExecutable``: the module is ``module`` (a path or a
    ``file:`` URI), else ``uri``."""

    uri: str | None = None
    module: str | None = None
    output: str | None = None
    gui: bool = False
    libs: list[str] = attrs.field(factory=list)
    launcher: bool = False
    ico: str | None = None
    icns: str | None = None
    aux: list[str] = attrs.field(factory=list)
    embed_dlls: bool = False
    overwrite: bool | None = None
    """None: true."""


@wire
class DistributionArgs:
    """``raco-lsp.createDistribution`` and ``raco-lsp.buildDistribution``."""

    modules: list[str] = attrs.field(factory=list)
    uri: str | None = None
    output: str | None = None
    name: str | None = None
    libs: list[str] = attrs.field(factory=list)
    gui: bool = False
    collects_copy: list[str] = attrs.field(factory=list)
    shared_collects: bool = False
    smoke: bool | None = None
    """None: true (buildDistribution only)."""
    smoke_args: list[str] | None = None
    """The smoke run's arguments; None: ``raco-lsp.smokeArgs``."""
    bundler: str | None = None
    """``auto`` (None), ``tar`` or ``racket``."""


@wire
class PackCollectionArgs:
    """``raco-lsp.packCollection``: the folder ``dir`` (a path or a ``file:``
    URI), else the one of ``uri`` (info.rkt's folder)."""

    uri: str | None = None
    dir: str | None = None
    output: str | None = None
    collection: str | None = None
    at_plt: bool = False
    replace: bool = False
    setup: list[str] = attrs.field(factory=list)
    include_compiled: bool = False


@wire
class PackageArchiveArgs:
    """``raco-lsp.createPackageArchive``."""

    uri: str | None = None
    dir: str | None = None
    dest: str | None = None
    format: str | None = None
    """``zip`` (None), ``tgz`` or ``plt``."""
    mode: str | None = None
    """``as-is`` (None), ``source``, ``binary``, ``binary-lib`` or ``built``."""


@wire
class LaunchersArgs:
    """``raco-lsp.createLaunchers``."""

    uri: str | None = None
    dir: str | None = None
    dest: str | None = None


@wire
class InspectPltParams:
    """``raco/inspectPlt``: the archive at ``path`` (or ``file:`` URI), else ``uri``."""

    uri: str | None = None
    path: str | None = None


@wire
class PltRequire:
    collection: str
    version: Any


@wire
class PltEntryInfo:
    kind: str
    path: str
    size: int | None = nullable()
    replace: bool


@wire
class PltInfo:
    """A decoded ``.plt`` archive (``raco/inspectPlt``, ``packCollection``'s ``plt``)."""

    name: str | None = nullable()
    requires: list[PltRequire]
    conflicts: list[str]
    unpack_to: str
    setup_collections: list[str]
    test_plt_dirs: list[str]
    entries: list[PltEntryInfo]
    problems: list[str]

    @classmethod
    def of(cls, archive: PltArchive, problems: list[str]) -> PltInfo:
        return cls(
            name=archive.name,
            requires=[PltRequire(collection=c, version=v) for c, v in archive.requires],
            conflicts=list(archive.conflicts),
            unpack_to=archive.unpack_target,
            setup_collections=list(archive.setup_collections),
            test_plt_dirs=archive.fallback_dirs,
            entries=[
                PltEntryInfo(kind=e.kind, path=e.path, size=e.size, replace=e.replace)
                for e in archive.entries
            ],
            problems=problems,
        )


@wire
class PltProblems:
    """``raco/inspectPlt`` when there is no archive to read."""

    problems: list[str]


@wire
class PackagingStep:
    """One packaging step's outcome (``StepResult``): the answer of
    createExecutable, packCollection, createPackageArchive, createLaunchers."""

    step: str
    ok: bool
    argv: list[str]
    outputs: list[str]
    output: str
    errors: list[str]
    warnings: list[str]
    suggestions: list[str]
    seconds: float
    lib_suggestions: list[str] | None = None
    """createExecutable: the modules the sources load at run time."""
    plt: PltInfo | None = None
    """packCollection: the archive it made."""

    @classmethod
    def of(
        cls,
        step: StepResult,
        *,
        lib_suggestions: list[str] | None = None,
        plt: PltInfo | None = None,
    ) -> PackagingStep:
        return cls(
            step=step.step,
            ok=step.ok,
            argv=step.argv,
            outputs=[str(p) for p in step.outputs],
            output=step.output,
            errors=step.errors,
            warnings=step.warnings,
            suggestions=step.suggestions,
            seconds=round(step.seconds, 3),
            lib_suggestions=lib_suggestions,
            plt=plt,
        )


@wire
class SmokeRunInfo:
    executable: str
    ok: bool
    returncode: int | None = nullable()
    output: str
    timed_out: bool
    missing_modules: list[str]


@wire
class Distribution:
    """createDistribution's and buildDistribution's answer (``DistributionResult``)."""

    ok: bool
    archive: str | None = nullable()
    dist_dir: str | None = nullable()
    executables: list[str]
    steps: list[PackagingStep]
    smoke: list[SmokeRunInfo]
    errors: list[str]
    warnings: list[str]
    suggestions: list[str]
    source_suggestions: list[str]

    @classmethod
    def of(cls, r: DistributionResult) -> Distribution:
        return cls(
            ok=r.ok,
            archive=str(r.archive) if r.archive else None,
            dist_dir=str(r.dist_dir) if r.dist_dir else None,
            executables=[str(p) for p in r.executables],
            steps=[PackagingStep.of(s) for s in r.steps],
            smoke=[
                SmokeRunInfo(
                    executable=s.executable,
                    ok=s.ok,
                    returncode=s.returncode,
                    output=s.output,
                    timed_out=s.timed_out,
                    missing_modules=s.missing_modules,
                )
                for s in r.smoke
            ],
            errors=r.errors,
            warnings=r.warnings,
            suggestions=r.suggestions,
            source_suggestions=r.source_suggestions,
        )


@wire
class PackagingRefusal:
    """A packaging command (or checkPackage, pkgBuild, clearPackageScope) that
    did not run its job: not trusted, no Racket, a path outside the workspace,
    missing arguments, or cancelled."""

    ok: bool = False
    cancelled: bool | None = None
    errors: list[str]


request("raco/inspectPlt", InspectPltParams)


# -- module graph (features/module_graph.py, cli/graph.py) --------------------


@wire
class ModuleParams:
    """``raco/moduleGraph`` (without uri: every workspace module),
    ``raco/dependencies``, ``raco/dependents``, ``raco/recompileOrder``."""

    uri: str | None = None


@wire
class GraphNode:
    path: str
    stale: bool
    certain: bool
    """False when ``stale`` is a guess: compiler/cm may only touch it."""
    reason: str | None = nullable()
    workspace: bool
    """A module of the graph (else a module it requires)."""
    uri: str | None = None
    failed: str | None = None
    """Stale, and its last compile failed: the first line of the error."""


@wire
class GraphEdge:
    from_: str
    to: str
    in_source: bool
    in_dep: bool


@wire
class ModuleGraphResult:
    """``raco/moduleGraph`` and ``raco-lsp.showModuleGraph``: modules and requires.

    The command (the ``#lang`` lens's, argument the module's URI) also shows the
    graph, as a generic client cannot: ``window/showDocument`` of a generated
    Markdown view, else ``window/showMessage``.  The VS Code extension runs the
    command itself, as its webview (``showModuleGraphCommand`` in lsp_ext.ts)."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]

    @classmethod
    def of(cls, view: GraphView, uri_of: Callable[[Path], str] | None = None) -> ModuleGraphResult:
        return cls(
            nodes=[
                GraphNode(
                    path=str(n.path),
                    stale=n.staleness.stale,
                    certain=n.staleness.certain,
                    reason=n.staleness.reason,
                    workspace=n.workspace,
                    uri=uri_of(n.path) if uri_of is not None else None,
                    failed=n.staleness.failed,
                )
                for n in view.nodes
            ],
            edges=[
                GraphEdge(
                    from_=str(e.source), to=str(e.target), in_source=e.in_source, in_dep=e.in_dep
                )
                for e in view.edges
            ],
        )


@wire
class ModuleState:
    """An item of ``raco/dependencies`` and ``raco/dependents``."""

    uri: str
    path: str
    workspace: bool
    stale: bool
    certain: bool
    """False when ``stale`` is a guess: compiler/cm may only touch it."""
    known: bool
    reason: str | None = nullable()
    failed: str | None = None
    """Stale, and its last compile failed: the first line of the error."""


@wire
class ModuleGraphChanged:
    """Notification ``raco/moduleGraphChanged`` (no fields): what the module
    graph knows changed (a build, a save, a change on disk); a view of it asks
    again.  Sent with ``workspace/codeLens/refresh`` (when the client supports it)."""


@wire
class RecompileOrder:
    """``raco/recompileOrder``: the module and its workspace dependents in
    the order to compile them, and the require cycles among them."""

    order: list[str]
    cycles: list[list[str]]


request("raco/moduleGraph", ModuleParams)
request("raco/dependencies", ModuleParams)
request("raco/dependents", ModuleParams)
request("raco/recompileOrder", ModuleParams)


# -- info.rkt and raco setup (features/info_rkt.py, features/setup.py) ---------


@wire
class PackageTarget:
    """Argument of ``raco-lsp.checkPackage``, ``raco-lsp.pkgBuild`` and
    ``raco-lsp.clearPackageScope``: ``{"uri"}`` of a file in the package
    (clearPackageScope: optional)."""

    uri: str | None = None


@wire
class UndeclaredDependency:
    mode: str
    package: str
    module: str
    source: str | None = nullable()


@wire
class SetupErrorEntry:
    kind: str
    message: str
    path: str | None = nullable()
    line: int | None = nullable()
    col: int | None = nullable()


@wire
class ProblemRange:
    """``[line, column]`` pairs, 0-based, columns in characters."""

    start: list[int]
    end: list[int]


@wire
class SetupProblem:
    path: str
    range: ProblemRange
    severity: str
    message: str
    code: str | None = nullable()
    fixes: list[str]  # their titles

    @classmethod
    def of(cls, f: Finding) -> Self:
        return cls(
            path=str(f.problem.path),
            range=ProblemRange(
                start=[f.problem.span.start.line, f.problem.span.start.col],
                end=[f.problem.span.end.line, f.problem.span.end.col],
            ),
            severity=f.problem.severity.value,
            message=f.problem.message,
            code=f.problem.code,
            fixes=[x.title for x in f.fixes],
        )


@wire
class SetupReportResult:
    """A raco setup check of one package (``raco-lsp setup --json``)."""

    package: str
    directory: str
    returncode: int | None = nullable()
    clean: bool
    undeclared: list[UndeclaredDependency]
    unused: list[str]  # package names (`for run` ones too; the problems say which)
    not_installed: list[str]
    errors: list[SetupErrorEntry]
    failures: list[str]
    problems: list[SetupProblem]

    @classmethod
    def of(cls, report: SetupReport, findings: list[Finding]) -> Self:
        return cls(
            package=report.package.name,
            directory=str(report.package.directory),
            returncode=report.returncode,
            clean=report.clean,
            undeclared=[
                UndeclaredDependency(
                    mode=u.mode,
                    package=u.package,
                    module=u.module,
                    source=str(u.source) if u.source else None,
                )
                for u in report.found.undeclared
            ],
            unused=[u.package for u in report.found.unused],
            not_installed=[n.package for n in report.found.not_installed],
            errors=[
                SetupErrorEntry(
                    kind=e.kind,
                    message=e.message,
                    path=str(e.path) if e.path else None,
                    line=e.line,
                    col=e.col,
                )
                for e in report.found.errors
            ],
            failures=report.failures,
            problems=[SetupProblem.of(f) for f in findings],
        )


@wire
class CheckPackageResult(SetupReportResult):
    """``raco-lsp.checkPackage`` when the check ran."""

    ok: bool = True


@wire
class PkgBuildStepResult:
    """A step of ``raco-lsp.pkgBuild``: ``status`` success, failure or skipped."""

    name: str
    status: str
    why: str
    seconds: float


@wire
class PkgBuildResult:
    """``raco-lsp.pkgBuild`` when the steps ran (``raco-lsp pkg-build --json``'s
    verdict, categories and steps; the problems as the diagnostics say them)."""

    ok: bool = True
    package: str
    directory: str
    verdict: str
    categories: list[str]
    network_isolated: bool | None = nullable()
    steps: list[PkgBuildStepResult]
    problems: list[SetupProblem]
    html: str | None = nullable()
    """The HTML report, once the preflight writes one (the VS Code command
    opens it beside the editor); null until then."""


@wire
class ClearScopeResult:
    ok: bool = True
    cleared: list[str]  # the scope directories removed


@wire
class WorkspacePackageEntry:
    """An entry of the ``raco/workspacePackages`` answer."""

    name: str
    directory: str
    collection: str  # "string", "multi", "use-pkg-name" or "none"


request("raco/workspacePackages", None)


# -- compile on save (features/compile_on_save.py) ------------------------------


@wire
class BuildStatusParams:
    """``raco/buildStatus``: where the build is; sent when it starts, as files
    finish and when it ends."""

    building: bool
    done: int
    """Files compiled so far in this build."""
    total: int
    """Files this build compiles (it grows when a clean file sends others back)."""
    errors: int
    """``raco make`` errors reported now, over all files."""


@wire
class BuildWorkspaceResult:
    """``raco-lsp.buildWorkspace``: what it compiled and the errors now;
    ``skipped`` says why nothing could run."""

    compiled: list[str]
    errors: int
    skipped: str | None = None


# -- tests (features/testing.py) --------------------------------------------------


@wire
class ServerTestItem:
    """A discovered file (``range`` null), test submodule, test-case/suite or check."""

    id: str
    label: str
    kind: str
    uri: str
    range: types.Range | None = nullable()
    children: list[ServerTestItem]


@wire
class DiscoverTestsParams:
    uri: str | None = None


@wire
class DiscoverTestsResult:
    items: list[ServerTestItem]
    problems: list[str] | None = None


@wire
class TestItemsParams:
    """``raco/testItems``: an open file's items again, whenever it changes."""

    __test__ = False  # not a pytest class

    uri: str
    items: list[ServerTestItem]


@wire
class RunTestsParams:
    """``raco/runTests`` (and the argument of the command ``raco-lsp.runTests``):
    files (``uris``) or discovered items (``ids``); nothing named runs the
    workspace."""

    uris: list[str] | None = None
    ids: list[str] | None = None
    mode: str | None = None
    run_id: str | None = None


@wire
class RunFileSummary:
    uri: str
    status: str
    failed: int
    total: int
    timed_out: bool


@wire
class RunTestsResult:
    """Either ``{ran: false, reason}`` or the run's summary."""

    ran: bool
    reason: str | None = None
    run_id: str | None = None
    mode: str | None = None
    failed: int | None = None
    total: int | None = None
    exit_code: int | None = None
    missing: list[str] | None = None
    problems: list[str] | None = None
    files: list[RunFileSummary] | None = None


@wire
class TestLocation:
    __test__ = False  # not a pytest class

    uri: str
    range: types.Range


@wire
class ServerTestResult:
    """``raco/testResult`` for one check, test-case or module."""

    run_id: str
    uri: str
    id: str | None = nullable()
    kind: str
    status: str
    name: str | None = nullable()
    check: str | None = nullable()
    message: str
    location: TestLocation | None = nullable()
    actual: str | None = nullable()
    expected: str | None = nullable()
    params: str | None = nullable()
    expression: str | None = nullable()
    duration: float | None = nullable()
    """Milliseconds since the module's previous result ended (since it
    started, for the first); a module's last result runs to its end."""


@wire
class ServerFileResult:
    """``raco/testResult`` for a whole file (``kind`` is ``file``)."""

    run_id: str
    uri: str
    id: str
    kind: str = "file"
    status: str
    failed: int
    total: int
    timed_out: bool
    message: str
    stdout: str
    stderr: str
    duration: float
    """Milliseconds: the file's run, which its item results' durations add up to."""


request("raco/discoverTests", DiscoverTestsParams)
request("raco/runTests", RunTestsParams)


# -- build farms (features/distro.py, cli/distro.py) ------------------------------


@wire
class DistroPlanParams:
    """``raco/distroPlan``: the site configuration ``uri`` under ``mode``
    (CONFIG_MODE; default ``default``)."""

    uri: str | None = None
    mode: str | None = None


@wire
class DistroOption:
    """An option in effect at a plan node: its value as JSON (null when it
    cannot be known statically; a symbol as its name), as Racket writes it,
    the id of the node that set it, and why it is unknown."""

    value: Any = nullable()
    text: str
    from_: str
    unknown: str | None = None


@wire
class DistroReach:
    kind: str
    """``local``, ``ssh``, ``vbox`` or ``docker``."""
    summary: str


@wire
class DistroPlanNode:
    """A node of the plan: ``kind`` is ``sequential``, ``parallel``,
    ``machine`` or ``unknown`` (a child computed when the configuration runs;
    ``text`` is its source).  ``id`` is the path of child positions ("1.2")."""

    kind: str
    id: str
    line: int
    options: dict[str, DistroOption]
    installer: str | None = nullable()
    children: list[DistroPlanNode]
    undetermined: list[str]
    name: str | None = None
    log: str | None = None
    log_path: str | None = None
    """The machine's log, ``build/log/<log>``, when it exists."""
    reach: DistroReach | None = None
    platform: str | None = None
    text: str | None = None

    @classmethod
    def of(cls, n: PlanNode, log_dir: Path | None = None) -> DistroPlanNode:
        machine = n.kind == "machine"
        log = log_dir / n.log_file if log_dir is not None and n.log_file else None
        return cls(
            kind=n.kind,
            id=n.id,
            line=n.span.start.line + 1,
            options={
                k: DistroOption(
                    value=json_value(e.setting.value),
                    text=written(e.setting.value),
                    from_=e.origin,
                    unknown=e.setting.value.why if isinstance(e.setting.value, Unknown) else None,
                )
                for k, e in sorted(n.options.items())
            },
            installer=n.installer,
            children=[cls.of(c, log_dir) for c in n.children],
            undetermined=list(n.undetermined),
            name=n.name if machine else None,
            log=n.log_file if machine else None,
            log_path=str(log) if log is not None and log.is_file() else None,
            reach=DistroReach(kind=n.reach.kind, summary=n.reach.summary) if n.reach else None,
            platform=n.platform,
            text=n.text if n.kind == "unknown" else None,
        )


@wire
class DistroPlanResult:
    """``raco/distroPlan`` (and ``raco-lsp distro plan --json``): the static
    checks' problems, then the plan (null when there is no configuration
    expression: ``planProblems`` says why), read statically.  ``view`` is a
    generated Markdown page of the plan (links to the machines' logs),
    ``checkout`` the Racket source checkout that runs the farm, and
    ``commands`` its ``make`` commands.  ``source`` is ``static``, or
    ``distro-build`` when the distro-build package is installed and the folder
    trusted: the saved configuration was then also evaluated with it, and
    ``crossCheck`` lists where the static plan and the package's differ (or
    what only the package could tell), ``agreed`` counts the machine options
    they agree on."""

    source: str
    mode: str
    problems: list[SetupProblem]
    plan: DistroPlanNode | None = nullable()
    plan_problems: list[str]
    view: str | None = nullable()
    checkout: str | None = nullable()
    commands: list[list[str]]
    cross_check: list[str] | None = None
    agreed: int | None = None

    @classmethod
    def of(
        cls,
        r: PlanReport,
        view: Path | None = None,
        cross: tuple[list[str], int] | None = None,
    ) -> DistroPlanResult:
        return cls(
            source="static" if cross is None else "distro-build",
            cross_check=cross[0] if cross is not None else None,
            agreed=cross[1] if cross is not None else None,
            mode=r.mode,
            problems=[SetupProblem.of(f) for f in r.findings],
            plan=DistroPlanNode.of(r.plan.root, r.log_dir) if r.plan is not None else None,
            plan_problems=r.plan_problems,
            view=str(view) if view is not None else None,
            checkout=str(r.checkout) if r.checkout is not None else None,
            commands=r.commands,
        )


request("raco/distroPlan", DistroPlanParams)
