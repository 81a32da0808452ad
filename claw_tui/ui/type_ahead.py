"""Keys the user was already typing when a question popped up are not its answer.

A question that decides something (trust this folder, allow this call) can appear while the user
types the next prompt; its one-key answers (y, Enter, A…) would take whatever key came next, the
complaint about Claude Code's and Codex's permission prompts. A key answers a question only if it
was pressed after the question was drawn and does not continue a burst of typing (keys less than
BURST_GAP_S apart) that began before; such keys go on into the prompt instead, so nothing typed is
lost. A key pressed after a pause, the question on screen, answers at once.
"""

from __future__ import annotations

BURST_GAP_S = 0.15  # keys closer than this are one burst of typing (a touch typist's pace)
# Keys of typing that can answer a question, besides characters; Ctrl+C, Ctrl+Q… keep their meaning.
TYPING_KEYS = frozenset({"enter", "escape", "tab", "shift+tab", "backspace", "up", "down", "left", "right"})


class KeyQuestion:
    """Mixed into a screen whose keys answer a question; the app notes when it was first drawn."""

    drawn_at: float | None = None  # on Textual's event clock, as a key event's `time`


class TypeAhead:
    """The rhythm of the keys the app receives."""

    def __init__(self) -> None:
        self._last = float("-inf")
        self._burst_began = float("-inf")

    def burst_began(self, key_time: float) -> float:
        """Note a key pressed at `key_time` (every key the app gets); when the burst of typing it
        belongs to began."""
        if key_time - self._last > BURST_GAP_S:
            self._burst_began = key_time
        self._last = key_time
        return self._burst_began


def answers(question: KeyQuestion, burst_began: float) -> bool:
    """Whether a key of a burst that began then may answer `question`: typing begun before the
    question was drawn may not."""
    return question.drawn_at is not None and burst_began >= question.drawn_at


def could_answer(key: str, printable: bool) -> bool:
    """Whether a key is one that typing uses and a question may take as its answer."""
    return printable or key in TYPING_KEYS
