"""Fixtures the pilot tests share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def project(isolated_home) -> Path:
    """An empty project folder inside the test's home directory (so paths show as ~/project)."""
    root = isolated_home / "project"
    root.mkdir()
    return root
