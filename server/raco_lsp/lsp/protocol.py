"""The wire shapes of raco-lsp's own LSP extensions.

Every ``raco/*`` request's params and result, every ``raco/*`` notification's
params and every ``raco-lsp.*`` command's argument and result is an attrs class
declared here with ``@wire``: snake_case fields in Python, camelCase on the wire
(``in_source`` travels as ``inSource``; a trailing underscore is dropped, so
``from_`` is ``from``; a ``None`` field is left out, unless declared with
``attrs.field(metadata=NULL)``: then it travels as ``null``).  Handlers take and
return these types: ``converter()`` (pygls' lsprotocol converter plus hooks for
these classes) structures what the client sends and unstructures what we answer,
and ``RacoProtocol`` asks ``request_message_type(method)`` how to read a
``raco/*`` request, so a request whose params do not fit its class is answered
with ``InvalidParams``.

The TypeScript side mirrors these shapes in ``vscode-extension/src/lsp_ext.ts``.
Only this module and ``features/`` know the wire: ``racket/`` returns records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, dataclass_transform

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from pygls.protocol import default_converter

if TYPE_CHECKING:
    from raco_lsp.racket.graph.index import GraphView

T = TypeVar("T")

_WIRE: set[type] = set()
REQUESTS: dict[str, type | None] = {}
"""``raco/*`` request method -> its params class (None: takes no params)."""
NULL = {"raco_lsp_null": True}
"""``attrs.field(metadata=NULL)``: this field travels as ``null`` when None."""


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
        nulls = {camel(a.name) for a in attrs.fields(cls) if a.metadata.get("raco_lsp_null")}

        def unstructure(obj: Any) -> dict[str, Any]:
            return {k: v for k, v in inner(obj).items() if v is not None or k in nulls}

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
    reason: str | None = attrs.field(metadata=NULL)
    workspace: bool
    """A module of the graph (else a module it requires)."""
    uri: str | None = None


@wire
class GraphEdge:
    from_: str
    to: str
    in_source: bool
    in_dep: bool


@wire
class ModuleGraphResult:
    """``raco/moduleGraph`` and ``raco-lsp.showModuleGraph``: modules and requires."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]

    @classmethod
    def of(cls, view: GraphView, uri_of: Callable[[Path], str] | None = None) -> ModuleGraphResult:
        return cls(
            nodes=[
                GraphNode(
                    path=str(n.path),
                    stale=n.staleness.stale,
                    reason=n.staleness.reason,
                    workspace=n.workspace,
                    uri=uri_of(n.path) if uri_of is not None else None,
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
    known: bool
    reason: str | None = attrs.field(metadata=NULL)


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
