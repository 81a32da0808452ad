"""Agent types a subagent can be: the built-ins and the user's own Markdown files.

Custom agents are Claude Code's format, so an existing `.claude/agents/` works as it is: a
Markdown file whose front matter gives `name`, `description`, `tools` (a comma list or a YAML
list; absent = every tool a subagent may have), `disallowedTools` and `model` (an id, an alias
such as `sonnet`, or `inherit`); the body is the agent's system prompt. As in Claude Code, files
in subfolders count too (the name comes from the front matter, not the folder). Later
directories override earlier ones by name: built-ins < user < `.claude/agents` < `.claw/agents`.
Front-matter fields Claude Code has and claw does not honour are kept in `ignored`, so the
session can name them once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from claw_tui.engine.frontmatter import FrontmatterError, as_list, as_text, parse_frontmatter

# The tools no subagent gets: it cannot spawn agents, switch the session's mode or worktree,
# or stop to question the user (the parent talks to the user).
NEVER_FOR_SUBAGENTS = frozenset(
    {"Agent", "SendMessage", "EnterWorktree", "ExitWorktree", "EnterPlanMode", "ExitPlanMode", "AskUserQuestion"}
)
EXPLORE_TOOLS = ("Read", "Glob", "Grep", "LSP", "WebFetch", "WebSearch", "TaskGet", "TaskList", "Skill")

GENERAL_PROMPT = """You are a subagent of claw, a coding agent: the main agent gave you one task.
Do it fully with the tools you have, then reply with a concise report of what you found or
changed (files as path:line). Your final message is all the main agent sees of your work."""

EXPLORE_PROMPT = """You are an Explore subagent of claw: a fast, read-only searcher. Find what the
task asks for with Glob, Grep and Read (search broadly first, then read what matters). You
cannot change files. Reply with a concise report: the relevant files as path:line and what
each holds."""


class AgentDefError(ValueError):
    """An agent file claw cannot use; the message names the file and the problem."""


@dataclass(frozen=True)
class AgentDef:
    name: str
    description: str
    system_prompt: str
    tools: tuple[str, ...] | None = None  # None: every tool a subagent may have
    model: str | None = None  # None or "inherit": the parent's model
    source: str = "built-in"  # "built-in", "user", "project (.claude/agents)", "project (.claw/agents)"
    path: Path | None = None
    disallowed: tuple[str, ...] = ()  # `disallowedTools`
    ignored: tuple[str, ...] = ()  # Claude Code fields claw does not honour, e.g. ("permissionMode",)

    @property
    def editable(self) -> bool:
        return self.path is not None

    def allows(self, tool_name: str) -> bool:
        if tool_name in NEVER_FOR_SUBAGENTS or tool_name in self.disallowed:
            return False
        return self.tools is None or tool_name in self.tools


BUILTIN_AGENTS = (
    AgentDef(
        name="general-purpose",
        description=(
            "General-purpose agent for researching complex questions, searching for code, and executing "
            "multi-step tasks. Use it when a search may take several rounds or a task can run on its own."
        ),
        system_prompt=GENERAL_PROMPT,
    ),
    AgentDef(
        name="Explore",
        description=(
            "Fast read-only agent for exploring codebases: finding files by pattern, searching code for "
            "keywords, answering questions about how the code works. It cannot edit files."
        ),
        system_prompt=EXPLORE_PROMPT,
        tools=EXPLORE_TOOLS,
    ),
)


# --- loading ----------------------------------------------------------------------------


def agent_dirs(cwd: Path, user_dir: Path | None = None) -> list[tuple[str, Path]]:
    """Where agent files live, lowest priority first, with the source each stands for."""
    if user_dir is None:
        from claw_tui.config import user_config_dir

        user_dir = user_config_dir()
    return [
        ("user", Path.home() / ".claude" / "agents"),
        ("user", user_dir / "agents"),
        ("project (.claude/agents)", cwd / ".claude" / "agents"),
        ("project (.claw/agents)", cwd / ".claw" / "agents"),
    ]


# Claude Code's agent fields that change behaviour and that claw does not honour (yet); `color`
# only paints Claude Code's own UI.
UNHONOURED_FIELDS = (
    "permissionMode", "skills", "hooks", "mcpServers", "memory", "maxTurns", "background", "effort",
    "isolation", "initialPrompt",
)


def load_agent_file(path: Path, source: str = "project (.claw/agents)") -> AgentDef:
    """One agent file; AgentDefError saying what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentDefError(f"{path}: cannot be read ({exc})") from None
    try:
        meta, body = parse_frontmatter(text)
    except FrontmatterError as exc:
        raise AgentDefError(f"{path}: {exc}") from None
    if not meta:
        raise AgentDefError(f"{path}: no frontmatter; it needs at least 'name' and 'description'")
    name = as_text(meta.get("name"))
    description = str(meta.get("description") or "").strip()
    if not name or not description:
        raise AgentDefError(f"{path}: the frontmatter needs both 'name' and 'description'")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise AgentDefError(f"{path}: name {name!r} may hold only letters, digits, '-', '_' and '.'")
    tools = None if "tools" not in meta else tuple(as_list(meta["tools"]))
    model = as_text(meta.get("model")) or None
    if not body.strip():
        raise AgentDefError(f"{path}: the body (the agent's system prompt) is empty")
    return AgentDef(
        name=name,
        description=description,
        system_prompt=body.strip(),
        tools=tools,
        model=None if model == "inherit" else model,
        source=source,
        path=path,
        disallowed=tuple(as_list(meta.get("disallowedTools"))),
        ignored=tuple(f for f in UNHONOURED_FIELDS if meta.get(f) not in (None, "", [], {})),
    )


