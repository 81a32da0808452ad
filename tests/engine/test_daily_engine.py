"""Engine side of a daily driver's first minutes: a local server found by itself, resuming as it was."""

from __future__ import annotations

from agent_harness import make_agent, of_type, run
from fake_model import Reply, Text

from claw_tui.core import events as ev
from claw_tui.engine import background_imports


async def test_a_local_model_without_an_address_is_found_on_the_usual_ports(tmp_path, fake_model, monkeypatch):
    """Headless too: `local/qwen3-coder` with no base URL set goes to the server that serves it."""
    fake_model.script(Reply(parts=[Text("found you")]))
    agent = make_agent(tmp_path, fake_model.base_url, model="local/qwen3-coder")
    monkeypatch.delenv("CLAW_LOCAL_BASE_URL")
    monkeypatch.delenv("CLAW_NO_LOCAL_DISCOVERY")
    registry = await background_imports.imported("claw_tui.providers.registry")
    monkeypatch.setattr(registry, "LOCAL_PORTS", (fake_model.port,))
    events = await run(agent, "hello")
    assert not of_type(events, ev.Error)
    assert agent.local_base_url == fake_model.base_url + "/v1"
    assert fake_model.requests[-1].path.startswith("/v1/chat/completions")
    assert agent.transcript[-1].text == "found you"
