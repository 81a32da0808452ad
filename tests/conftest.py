"""Keep every test away from the developer's own config, data and keys; skip, with the command that
installs it, a test whose system program is missing."""

from __future__ import annotations

import shutil

import pytest

# What `@pytest.mark.needs(program)` can name, and the Debian package that brings it. .ci/run installs
# them all and fails on any skip, so a skip here only ever means "this machine lacks the program".
SYSTEM_PROGRAMS = {
    "bwrap": "bubblewrap", "tmux": "tmux", "node": "nodejs", "npm": "npm", "git": "git", "unshare": "util-linux"
}


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(program): the test runs this system program (skipped where it is missing)")


def pytest_collection_modifyitems(config, items):
    missing: dict[str, pytest.MarkDecorator] = {}
    for item in items:
        for marker in item.iter_markers("needs"):
            program = marker.args[0]
            if program not in SYSTEM_PROGRAMS:
                raise pytest.UsageError(f"{item.nodeid}: needs({program!r}) is not one of {sorted(SYSTEM_PROGRAMS)}")
            if shutil.which(program) is None:
                reason = f"needs {program}: apt-get install -y {SYSTEM_PROGRAMS[program]}"
                item.add_marker(missing.setdefault(program, pytest.mark.skip(reason=reason)))

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


@pytest.fixture(scope="module")
def claw_forks(tmp_path_factory):
    """Real `claw` processes forked from one that has imported claw (tests/forked_claw.py)."""
    import os

    from forked_claw import ClawForks

    with ClawForks(tmp_path_factory.mktemp("forks"), dict(os.environ)) as server:
        yield server
