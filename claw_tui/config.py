"""Layered settings: defaults < user < project < local < environment < flags.

User config lives in the user config directory (`CLAW_CONFIG_DIR` overrides it), project
config in `.claw/config.toml`, personal overrides in `.claw/config.local.toml`. Claude Code's
`~/.claude/settings.json`, `.claude/settings.json` and `.claude/settings.local.json` are read
too (permission rules, extra directories, default mode, hooks, `env`, which project MCP servers
run); what else they hold is named in `LoadedConfig.ignored`, never dropped silently. Lists of
permission rules are gathered from every layer with their source, so a decision can say
which file its rule came from.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# The model a session uses unless config or --model names one: the catalog's current Sonnet (its `sonnet`
# alias in providers/catalog.toml, which a test keeps this equal to; config cannot import the catalog).
DEFAULT_MODEL = "anthropic/claude-sonnet-5-5"

PermissionMode = Literal["default", "acceptEdits", "plan", "bypassPermissions"]


class ProviderSettings(BaseModel):
    api_key: str | None = Field(default=None, repr=False)
    """Prefer the environment variable or the OS keyring; a key here is read but never shown."""
    base_url: str | None = None


class ProvidersSettings(BaseModel):
    anthropic: ProviderSettings = ProviderSettings()
    openai: ProviderSettings = ProviderSettings()
    local: ProviderSettings = ProviderSettings()
    """An OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio)."""


class PermissionSettings(BaseModel):
    mode: PermissionMode = "default"
    allow: list[str] = []
    ask: list[str] = []
    deny: list[str] = []
    additional_directories: list[str] = []
    """More workspace roots besides the launch directory."""


class SandboxSettings(BaseModel):
    enabled: bool = True
    """Run Bash under bubblewrap where the machine allows it."""
    network: bool = False
    """Let sandboxed commands reach the network."""
    protected_paths: bool = True
    """Keep `.git` internals, agent configuration and shell start-up files read-only to commands and
    ask before every write to them, in every mode. Only your own config (user file, environment,
    flags) can turn this off; a repository's setting is ignored."""


class HookCommand(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)  # Claude Code's other fields are named at start

    type: str = "command"
    """claw runs "command" hooks; Claude Code's "http", "prompt", "agent" and "mcp_tool" are named at start."""
    command: str | None = None
    timeout: float = 600.0
    run_async: bool = Field(default=False, alias="async")
    """Run in the background; the hook then decides nothing."""


class HookMatcher(BaseModel):
    matcher: str | None = ""
    """What the event is matched on (a tool's name for the tool events): empty or "*" is everything,
    `A|B` a list of exact names, anything else a regular expression."""
    hooks: list[HookCommand] = []


class McpSettings(BaseModel):
    """Which of a project's own servers (`.mcp.json`) run: Claude Code's `enableAllProjectMcpServers`,
    `enabledMcpjsonServers` and `disabledMcpjsonServers`. claw's `[mcp.servers.*]` tables are read
    by mcp/config.py."""

    model_config = ConfigDict(extra="ignore")

    enable_all_project_servers: bool | None = None
    enabled_project_servers: list[str] | None = None
    disabled_project_servers: list[str] = []


class CompactionSettings(BaseModel):
    auto: bool = True
    threshold: float = 0.85
    """Share of the model's context window at which auto-compaction runs."""


class BudgetSettings(BaseModel):
    session_usd: float | None = None
    """Warn near, and stop a turn at, this much spent in one session."""
    warn_at: float = 0.8


