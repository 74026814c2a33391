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
from typing import Any, TypeVar, dataclass_transform

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from lsprotocol import types
from pygls.protocol import default_converter

T = TypeVar("T")

_WIRE: set[type] = set()
REQUESTS: dict[str, type | None] = {}
"""``raco/*`` request method -> its params class (None: takes no params)."""
KEEP_NULL = {"keep_null": True}
"""Field metadata: this field's None travels as ``null`` (for clients that
tell ``null`` from a missing key): ``x: T | None = attrs.field(metadata=KEEP_NULL)``."""


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(attrs.field,))
def wire(cls: type[T]) -> type[T]:
    """Declare a wire shape: an attrs class (frozen, keyword-only) whose
    fields travel in camelCase."""
    made = attrs.frozen(kw_only=True)(cls)
    _WIRE.add(made)
    return made


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
        keep = {camel(a.name) for a in attrs.fields(cls) if a.metadata.get("keep_null")}

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
    range: types.Range | None = attrs.field(metadata=KEEP_NULL)
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
    id: str | None = attrs.field(metadata=KEEP_NULL)
    kind: str
    status: str
    name: str | None = attrs.field(metadata=KEEP_NULL)
    check: str | None = attrs.field(metadata=KEEP_NULL)
    message: str
    location: TestLocation | None = attrs.field(metadata=KEEP_NULL)
    actual: str | None = attrs.field(metadata=KEEP_NULL)
    expected: str | None = attrs.field(metadata=KEEP_NULL)
    params: str | None = attrs.field(metadata=KEEP_NULL)
    expression: str | None = attrs.field(metadata=KEEP_NULL)
    duration: float | None = attrs.field(metadata=KEEP_NULL)
    """Milliseconds."""


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


request("raco/discoverTests", DiscoverTestsParams)
request("raco/runTests", RunTestsParams)
