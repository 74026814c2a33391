"""Features as classes: their @command/@request methods register with pygls."""

from __future__ import annotations

import asyncio
import inspect
from typing import get_type_hints

from raco_lsp.lsp import protocol
from raco_lsp.lsp.feature import Feature, command, request
from raco_lsp.lsp.server import RacoLanguageServer


@protocol.wire
class _Args:
    name: str = "x"


class _Echo(Feature):
    @command("raco-lsp.test.echo")
    async def echo(self, arg: _Args) -> str:
        return f"{type(self).__name__}: {arg.name}"

    @request("raco/test.echo")
    def echo_request(self, params: _Args | None) -> str:
        return params.name if params is not None else "-"


def test_a_features_methods_register_as_handlers() -> None:
    server = RacoLanguageServer()
    server.add_feature(_Echo(server))
    assert server.feature_of(_Echo) is server.features[0]
    handler = server.protocol.fm.commands["raco-lsp.test.echo"]
    # pygls reads the signature (without self) and the annotations.
    assert list(inspect.signature(handler).parameters) == ["arg"]
    assert get_type_hints(handler)["arg"] is _Args

    async def call() -> str:
        task = asyncio.ensure_future(handler(_Args(name="a")))
        await asyncio.sleep(0.05)
        assert not task.done()  # a command waits for the client's settings
        server.configured.set()
        return await asyncio.wait_for(task, 5)

    assert asyncio.run(call()) == "_Echo: a"
    assert asyncio.run(server.protocol.fm.features["raco/test.echo"](None)) == "-"