class AgentsSettings(BaseModel):
    max_concurrent: int = Field(default=4, ge=1)
    """Subagents that run at once; more Agent calls wait for a free slot."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = DEFAULT_MODEL
    max_tokens: int = 16384
    thinking_budget: int | None = None
    max_turns: int = 100
    theme: str = "claw-dark"
    providers: ProvidersSettings = ProvidersSettings()
    permissions: PermissionSettings = PermissionSettings()
    sandbox: SandboxSettings = SandboxSettings()
    hooks: dict[str, list[HookMatcher]] = {}
    disable_all_hooks: bool = False
    env: dict[str, str] = {}
    """Environment variables for the session: its commands, hooks, MCP servers and providers."""
    mcp: McpSettings = McpSettings()
    compaction: CompactionSettings = CompactionSettings()
    budget: BudgetSettings = BudgetSettings()
    agents: AgentsSettings = AgentsSettings()
    stream_idle_timeout: float = 90.0
    """Seconds without a byte from the model before the stream counts as stalled."""
    max_retries: int = 6
    retry_base_delay: float = 1.0
    """First backoff delay in seconds; it doubles per attempt (with jitter)."""
    max_retry_wait: float = 60.0
    """Longest claw waits before one retry; a longer retry-after ends the turn with a message."""
    lsp: dict[str, dict[str, Any]] | None = None
    """Language servers by language (command, extensions, settings); None = pylsp for Python if installed."""


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class RuleSource:
    behavior: Literal["allow", "ask", "deny"]
    rule: str
    source: str  # "user settings", "project settings", "local settings", "flags", "session"


@dataclass
class LoadedConfig:
    settings: Settings
    rules: list[RuleSource]
    files: list[Path]  # the files that were read, in order
    # What a project's own files asked for that runs code or redirects traffic, withheld until
    # the user trusts the folder: e.g. ["hooks from .claude/settings.json"].
    withheld: list[str] = field(default_factory=list)
    # Settings only the user's own config may set, found in a project's files and ignored.
    refused: list[str] = field(default_factory=list)
    # The layer ("user settings", "environment", "flags", "project settings"…) whose value won, for
    # the settings whose effect depends on who set them (see USER_ONLY and sandbox_off_by_user).
    set_by: dict[str, str] = field(default_factory=dict)
    # Claude Code settings claw does not honour, with the file: e.g. ["statusLine (~/.claude/settings.json)"].
    ignored: list[str] = field(default_factory=list)
    trusted: bool | None = None  # whether the project folder is trusted; None when nothing asked

    @property
    def sandbox_off_by_user(self) -> bool:
        """The sandbox is off because the user's own config says so (not a repository's)."""
        return not self.settings.sandbox.enabled and self.set_by.get("sandbox.enabled") in USER_LAYERS


# Settings a repository can carry that run code or send the user's keys elsewhere.
_NEEDS_TRUST = ("hooks", "providers", "lsp", "env")
# Layers that are the user's own, whatever folder claw runs in.
USER_LAYERS = ("Claude Code user settings", "user settings", "environment", "flags")
# Settings only those layers may set: a repository never loosens them, trusted or not.
USER_ONLY = ("sandbox.protected_paths",)
_SET_BY = ("sandbox.enabled", *USER_ONLY)


class FolderTrust:
    """Folders whose own configuration the user allowed to take effect (hooks, base URLs…)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or user_data_dir() / "trusted_folders.json"

    def _load(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [str(p) for p in data] if isinstance(data, list) else []

    def is_trusted(self, folder: Path) -> bool:
        folder = folder.resolve()
        return any(folder == Path(p) or folder.is_relative_to(p) for p in self._load())

    def trust(self, folder: Path) -> None:
        from claw_tui.core.private_files import write_private

        folders = sorted({*self._load(), str(folder.resolve())})
        write_private(self.path, json.dumps(folders, indent=2))


def trust_folder(folder: Path, *, name_servers: bool = True) -> list[str]:
    """Trust `folder` (`claw trust`, `/trust`); what its own files asked for that waited for it, and
    with `name_servers` the project's MCP servers (`.mcp.json`) that may now start (the app names
    instead the servers it starts)."""
    withheld = load_config(folder, trusted=False).withheld
    FolderTrust().trust(folder)
    if not name_servers:
        return withheld
    settings = load_config(folder, trusted=True).settings
    servers = [name for name in _mcp_json_servers(folder) if project_server_allowed(name, settings, True)]
    if servers:
        withheld.append(f"MCP servers {', '.join(servers)} from .mcp.json")
    return withheld


def project_server_allowed(name: str, settings: Settings, folder_trusted: bool) -> bool | None:
    """Whether a project's own MCP server may run without the user approving it by name: False when
    the settings disable it, True when they enable it (or the folder is trusted and they say
    nothing), None when it waits for the user (Claude Code's enableAllProjectMcpServers,
    enabledMcpjsonServers and disabledMcpjsonServers)."""
    mcp = settings.mcp
    if name in mcp.disabled_project_servers:
        return False
    if mcp.enable_all_project_servers:
        return True
    if mcp.enabled_project_servers is not None:
        return True if name in mcp.enabled_project_servers else None
    if mcp.enable_all_project_servers is False:
        return None
    return True if folder_trusted else None


def _mcp_json_servers(folder: Path) -> list[str]:
    try:
        data = json.loads((folder / ".mcp.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    return [str(name) for name in servers] if isinstance(servers, dict) else []


def user_config_dir() -> Path:
    if env := os.environ.get("CLAW_CONFIG_DIR"):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("claw"))


def user_data_dir() -> Path:
    if env := os.environ.get("CLAW_DATA_DIR"):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("claw"))


def secure_claw_dirs() -> None:
    """claw's data and config folders 0700 and what claw keeps in them 0600 (on every start,
    so an install made before claw cared is narrowed too)."""
    from claw_tui.core.private_files import private_dir, tighten

    data, config = user_data_dir(), user_config_dir()
    for folder in (data, config):
        try:
            private_dir(folder)
        except OSError:
            pass  # said where it matters: by whatever then fails to write there
    tighten((data, config))


def save_user_file(path: Path, text: str) -> None:
    """Write a file the user asked for; inside claw's own folders it is private (0600)."""
    from claw_tui.core.private_files import write_private

    if path.resolve().is_relative_to(user_config_dir().resolve()) or path.resolve().is_relative_to(
        user_data_dir().resolve()
    ):
        write_private(path, text)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def layer_files(project: Path) -> list[tuple[str, Path]]:
    """Every settings file, lowest precedence first. Claude Code's JSON files sit just below
    claw's TOML file of the same level, so an existing Claude Code setup works unchanged."""
    return [
        ("Claude Code user settings", Path.home() / ".claude" / "settings.json"),
        ("user settings", user_config_dir() / "config.toml"),
        ("Claude Code project settings", project / ".claude" / "settings.json"),
        ("project settings", project / ".claw" / "config.toml"),
        ("Claude Code local settings", project / ".claude" / "settings.local.json"),
        ("local settings", project / ".claw" / "config.local.toml"),
    ]


# Claude Code settings claw reads; `$schema` is only an editor's hint.
_CLAUDE_KEYS = {
    "permissions", "hooks", "env", "enableAllProjectMcpServers", "enabledMcpjsonServers", "disabledMcpjsonServers",
    "disableAllHooks", "$schema",
}
_CLAUDE_PERMISSION_KEYS = {"allow", "ask", "deny", "additionalDirectories", "defaultMode"}


def _from_claude_settings(data: Any) -> tuple[dict[str, Any], list[str]]:
    """The parts of a Claude Code settings.json claw understands, in claw's shape, and the names of
    the rest: permission rules, extra directories, the default mode (when claw has it), hooks,
    `env`, and which project MCP servers run."""
    if not isinstance(data, dict):
        return {}, []
    out: dict[str, Any] = {}
    ignored = [key for key in data if key not in _CLAUDE_KEYS]
    perms = data.get("permissions")
    if isinstance(perms, dict):
        mine: dict[str, Any] = {k: perms[k] for k in ("allow", "ask", "deny") if isinstance(perms.get(k), list)}
        if isinstance(perms.get("additionalDirectories"), list):
            mine["additional_directories"] = perms["additionalDirectories"]
        mode = perms.get("defaultMode")
        if mode in get_args(PermissionMode):
            mine["mode"] = mode
        elif mode is not None:  # "dontAsk", "auto"… are Claude Code's own
            ignored.append(f"permissions.defaultMode {mode}")
        ignored += [f"permissions.{key}" for key in perms if key not in _CLAUDE_PERMISSION_KEYS]
        out["permissions"] = mine
    hooks = data.get("hooks")
    if isinstance(hooks, dict):
        out["hooks"] = {
            event: [m for m in matchers if isinstance(m, dict)] for event, matchers in hooks.items()
            if isinstance(matchers, list)
        }
        foreign = [event for event, m in hooks.items() if not isinstance(m, list)]
        if foreign:
            ignored.append(f"hooks {', '.join(foreign)} (not in Claude Code's hook format)")
    if data.get("disableAllHooks") is True:
        out["disable_all_hooks"] = True
    if isinstance(data.get("env"), dict):
        out["env"] = {str(k): str(v) for k, v in data["env"].items()}
    mcp: dict[str, Any] = {}
    if isinstance(data.get("enableAllProjectMcpServers"), bool):
        mcp["enable_all_project_servers"] = data["enableAllProjectMcpServers"]
    for key, ours in (("enabledMcpjsonServers", "enabled_project_servers"),
                      ("disabledMcpjsonServers", "disabled_project_servers")):
        if isinstance(data.get(key), list):
            mcp[ours] = [str(name) for name in data[key]]
    if mcp:
        out["mcp"] = mcp
    return out, ignored


def _read_layer(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The layer in claw's shape, and the Claude Code settings in it that claw does not honour."""
    try:
        if path.suffix == ".json":
            return _from_claude_settings(json.loads(path.read_text(encoding="utf-8")))
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


ENV_PREFIX = "CLAW_"


def env_layer(environ: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    """Settings from the environment: CLAW_MODEL=…, CLAW_SANDBOX__ENABLED=false ("__" nests).

    A value that reads as a JSON list or table is one (CLAW_PERMISSIONS__ALLOW='["Bash(ls:*)"]');
    the rest are strings, which the settings' types convert ("false", "8"). Variables that name
    no setting, such as CLAW_CONFIG_DIR, are not settings and are left out.
    """
    layer: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.upper().startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        if not all(path) or path[0] not in Settings.model_fields:
            continue
        node = layer
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = _env_value(value)
    return layer


def _env_value(value: str) -> Any:
    if value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _untrusted_part(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What a project file may do before its folder is trusted, and the names of what waits.

    Anything that runs code, redirects keys or widens what runs without asking waits (hooks,
    providers, language servers, allow rules, extra roots, a permissive mode, a sandbox turned
    off or opened to the network); deny and ask rules, plan mode and a stricter sandbox apply at once.
    """
    kept = {k: v for k, v in data.items() if k not in _NEEDS_TRUST}
    waiting = [k for k in _NEEDS_TRUST if data.get(k)]
    perms = kept.get("permissions")
    if isinstance(perms, dict):
        perms = kept["permissions"] = dict(perms)
        for key in ("allow", "additional_directories"):
            if perms.pop(key, None):
                waiting.append(f"permissions.{key}")
        if perms.get("mode") not in (None, "default", "plan"):
            waiting.append(f"permissions.mode {perms.pop('mode')}")
    mcp = kept.get("mcp")
    if isinstance(mcp, dict):
        mcp = kept["mcp"] = dict(mcp)
        for key in ("enable_all_project_servers", "enabled_project_servers"):
            if mcp.pop(key, None):
                waiting.append(f"mcp.{key}")
    sandbox = kept.get("sandbox")
    if isinstance(sandbox, dict):
        sandbox = kept["sandbox"] = dict(sandbox)
        if sandbox.get("enabled") is False:
            waiting.append("sandbox.enabled false")
            del sandbox["enabled"]
        if sandbox.get("network") is True:
            waiting.append("sandbox.network true")
            del sandbox["network"]
    return kept, waiting


# Claude Code's --setting-sources names → the layers each stands for.
SETTING_SOURCES = {
    "user": ("Claude Code user settings", "user settings"),
    "project": ("Claude Code project settings", "project settings"),
    "local": ("Claude Code local settings", "local settings"),
}


def load_config(
    project: Path,
    flags: dict[str, Any] | None = None,
    *,
    trusted: bool | None = None,
    claude_settings: Any = None,
    sources: Collection[str] | None = None,
) -> LoadedConfig:
    """Read every layer; raise ConfigError naming the file and field on bad input.

    A project's own files may not run code (hooks, language servers), change where keys are sent
    (provider base URLs) or widen permissions until the folder is trusted (`_untrusted_part`);
    `trusted=None` asks FolderTrust. `claude_settings` is one more Claude Code settings object
    (Claude Code's --settings), read above the files; `sources` limits the files read to those
    layers of SETTING_SOURCES (Claude Code's --setting-sources).
    """
    merged: dict[str, Any] = {}
    rules: list[RuleSource] = []
    files: list[Path] = []
    layers: list[tuple[str, dict[str, Any]]] = []
    withheld: list[str] = []
    refused: list[str] = []
    ignored: list[str] = []
    project = project.resolve()
    wanted = None if sources is None else {layer for name in sources for layer in SETTING_SOURCES[name]}
    for source, path in layer_files(project):
        if not path.is_file() or (wanted is not None and source not in wanted):
            continue
        data, unused = _read_layer(path)
        files.append(path)
        if unused:
            ignored.append(f"{', '.join(unused)} ({_shown(path, project)})")
        if path.is_relative_to(project) and _untrusted_part(data)[1]:
            if trusted is None:
                trusted = FolderTrust().is_trusted(project)
            if not trusted:
                data, waiting = _untrusted_part(data)
                withheld.extend(f"{key} from {path.relative_to(project)}" for key in waiting)
        if path.is_relative_to(project):
            data, refused_here = _without_user_only(data)
            refused.extend(f"{key} from {path.relative_to(project)}" for key in refused_here)
        layers.append((source, data))
    if claude_settings is not None:
        data, unused = _from_claude_settings(claude_settings)
        if unused:
            ignored.append(f"{', '.join(unused)} (--settings)")
        layers.append(("--settings", data))
    if environment := env_layer(os.environ):
        layers.append(("environment", environment))
    if flags:
        layers.append(("flags", flags))
    hooks: dict[str, list[Any]] = {}
    for source, data in layers:
        perms = data.get("permissions", {})
        for behavior in ("allow", "ask", "deny"):
            for rule in perms.get(behavior, []) or []:
                rules.append(RuleSource(behavior, str(rule), source))
        layer_hooks = data.get("hooks")
        if isinstance(layer_hooks, dict):  # hooks add up across layers, as in Claude Code
            for event, matchers in layer_hooks.items():
                hooks.setdefault(event, []).extend(matchers if isinstance(matchers, list) else [matchers])
        merged = _merge(merged, data)
    if hooks:
        merged["hooks"] = hooks
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        where = ", ".join([*(str(f) for f in files), *(["environment"] if environment else [])]) or "settings"
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{where}: {loc}: {first['msg']}") from None
    set_by = {key: source for source, data in layers for key in _SET_BY if _has(data, key)}
    return LoadedConfig(settings=settings, rules=rules, files=files, withheld=withheld, refused=refused,
                        set_by=set_by, ignored=ignored, trusted=trusted)


def _has(data: dict[str, Any], dotted: str) -> bool:
    node: Any = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _without_user_only(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A project layer without the settings only the user's own config may set, and their names."""
    found = [key for key in USER_ONLY if _has(data, key)]
    if not found:
        return data, []
    data = dict(data)
    for key in found:
        section, name = key.split(".")
        data[section] = {k: v for k, v in data[section].items() if k != name}
    return data, found


def _shown(path: Path, project: Path) -> str:
    if path.is_relative_to(project):
        return str(path.relative_to(project))
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)
