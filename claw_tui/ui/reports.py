"""The text reports of /cost, /status, /permissions, /memory and /config, as Markdown.

Pure functions of what they report on, so they are tested without an app; the commands put
their text into the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from claw_tui.config import layer_files, user_config_dir
from claw_tui.core.home_paths import short_path

if TYPE_CHECKING:
    from claw_tui.engine.frontend import FrontendAgent
    from claw_tui.ui.widgets.cost_meter import UsageTotals


@dataclass(frozen=True)
class Workspace:
    """What the status bar knows of the place claw works in."""

    cwd: Path
    branch: str = ""
    dirty: bool = False
    sandbox: str = ""


def cost_report(u: UsageTotals) -> str:
    cost = f"${u.cost_usd:.4f}" + (f" (+ {u.unpriced_calls} calls at unknown prices)" if u.unpriced_calls else "")
    return (
        f"**Cost of this session: {cost}**\n\n"
        f"- Model calls: {u.calls}\n"
        f"- Input tokens: {u.input_tokens:,}\n"
        f"- Output tokens: {u.output_tokens:,}\n"
        f"- Cache reads: {u.cache_read_tokens:,} tokens, cache writes: {u.cache_write_tokens:,} tokens\n"
    )


def context_report(tokens: int, window: int | None, agent: FrontendAgent | None) -> str:
    """/context: how full the model's context window is, and when claw compacts it."""
    if window is None:
        used = f"{tokens:,} tokens (the model's window is not in claw's catalog)"
    else:
        used = f"{tokens:,} of {window:,} tokens ({tokens / window:.0%})"
    lines = ["**Context**", "", f"- In use at the last model call: {used}"]
    if agent is not None:
        compaction = agent.settings.compaction
        auto = f"at {compaction.threshold:.0%} of the window" if compaction.auto else "off (compaction.auto)"
        lines += [f"- Model: `{agent.model}`", f"- Messages: {len(agent.transcript)}", f"- Auto-compaction: {auto}"]
    lines.append("- `/compact [instructions]` summarises the older messages now; `/clear` starts afresh")
    return "\n".join(lines)


def status_report(where: Workspace, agent: FrontendAgent | None) -> str:
    lines = ["**Status**", "", f"- Directory: `{short_path(where.cwd)}`"]
    if where.branch:
        lines.append(f"- Git branch: `{where.branch}`" + (" (uncommitted changes)" if where.dirty else ""))
    if agent is not None:
        lines += [
            f"- Model: `{agent.model}`",
            f"- Permission mode: `{agent.permissions.mode}` (Shift+Tab cycles)",
            f"- Sandbox: {where.sandbox or 'unknown'}",
            f"- Session: `{agent.session_id or 'not stored'}`",
        ]
        files = agent.config.files
        lines.append("- Config files: " + (", ".join(f"`{short_path(f)}`" for f in files) if files else "none (defaults)"))
    return "\n".join(lines)


def permissions_report(agent: FrontendAgent | None) -> str:
    if agent is None:
        return "No agent."
    permissions = agent.permissions
    # The engine's rules: the configured ones plus those "always allow" added this session.
    rows = [(r.behavior, r.rule, r.source) for r in permissions.rules_for_display()]
    head = f"**Permission rules** (mode `{permissions.mode}`)\n\n"
    problems = "".join(f"\n- {problem}" for problem in permissions.problems)
    if problems:
        problems = "\n\n**Rules that could not be read**" + problems
    withheld = agent.config.withheld
    if withheld:
        problems += "\n\n**Waiting for `claw trust`**: " + ", ".join(withheld)
    if not rows:
        return head + "No rules: every tool follows the mode." + problems
    table = "| Behavior | Rule | From |\n|---|---|---|\n" + "".join(f"| {b} | `{r}` | {s} |\n" for b, r, s in rows)
    return head + table + problems


def memory_report(cwd: Path) -> str:
    from claw_tui.engine.memory import load_memory

    files = load_memory(cwd, user_config_dir=user_config_dir())
    if not files:
        return "**Memory files**\n\nNone found. `/init` asks the model to write an AGENTS.md."
    return "**Memory files**\n\n" + "\n".join(f"- `{short_path(Path(f.path))}`" for f in files)


def config_report(cwd: Path) -> str:
    lines = ["**Configuration files** (later ones override earlier ones)", ""]
    for source, path in layer_files(cwd):
        state = "present" if path.is_file() else "not present"
        lines.append(f"- {source}: `{short_path(path)}` ({state})")
    lines += ["", "Environment variables `CLAW_*` and command-line flags override every file."]
    return "\n".join(lines)
