"""The fake model server itself: script order, loud failure when unscripted, recorded requests."""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest
from fake_model import NO_SCRIPT, Fault, Reply, Text


def test_an_empty_script_fails_loudly(fake_model):
    response = httpx2.post(f"{fake_model.base_url}/v1/messages", json={"model": "m", "stream": True})
    assert response.status_code == 500
    assert NO_SCRIPT in response.text


async def test_replies_are_consumed_in_order_across_wires_and_requests_are_recorded(fake_model):
    fake_model.script(Reply(parts=[Text("first")]), Reply(parts=[Text("second")]))
    claude = anthropic.AsyncAnthropic(api_key="k1", base_url=fake_model.base_url, max_retries=0)
    gpt = openai.AsyncOpenAI(api_key="k2", base_url=fake_model.base_url + "/v1", max_retries=0)
    first = await claude.messages.create(
        model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "a"}]
    )
    second = await gpt.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "b"}])
    assert first.content[0].text == "first"
    assert second.choices[0].message.content == "second"
    assert [r.path for r in fake_model.requests] == ["/v1/messages", "/v1/chat/completions"]
    assert "k1" in fake_model.requests[0].headers.get(
        "x-api-key", fake_model.requests[0].headers.get("authorization", "")
    )
    assert fake_model.requests[1].json["messages"] == [{"role": "user", "content": "b"}]
    assert fake_model.pending == 0


async def test_a_fault_consumes_its_slot(fake_model):
    fake_model.script(Reply(fault=Fault.http(503)), Reply(parts=[Text("after the fault")]))
    client = openai.AsyncOpenAI(api_key="k", base_url=fake_model.base_url + "/v1", max_retries=0)
    with pytest.raises(openai.InternalServerError):
        await client.responses.create(model="gpt-5", input="hi")
    answer = await client.responses.create(model="gpt-5", input="hi")
    assert answer.output_text == "after the fault"


async def test_model_list_serves_both_sdks(fake_model):
    gpt = openai.AsyncOpenAI(api_key="k", base_url=fake_model.base_url + "/v1", max_retries=0)
    claude = anthropic.AsyncAnthropic(api_key="k", base_url=fake_model.base_url, max_retries=0)
    assert [m.id async for m in gpt.models.list()] == ["llama3", "qwen3-coder"]
    assert [m.id async for m in claude.models.list()] == ["llama3", "qwen3-coder"]


def test_a_plain_http_server_gets_a_client_that_loads_no_certificates_and_trusts_none():
    import ssl

    from claw_tui.providers.transport import client_options

    options = client_options("http://127.0.0.1:8000/v1", lambda **given: given)
    context = options["http_client"]["verify"]
    # Nothing loaded (the bundle costs ~30 ms a start), nothing trusted: a redirect to https fails its check.
    assert context.get_ca_certs() == [] and context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    for address in ("https://api.anthropic.com", "https://127.0.0.1:8443/v1", None):
        assert client_options(address, lambda **given: given) == {}  # the SDK's own client, CAs and all
