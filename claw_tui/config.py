"""Layered settings: defaults < user < project < local < environment < flags.

User config lives in the user config directory (`CLAW_CONFIG_DIR` overrides it), project
config in `.claw/config.toml`, personal overrides in `.claw/config.local.toml`. Claude Code's
`~/.claude/settings.json`, `.claude/settings.json` and `.claude/settings.local.json` are read
too (permission rules, extra directories, default mode, command hooks). Lists of
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


class HookCommand(BaseModel):
    type: Literal["command"] = "command"
    command: str
    timeout: float = 60.0


class HookMatcher(BaseModel):
    matcher: str = ""
    """Tool name pattern (regex; empty or "*" matches every tool)."""
    hooks: list[HookCommand] = []


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

    model: str = "anthropic/claude-sonnet-4-6"
    max_tokens: int = 16384
    thinking_budget: int | None = None
    max_turns: int = 100
    theme: str = "claw-dark"
    providers: ProvidersSettings = ProvidersSettings()
    permissions: PermissionSettings = PermissionSettings()
    sandbox: SandboxSettings = SandboxSettings()
    hooks: dict[str, list[HookMatcher]] = {}
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


# Settings a repository can carry that run code or send the user's keys elsewhere.
_NEEDS_TRUST = ("hooks", "providers", "lsp")


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
        folders = sorted({*self._load(), str(folder.resolve())})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(folders, indent=2), encoding="utf-8")
        tmp.replace(self.path)


def trust_folder(folder: Path) -> list[str]:
    """Trust `folder` (`claw trust`, `/trust`); what its own files asked for that waited for it."""
    withheld = load_config(folder, trusted=False).withheld
    FolderTrust().trust(folder)
    return withheld


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


def _from_claude_settings(data: Any) -> dict[str, Any]:
    """The parts of a Claude Code settings.json claw understands, in claw's shape: permission
    rules, extra directories, the default mode (when claw has it) and command hooks."""
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    perms = data.get("permissions")
    if isinstance(perms, dict):
        mine: dict[str, Any] = {k: perms[k] for k in ("allow", "ask", "deny") if isinstance(perms.get(k), list)}
        if isinstance(perms.get("additionalDirectories"), list):
            mine["additional_directories"] = perms["additionalDirectories"]
        if perms.get("defaultMode") in get_args(PermissionMode):  # "dontAsk", "auto"… are Claude Code's own
            mine["mode"] = perms["defaultMode"]
        out["permissions"] = mine
    hooks = data.get("hooks")
    if isinstance(hooks, dict):
        out["hooks"] = {
            event: [
                {**m, "hooks": [h for h in m.get("hooks", []) if isinstance(h, dict) and h.get("type") == "command"]}
                for m in matchers
                if isinstance(m, dict)
            ]
            for event, matchers in hooks.items()
            if isinstance(matchers, list)
        }
    return out


def _read_layer(path: Path) -> dict[str, Any]:
    try:
        if path.suffix == ".json":
            return _from_claude_settings(json.loads(path.read_text(encoding="utf-8")))
        return tomllib.loads(path.read_text(encoding="utf-8"))
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
    project = project.resolve()
    wanted = None if sources is None else {layer for name in sources for layer in SETTING_SOURCES[name]}
    for source, path in layer_files(project):
        if not path.is_file() or (wanted is not None and source not in wanted):
            continue
        data = _read_layer(path)
        files.append(path)
        if path.is_relative_to(project) and _untrusted_part(data)[1]:
            if trusted is None:
                trusted = FolderTrust().is_trusted(project)
            if not trusted:
                data, waiting = _untrusted_part(data)
                withheld.extend(f"{key} from {path.relative_to(project)}" for key in waiting)
        layers.append((source, data))
    if claude_settings is not None:
        layers.append(("--settings", _from_claude_settings(claude_settings)))
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
    return LoadedConfig(settings=settings, rules=rules, files=files, withheld=withheld)
