"""Server-sent events, and a rendered stream of them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


def sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


@dataclass
class Stream:
    events: list[bytes]
    # How many trailing events say "the reply is complete" (left out by Fault.no_stop).
    stop_events: int
