"""Real MCP servers for the MCP tests: demo scripts over stdio, and Starlette apps under uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mcp_helpers import AppServer, free_port


@pytest.fixture
def serve_app() -> Iterator:
    """serve_app(factory) → AppServer; `factory(port)` builds the app (OAuth needs the port first)."""
    started: list[AppServer] = []

    def serve(factory) -> AppServer:
        port = free_port()
        server = AppServer(factory(port), port)
        server.start()
        started.append(server)
        return server

    yield serve
    for server in started:
        server.stop()
