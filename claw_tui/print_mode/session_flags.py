"""What Claude Code's session flags mean, read once for print mode and the app alike: the config layer
they add (`--add-dir`, `--settings`, `--max-budget-usd`…), the permission rules (`--allowed-tools`,
`--tools`…), the system prompt's text and the session's agents. Light to import: the app reads them
before its first frame."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claw_tui.config import LoadedConfig
    from claw_tui.engine.agent_defs import AgentDef


class CliError(Exception):
    """A one-line error for the user; exit code 1."""


def config_from_flags(args: argparse.Namespace, cwd: Path, model: str | None) -> LoadedConfig:
    from claw_tui.config import SETTING_SOURCES, ConfigError, load_config

    flags: dict[str, Any] = {}
    if args.max_turns is not None:
        flags["max_turns"] = args.max_turns
    if model:
        flags["model"] = model
    if args.add_dir:
        flags["permissions"] = {"additional_directories": [_folder(d) for d in args.add_dir]}
    if args.max_budget_usd is not None:
        flags["budget"] = {"session_usd": args.max_budget_usd}
    if args.max_thinking_tokens is not None:
        flags["thinking_budget"] = args.max_thinking_tokens or None
    sources = None
    if args.setting_sources is not None:
        sources = [s.strip() for s in args.setting_sources.split(",") if s.strip()]
        unknown = [s for s in sources if s not in SETTING_SOURCES]
        if unknown:
            raise CliError(f"--setting-sources takes {', '.join(SETTING_SOURCES)}; not {', '.join(unknown)}")
    try:
        return load_config(cwd, flags=flags or None, claude_settings=_settings(args.settings), sources=sources)
    except ConfigError as exc:
        raise CliError(f"bad configuration: {exc}") from None


def _folder(value: str) -> str:
    """An --add-dir folder, which must be one: a path that is not (often the prompt, taken as one more
    folder by `--add-dir DIR…`) would otherwise fail every sandboxed command later."""
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise CliError(f"--add-dir {value}: not a folder (a prompt after --add-dir goes after `--`)")
    return str(path)


def _settings(value: str | None) -> Any:
    """--settings: JSON text, or a file holding it."""
    import json  # here: `claw --version` loads this module

    if value is None:
        return None
    try:
        return json.loads(_json_text(value, "--settings"))
    except ValueError as exc:
        raise CliError(f"--settings {value[:60]}: not valid JSON ({exc})") from None


def _json_text(value: str, flag: str) -> str:
    """A flag's JSON: the text given, or the file it names."""
    if value.lstrip().startswith("{"):
        return value
    try:
        return Path(value).expanduser().read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CliError(f"{flag} {value}: {exc.strerror or exc}") from None


def permission_mode(args: argparse.Namespace) -> str | None:
    """--permission-mode, or bypassPermissions for --dangerously-skip-permissions (an explicit mode wins)."""
    if args.dangerously_skip_permissions and args.permission_mode is None:
        return "bypassPermissions"
    return args.permission_mode


def text_or_file(text: str | None, path: str | None, flag: str) -> str | None:
    if path is None:
        return text
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{flag}-file {path}: {exc.strerror or exc}") from None


def parse_agents(value: str) -> list[AgentDef]:
    """--agents JSON (or a file holding it): {"name": {"description", "prompt", "tools"?, "model"?}}."""
    import json

    from claw_tui.engine.agent_defs import AgentDef, as_list

    try:
        data = json.loads(_json_text(value, "--agents"))
    except ValueError as exc:
        raise CliError(f"--agents is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CliError('--agents takes a JSON object: {"name": {"description": …, "prompt": …}}')
    agents = []
    for name, spec in data.items():
        if not isinstance(spec, dict) or not spec.get("description") or not spec.get("prompt"):
            raise CliError(f"--agents: agent {name!r} needs a description and a prompt")
        model = spec.get("model")
        agents.append(AgentDef(
            name=str(name),
            description=str(spec["description"]),
            system_prompt=str(spec["prompt"]),
            tools=tuple(as_list(spec["tools"])) if spec.get("tools") is not None else None,
            model=None if model in (None, "inherit") else str(model),
            source="--agents",
        ))
    return agents


def split_rules(values: list[str]) -> list[str]:
    """Accept rules space- or comma-separated, keeping commas inside parentheses."""
    rules: list[str] = []
    for value in values:
        depth, current = 0, ""
        for ch in value:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
            if ch in ", " and depth == 0:
                if current:
                    rules.append(current)
                current = ""
            else:
                current += ch
        if current:
            rules.append(current)
    return rules


def rules_from_flags(args: argparse.Namespace) -> list[tuple[str, str]]:
    rules = [("allow", r) for r in split_rules(args.allowed_tools)]
    rules += [("deny", r) for r in split_rules(args.disallowed_tools)]
    if args.tools is not None:
        rules += [("deny", name) for name in _tools_left_out(args.tools)]
    return rules


def _tools_left_out(values: list[str]) -> list[str]:
    """--tools: the built-in tools not named ("default" keeps them all, "" none)."""
    from claw_tui.engine.toolset import builtin_tools

    named = set(split_rules(values))
    if "default" in named:
        return []
    builtins = [t.name for t in builtin_tools()]
    unknown = sorted(named - set(builtins))
    if unknown:
        raise CliError(f"--tools: no built-in tool named {', '.join(unknown)} (claw has {', '.join(builtins)})")
    return [name for name in builtins if name not in named]
