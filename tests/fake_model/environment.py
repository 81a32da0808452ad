"""The environment for running claw against the fake server outside pytest (benchmarks, screenshots)."""

from __future__ import annotations

from pathlib import Path


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
