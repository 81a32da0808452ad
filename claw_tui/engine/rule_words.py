"""A permission rule in words a user understands, for the "allow for this session" choice.

The rule itself (`Edit(/**)`) reads as "every file on disk" to anyone who does not know that a
leading `/` is the project folder (Claude Code's meaning in project settings). Every front end
shows these words beside the rule: the app's approval dialog and ACP's permission options.
"""

from __future__ import annotations

from pathlib import Path

from claw_tui.core.home_paths import short_path

_PATH_FAMILIES = {"Edit": "edits", "Read": "reading files"}


def allowing(rule: str, root: Path) -> str:
    """What allowing `rule` lets through, as the words after "allow": `Edit(/**)` in ~/project gives
    "edits anywhere in ~/project", `Bash(npm test:*)` "commands that start with 'npm test'"."""
    tool, _, rest = rule.partition("(")
    spec = rest[:-1] if rest.endswith(")") else ""
    if not spec:
        return f"every {tool} call"
    if tool in _PATH_FAMILIES:
        return f"{_PATH_FAMILIES[tool]} {_where(spec, root)}"
    if tool == "Bash":
        prefix = spec.removesuffix(":*")
        return f"commands that start with '{prefix}'" if prefix != spec else f"the command '{spec}'"
    if tool == "WebFetch" and spec.startswith("domain:"):
        return f"fetching pages from {spec.removeprefix('domain:')}"
    return f"{tool} {spec} calls"


def _where(spec: str, root: Path) -> str:
    """A path rule's place: `/` is the project folder, `//` the file system's root, `~/` the home folder."""
    folder = spec.removesuffix("/**")
    if folder == spec or any(c in folder for c in "*?["):
        return f"of files matching {spec}"
    if folder.startswith("//"):
        place = Path(folder[1:])
    elif folder == "~" or folder.startswith("~/"):
        return f"anywhere in {folder}"
    else:
        place = root / folder.lstrip("/") if folder else root
    return f"anywhere in {short_path(place)}"

