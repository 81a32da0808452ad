"""What of the user's Claude Code setup claw does not honour, named once when a session starts.

claw reads Claude Code's settings, hooks, agents, commands, skills and rules; whatever it cannot
honour (a setting, a hook event or kind, a front-matter field) or cannot read (a broken file) is
listed here, one line per kind, for the front end to show at start: on standard error in print
mode, as a note in the app.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from claw_tui.config import LoadedConfig, Settings
from claw_tui.engine.hooks import EVENTS

# Hook options Claude Code has that claw does not honour; `statusMessage` only labels a spinner.
_HOOK_OPTIONS = ("if", "once", "asyncRewake", "shell")


def startup_notes(cwd: Path, config: LoadedConfig, memory_problems: Iterable[str] = ()) -> list[str]:
    from claw_tui.engine.agent_defs import scan_agents
    from claw_tui.engine.user_commands import load_user_commands

    notes: list[str] = []
    if config.ignored:
        notes.append(f"Claude Code settings claw does not use: {'; '.join(config.ignored)}.")
    notes += hook_notes(config.settings)
    agents, agent_problems = scan_agents(cwd)
    catalog = load_user_commands(cwd)
    notes += [f"Not loaded: {problem}" for problem in [*agent_problems, *catalog.problems, *memory_problems]]
    fields: dict[str, dict[str, None]] = defaultdict(dict)  # "field" -> names, in order, once each
    for agent in agents:
        for name in agent.ignored:
            fields[f"`{name}` (subagents)"][agent.name] = None
    for command in catalog.commands.values():
        for name in command.ignored:
            fields[f"`{name}` ({command.kind}s)"][f"/{command.name}"] = None
    if fields:
        listed = "; ".join(f"{field} in {', '.join(names)}" for field, names in fields.items())
        notes.append(f"Front-matter claw does not honour: {listed}.")
    return notes


def hook_notes(settings: Settings) -> list[str]:
    """The configured hooks claw will not run, or will run without an option they ask for."""
    if settings.disable_all_hooks:
        return ["Hooks are off (disableAllHooks)."] if settings.hooks else []
    events: list[str] = []
    kinds: dict[str, dict[str, None]] = defaultdict(dict)
    options: dict[str, dict[str, None]] = defaultdict(dict)
    for event, matchers in settings.hooks.items():
        if event not in EVENTS:
            events.append(event)
            continue
        for matcher in matchers:
            for hook in matcher.hooks:
                if hook.type != "command" or not hook.command:
                    kinds[hook.type][event] = None
                extra = hook.model_extra or {}
                for option in _HOOK_OPTIONS:
                    if option in extra and not (option == "shell" and extra[option] == "bash"):
                        options[option][event] = None
    notes = []
    if events:
        notes.append(f"Hooks claw does not fire (the event does not exist in claw): {', '.join(events)}.")
    for kind, where in kinds.items():
        notes.append(f"Hooks of type `{kind}` are not run by claw ({', '.join(where)}).")
    for option, where in options.items():
        notes.append(f"Hook option `{option}` is not honoured ({', '.join(where)}): the hook runs without it.")
    return notes
