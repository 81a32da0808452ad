"""The provider (its SDK import) gets ready while the agent waits on something else, built once."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from agent_harness import make_agent, run
from fake_model import Reply, Text

from claw_tui.config import user_config_dir
from claw_tui.providers.registry import make_provider

DEMO = Path(__file__).parents[1] / "mcp" / "servers" / "demo.py"


def counting_factory(agent, built: list[str], tmp_path: Path | None = None):
    def factory(name):
        # Whether a hook that ends by touching this file was still running when the build began.
        built.append(name if tmp_path is None or not (tmp_path / "hook_done").exists() else f"{name}, after the hook")
        return make_provider(name, agent.settings)

    return factory


async def test_callers_waiting_for_one_provider_share_its_build(tmp_path, fake_model):
    agent = make_agent(tmp_path, fake_model.base_url)
    built: list[str] = []
    agent._provider_factory = counting_factory(agent, built)
    (first, _), (second, _) = await asyncio.gather(agent.provider_for(agent.model), agent.provider_for(agent.model))
    assert first is second and built == ["anthropic"]
    await agent.aclose()


async def test_the_provider_gets_ready_while_mcp_servers_connect(tmp_path, fake_model):
    path = user_config_dir() / "mcp.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": {"srv": {"command": sys.executable, "args": [str(DEMO)]}}}))
    agent = make_agent(tmp_path, fake_model.base_url)
    built: list[str] = []
    agent._provider_factory = counting_factory(agent, built)
    try:
        manager = await agent.start_mcp()
        assert manager is not None and [s.status for s in manager.statuses()] == ["connected"]
        assert built == ["anthropic"]  # built while the server was connecting, before any turn
        fake_model.script(Reply(parts=[Text("hi")]))
        await run(agent, "hello")
        assert built == ["anthropic"]
    finally:
        await agent.aclose()


async def test_the_provider_gets_ready_while_session_start_hooks_run(tmp_path, fake_model):
    hook = {"hooks": [{"type": "command", "command": f"sleep 1; touch {tmp_path / 'hook_done'}"}]}
    agent = make_agent(tmp_path, fake_model.base_url, settings={"hooks": {"SessionStart": [hook]}})
    built: list[str] = []
    agent._provider_factory = counting_factory(agent, built, tmp_path)
    fake_model.script(Reply(parts=[Text("hi")]))
    try:
        await run(agent, "hello")
    finally:
        await agent.aclose()
    assert (tmp_path / "hook_done").exists()
    assert built == ["anthropic"]  # not "anthropic, after the hook"