def agent_files(directory: Path) -> list[Path]:
    """The agent files under `directory`, subfolders included (hidden ones left out), in a stable order."""
    return sorted(
        p for p in directory.rglob("*.md")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )


def scan_agents(cwd: Path, user_dir: Path | None = None) -> tuple[list[AgentDef], list[str]]:
    """Every agent type by name (later sources win), and the files that could not be used."""
    found: dict[str, AgentDef] = {a.name: a for a in BUILTIN_AGENTS}
    problems: list[str] = []
    for source, directory in agent_dirs(cwd, user_dir):
        if not directory.is_dir():
            continue
        for path in agent_files(directory):
            try:
                agent = load_agent_file(path, source)
            except AgentDefError as exc:
                problems.append(str(exc))
                continue
            found[agent.name] = agent
    return list(found.values()), problems


def list_agents(cwd: Path, user_dir: Path | None = None) -> list[AgentDef]:
    """The agent types for `/agents` and the Agent tool: built-ins first, then the user's."""
    return scan_agents(cwd, user_dir)[0]


def describe_types(description: str, agents: list[AgentDef]) -> str:
    """The Agent tool's description with the available agent types listed, as Claude Code does."""
    lines = [f"- {a.name}: {a.description} (Tools: {', '.join(a.tools) if a.tools is not None else 'all'})"
             for a in agents]
    return description + "\n\nAvailable agent types:\n" + "\n".join(lines)


def find_agent(agents: list[AgentDef], name: str) -> AgentDef:
    """The agent type called `name` (case-insensitive); AgentDefError listing the known ones."""
    for agent in agents:
        if agent.name == name:
            return agent
    for agent in agents:
        if agent.name.lower() == name.lower():
            return agent
    known = ", ".join(a.name for a in agents)
    raise AgentDefError(f"No agent type {name!r}. Available agent types: {known}.")


def render_agent_file(agent: AgentDef) -> str:
    """The Markdown file for an agent, as `/agents` saves it."""
    lines = ["---", f"name: {agent.name}", f"description: {_quote(agent.description)}"]
    if agent.tools is not None:
        lines.append(f"tools: {', '.join(agent.tools)}")
    lines.append(f"model: {agent.model or 'inherit'}")
    lines += ["---", "", agent.system_prompt.strip(), ""]
    return "\n".join(lines)


def save_agent(agent: AgentDef, directory: Path) -> Path:
    """Write `agent` as `<directory>/<name>.md` (replacing an older version) and return the path."""
    from claw_tui.config import save_user_file

    path = agent.path if agent.path is not None and agent.path.parent == directory else directory / f"{agent.name}.md"
    save_user_file(path, render_agent_file(agent))
    return path


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if text[:1] in "\"'[{>|&*!%@`#" or ": " in text or text.endswith(":") or "\\" in text:
        return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    return text
