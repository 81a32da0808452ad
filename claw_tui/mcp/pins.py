"""MCP tool definitions pinned when they are approved, and descriptions checked for hidden text.

A server may change a tool after the user approved it: a new description with instructions for
the model, new parameters, the same name. So when a call to a tool is allowed (by a rule, by
"always allow", by the user, or because the user trusted its server) a hash of the tool's name,
description and input schema is remembered per project; a different definition later is a new
tool, which asks again (in every mode) and says what changed.

Descriptions go to the model, and a person reads them on /mcp: invisible characters (zero-width,
bidirectional controls, Unicode tags that spell hidden ASCII) are shown escaped there and removed
from what the model gets, and instruction-like blocks are flagged.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from claw_tui.config import user_data_dir


def definition_hash(name: str, description: str, schema: dict[str, Any]) -> str:
    blob = json.dumps({"name": name, "description": description, "inputSchema": schema}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _invisible(ch: str) -> bool:
    """Characters a person does not see: format controls (zero-width, bidi, tags), and variation
    selectors; ordinary whitespace is visible enough."""
    code = ord(ch)
    if ch in "\t\n\r":
        return False
    return (
        unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cn")
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or 0xE0000 <= code <= 0xE007F
    )


def escape_invisible(text: str) -> str:
    """`text` with every invisible character written as an escape (`\\u200b`, `\\U000e0041`)."""
    return "".join(_escape(ch) if _invisible(ch) else ch for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def strip_invisible(text: str) -> tuple[str, int]:
    """`text` without its invisible characters, and how many there were."""
    kept = [ch for ch in text if not _invisible(ch)]
    return "".join(kept), len(text) - len(kept)


def hidden_tag_text(text: str) -> str:
    """What Unicode tag characters (U+E0020–U+E007E) spell: ASCII a model reads and a person does not see."""
    return "".join(chr(ord(ch) - 0xE0000) for ch in text if 0xE0020 <= ord(ch) <= 0xE007E)


_INSTRUCTIONS = re.compile(
    r"<\s*/?\s*(important|system|instructions?|secret|hidden|admin|assistant)\b[^>]*>"
    r"|\[\s*/?\s*(inst|system)\s*\]"
    r"|\bignore\s+(all\s+|any\s+)?(previous|prior|above|earlier)\s+(instructions|prompts?|rules)"
    r"|\b(do\s+not|don't|never)\s+(tell|mention|inform|show|reveal)\b.{0,20}\b(the\s+)?user"
    r"|\bsystem\s+prompt\b"
    r"|\bbefore\s+(using|calling)\s+(this|any)\s+tool\b.{0,60}\b(read|send|pass|include)",
    re.IGNORECASE | re.DOTALL,
)


def description_flags(description: str) -> list[str]:
    """What is suspicious in a tool's description, one phrase each (empty when nothing is)."""
    flags: list[str] = []
    _, invisible = strip_invisible(description)
    if invisible:
        tags = hidden_tag_text(description)
        said = f" (Unicode tags spelling {tags[:60]!r})" if tags else ""
        flags.append(f"{invisible} invisible character{'s' if invisible != 1 else ''}{said}")
    visible = strip_invisible(description)[0] + " " + hidden_tag_text(description)
    if m := _INSTRUCTIONS.search(visible):
        flags.append(f"instruction-like text ({' '.join(m.group(0).split())[:40]!r})")
    return flags


class PinStore:
    """The approved definitions per project: {project: {"server/tool": hash}} in the user's data dir."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or user_data_dir() / "mcp_pins.json"
        self._cache: tuple[tuple[int, int], dict[str, dict[str, str]]] | None = None

    def _load(self) -> dict[str, dict[str, str]]:
        """The file's content, read again only when it changed (the /mcp screen asks every second)."""
        try:
            st = self.path.stat()
            if self._cache is not None and self._cache[0] == (st.st_mtime_ns, st.st_size):
                return self._cache[1]
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        data = data if isinstance(data, dict) else {}
        self._cache = ((st.st_mtime_ns, st.st_size), data)
        return data

    def get(self, project: Path, key: str) -> str | None:
        entry = self._load().get(str(project.resolve()), {})
        return entry.get(key) if isinstance(entry, dict) else None

    def set(self, project: Path, pins: dict[str, str]) -> None:
        data = {key: dict(value) for key, value in self._load().items() if isinstance(value, dict)}
        entry = data.setdefault(str(project.resolve()), {})
        if all(entry.get(k) == v for k, v in pins.items()):
            return
        entry.update(pins)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)
