"""Claude Code's argument substitutions in a command's or a skill's text, shared by both.

`$ARGUMENTS` is everything after the name, `$ARGUMENTS[N]` and `$N` the N-th word counting from 0
(shell quoting respected), `$name` a named argument, `${CLAUDE_SKILL_DIR}` a skill's folder and
`${CLAUDE_SESSION_ID}` the session; a body without `$ARGUMENTS` gets `ARGUMENTS: …` appended when
there are arguments.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

_INDEXED = re.compile(r"\$ARGUMENTS\[(\d+)\]|\$(\d+)(?!\d)")


def split_arguments(args: str) -> list[str]:
    """The words of `args`, shell quoting respected (an unclosed quote: plain words)."""
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def fill_arguments(
    body: str, args: str, *, names: tuple[str, ...] = (), skill_dir: Path | None = None, session_id: str = ""
) -> str:
    """`body` with Claude Code's substitutions made (see the module's docstring)."""
    words = split_arguments(args)
    had_arguments = "$ARGUMENTS" in body

    def word(index: str) -> str:
        i = int(index)
        return words[i] if i < len(words) else ""

    text = _INDEXED.sub(lambda m: word(m.group(1) or m.group(2)), body)
    for i, name in enumerate(names):
        value = word(str(i))
        text = re.sub(rf"\${re.escape(name)}(?![\w])", lambda _m: value, text)  # noqa: B023 (used at once)
    text = text.replace("$ARGUMENTS", args)
    if skill_dir is not None:
        text = text.replace("${CLAUDE_SKILL_DIR}", str(skill_dir))
    text = text.replace("${CLAUDE_SESSION_ID}", session_id)
    if args and not had_arguments:
        text = f"{text.rstrip()}\n\nARGUMENTS: {args}"
    return text
