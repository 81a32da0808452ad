"""User commands: Markdown files whose body becomes the prompt (`.claw/commands/*.md`,
`.claude/commands/*.md`, `<user config>/commands/*.md`), with optional frontmatter
(`description`, `argument-hint`) and `$ARGUMENTS` replaced. The app's slash commands and the
ACP side's available commands both read them from here.
"""

from __future__ import annotations

from pathlib import Path

from claw_tui.config import user_config_dir


def user_command_dirs(cwd: Path) -> list[Path]:
    """Lowest priority first: the user's own, then the project's (Claude Code's folder, then claw's)."""
    dirs = [user_config_dir() / "commands", cwd / ".claude" / "commands", cwd / ".claw" / "commands"]
    return [d for d in dirs if d.is_dir()]


def split_frontmatter(text: str) -> tuple[dict[str, str], str]:
    """`key: value` lines between leading `---` fences, and the body after them."""
    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines(keepends=True)
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            meta: dict[str, str] = {}
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep:
                    meta[key.strip().lower()] = value.strip().strip("\"'")
            return meta, "".join(lines[end + 1 :])
    return {}, text


def expand_template(body: str, args: str) -> str:
    if "$ARGUMENTS" in body:
        return body.replace("$ARGUMENTS", args)
    return f"{body.rstrip()}\n\n{args}" if args else body
