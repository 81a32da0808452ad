"""A clock for the scheduler that moves only when a test moves it, so no test waits minutes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.time = start.astimezone()
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self.time

    async def sleep(self, seconds: float) -> None:
        """Return once the test has moved the clock `seconds` on."""
        until = self.time + timedelta(seconds=seconds)
        async with self._moved:
            await self._moved.wait_for(lambda: self.time >= until)

    async def advance(self, **delta: float) -> None:
        self.time += timedelta(**delta)
        async with self._moved:
            self._moved.notify_all()
