"""The environment for running claw against the fake server outside pytest (benchmarks, screenshots)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from .server import FakeModelServer


def isolated_env(home: Path, base_url: str | None = None) -> dict[str, str]:
    """Variables that keep claw's config and data under `home`, off the user's own, with no local
    server discovery; with `base_url`, Anthropic calls go to the fake server."""
    env = {
        "HOME": str(home),
        "CLAW_CONFIG_DIR": str(home / "config"),
        "CLAW_DATA_DIR": str(home / "data"),
        "CLAW_NO_LOCAL_DISCOVERY": "1",
    }
    if base_url is not None:
        env |= {"ANTHROPIC_API_KEY": "fake-key", "ANTHROPIC_BASE_URL": base_url}
    return env


@contextlib.contextmanager
def fake_claw_home() -> Iterator[tuple[Path, FakeModelServer]]:
    """An empty project in a temporary home and a started fake server, with os.environ pointing
    claw at both until the block ends."""
    with tempfile.TemporaryDirectory() as tmp, FakeModelServer() as server:
        home = Path(tmp)
        project = home / "project"
        project.mkdir()
        with mock.patch.dict(os.environ, isolated_env(home, server.base_url)):
            yield project, server
