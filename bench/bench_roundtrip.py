"""Harness overhead per tool round trip: claw's agent loop against the bare SDK.

    python bench/bench_roundtrip.py [--rounds 100]

Both sides stream the same scripted replies from the fake model server (tests/fake_model) over
loopback HTTP with the real `anthropic` SDK. The bare side sends the very request bodies claw
sent (system prompt, tool schemas, the growing transcript) and streams the replies; claw's side
also builds each request from the transcript, parses the tool call, checks permissions, runs the
tool (TaskList, which touches no disk), emits its events and appends the result. The difference per round
is claw's own overhead (target: under 5 ms). Prints medians; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_model import FakeModelServer, Reply, Text, ToolCall, fake_claw_home

MODEL = "claude-sonnet-4-6"
RUNS = 5


def script(server: FakeModelServer, rounds: int) -> None:
    calls = [Reply(parts=[Text("Checking."), ToolCall("TaskList", {})]) for _ in range(rounds)]
    server.script(*calls, Reply(parts=[Text("Done.")]))


async def bare_sdk(server: FakeModelServer, bodies: list[dict[str, Any]]) -> float:
    """The request bodies claw sent, sent again with the SDK alone and their replies streamed."""
    import anthropic

    client = anthropic.AsyncAnthropic(base_url=server.base_url, api_key="bench-key")
    script(server, len(bodies) - 1)
    start = time.perf_counter()
    for body in bodies:
        stream = await client.messages.create(**body, stream=True)  # as claw's provider calls it
        async for _event in stream:
            pass
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed


async def agent_loop(server: FakeModelServer, project: Path, rounds: int) -> float:
    from claw_tui.config import load_config
    from claw_tui.engine.agent import Agent

    flags = {"max_turns": rounds + 5, "sandbox": {"enabled": False}}
    agent = Agent.create(project, model=f"anthropic/{MODEL}", config=load_config(project, flags=flags))
    script(server, rounds)
    start = time.perf_counter()
    async for _event in agent.run_turn("go"):
        pass
    elapsed = time.perf_counter() - start
    await agent.aclose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    rounds = parser.parse_args().rounds
    with fake_claw_home() as (project, server):
        asyncio.run(agent_loop(server, project, 3))  # warm up imports and the connection pool
        server.requests.clear()
        asyncio.run(agent_loop(server, project, rounds))
        bodies = [{k: v for k, v in r.json.items() if k != "stream"} for r in server.requests]
        claw, bare = [], []
        for _ in range(RUNS):  # interleaved, so a busy moment on the machine hits both sides
            claw.append(asyncio.run(agent_loop(server, project, rounds)))
            bare.append(asyncio.run(bare_sdk(server, bodies)))
    per_bare = statistics.median(bare) / (rounds + 1) * 1000
    per_claw = statistics.median(claw) / (rounds + 1) * 1000
    print(f"{rounds} tool round trips + a final answer, median of {RUNS} runs")
    print(f"  the same requests, bare SDK, per reply    {per_bare:6.2f} ms")
    print(f"  claw agent loop per round trip            {per_claw:6.2f} ms")
    print(f"  claw's overhead per round trip            {per_claw - per_bare:6.2f} ms   (target < 5 ms)")


if __name__ == "__main__":
    main()
