"""Where MCP servers are declared, and which of them may run.

claw reads the files a Claude Code user already has (`.mcp.json` with `mcpServers`,
`~/.claude.json`) plus its own TOML (`[mcp.servers.<name>]`), in three scopes: user, project
and local. A later scope wins on a name clash (user < project < local < --mcp-config).
Servers declared by the project (files that come with a cloned repository) run only after the
user trusts them once; the trust is remembered per project path and per server definition, so
a changed command asks again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

TransportName = Literal["stdio", "sse", "http", "ws"]
Scope = Literal["user", "project", "local", "flag"]

_TYPE_ALIASES: dict[str, TransportName] = {
    "stdio": "stdio",
    "sse": "sse",
    "http": "http",
    "streamable-http": "http",
    "streamable_http": "http",
    "ws": "ws",
    "websocket": "ws",
}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class McpConfigError(Exception):
    """A server definition that cannot be used; the message names the file and server."""


@dataclass(frozen=True)
class ServerConfig:
    """One server as declared, after `${VAR}` expansion."""

    name: str
    transport: TransportName
    scope: Scope
    source: str  # the file (or "--mcp-config") that declared it
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    enabled: bool = True
    timeout: float | None = None  # seconds per tool call; None uses the manager's default
    oauth_scope: str | None = None
    # Why the definition cannot be used (bad field, unset variable); the server shows as failed.
    error: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fingerprint(self) -> str:
        """What trust is granted to: the definition as written, so edits need trust again."""
        blob = json.dumps({"name": self.name, **self.raw}, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def needs_trust(self) -> bool:
        return self.scope == "project"


def file_stem(server: str) -> str:
    """A server name made safe as a file name (logs, tokens)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", server) or "_"


def expand_vars(value: str, env: dict[str, str] | None = None) -> str:
    """Expand `${VAR}` and `${VAR:-default}`; an unset variable without a default is an error."""
    env = dict(os.environ) if env is None else env

    def sub(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env and (env[name] != "" or default is None):
            return env[name]
        if default is not None:
            return default
        raise McpConfigError(f"environment variable ${{{name}}} is not set")

    return _VAR.sub(sub, value)


def _str_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(v, str | int | float | bool) for v in value.values()
    ):
        raise McpConfigError(f"{what} must be a table of strings")
    return {str(k): expand_vars(str(v)) for k, v in value.items()}


def parse_server(name: str, raw: Any, *, scope: Scope, source: str) -> ServerConfig:
    """Build one ServerConfig; a bad definition comes back with `error` set instead of raising."""
    try:
        if not isinstance(raw, dict):
            raise McpConfigError("a server must be a table/object")
        kind = raw.get("type") or raw.get("transport")
        if kind is None:
            kind = "stdio" if "command" in raw else "http" if "url" in raw else None
        if kind is None:
            raise McpConfigError("needs `command` (stdio) or `url` with `type` (http, sse, ws)")
        transport = _TYPE_ALIASES.get(str(kind).lower())
        if transport is None:
            raise McpConfigError(f"unknown type {kind!r} (use stdio, http, sse or ws)")
        timeout = raw.get("timeout")
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise McpConfigError("`timeout` must be a positive number of seconds")
        common: dict[str, Any] = {
            "name": name,
            "transport": transport,
            "scope": scope,
            "source": source,
            "enabled": not raw.get("disabled", False) and bool(raw.get("enabled", True)),
            "timeout": float(timeout) if timeout is not None else None,
            "raw": raw,
        }
        if transport == "stdio":
            command = raw.get("command")
            args = raw.get("args", [])
            if not isinstance(command, str) or not command:
                raise McpConfigError("a stdio server needs `command`")
            if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
                raise McpConfigError("`args` must be a list of strings")
            cwd = raw.get("cwd")
            return ServerConfig(
                command=expand_vars(command),
                args=tuple(expand_vars(a) for a in args),
                env=_str_map(raw.get("env"), "`env`"),
                cwd=expand_vars(cwd) if isinstance(cwd, str) else None,
                **common,
            )
        url = raw.get("url")
        if not isinstance(url, str) or not url:
            raise McpConfigError(f"a {transport} server needs `url`")
        oauth = raw["oauth"] if isinstance(raw.get("oauth"), dict) else {}
        return ServerConfig(
            url=expand_vars(url),
            headers=_str_map(raw.get("headers"), "`headers`"),
            oauth_scope=oauth.get("scope"),
            **common,
        )
    except McpConfigError as exc:
        return ServerConfig(
            name=name, transport="stdio", scope=scope, source=source, error=f"{source}: {name}: {exc}", raw={}
        )


def _servers_from(table: Any, *, scope: Scope, source: str) -> list[ServerConfig]:
    if not isinstance(table, dict):
        return [
            ServerConfig(
                name="?", transport="stdio", scope=scope, source=source, error=f"{source}: not a table"
            )
        ]
    return [parse_server(str(name), raw, scope=scope, source=source) for name, raw in table.items()]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise McpConfigError(f"{path}: {exc}") from None


