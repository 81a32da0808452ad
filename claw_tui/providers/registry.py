"""From a model id to a ready provider: parse "provider/model", find keys, find local servers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx2

from claw_tui.providers import catalog
from claw_tui.providers.base import Provider, ProviderError

if TYPE_CHECKING:  # the provider host builds providers without claw's config (~0.1 s of its start)
    from claw_tui.config import Settings

PROVIDERS = catalog.PROVIDERS
DEFAULT_LOCAL_BASE_URL = "http://127.0.0.1:11434/v1"
LOCAL_PORTS = (11434, 1234, 8080, 8000)  # Ollama, LM Studio, llama.cpp, vLLM
_OPENAI_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt-", "codex-")


def parse_model_id(model_id: str) -> tuple[str, str]:
    """("anthropic", "claude-sonnet-4-5") from "anthropic/claude-sonnet-4-5" or a bare id.

    A bare id is placed by the catalog or its family name; anything else is taken to be a
    local model (its own slashes kept: "local/qwen/qwen3-coder" → ("local", "qwen/qwen3-coder")).
    """
    model_id = model_id.strip()
    prefix, _, rest = model_id.partition("/")
    if prefix in PROVIDERS and rest:
        return prefix, rest
    info = catalog.lookup(model_id)
    if info is not None:
        return info.provider, model_id
    if model_id.startswith("claude"):
        return "anthropic", model_id
    if model_id.startswith(_OPENAI_PREFIXES):
        return "openai", model_id
    return "local", model_id


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


# Modules a provider's first request imports on first use: httpcore's anyio backend, the trace
# propagation the anthropic SDK loads lazily (it may fail for a bad OTEL_PROPAGATORS; the SDK copes),
# and the openai SDK's Chat Completions resource (its client loads each resource on first use).
FIRST_REQUEST_MODULES = {
    "anthropic": ("anyio._backends._asyncio", "opentelemetry.propagate"),
    "openai": ("anyio._backends._asyncio", "openai.resources.chat"),
    "local": ("anyio._backends._asyncio", "openai.resources.chat"),
}


def preload_first_request_modules(provider_name: str) -> None:
    """Import them now (the agent calls this in a thread) rather than on the event loop mid-turn."""
    for name in FIRST_REQUEST_MODULES.get(provider_name, ()):
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def ready(provider: Provider, provider_name: str, model: str) -> Provider:
    """`provider`, with what its first request to `model` would load on the event loop loaded now
    (called off the loop: on the import thread, or in the provider host)."""
    preload_first_request_modules(provider_name)
    with contextlib.suppress(Exception):  # the first answer then builds what this would have
        provider.warm_up(model)
    return provider


@dataclass(frozen=True)
class ProviderSpec:
    """What a provider is built from, as plain data: the provider host builds it in its own process."""

    name: str  # "anthropic", "openai" or "local"
    api_key: str
    base_url: str | None
    idle_timeout: float


def provider_spec(
    provider_name: str, settings: Settings, env: Mapping[str, str] = os.environ, *, local_base_url: str | None = None
) -> ProviderSpec:
    """The provider's key and base URL from the environment, else from settings; `local_base_url`
    (a server the user picked, or one found) comes before both. A missing key is a ProviderError here."""
    configured = settings.providers
    idle = settings.stream_idle_timeout
    if provider_name == "anthropic":
        key = _first(env.get("ANTHROPIC_API_KEY"), configured.anthropic.api_key)
        if not key:
            raise _no_key("anthropic", "ANTHROPIC_API_KEY")
        return ProviderSpec("anthropic", key, _first(env.get("ANTHROPIC_BASE_URL"), configured.anthropic.base_url), idle)
    if provider_name == "openai":
        key = _first(env.get("OPENAI_API_KEY"), configured.openai.api_key)
        if not key:
            raise _no_key("openai", "OPENAI_API_KEY")
        return ProviderSpec("openai", key, _first(env.get("OPENAI_BASE_URL"), configured.openai.base_url), idle)
    if provider_name == "local":
        # Local servers rarely check keys, but the SDK wants one.
        key = _first(env.get("CLAW_LOCAL_API_KEY"), configured.local.api_key) or "local"
        base_url = local_base_url or configured_local_url(settings, env) or DEFAULT_LOCAL_BASE_URL
        return ProviderSpec("local", key, base_url, idle)
    raise ProviderError(
        f"Unknown provider '{provider_name}': write the model as anthropic/<model>, openai/<model> or local/<model>.",
        kind="bad_request",
    )


def build_provider(spec: ProviderSpec) -> Provider:
    """The provider `spec` describes, its SDK imported and its client built."""
    if spec.name == "anthropic":
        from claw_tui.providers.anthropic import AnthropicProvider

        return AnthropicProvider(spec.api_key, base_url=spec.base_url, idle_timeout=spec.idle_timeout)
    from claw_tui.providers.openai import OpenAIProvider

    return OpenAIProvider(spec.api_key, base_url=spec.base_url, name=spec.name, idle_timeout=spec.idle_timeout)


def make_provider(
    provider_name: str, settings: Settings, env: Mapping[str, str] = os.environ, *, local_base_url: str | None = None
) -> Provider:
    """A provider in this process (`provider_spec` says where its key and address come from)."""
    return build_provider(provider_spec(provider_name, settings, env, local_base_url=local_base_url))


def configured_local_url(settings: Settings, env: Mapping[str, str] = os.environ) -> str | None:
    """The local server's address the user set (environment, then config), if any."""
    return _first(env.get("CLAW_LOCAL_BASE_URL"), settings.providers.local.base_url)


async def find_local_server(model: str, env: Mapping[str, str] = os.environ) -> str | None:
    """The base URL of a server on the usual ports that serves `model`, else of the first that serves any."""
    servers = [(url, models) for url, models in await discover_local_servers(LOCAL_PORTS, env=env) if models]
    return next((url for url, models in servers if model in models), servers[0][0] if servers else None)


def _no_key(provider: str, variable: str) -> ProviderError:
    return ProviderError(
        f"No API key for {provider}: set {variable} in the environment"
        f" (or providers.{provider}.api_key in the claw config).",
        kind="auth",
    )


async def discover_local_servers(
    ports: tuple[int, ...] = LOCAL_PORTS, timeout: float = 0.3, env: Mapping[str, str] = os.environ
) -> list[tuple[str, list[str]]]:
    """OpenAI-compatible servers on 127.0.0.1 and the models each serves, probing GET /v1/models.

    Skipped entirely when CLAW_NO_LOCAL_DISCOVERY=1 (tests set it).
    """
    if env.get("CLAW_NO_LOCAL_DISCOVERY") == "1":
        return []
    async with httpx2.AsyncClient(timeout=timeout) as client:
        found = await asyncio.gather(*(_probe(client, f"http://127.0.0.1:{port}/v1") for port in ports))
    return [server for server in found if server is not None]


async def _probe(client: httpx2.AsyncClient, base_url: str) -> tuple[str, list[str]] | None:
    try:
        response = await client.get(f"{base_url}/models")
        data = response.json().get("data", []) if response.status_code == 200 else None
    except (httpx2.HTTPError, ValueError, AttributeError):
        return None  # nothing there, or not an OpenAI-compatible server
    if not isinstance(data, list):
        return None
    return base_url, [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]
