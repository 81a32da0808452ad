"""Small pieces both providers use while reading a stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx2

T = TypeVar("T")


async def within(seconds: float, awaitable: Any) -> Any:
    """Await with the idle timeout; TimeoutError when nothing arrives in time."""
    async with asyncio.timeout(seconds):
        return await awaitable


async def next_or_none(iterator: AsyncIterator[T], seconds: float) -> T | None:
    """The next item, None at the end; TimeoutError after `seconds` of silence."""
    try:
        async with asyncio.timeout(seconds):
            return await anext(iterator)
    except StopAsyncIteration:
        return None


def read_one_event(stream_cls: Any, cast_to: Any, client: Any, sse: bytes) -> None:
    """Have the SDK read one server-sent event from memory, as it reads a stream. What it builds for
    the first event of a process (the validator of its event types: 20–50 ms) is then built already;
    a provider does this on the import thread, so the first answer does not wait for it on the loop."""
    response = httpx2.Response(200, content=sse, request=httpx2.Request("POST", "http://warm-up.invalid/"))

    async def first() -> None:
        await stream_cls(cast_to=cast_to, response=response, client=client).__anext__()

    asyncio.run(first())


def parse_tool_input(raw: str) -> dict[str, Any] | None:
    """A tool call's streamed input JSON as a dict; None when it is cut off or not an object."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