def _from_mcp_json(path: Path, scope: Scope) -> list[ServerConfig]:
    if not path.is_file():
        return []
    data = _read_json(path)
    return _servers_from(
        data.get("mcpServers", {}) if isinstance(data, dict) else None, scope=scope, source=str(path)
    )


def _from_toml(path: Path, scope: Scope) -> list[ServerConfig]:
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise McpConfigError(f"{path}: {exc}") from None
    servers = data.get("mcp", {}).get("servers", {}) if isinstance(data.get("mcp"), dict) else {}
    return _servers_from(servers, scope=scope, source=str(path))


def _from_claude_json(project: Path) -> list[ServerConfig]:
    """Claude Code's own file: top-level servers are user scope, per-project ones local scope."""
    path = Path.home() / ".claude.json"
    if not path.is_file():
        return []
    data = _read_json(path)
    if not isinstance(data, dict):
        return []
    out = _servers_from(data.get("mcpServers", {}), scope="user", source=str(path))
    projects = data.get("projects", {})
    entry = projects.get(str(project)) if isinstance(projects, dict) else None
    if isinstance(entry, dict) and entry.get("mcpServers"):
        out += _servers_from(entry["mcpServers"], scope="local", source=str(path))
    return out


def load_flag_config(value: str) -> list[ServerConfig]:
    """`--mcp-config VALUE`: a JSON file, or the JSON itself, in `.mcp.json` format."""
    text = value.strip()
    if text.startswith("{"):
        source = "--mcp-config"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise McpConfigError(f"--mcp-config: invalid JSON: {exc}") from None
    else:
        path = Path(value).expanduser()
        if not path.is_file():
            raise McpConfigError(f"--mcp-config: no such file: {value}")
        source = str(path)
        data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers"), dict):
        raise McpConfigError(f"{source}: expected an object with `mcpServers`")
    return _servers_from(data["mcpServers"], scope="flag", source=source)


def load_servers(
    project: Path, flag_configs: list[str] | tuple[str, ...] = (), *, strict: bool = False
) -> list[ServerConfig]:
    """Every declared server, the winning definition per name; `strict` reads only the flags.

    Raises McpConfigError for an unreadable file (bad JSON/TOML); a bad server entry is kept
    with `error` set so it shows on the /mcp screen instead of stopping claw.
    """
    found: list[ServerConfig] = []
    if not strict:
        from claw_tui.config import user_config_dir  # not at import: the parser's flag needs none of it

        config_dir = user_config_dir()
        found += _from_claude_json(project)
        found += _from_mcp_json(config_dir / "mcp.json", "user")
        found += _from_toml(config_dir / "config.toml", "user")
        found += _from_mcp_json(project / ".mcp.json", "project")
        found += _from_toml(project / ".claw" / "config.toml", "project")
        found += _from_toml(project / ".claw" / "config.local.toml", "local")
    for value in flag_configs:
        found += load_flag_config(value)
    order = {"user": 0, "project": 1, "local": 2, "flag": 3}
    winners: dict[str, ServerConfig] = {}
    for server in sorted(found, key=lambda s: order[s.scope]):  # stable: file order within a scope
        winners[server.name] = server
    return list(winners.values())


class TrustStore:
    """Project servers the user allowed, per project path: {project: {server: fingerprint}}."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from claw_tui.config import user_data_dir

            path = user_data_dir() / "trusted_mcp.json"
        self.path = path

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def is_trusted(self, project: Path, server: ServerConfig) -> bool:
        if not server.needs_trust:
            return True
        return self._load().get(str(project.resolve()), {}).get(server.name) == server.fingerprint

    def set_trusted(self, project: Path, server: ServerConfig, trusted: bool = True) -> None:
        data = self._load()
        entry = data.setdefault(str(project.resolve()), {})
        if trusted:
            entry[server.name] = server.fingerprint
        else:
            entry.pop(server.name, None)
        from claw_tui.core.private_files import write_private

        write_private(self.path, json.dumps(data, indent=2, sort_keys=True))


def add_mcp_config_flag(parser: argparse.ArgumentParser) -> None:
    """`claw -p --mcp-config FILE|JSON` (repeatable) and `--strict-mcp-config`, as in Claude Code.

    Pass `args.mcp_config` and `args.strict_mcp_config` to `McpManager.from_config`.
    """
    parser.add_argument(
        "--mcp-config",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="load MCP servers from JSON files (or JSON text) in .mcp.json format; several may follow, "
        "and the flag may be repeated",
    )
    parser.add_argument(
        "--strict-mcp-config",
        action="store_true",
        help="use only the servers from --mcp-config, ignoring every other MCP configuration",
    )
