"""Workspaces for the adversarial tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path):
    """The workspace root, with a place outside it."""
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("x = 1\n")
    (tmp_path / "outside").mkdir()
    return root.resolve()


@pytest.fixture
def var_tmp_project():
    """A workspace under /var/tmp, with a place outside: the sandbox gives commands their own /tmp,
    so a place under /tmp would be hidden rather than read-only."""
    base = Path(tempfile.mkdtemp(prefix="claw-guard-", dir="/var/tmp")).resolve()
    for name in ("proj", "outside"):
        (base / name).mkdir()
    yield base / "proj"
    shutil.rmtree(base, ignore_errors=True)
