"""Agent types a subagent can be: the built-ins and the user's own Markdown files.

Custom agents are Claude Code's format, so an existing `.claude/agents/` works as it is: a
Markdown file whose frontmatter gives `name`, `description`, `tools` (a comma list or a YAML
list; absent = every tool a subagent may have) and `model` (an id, an alias such as `sonnet`,
or `inherit`); the body is the agent's system prompt. Later directories override earlier
ones by name: built-ins < user < `.claude/agents` < `.claw/agents`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    @property
    def editable(self) -> bool:
        return self.path is not None

    def allows(self, tool_name: str) -> bool:
        if tool_name in NEVER_FOR_SUBAGENTS:
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


# --- frontmatter ------------------------------------------------------------------------


def parse_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML-ish header between leading `---` lines, and the body after it.

    Handles what agent and skill files use: `key: value` scalars (quoted or not), inline
    lists `[a, b]`, block lists (`- a` lines) and block scalars (`|`, `>`). Raises
    ValueError for an unclosed header or a line that is none of these.
    """
    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines()
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ValueError("the frontmatter has no closing '---' line") from None
    meta: dict[str, Any] = {}
    key: str | None = None
    block: list[str] | None = None  # lines of a | or > scalar
    folded = False
    for number, line in enumerate(lines[1:end], start=2):
        stripped = line.strip()
        indented = line[:1] in (" ", "\t")
        if block is not None and (indented or not stripped):
            block.append(stripped)
            continue
        if block is not None and key is not None:
            meta[key] = _join_block(block, folded)
            block = None
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- ") or stripped == "-":
            if key is None or not isinstance(meta.get(key), list):
                raise ValueError(f"line {number}: a list item without a key above it")
            meta[key].append(_scalar(stripped[1:].strip()))
            continue
        name, sep, value = stripped.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_-]+", name.strip()):
            raise ValueError(f"line {number}: expected 'key: value', got {stripped!r}")
        key, value = name.strip(), value.strip()
        if value in ("|", ">", "|-", ">-", "|+", ">+"):
            block, folded = [], value.startswith(">")
        elif value == "":
            meta[key] = []  # a block list may follow; an empty value stays an empty list
        elif value.startswith("[") and value.endswith("]"):
            meta[key] = [_scalar(v.strip()) for v in value[1:-1].split(",") if v.strip()]
        else:
            meta[key] = _scalar(value)
    if block is not None and key is not None:
        meta[key] = _join_block(block, folded)
    return meta, "\n".join(lines[end + 1 :]).strip("\n") + "\n"


def _scalar(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()


def _join_block(lines: list[str], folded: bool) -> str:
    while lines and not lines[-1]:
        lines.pop()
    return " ".join(line for line in lines if line) if folded else "\n".join(lines)


def as_list(value: Any) -> list[str]:
    """A frontmatter list given as a YAML list or a comma-separated string."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


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


def load_agent_file(path: Path, source: str = "project (.claw/agents)") -> AgentDef:
    """One agent file; AgentDefError saying what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentDefError(f"{path}: cannot be read ({exc})") from None
    try:
        meta, body = parse_frontmatter(text)
    except ValueError as exc:
        raise AgentDefError(f"{path}: {exc}") from None
    if not meta:
        raise AgentDefError(f"{path}: no frontmatter; it needs at least 'name' and 'description'")
    name = str(meta.get("name") or "").strip()
    description = str(meta.get("description") or "").strip()
    if not name or not description:
        raise AgentDefError(f"{path}: the frontmatter needs both 'name' and 'description'")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise AgentDefError(f"{path}: name {name!r} may hold only letters, digits, '-', '_' and '.'")
    tools = None if "tools" not in meta else tuple(as_list(meta["tools"]))
    model = str(meta.get("model") or "").strip() or None
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
    )


def scan_agents(cwd: Path, user_dir: Path | None = None) -> tuple[list[AgentDef], list[str]]:
    """Every agent type by name (later sources win), and the files that could not be used."""
    found: dict[str, AgentDef] = {a.name: a for a in BUILTIN_AGENTS}
    problems: list[str] = []
    for source, directory in agent_dirs(cwd, user_dir):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.md")):
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
    directory.mkdir(parents=True, exist_ok=True)
    path = agent.path if agent.path is not None and agent.path.parent == directory else directory / f"{agent.name}.md"
    path.write_text(render_agent_file(agent), encoding="utf-8")
    return path


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if text[:1] in "\"'[{>|&*!%@`#" or ": " in text or text.endswith(":"):
        return '"' + text.replace('"', "'") + '"'
    return text
