"""Python's full garbage-collection passes, moved off the moments the user is watching.

A full pass walks every object the collector tracks: a few hundred thousand in claw (Textual, the
SDKs, and a few hundred objects per widget), so it holds the event loop for 100-300 ms. Left
automatic, it fires whenever the heap has grown by a quarter, which while an answer streams in is
every second or so. So while the app runs:

- what is alive once start-up is over lives as long as the process, and is frozen out of the passes;
- the automatic full pass is off (the young generations are still collected as usual);
- a full pass runs once the app has been idle a moment (no turn running, no key or mouse input), or,
  past a ceiling, whatever it is doing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# A full pass is due once this many young (generation 1) passes ran since the last one.
DUE_AFTER = 10
# Past this many it runs even in the middle of a turn, so a long one cannot grow memory without bound.
CEILING = 400
NEVER = 1_000_000_000
QUIET_S = 2.0  # idle: no turn and no input for this long


class IdleCollector:
    """`start()` once the first frame is up, `tick()` every second or so, `touch()` on input, `stop()` on exit."""

    def __init__(self, busy: Callable[[], bool]) -> None:
        self._busy = busy
        self._thresholds: tuple[int, int, int] | None = None
        self._frozen = False
        self._active_at = time.monotonic()  # the last input, or the last tick that found the app busy

    def touch(self) -> None:
        self._active_at = time.monotonic()

    def start(self) -> None:
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            gc.set_threshold(self._thresholds[0], self._thresholds[1], NEVER)

    def tick(self) -> None:
        if self._thresholds is None:
            return
        if not self._frozen:
            # The first tick comes after start-up's work (the SDK loads in a thread meanwhile).
            gc.freeze()
            self._frozen = True
            return
        if self._busy():
            self.touch()
        due = gc.get_count()[2]
        if due >= CEILING or (due >= DUE_AFTER and time.monotonic() - self._active_at >= QUIET_S):
            gc.collect()

    def stop(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
