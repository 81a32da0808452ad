"""The model catalog (prices, limits) and the registry (ids, keys, local discovery)."""

from __future__ import annotations

import socket

import pytest
from fake_model import Reply, Text

from claw_tui.config import ProviderSettings, ProvidersSettings, Settings
from claw_tui.core.transcript import user_text
from claw_tui.providers import catalog
from claw_tui.providers.anthropic import AnthropicProvider
from claw_tui.providers.base import ModelRequest, ProviderError, TokenUsage
from claw_tui.providers.openai import OpenAIProvider
from claw_tui.providers.registry import DEFAULT_LOCAL_BASE_URL, discover_local_servers, make_provider, parse_model_id


def test_cost_uses_each_token_kind_at_its_price():
    usage = TokenUsage(
        input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=2_000_000, cache_write_tokens=400_000
    )
    # Sonnet 4.5: $3 in, $15 out, $3.75 cache write, $0.30 cache read per million.
    assert catalog.cost_usd("anthropic/claude-sonnet-4-5", usage) == pytest.approx(3.0 + 1.5 + 1.5 + 0.6)
    # gpt-4.1: $2 in, $8 out, $0.50 cached; no cache-write surcharge.
    assert catalog.cost_usd("openai/gpt-4.1", usage) == pytest.approx(2.0 + 0.8 + 0.8 + 1.0)


def test_lookup_takes_full_bare_and_dated_ids():
    full = catalog.lookup("anthropic/claude-haiku-4-5")
    assert full is not None and full.context_window == 200_000 and full.full_id == "anthropic/claude-haiku-4-5"
    assert catalog.lookup("claude-haiku-4-5") is full
    assert catalog.lookup("claude-haiku-4-5-20251001") is full
    assert catalog.lookup("openai/gpt-5-codex").api == "responses"
    assert catalog.lookup("openai/gpt-5").api == "chat"


def test_all_models_lists_each_model_once_with_prices():
    models = catalog.all_models()
    ids = [m.full_id for m in models]
    assert len(ids) == len(set(ids))
    assert {"anthropic/claude-sonnet-4-5", "anthropic/claude-opus-4-8", "openai/gpt-5", "openai/o3"} <= set(ids)
    assert all(m.priced and m.context_window > 0 and m.max_output > 0 for m in models)


@pytest.mark.parametrize("model_id", ["local/llama3", "openai/gpt-imaginary", "mistral-small"])
def test_an_unknown_model_has_no_price(model_id):
    assert catalog.lookup(model_id) is None
    assert catalog.cost_usd(model_id, TokenUsage(input_tokens=10, output_tokens=10)) is None


@pytest.mark.parametrize(
    "model_id,expected",
    [
        ("anthropic/claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        ("claude-opus-4-8", ("anthropic", "claude-opus-4-8")),
        ("claude-some-future-model", ("anthropic", "claude-some-future-model")),
        ("gpt-5-mini", ("openai", "gpt-5-mini")),
        ("o4-mini", ("openai", "o4-mini")),
        ("openai/ft:gpt-4.1:acme", ("openai", "ft:gpt-4.1:acme")),
        ("local/qwen/qwen3-coder", ("local", "qwen/qwen3-coder")),
        ("llama3", ("local", "llama3")),
    ],
)
def test_parse_model_id(model_id, expected):
    assert parse_model_id(model_id) == expected


def test_make_provider_reads_keys_and_urls_from_the_environment():
    env = {"ANTHROPIC_API_KEY": "a-key", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/", "OPENAI_API_KEY": "o-key"}
    settings = Settings(stream_idle_timeout=7.0)
    claude = make_provider("anthropic", settings, env)
    assert isinstance(claude, AnthropicProvider) and claude.base_url.startswith("http://127.0.0.1:9")
    assert claude.idle_timeout == 7.0
    gpt = make_provider("openai", settings, env)
    assert isinstance(gpt, OpenAIProvider) and gpt.name == "openai"


def test_make_provider_falls_back_to_settings():
    providers = ProvidersSettings(openai=ProviderSettings(api_key="from-config", base_url="http://127.0.0.1:9/v1"))
    gpt = make_provider("openai", Settings(providers=providers), {})
    assert gpt.base_url.startswith("http://127.0.0.1:9/v1")


@pytest.mark.parametrize("name,variable", [("anthropic", "ANTHROPIC_API_KEY"), ("openai", "OPENAI_API_KEY")])
def test_a_missing_key_names_the_variable(name, variable):
    with pytest.raises(ProviderError) as caught:
        make_provider(name, Settings(), {})
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert caught.value.message.startswith(f"No API key for {name}: set {variable}")


def test_local_needs_no_key_and_has_a_default_url():
    local = make_provider("local", Settings(), {})
    assert local.name == "local" and local.base_url.rstrip("/") == DEFAULT_LOCAL_BASE_URL


def test_an_unknown_provider_is_a_clear_error():
    with pytest.raises(ProviderError, match="anthropic/<model>"):
        make_provider("mystery", Settings(), {})


async def test_a_local_model_not_in_the_catalog_passes_through(fake_model):
    fake_model.script(Reply(parts=[Text("hi from llama")]))
    provider = make_provider("local", Settings(), {"CLAW_LOCAL_BASE_URL": fake_model.base_url + "/v1"})
    name, model = parse_model_id("local/my-custom:7b")
    events = [e async for e in provider.stream(ModelRequest(model=model, messages=[user_text("hi")]))]
    assert fake_model.requests[0].json["model"] == "my-custom:7b"
    assert events[-1].message.text == "hi from llama"
    assert catalog.cost_usd(f"{name}/{model}", events[-1].usage) is None


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_discovery_finds_a_local_server_and_its_models(fake_model, monkeypatch):
    monkeypatch.delenv("CLAW_NO_LOCAL_DISCOVERY")
    found = await discover_local_servers(ports=(_closed_port(), fake_model.port))
    assert found == [(f"http://127.0.0.1:{fake_model.port}/v1", ["llama3", "qwen3-coder"])]


async def test_discovery_is_skipped_when_turned_off(fake_model):
    assert await discover_local_servers(ports=(fake_model.port,)) == []
    assert fake_model.requests == []
