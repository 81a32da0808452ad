"""What a language server is to claw: its configuration, its errors, and the default (pylsp).

Apart from the manager and the protocol client so that both can import it (neither imports the other's
module for these) and so that reading the configuration loads neither.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from claw_tui.tools.base import ToolError


class LspError(ToolError):
    """A language server is missing, failed, or did not answer."""


class LanguageServerConfig(BaseModel):
    command: list[str] = Field(min_length=1)
    extensions: list[str] = Field(min_length=1)
    language_id: str | None = None  # defaults to the language's name
    settings: dict[str, Any] | None = None  # sent as workspace/didChangeConfiguration
    initialization_options: dict[str, Any] | None = None


def default_config() -> dict[str, dict[str, Any]]:
    """python → pylsp, with the style linters off: the model needs bugs, not PEP 8 nits."""
    return {
        "python": {
            "command": [_find_pylsp()],
            "extensions": [".py", ".pyi"],
            "settings": {
                "pylsp": {
                    "plugins": {
                        "pycodestyle": {"enabled": False},
                        "mccabe": {"enabled": False},
                    }
                }
            },
        }
    }


def _find_pylsp() -> str:
    beside = Path(sys.executable).parent / "pylsp"  # a venv's scripts are often not on PATH
    return shutil.which("pylsp") or (str(beside) if beside.exists() else "pylsp")
