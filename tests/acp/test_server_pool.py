"""The warm engine's server pool (acp/server_pool.py) on its own, as the engine runs it, lending real
MCP servers (the SDK's, tests/mcp/servers/demo.py) to real MCP clients (claw's McpManager) in this
process, as the engine's workers borrow them. The attached runs themselves: test_warm_engine.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from claw_tui.core import pooled_servers
from claw_tui.mcp.config import ServerConfig
from claw_tui.mcp.manager import McpManager
from claw_tui.tools.base import ToolError

DEMO_SERVER = Path(__file__).parent.parent / "mcp" / "servers" / "demo.py"


def stdio_config(env: dict[str, str] | None = None) -> ServerConfig:
    return ServerConfig(name="demo", transport="stdio", scope="user", source="test", command=sys.executable,
                        args=(str(DEMO_SERVER),), env=env or {})


class Pool:
    def __init__(self, tmp_path: Path, idle_timeout: float = 600) -> None:
        self.socket = tmp_path / "engine.pool.sock"
        self.log = tmp_path / "pool.log"
        code = ("import os, sys; from pathlib import Path; from claw_tui.acp.server_pool import run; "
                f"sys.exit(run(Path({str(self.socket)!r}), lambda line: print(line, file=sys.stderr, flush=True), "
                f"{idle_timeout}, os.getppid()))")
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", code], stderr=log)
        while not self.socket.exists():
            assert self.proc.poll() is None, self.log.read_text()
            time.sleep(0.02)

    def lines(self, verb: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if f"server pool: {verb} " in line]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def pool(tmp_path):
    """A pool, and this process borrowing from it as a worker of the engine does."""
    started = Pool(tmp_path)
    pooled_servers.use(str(started.socket))
    yield started
    pooled_servers.use(None)
    started.stop()


def pids(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


async def echo(manager: McpManager) -> str:
    result = await manager.call_tool("demo", "echo", {"text": "hi"})
    return result.content[0].text


async def test_one_server_at_a_time_per_run_and_only_for_its_exact_key(pool, tmp_path):
    """Two runs at once get a process each; a run after them gets one of those back (with the handshake
    answered as the server answered it); a different environment or command line never does."""
    started = tmp_path / "pids"
    config = stdio_config(env={"PID_FILE": str(started)})
    async with McpManager([config], project=tmp_path) as first, McpManager([config], project=tmp_path) as second:
        assert [await echo(first), await echo(second)] == ["echo: hi", "echo: hi"]
        assert len(set(pids(started))) == 2
    async with McpManager([config], project=tmp_path) as third:
        assert await echo(third) == "echo: hi"
        assert third.status("demo").server_info == "demo 1.2.3" and third.status("demo").tools == 7
    assert len(pids(started)) == 2 and len(pool.lines("reused")) == 1

    variants = [replace(config, env={**config.env, "DEMO_PREFIX": ""}), replace(config, args=(*config.args, "x"))]

    async def run(variant) -> str:
        async with McpManager([variant], project=tmp_path) as manager:
            return await echo(manager)

    assert await asyncio.gather(*map(run, variants)) == ["echo: hi"] * 2
    assert len(pids(started)) == 4 and len(pool.lines("reused")) == 1


async def test_a_server_left_mid_request_or_reconnected_is_not_lent_again(pool, tmp_path):
    """A run that ends while its request is unanswered leaves the server in an unknown state: it is
    stopped. A reconnect asks for a fresh process, as it gets one cold."""
    started = tmp_path / "pids"
    config = stdio_config(env={"PID_FILE": str(started)})
    async with McpManager([config], project=tmp_path, call_timeout=0.2) as manager:
        assert await echo(manager) == "echo: hi"
        await manager.reconnect("demo")
        await manager.wait_for("demo", "connected")
        with pytest.raises(ToolError, match="did not answer"):
            await manager.call_tool("demo", "hang", {})
    assert len(set(pids(started))) == 2 and pool.lines("reused") == []
    stopped = pool.lines("stopped")
    assert "its run asked for a fresh one" in stopped[0] and "its run ended with a request unanswered" in stopped[1]


async def test_a_command_that_is_not_there_fails_as_it_does_cold(pool, tmp_path):
    config = replace(stdio_config(), command="/nonexistent/mcp-server")
    async with McpManager([config], project=tmp_path, max_retries=0) as manager:
        pooled = manager.status("demo")
    pooled_servers.use(None)
    async with McpManager([config], project=tmp_path, max_retries=0) as manager:
        cold = manager.status("demo")
    assert pooled == cold and cold.status == "failed" and cold.last_error == "command not found: /nonexistent/mcp-server"


async def test_an_idle_server_stops_after_its_idle_time(tmp_path):
    pool = Pool(tmp_path, idle_timeout=0.2)
    pooled_servers.use(str(pool.socket))
    try:
        async with McpManager([stdio_config()], project=tmp_path) as manager:
            assert await echo(manager) == "echo: hi"
        for _ in range(200):
            if pool.lines("stopped"):
                break
            await asyncio.sleep(0.05)
        assert pool.lines("stopped")[0].endswith(": idle for 0.2 s")
    finally:
        pooled_servers.use(None)
        pool.stop()
    assert os.path.exists(pool.log) and not pool.socket.exists()


async def test_a_language_server_is_initialised_once_and_each_run_starts_with_no_document_open(pool, tmp_path):
    """What pylsp itself logs of the messages it got: one initialize for two runs, and the document the
    first run opened closed when that run let go, before the second run opened it again."""
    from claw_tui.tools.lsp import LspManager
    from claw_tui.tools.lsp_config import default_config

    (tmp_path / "lib.py").write_text("import json\n\n\ndef greet(name):\n    return 'hi ' + name\n")
    server_log = tmp_path / "pylsp.log"
    pylsp = default_config()["python"]
    config = {"python": {**pylsp, "command": [*pylsp["command"], "-vv", "--log-file", str(server_log)]}}
    for _ in range(2):
        manager = LspManager(tmp_path, config)
        try:
            symbols = await manager.document_symbols(tmp_path / "lib.py")
            assert [s["name"] for s in symbols if s["name"] == "greet"] == ["greet"]
        finally:
            await manager.close()
    uri = (tmp_path / "lib.py").as_uri()
    received = [line for line in server_log.read_text().splitlines() if "Handling" in line and "from client" in line]
    methods = [m for line in received for m in ("'initialize'", "textDocument/didOpen", "textDocument/didClose")
               if m in line and (m == "'initialize'" or uri in line)]
    assert methods == ["'initialize'", "textDocument/didOpen", "textDocument/didClose", "textDocument/didOpen",
                       "textDocument/didClose"]
    assert len(pool.lines("started")) == 1 and len(pool.lines("reused")) == 1
    pool.stop()  # as the engine stops it: its servers with it
    assert pool.lines("stopped")[0].endswith(": the engine stopped") and not pool.socket.exists()
