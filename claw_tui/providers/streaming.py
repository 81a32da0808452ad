"""Small pieces both providers use while reading a stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, TypeVar

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


def parse_tool_input(raw: str) -> dict[str, Any] | None:
    """A tool call's streamed input JSON as a dict; None when it is cut off or not an object."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
