"""Front matter: the YAML header of skill, agent, command and rule files, read as Claude Code reads it.

A real YAML parser (PyYAML's safe loader) reads the header. Hand-written headers are often not
valid YAML, and Claude Code accepts the common slips, so claw does too: when the header does not
parse, it is repaired and parsed again —
- a value wrapped onto unindented lines below its key is joined back onto the key's line;
- a plain value holding `: ` or ` #`, or starting with a character YAML reserves (`@`, `` ` ``,
  `%`, `*`, `&`, `!`), is quoted.
A header that still does not parse raises FrontmatterError with YAML's own reason and line.

PyYAML is imported on the first header read, so a session without such files never loads it.
"""

from __future__ import annotations

import json
import re
from typing import Any

_KEY_LINE = re.compile(r"^([A-Za-z0-9_][\w.-]*)[ \t]*:(?:[ \t]+(.*))?$")
_BLOCK_INDICATOR = re.compile(r"^[|>][+-]?\d*$")
_RESERVED_START = tuple("@`%*&!")


class FrontmatterError(ValueError):
    """A header that is not YAML even after the repairs; the message says where."""


def split_frontmatter(text: str) -> tuple[str | None, str]:
    """(the header between leading `---` lines or None, the body after it)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return None, text
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            return "\n".join(lines[1:end]), "\n".join(lines[end + 1 :]).strip("\n") + "\n"
    raise FrontmatterError("the front matter has no closing '---' line")


def parse_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    """The header as a mapping ({} when there is none) and the body after it."""
    header, body = split_frontmatter(text)
    if header is None or not header.strip():
        return {}, body
    return load_header(header), body


def load_header(header: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(header)
    except yaml.YAMLError as exc:
        try:
            data = yaml.safe_load(repair(header))
        except yaml.YAMLError:
            raise FrontmatterError(_reason(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontmatterError("line 2: the front matter must be `key: value` lines")
    return {str(k): v for k, v in data.items()}


def repair(header: str) -> str:
    """The header with the slips named in the module's docstring fixed."""
    lines: list[str] = []
    for line in header.splitlines():
        if line.strip() and lines and _plain_value(lines[-1]) and not _KEY_LINE.match(line) and not _is_item(line):
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"  # a wrapped value: back onto its key's line
        else:
            lines.append(line)
    return "\n".join(_quoted(line) for line in lines)


def _plain_value(line: str) -> bool:
    """A top-level `key: value` line whose value is a plain scalar (so what follows can only continue it)."""
    match = _KEY_LINE.match(line)
    if match is None or not match.group(2):
        return False
    value = match.group(2).strip()
    return bool(value) and value[:1] not in ("'", '"', "[", "{", "#") and not _BLOCK_INDICATOR.match(value)


def _is_item(line: str) -> bool:
    return line.lstrip().startswith(("- ", "#")) or line.strip() == "-"


def _quoted(line: str) -> str:
    match = _KEY_LINE.match(line)
    if match is None or not match.group(2):
        return line
    value = match.group(2).strip()
    if value[:1] in ("[", "{") and not _parses(value):  # `argument-hint: [pr] [priority]`
        return f"{match.group(1)}: {json.dumps(value, ensure_ascii=False)}"
    if value[:1] in ("'", '"', "[", "{") or _BLOCK_INDICATOR.match(value):
        return line
    if ": " in value or " #" in value or value.endswith(":") or value.startswith(_RESERVED_START):
        return f"{match.group(1)}: {json.dumps(value, ensure_ascii=False)}"
    return line


def _parses(value: str) -> bool:
    import yaml

    try:
        yaml.safe_load(value)
    except yaml.YAMLError:
        return False
    return True


def _reason(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 2}: " if mark is not None else ""  # +1 for 0-based, +1 for the opening ---
    return f"the front matter is not valid YAML ({where}{problem})"


def as_list(value: Any) -> list[str]:
    """A front-matter list given as a YAML list or a comma-separated string."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def as_text(value: Any) -> str:
    """A scalar as text, whitespace folded (YAML may have read a date or a number)."""
    if value is None or isinstance(value, list | dict):
        return ""
    return " ".join(str(value).split())


def as_hint(value: Any) -> str:
    """An argument hint: `[issue description]` reads as a YAML list, but is meant as written."""
    if isinstance(value, list):
        return " ".join(f"[{as_text(item)}]" for item in value)
    return as_text(value)


def as_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    return default
