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
from pygls.protocol import default_converter

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
