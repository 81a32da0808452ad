"""What a language server is to claw: its configuration, its errors, and the default (pylsp).

Apart from the manager and the protocol client so that both can import it (neither imports the other's
module for these) and so that reading the configuration loads neither: a session whose servers are
not installed loads nothing else of claw's LSP support.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from claw_tui.tools.base import ToolError


class LspError(ToolError):
    """A language server is missing, failed, or did not answer."""


class LanguageServerConfig(BaseModel):
    command: list[str] = Field(min_length=1)
    extensions: list[str] = Field(min_length=1)
    language_id: str | None = None  # defaults to the language's name
    settings: dict[str, Any] | None = None  # sent as workspace/didChangeConfiguration
    initialization_options: dict[str, Any] | None = None
    # Start with the session rather than when it first touches a file of this language.
    start_with_session: bool = False

    def installed(self) -> bool:
        """Whether the command is there to run (a name on PATH, or a path to an executable file)."""
        program = self.command[0]
        if os.sep in program:
            return os.access(program, os.X_OK) and Path(program).is_file()
        return shutil.which(program) is not None


def parse_config(config: Mapping[str, Any] | None) -> dict[str, LanguageServerConfig]:
    """The configured servers by language (the default when `config` is None); a bad entry raises
    ValueError naming its language."""
    configs = {}
    for language, raw in (default_config() if config is None else config).items():
        try:
            configs[language] = LanguageServerConfig.model_validate(raw)
        except ValidationError as exc:
            raise ValueError(f"Bad language server config for {language!r}: {exc}") from None
    return configs


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
