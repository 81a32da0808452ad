"""The model picker over the main screen."""

from __future__ import annotations

import pytest
from claw_snap_app import make_app, still
from keyboard import type_text


async def _open(pilot, typed: str = "") -> None:
    await still(pilot)
    await type_text(pilot, "/model", "enter")
    await still(pilot)
    await type_text(pilot, typed)
    await still(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_model_picker(monkeypatch, snap_compare, size):
    """You should see the catalog's models, the current one marked ●, each with its context
    window and prices, and "No local model server found." at the bottom."""
    assert snap_compare(make_app(monkeypatch), terminal_size=size, run_before=_open)


def test_model_picker_filtered(monkeypatch, snap_compare):
    """You should see only the models whose id contains "haiku"."""

    async def run_before(pilot) -> None:
        await _open(pilot, "haiku")

    assert snap_compare(make_app(monkeypatch), terminal_size=(80, 24), run_before=run_before)
