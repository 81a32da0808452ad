"""A terminal with few rows (50x15): below SHORT_ROWS a screen has the class `-short`, and its CSS gives
those rows to what matters most there (the conversation and the status bar, an edit's changed lines,
a question's answer keys)."""

from __future__ import annotations

from textual.dom import DOMNode

SHORT_ROWS = 20


def fit_rows(screen: DOMNode, height: int) -> None:
    """Mark `screen` short or not for a terminal `height` rows high (from its resize, or its mount)."""
    screen.set_class(height < SHORT_ROWS, "-short")
