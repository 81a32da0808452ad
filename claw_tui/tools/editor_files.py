"""Files as the user's editor holds them, unsaved changes included.

A front end that can reach the editor's buffers (ACP's `fs/read_text_file` and
`fs/write_text_file`) sets `ToolContext.editor_files`; Read, Write and Edit then read and write
the text of existing text files through it, so the model sees what the user sees. Everything
else (whether a file exists, images, notebooks, search, commands) stays on the disk.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol


class EditorFiles(Protocol):
    async def read_text(self, path: Path) -> str:
        """The file's text as the editor has it (an open buffer, else the disk); OSError when it cannot."""
        ...

    async def write_text(self, path: Path, text: str) -> None:
        """Replace the file's text in the editor (which writes it to disk as it does for the user)."""
        ...


def digest(text: str) -> str:
    """What freshness checks compare when the text comes from an editor: a buffer has no mtime."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
