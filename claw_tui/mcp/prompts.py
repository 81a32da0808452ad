"""A server's prompt run as `/server:prompt args`: the words mapped onto its declared arguments."""

from __future__ import annotations

import shlex

from claw_tui.mcp import PromptEntry


class PromptArgumentError(ValueError):
    """Arguments that do not fit the prompt; the message shows the usage."""


def argument_hint(entry: PromptEntry) -> str:
    return " ".join(f"<{name}>" if required else f"[{name}]" for name, required, _ in entry.arguments)


def map_arguments(entry: PromptEntry, args: str) -> dict[str, str]:
    """`name=value` words by name, the other words in order of the declared arguments.

    Words beyond the last argument join it, so the last one can take free text unquoted.
    """
    names = [name for name, _, _ in entry.arguments]
    try:
        words = shlex.split(args)
    except ValueError:  # an unclosed quote: take the words as they are
        words = args.split()
    named: dict[str, str] = {}
    positional: list[str] = []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key in names:
            named[key] = value
        else:
            positional.append(word)
    free = [name for name in names if name not in named]
    if positional and not free:
        raise PromptArgumentError(f"too many arguments. Usage: /{entry.command} {argument_hint(entry)}".rstrip())
    for name, word in zip(free, positional, strict=False):
        named[name] = word
    if len(positional) > len(free):
        named[free[-1]] = " ".join([named[free[-1]], *positional[len(free) :]])
    missing = [name for name, required, _ in entry.arguments if required and name not in named]
    if missing:
        raise PromptArgumentError(
            f"missing {', '.join(missing)}. Usage: /{entry.command} {argument_hint(entry)}".rstrip()
        )
    return named
