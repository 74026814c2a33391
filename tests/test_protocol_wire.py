"""The wire shapes of lsp/protocol.py: camelCase on the wire, typed in Python."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from raco_lsp.lsp import protocol


@protocol.wire
class _Edge:
    from_: str
    to: str
    in_source: bool = True
    note: str | None = None


def test_fields_travel_in_camel_case_and_none_is_left_out() -> None:
    c = protocol.converter()
    edge = _Edge(from_="a.rkt", to="b.rkt", in_source=False)
    assert c.unstructure(edge) == {"from": "a.rkt", "to": "b.rkt", "inSource": False}
    assert c.structure({"from": "a", "to": "b", "note": "x"}, _Edge) == _Edge(
        from_="a", to="b", note="x"
    )


@protocol.wire
class _Archive:
    name: str | None = protocol.nullable()
    size: int | None = None


def test_a_nullable_field_travels_as_null() -> None:
    c = protocol.converter()
    assert c.unstructure(_Archive()) == {"name": None}
    assert c.unstructure(_Archive(name="a", size=1)) == {"name": "a", "size": 1}
    assert c.structure({}, _Archive) == _Archive()


def test_a_wrong_shape_is_refused() -> None:
    c = protocol.converter()
    with pytest.raises(Exception, match="JSON object"):
        c.structure([1, 2], _Edge)
    with pytest.raises(Exception):  # noqa: B017 - cattrs' ClassValidationError
        c.structure({"from": "a"}, _Edge)


def test_request_message_types() -> None:
    protocol.request("raco/test-only", _Edge)
    msg = protocol.request_message_type("raco/test-only")
    assert msg is not None
    c = protocol.converter()
    m: Any = c.structure(
        {"jsonrpc": "2.0", "id": 1, "method": "raco/test-only", "params": {"from": "a", "to": "b"}},
        msg,
    )
    assert m.params == _Edge(from_="a", to="b")
    assert protocol.request_message_type("raco/unknown") is None


@protocol.wire
class _Result:
    range: str | None = protocol.nullable()
    note: str | None = None


def test_a_keep_null_field_travels_as_null() -> None:
    c = protocol.converter()
    assert c.unstructure(_Result(range=None)) == {"range": None}
    assert c.unstructure(_Result(range="r", note="n")) == {"range": "r", "note": "n"}


def test_a_feature_registers_its_methods_as_handlers() -> None:
    from raco_lsp.lsp.feature import Feature, command, request
    from raco_lsp.lsp.server import RacoLanguageServer

    class Demo(Feature):
        @command("raco-lsp.demoCommand")
        async def demo_command(self, *args: Any) -> _Result:
            return _Result(range=str(len(args)))

        @request("raco/demoRequest")
        def demo_request(self, params: _Edge | None) -> _Result:
            return _Result(range=params.to if params else None)

    server = RacoLanguageServer()
    demo = Demo(server)
    server.add_feature(demo)
    assert server.feature_of(Demo) is demo
    fm = server.protocol.fm
    server.configured.set()  # requests wait for the client's settings
    answer = asyncio.run(fm.features["raco/demoRequest"](_Edge(from_="a", to="b")))
    assert answer == _Result(range="b")
    assert "raco-lsp.demoCommand" in fm.commands
