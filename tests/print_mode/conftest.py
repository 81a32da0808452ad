"""Print mode run as a user runs it, against the fake model server: in this process through
`claw_tui.cli.main` (fast, for the many protocol checks), or as the installed `claw` program."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from claw_tui.cli import main


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def fake_env(base_url: str) -> dict[str, str]:
    """Keys and base URLs pointing every provider at the fake server; quick retries; no sandbox."""
    return {
        "ANTHROPIC_API_KEY": "test-key",
        "ANTHROPIC_BASE_URL": base_url,
        "OPENAI_API_KEY": "test-key",
        "OPENAI_BASE_URL": base_url + "/v1",
        "CLAW_LOCAL_BASE_URL": base_url + "/v1",
        "CLAW_SANDBOX__ENABLED": "false",
        "CLAW_RETRY_BASE_DELAY": "0.01",
    }


@pytest.fixture
def project(isolated_home) -> Path:
    root = isolated_home / "project"
    root.mkdir()
    return root


@pytest.fixture
def claw_p(project, fake_model, monkeypatch, capsys):
    """`claw_p(*argv, stdin="")`: `claw` with these arguments in `project`, in this process."""
    for name, value in fake_env(fake_model.base_url).items():
        monkeypatch.setenv(name, value)

    def run(*argv: str, stdin: str = "", cwd: Path | None = None) -> Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main(["--cwd", str(cwd or project), *argv])
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def claw_program() -> str:
    """The installed `claw` console script of this environment."""
    found = shutil.which("claw", path=str(Path(sys.executable).parent)) or shutil.which("claw")
    assert found, "the claw console script is not installed"
    return found


@pytest.fixture
def claw_env(isolated_home, fake_model) -> dict[str, str]:
    """The environment for the `claw` program (or a script calling it) against the fake server."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "CLAW_"))}
    home = isolated_home
    return keep | fake_env(fake_model.base_url) | {
        "HOME": str(home), "CLAW_CONFIG_DIR": str(home / "config"), "CLAW_DATA_DIR": str(home / "data"),
        "CLAW_NO_LOCAL_DISCOVERY": "1", "PATH": f"{Path(claw_program()).parent}{os.pathsep}{os.environ['PATH']}",
    }


def run_program(argv: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=90,
                          check=False)
