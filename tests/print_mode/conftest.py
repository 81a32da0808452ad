"""Print mode run as a user runs it, against the fake model server: in this process through
`claw_tui.cli.main` (fast, for the many protocol checks), or as the installed `claw` program."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from claw_runner import Run, claw_program, fake_env

from claw_tui.cli import main


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


@pytest.fixture
def claw_env(isolated_home, fake_model) -> dict[str, str]:
    """The environment for the `claw` program (or a script calling it) against the fake server."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "CLAW_"))}
    home = isolated_home
    return keep | fake_env(fake_model.base_url) | {
        "HOME": str(home), "CLAW_CONFIG_DIR": str(home / "config"), "CLAW_DATA_DIR": str(home / "data"),
        "CLAW_NO_LOCAL_DISCOVERY": "1", "PATH": f"{Path(claw_program()).parent}{os.pathsep}{os.environ['PATH']}",
    }
