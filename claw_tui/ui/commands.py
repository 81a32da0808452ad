"""Slash commands: ONE registry feeding the prompt's `/` completion, the dispatcher and the palette.

Each command is a frozen record whose action is an async function of (main screen, arguments).
The user's own commands and skills (Markdown files under `.claude/commands/`, `.claude/skills/`,
their user-level and `.claw` twins) are found by engine/user_commands.py; here each becomes a
record whose action sends its expanded prompt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from claw_tui.engine.user_commands import CommandError, UserCommand, load_user_commands
from claw_tui.ui import reports, session_actions

if TYPE_CHECKING:
    from claw_tui.ui.screens.main import MainScreen

Action = Callable[["MainScreen", str], Awaitable[None]]


def _always(screen: MainScreen) -> bool:
    return True


@dataclass(frozen=True)
class SlashCommand:
    name: str  # without the slash: "model"
    title: str  # palette title: "Switch model"
    help: str
    action: Action
    argument_hint: str = ""
    is_available: Callable[[MainScreen], bool] = _always
    over_modals: bool = False  # offered in the palette while a modal screen is open
    key: str = ""  # the key bound to it, shown in help and the palette
    source: str = "built-in"  # or the file a user command came from
    aliases: tuple[str, ...] = ()  # other names it answers to, as Claude Code's (/quit for /exit)

    @property
    def slash(self) -> str:
        return f"/{self.name}"

    @property
    def help_with_key(self) -> str:
        return f"{self.help} ({self.key.upper()})" if self.key else self.help


@dataclass
class CommandRegistry:
    commands: dict[str, SlashCommand] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # user command files that were skipped
    # Commands that come and go (an MCP server's prompts while it is connected), read on every lookup.
    sources: list[Callable[[], Iterable[SlashCommand]]] = field(default_factory=list)

    @classmethod
    def build(cls, cwd: Path) -> CommandRegistry:
        """The built-ins and the user's commands and skills (whose own problems the agent names at start)."""
        registry = cls({c.name: c for c in BUILTIN_COMMANDS})
        for command in load_user_commands(cwd).commands.values():
            if command.name in registry.commands:
                registry.problems.append(f"{command.path}: /{command.name} is a built-in command; the file is ignored")
                continue
            registry.commands[command.name] = user_slash_command(command)
        return registry

    def all(self) -> list[SlashCommand]:
        """The fixed commands, then those of the sources (a fixed command keeps its name)."""
        found = dict(self.commands)
        for source in self.sources:
            for command in source():
                found.setdefault(command.name, command)
        return list(found.values())

    def get(self, name: str) -> SlashCommand | None:
        name = name.lstrip("/")
        return self.commands.get(name) or next((c for c in self.all() if name in (c.name, *c.aliases)), None)

    def available(self, screen: MainScreen) -> list[SlashCommand]:
        return [c for c in self.all() if c.is_available(screen)]

    def completions(self, screen: MainScreen, typed: str) -> list[SlashCommand]:
        """Commands for `/typed`: prefix matches first, then those containing it."""
        typed = typed.lower()
        commands = self.available(screen)
        prefix = [c for c in commands if any(n.startswith(typed) for n in (c.name, *c.aliases))]
        inner = [c for c in commands if typed in c.name and c not in prefix]
        return prefix + inner


def parse_invocation(text: str) -> tuple[str, str]:
    """("model", "openai/gpt-5") from "/model openai/gpt-5"."""
    head, _, args = text.strip().partition(" ")
    return head.lstrip("/"), args.strip()


# --- user commands ------------------------------------------------------------------------


def expand_template(body: str, args: str) -> str:
    """A built-in prompt with the user's words: in place of `$ARGUMENTS`, or after it."""
    if "$ARGUMENTS" in body:
        return body.replace("$ARGUMENTS", args)
    return f"{body.rstrip()}\n\n{args}" if args else body


def user_slash_command(command: UserCommand) -> SlashCommand:
    async def send(screen: MainScreen, args: str) -> None:
        session_id = (screen.agent.session_id if screen.agent is not None else None) or ""
        try:
            prompt = command.invocation(args, session_id=session_id)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            await screen.conversation.add_note(str(CommandError(f"/{command.name}: {exc}")), "error")
            return
        await screen.send_prompt(prompt.typed, message=prompt)

    kind = "skill" if command.kind == "skill" else "command"
    return SlashCommand(
        name=command.name,
        title=command.name.replace("-", " ").replace(":", ": ").capitalize(),
        help=f"{command.description} ({kind}, {command.where})",
        action=send,
        argument_hint=command.argument_hint,
        source=str(command.path),
    )


