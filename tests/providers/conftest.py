"""Helpers for provider tests: run one streamed call and split deltas from the response."""

from __future__ import annotations

import pytest

from claw_tui.providers.base import ModelResponse


async def _collect(provider, request) -> tuple[list, ModelResponse]:
    events = [e async for e in provider.stream(request)]
    assert isinstance(events[-1], ModelResponse), "the stream must end with one ModelResponse"
    assert not any(isinstance(e, ModelResponse) for e in events[:-1])
    return events[:-1], events[-1]


@pytest.fixture
def collect():
    return _collect
