"""Keep every test away from the developer's own config, data and keys."""

from __future__ import annotations

import pytest

_KEY_VARS = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "CLAW_LOCAL_BASE_URL",
    "CLAW_MODEL",
)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CLAW_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("CLAW_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("CLAW_NO_LOCAL_DISCOVERY", "1")
    # No language servers unless a test sets some (settings lsp=None: the default, pylsp): otherwise
    # every test touching a .py file would start pylsp in the background.
    monkeypatch.setenv("CLAW_LSP", "{}")
    for var in _KEY_VARS:
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def fake_model():
    """A started scripted model server (tests/fake_model), stopped after the test."""
    from fake_model import FakeModelServer

    server = FakeModelServer(models=["llama3", "qwen3-coder"])
    server.start()
    yield server
    server.stop()
