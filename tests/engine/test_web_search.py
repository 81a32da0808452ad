"""WebSearch through the provider's own server-side search, over the real SDKs and the fake server."""

from __future__ import annotations

import json

from agent_harness import make_agent, of_type, run
from fake_model import Reply, Text, ToolCall, WebSearchCall

from claw_tui.core import events as ev

PAGES = [("Textual 8.2 release notes", "https://textual.textualize.io/blog/8-2"),
         ("Textual on PyPI", "https://pypi.org/project/textual/")]


def _offered(request) -> list[str]:
    tools = request.json.get("tools") or []
    return [t.get("name") or t.get("function", {}).get("name") for t in tools]


def _tool_result_text(request) -> str:
    return json.dumps(request.json)


async def test_anthropic_searches_with_its_web_search_tool(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("WebSearch", {"query": "textual 8.2 release", "blocked_domains": ["spam.example"]})]),
        Reply(parts=[WebSearchCall("textual 8.2 release", PAGES), Text("Textual 8.2 adds streaming Markdown.")]),
        Reply(parts=[Text("Textual 8.2 streams Markdown.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, model="anthropic/claude-sonnet-4-5")
    events = await run(agent, "what is new in textual 8.2?")
    main, search, after = fake_model.requests
    assert "WebSearch" in _offered(main)
    assert search.path.endswith("/messages") and not search.json.get("stream")
    assert search.json["tools"] == [{"type": "web_search_20250305", "name": "web_search", "max_uses": 5,
                                     "blocked_domains": ["spam.example"]}]
    assert "textual 8.2 release" in search.json["messages"][0]["content"]
    sent_back = _tool_result_text(after)
    assert "Textual 8.2 adds streaming Markdown." in sent_back
    assert "[Textual 8.2 release notes](https://textual.textualize.io/blog/8-2)" in sent_back
    finished = [e for e in of_type(events, ev.ToolCallFinished) if e.name == "WebSearch"]
    assert finished and not finished[0].is_error
    assert finished[0].metadata["results"][1] == {"title": "Textual on PyPI", "url": "https://pypi.org/project/textual/"}
    # The search's own call is billed, the search itself at $10 per 1,000.
    usages = of_type(events, ev.Usage)
    assert len(usages) == 3 and usages[1].cost_usd is not None and usages[1].cost_usd > 0.01
    assert abs(agent.total_cost_usd - sum(u.cost_usd for u in usages)) < 1e-9


async def test_openai_searches_through_the_responses_api(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("WebSearch", {"query": "python 3.14 release date", "allowed_domains": ["python.org"]})]),
        Reply(parts=[WebSearchCall("python 3.14 release date", [("PEP 745", "https://peps.python.org/pep-0745/")]),
                     Text("Python 3.14 was released in October 2025.")]),
        Reply(parts=[Text("October 2025.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, model="openai/gpt-4.1")
    await run(agent, "when was python 3.14 released?")
    main, search, after = fake_model.requests
    assert main.path.endswith("/chat/completions") and "WebSearch" in _offered(main)
    assert search.path.endswith("/responses")
    assert search.json["tools"] == [{"type": "web_search", "filters": {"allowed_domains": ["python.org"]}}]
    sent_back = _tool_result_text(after)
    assert "Python 3.14 was released in October 2025." in sent_back
    assert "[PEP 745](https://peps.python.org/pep-0745/)" in sent_back


async def test_openai_leaves_out_blocked_domains(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("WebSearch", {"query": "asyncio timeout", "blocked_domains": ["w3schools.com"]})]),
        Reply(parts=[WebSearchCall("asyncio timeout", [("asyncio", "https://docs.python.org/3/library/asyncio.html"),
                                                       ("Tutorial", "https://www.w3schools.com/python/")]),
                     Text("Use asyncio.timeout().")]),
        Reply(parts=[Text("ok")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, model="openai/gpt-4.1")
    await run(agent, "how do I time out?")
    search, after = fake_model.requests[1], fake_model.requests[2]
    assert "w3schools.com" in json.dumps(search.json["input"])  # asked to leave it out
    sent_back = _tool_result_text(after)
    assert "docs.python.org" in sent_back and "w3schools" not in sent_back.split("Sources:")[-1]


async def test_a_failed_search_tells_the_model_why(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("WebSearch", {"query": "anything at all"})]),
        Reply(parts=[WebSearchCall("anything at all", error="max_uses_exceeded")]),
        Reply(parts=[Text("The search failed.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url, model="anthropic/claude-sonnet-4-5")
    await run(agent, "search")
    assert "The search failed: max_uses_exceeded" in _tool_result_text(fake_model.requests[2])


async def test_local_models_are_not_offered_web_search(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("hi")]))
    agent = make_agent(tmp_path, fake_model.base_url, model="local/llama3")
    await run(agent, "hello")
    offered = _offered(fake_model.requests[0])
    assert "WebFetch" in offered and "WebSearch" not in offered
