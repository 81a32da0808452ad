"""The user's own slash commands and skills, run as `/name args` from any front end.

Claude Code reads Markdown commands from `~/.claude/commands/` and `.claude/commands/`; claw also
from `<user config>/commands/` and `.claw/commands/`. A file in a subfolder is namespaced by its
folders, as in Claude Code: `.claude/commands/frontend/component.md` is `/frontend:component`.
The file's optional front matter gives `description`, `argument-hint` and `arguments` (names for
the positional arguments); its body is the prompt. Skills (skills.py) are commands too: `/name`
runs one, and a skill wins over a command of the same name, as in Claude Code. Project files
override the user's.

Expanding follows Claude Code's substitutions (command_arguments.py).

Discovery reads only front matter and never imports a front end: the app lists these next to
its own commands, print mode expands `claw -p "/name args"`, the ACP server offers them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from claw_tui.engine.command_arguments import fill_arguments
from claw_tui.engine.frontmatter import FrontmatterError, as_hint, as_list, as_text, parse_frontmatter

if TYPE_CHECKING:
    from claw_tui.core.transcript import Message
    from claw_tui.engine.skills import Skill

# Claude Code's command fields that change behaviour and that claw does not honour (yet).
UNHONOURED_FIELDS = ("allowed-tools", "model", "context", "agent", "hooks", "effort")
_INVOCATION = re.compile(r"^/([^\s/]+)(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class CommandPrompt:
    """A slash command expanded into what the model gets; hooks (UserPromptExpansion) see which it was."""

    typed: str  # what the user typed, "/review a.py": what front ends show
    prompt: str | Message  # what the model gets
    command: str  # "review", "frontend:component", "server:prompt"
    args: str
    source: Literal["command", "skill", "mcp"] = "command"


@dataclass(frozen=True)
class UserCommand:
    name: str  # without the slash: "review", "frontend:component"
    description: str
    path: Path
    scope: Literal["user", "project"]
    kind: Literal["command", "skill"] = "command"
    argument_hint: str = ""
    argument_names: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()  # Claude Code fields claw does not honour
    skill: Skill | None = None

    @property
    def where(self) -> str:
        """Claude Code's label for where it comes from: "project", "user:frontend"."""
        namespace = self.name.rpartition(":")[0] if self.kind == "command" else ""
        return f"{self.scope}:{namespace}" if namespace else self.scope

    def render(self, args: str, *, session_id: str = "") -> str:
        """The prompt for `/name args`, read from the file now (it may have changed)."""
        if self.skill is not None:
            from claw_tui.engine.skills import render_skill

            return render_skill(self.skill, args, session_id=session_id)
        _, body = parse_frontmatter(self.path.read_text(encoding="utf-8"))
        return fill_arguments(body.strip(), args, names=self.argument_names, session_id=session_id)

    def invocation(self, args: str, *, session_id: str = "") -> CommandPrompt:
        typed = f"/{self.name} {args}".rstrip()
        return CommandPrompt(typed, self.render(args, session_id=session_id), self.name, args, self.kind)


@dataclass
class CommandCatalog:
    commands: dict[str, UserCommand] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # files that could not be used, and why

    def get(self, name: str) -> UserCommand | None:
        return self.commands.get(name.lstrip("/"))

    def expand(self, text: str, *, session_id: str = "") -> CommandPrompt | None:
        """`/name args` as the command's prompt; None when `text` names no user command or skill.

        Raises CommandError when the file cannot be read any more.
        """
        parsed = parse_invocation(text)
        command = self.get(parsed[0]) if parsed else None
        if parsed is None or command is None:
            return None
        try:
            return command.invocation(parsed[1], session_id=session_id)
        except (OSError, UnicodeDecodeError, FrontmatterError, ValueError) as exc:
            raise CommandError(f"/{command.name}: {command.path} cannot be read ({exc})") from None


class CommandError(Exception):
    """A command that cannot be expanded; the message names the file."""


def parse_invocation(text: str) -> tuple[str, str] | None:
    """("frontend:component", "Button") from "/frontend:component Button"; None for other text
    (a path such as "/usr/bin/env is broken" is not an invocation)."""
    match = _INVOCATION.match(text.strip())
    if match is None:
        return None
    return match.group(1), (match.group(2) or "").strip()


def command_dirs(cwd: Path, user_dir: Path | None = None) -> list[tuple[Literal["user", "project"], Path]]:
    """Where command files live, lowest priority first."""
    if user_dir is None:
        from claw_tui.config import user_config_dir

        user_dir = user_config_dir()
    return [
        ("user", Path.home() / ".claude" / "commands"),
        ("user", user_dir / "commands"),
        ("project", cwd / ".claude" / "commands"),
        ("project", cwd / ".claw" / "commands"),
    ]


def load_user_commands(cwd: Path, user_dir: Path | None = None) -> CommandCatalog:
    """Every user command and user-invocable skill by name, and the files that could not be used."""
    from claw_tui.engine.skills import scan_skills

    catalog = CommandCatalog()
    for scope, root in command_dirs(cwd, user_dir):
        if not root.is_dir():
            continue
        for path in _markdown_files(root):
            try:
                command = load_command_file(path, root, scope)
            except CommandError as exc:
                catalog.problems.append(str(exc))
                continue
            catalog.commands[command.name] = command
    skills, problems = scan_skills(cwd, user_dir)
    catalog.problems += problems
    for skill in skills:
        if not skill.user_invocable:
            continue
        skill_scope: Literal["user", "project"] = "user" if skill.source == "user" else "project"
        for name in dict.fromkeys((skill.name, skill.folder)):
            catalog.commands[name] = UserCommand(
                name=name,
                description=skill.description,
                path=skill.path,
                scope=skill_scope,
                kind="skill",
                argument_hint=skill.argument_hint,
                ignored=skill.ignored,
                skill=skill,
            )
    return catalog


def load_command_file(path: Path, root: Path, scope: Literal["user", "project"]) -> UserCommand:
    try:
        meta, body = parse_frontmatter(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot be read ({exc})") from None
    except FrontmatterError as exc:
        raise CommandError(f"{path}: {exc}") from None
    rel = path.relative_to(root).with_suffix("")
    first_line = next((line.strip("# ").strip() for line in body.splitlines() if line.strip()), "")
    ignored = [f for f in UNHONOURED_FIELDS if meta.get(f) not in (None, "", [], {})]
    if "!`" in body:
        ignored.append("!`command` lines")
    return UserCommand(
        name=":".join(rel.parts),
        description=as_text(meta.get("description")) or first_line[:100] or "user command",
        path=path,
        scope=scope,
        argument_hint=as_hint(meta.get("argument-hint")),
        argument_names=tuple(as_list(meta.get("arguments"))),
        ignored=tuple(ignored),
    )


def _markdown_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*.md")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