# --- built-in actions -----------------------------------------------------------------------


def _has_agent(screen: MainScreen) -> bool:
    return screen.agent is not None


async def _help(screen: MainScreen, args: str) -> None:
    from claw_tui.ui.screens.help import HelpScreen

    await screen.app.push_screen(HelpScreen(screen.registry, screen.BINDINGS))


async def _clear(screen: MainScreen, args: str) -> None:
    await screen.new_conversation()


async def _compact(screen: MainScreen, args: str) -> None:
    assert screen.agent is not None  # is_available=_has_agent
    screen.run_engine(screen.agent.compact(args), label="Compacting…")


async def _cost(screen: MainScreen, args: str) -> None:
    await screen.conversation.add_markdown(reports.cost_report(screen.usage))


async def _model(screen: MainScreen, args: str) -> None:
    if args:
        await screen.switch_model(args)
    else:
        screen.open_model_picker()


async def _theme(screen: MainScreen, args: str) -> None:
    if args:
        screen.app.apply_theme_choice(args)  # type: ignore[attr-defined]
    else:
        screen.app.open_theme_picker()  # type: ignore[attr-defined]


async def _context(screen: MainScreen, args: str) -> None:
    meter = screen.cost_meter
    await screen.conversation.add_markdown(reports.context_report(meter.context_tokens, meter.context_window, screen.agent))


async def _status(screen: MainScreen, args: str) -> None:
    await screen.conversation.add_markdown(reports.status_report(screen.workspace(), screen.agent))


async def _permissions(screen: MainScreen, args: str) -> None:
    await screen.conversation.add_markdown(reports.permissions_report(screen.agent))


async def _tasks(screen: MainScreen, args: str) -> None:
    screen.focus_pane("tasks")


async def _schedule(screen: MainScreen, args: str) -> None:
    from claw_tui.ui import schedule

    await schedule.command(screen, args)


async def _diff(screen: MainScreen, args: str) -> None:
    await screen.show_session_diff()


async def _memory(screen: MainScreen, args: str) -> None:
    await screen.conversation.add_markdown(reports.memory_report(screen.cwd))


async def _trust(screen: MainScreen, args: str) -> None:
    from claw_tui.ui.trust import trust_now

    await trust_now(screen)


async def _config(screen: MainScreen, args: str) -> None:
    await screen.conversation.add_markdown(reports.config_report(screen.cwd))


INIT_PROMPT = """\
Please analyse this repository and write an AGENTS.md file at its root for future coding agents.
Include: what the project is, how it is laid out, how to build, run and test it (the exact commands),
the coding conventions you can see, and anything surprising a newcomer should know.
If an AGENTS.md, CLAUDE.md or CLAW.md already exists, improve it instead of starting over. Keep it concise."""


async def _init(screen: MainScreen, args: str) -> None:
    await screen.send_prompt(expand_template(INIT_PROMPT, args))


async def _exit(screen: MainScreen, args: str) -> None:
    screen.app.exit()


async def _resume(screen: MainScreen, args: str) -> None:
    if args:
        await session_actions.resume(screen, args)
    else:
        await session_actions.open_browser(screen, "/resume")


async def _sessions(screen: MainScreen, args: str) -> None:
    await session_actions.open_browser(screen)


async def _mcp(screen: MainScreen, args: str) -> None:
    from claw_tui.ui.screens.mcp import McpScreen

    if screen.mcp_error:  # the screen would claim no server is configured
        await screen.conversation.add_note(f"{screen.mcp_error}. Fix the file and start claw again.", "warning")
        return
    await screen.app.push_screen(McpScreen(screen.mcp_manager))


async def _agents(screen: MainScreen, args: str) -> None:
    from claw_tui.ui.screens.agents import AgentsScreen

    def closed(_: None) -> None:
        # Agent types made or edited on the screen are offered to the model from its next request.
        if screen.agent is not None:
            screen.agent.refresh_agent_types()

    await screen.app.push_screen(AgentsScreen(screen.cwd), callback=closed)


async def _undo(screen: MainScreen, args: str) -> None:
    await session_actions.undo_last_turn(screen)


async def _rewind(screen: MainScreen, args: str) -> None:
    await session_actions.open_rewind_picker(screen)


