"""`claw acp` (an ACP agent on standard input and output) and `claw serve` (the warm engine)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from claw_tui.acp.serve import RunCli


def acp_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="claw acp",
        description="Run claw as an Agent Client Protocol agent on standard input and output, for editors "
        "such as Zed and terminal clients such as Toad.",
    )
    parser.parse_args(argv)
    if sys.stdin.isatty():
        print("claw acp speaks the Agent Client Protocol on standard input; an editor starts it (see the README).",
              file=sys.stderr)
        return 2
    from claw_tui.acp.agent import ClawAcpAgent

    agent = ClawAcpAgent()

    async def run() -> None:
        import acp

        try:
            await acp.run_agent(agent, use_unstable_protocol=True)  # session/fork, resume and close
        finally:
            await agent.close()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        return 130
    return 0


def serve_main(argv: list[str], run_cli: RunCli) -> int:
    """`claw serve`; `run_cli` is claw's command line, which a worker runs for `claw -p --attach`."""
    from claw_tui.acp.serve import DEFAULT_IDLE_SECONDS, ServeError, serve, socket_path
    from claw_tui.acp.server_pool import IDLE_SECONDS

    parser = argparse.ArgumentParser(
        prog="claw serve",
        description="Keep one warm claw engine for this user on a Unix socket; `claw -p --attach` runs through it. "
        "It speaks the Agent Client Protocol and stops after being idle. Its server pool keeps the stdio MCP "
        "servers and language servers a run starts, and lends each to the next run that starts the very same "
        "one (same command, environment, directory and settings), one run at a time: that run pays neither the "
        "server's start nor its initialisation. A pooled server keeps its own state between runs, as a "
        "long-lived server would; the documents a run opened in a language server are closed when it ends.",
    )
    parser.add_argument("--socket", default=None, help=f"the socket's path (default: {socket_path()})")
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=DEFAULT_IDLE_SECONDS,
        metavar="SECONDS",
        help=f"stop after this long without a client (default {DEFAULT_IDLE_SECONDS:g}; 0 = never)",
    )
    parser.add_argument(
        "--server-idle-timeout",
        type=float,
        default=IDLE_SECONDS,
        metavar="SECONDS",
        help=f"stop a pooled server after this long without a run (default {IDLE_SECONDS:g}; 0 = never)",
    )
    parser.add_argument(
        "--no-server-pool",
        action="store_true",
        help="no server pool: every run starts its own MCP and language servers, as a cold run does",
    )
    args = parser.parse_args(argv)
    try:
        return serve(socket_path(args.socket), run_cli, idle_timeout=args.idle_timeout,
                     server_idle_timeout=None if args.no_server_pool else args.server_idle_timeout)
    except ServeError as exc:
        print(f"claw: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
