"""Fixtures the pilot tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from claw_tui.config import load_config
from claw_tui.ui.app import ClawApp

# Quick retries and stalls, and no sandbox: what a pilot test against the fake model server wants.
TEST_FLAGS = {"retry_base_delay": 0.01, "stream_idle_timeout": 5.0, "sandbox": {"enabled": False}}


@pytest.fixture
def project(isolated_home) -> Path:
    """An empty project folder inside the test's home directory (so paths show as ~/project)."""
    root = isolated_home / "project"
    root.mkdir()
    return root


@pytest.fixture
def app_for(project, fake_model, monkeypatch):
    """`app_for(mode=…, **ClawApp options)`: the real app and agent in `project`, talking to the fake model server."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_model.base_url)

    def make(mode: str = "bypassPermissions", **kwargs) -> ClawApp:
        return ClawApp(project, config=load_config(project, flags=TEST_FLAGS), permission_mode=mode, **kwargs)

    return make