async def _export(screen: MainScreen, args: str) -> None:
    """/export [path]: Markdown, or claw's JSONL for a path ending in .jsonl; ./claw-session-<id>.md by default."""
    from claw_tui.engine.session_io import export_jsonl, export_markdown
    from claw_tui.engine.sessions import StoreError

    store = screen.agent.store if screen.agent is not None else None
    session_id = screen.agent.session_id if screen.agent is not None else None
    if store is None or not session_id:
        await screen.conversation.add_note("/export: nothing to export yet; the session has no messages.", "warning")
        return
    path = Path(args).expanduser() if args else Path(f"claw-session-{session_id[:8]}.md")
    path = path if path.is_absolute() else screen.cwd / path
    try:
        text = export_jsonl(store, session_id) if path.suffix == ".jsonl" else export_markdown(store, session_id)
        path.write_text(text, encoding="utf-8")
    except StoreError as exc:
        await screen.conversation.add_note(f"/export: {exc}", "error")
        return
    except OSError as exc:
        await screen.conversation.add_note(f"/export: cannot write {path}: {exc.strerror or exc}.", "error")
        return
    await screen.conversation.add_note(f"Exported the session to {path}")


# Claude Code's commands claw has no command for: what to do instead, said when one is typed.
CLAUDE_CODE_ONLY = {
    "login": "claw reads API keys from ANTHROPIC_API_KEY / OPENAI_API_KEY or its config; there is no log-in",
    "logout": "claw keeps no log-in; unset the key's environment variable",
    "add-dir": "start claw with --add-dir DIR, or list it in permissions.additional_directories",
    "hooks": "claw runs the hooks of Claude Code's settings files and its own config; /config shows which files",
    "doctor": "/status shows the model, sandbox and config files; /mcp the servers",
    "usage": "/cost shows this session's tokens and money; the cost pane (F6) today's",
    "todos": "the task pane (F5, /tasks) shows the model's tasks",
    "ide": "editors run claw through the Agent Client Protocol: `claw acp`",
    "vim": "claw's prompt has no vim mode",
    "terminal-setup": "Shift+Enter and Ctrl+J both make a new line in claw's prompt: nothing to set up",
}

BUILTIN_COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("help", "Help", "Show commands and keys", _help, over_modals=True, key="f1"),
    SlashCommand("clear", "Clear conversation", "Start a new conversation (the old one stays in the session store)", _clear, is_available=_has_agent),
    SlashCommand("compact", "Compact conversation", "Summarise older messages to free context", _compact, argument_hint="[instructions]", is_available=_has_agent),
    SlashCommand("cost", "Show cost", "Tokens and money spent in this session", _cost),
    SlashCommand("context", "Show context", "How full the model's context window is, and when claw compacts", _context),
    SlashCommand("model", "Switch model", "Pick the model for the next turns", _model, argument_hint="[provider/model]", is_available=_has_agent),
    SlashCommand("resume", "Resume session", "Continue an earlier session (no id: the browser)", _resume, argument_hint="[id]"),
    SlashCommand("sessions", "Browse sessions", "Browse and search past sessions", _sessions),
    SlashCommand("init", "Write AGENTS.md", "Ask the model to write an AGENTS.md for this repository", _init, is_available=_has_agent),
    SlashCommand("memory", "Show memory files", "List the memory files (AGENTS.md, CLAUDE.md, CLAW.md) in use", _memory),
    SlashCommand("permissions", "Show permission rules", "List permission rules and where each comes from", _permissions),
    SlashCommand("mcp", "MCP servers", "Show MCP servers and their tools", _mcp),
    SlashCommand("agents", "Subagents", "Show the configured subagents", _agents),
    SlashCommand("tasks", "Show tasks", "Focus the task graph", _tasks, key="f5"),
    SlashCommand("schedule", "Scheduled prompts", "List, add or cancel prompts that run on a schedule while claw is idle", _schedule, argument_hint="[cancel ID | every 10m PROMPT | in 10m PROMPT]", is_available=_has_agent),
    SlashCommand("diff", "Session diff", "Show every file change of this session in the diff view", _diff),
    SlashCommand("undo", "Undo last change", "Undo the last turn's file changes", _undo),
    SlashCommand("rewind", "Rewind", "Rewind the conversation and files to an earlier point", _rewind),
    SlashCommand("theme", "Change theme", "Pick a theme (previews live, remembered)", _theme, argument_hint="[name]", over_modals=True),
    SlashCommand("export", "Export conversation", "Export the conversation as Markdown or JSONL", _export, argument_hint="[path]"),
    SlashCommand("status", "Status", "Working directory, model, permission mode, sandbox, config files", _status),
    SlashCommand("config", "Config files", "Show where claw reads its configuration", _config),
    SlashCommand("trust", "Trust this folder", "Let this folder's own hooks, servers and settings take effect", _trust),
    SlashCommand("exit", "Quit", "Quit claw", _exit, over_modals=True, key="ctrl+q", aliases=("quit",)),
)
