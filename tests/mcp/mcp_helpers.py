"""Helpers for the MCP tests: free ports, uvicorn in a thread, stdio server configs."""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

SERVERS = Path(__file__).parent / "servers"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """A Starlette app served by uvicorn in a thread on 127.0.0.1."""

    def __init__(self, app, port: int) -> None:
        import uvicorn

        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def stdio_config(name: str = "demo", *, scope: str = "user", env: dict[str, str] | None = None, **kw):
    from claw_tui.mcp.config import ServerConfig

    return ServerConfig(
        name=name,
        transport="stdio",
        scope=scope,
        source="test",
        command=PYTHON,
        args=(str(SERVERS / "demo.py"),),
        env=env or {},
        **kw,
    )
