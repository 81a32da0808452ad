"""How the print-mode tests run claw: the environment pointing it at the fake model server, the
installed program, its output parsed. (Not in conftest.py: test modules import these by name,
and another folder's conftest module may be the one Python already holds under that name.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


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


def claw_program() -> str:
    """The installed `claw` console script of this environment."""
    found = shutil.which("claw", path=str(Path(sys.executable).parent)) or shutil.which("claw")
    assert found, "the claw console script is not installed"
    return found


def run_program(argv: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=90,
                          check=False)
