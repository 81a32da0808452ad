"""Configuration: .mcp.json and TOML in three scopes, ${VAR} expansion, trust, --mcp-config."""

from __future__ import annotations

import argparse
import json
import os
import sys

import pytest
from mcp_helpers import SERVERS

from claw_tui.mcp import McpManager, TrustStore, add_mcp_config_flag, load_servers
from claw_tui.mcp.config import McpConfigError, expand_vars, load_flag_config
from claw_tui.tools.base import ToolError

DEMO = {"command": sys.executable, "args": [str(SERVERS / "demo.py")]}


def write_json(path, servers):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"mcpServers": servers}))


def test_expansion(monkeypatch):
    monkeypatch.setenv("TOKEN", "s3cret")
    monkeypatch.setenv("EMPTY", "")
    assert expand_vars("Bearer ${TOKEN}") == "Bearer s3cret"
    assert expand_vars("${MISSING_VAR:-fallback}/${TOKEN:-x}") == "fallback/s3cret"
    assert expand_vars("${EMPTY:-d}") == "d"
    with pytest.raises(McpConfigError, match=r"\$\{MISSING_VAR\} is not set"):
        expand_vars("${MISSING_VAR}")


def test_claude_code_mcp_json_and_claw_toml_in_every_scope(tmp_path, isolated_home, monkeypatch):
    monkeypatch.setenv("API_KEY", "k1")
    project = tmp_path / "proj"
    write_json(
        isolated_home / "config" / "mcp.json", {"shared": {"command": "user-cmd"}, "u": {"command": "u"}}
    )
    write_json(
        project / ".mcp.json",
        {
            "shared": {
                "command": "project-cmd",
                "args": ["--port", "${PORT:-8080}"],
                "env": {"K": "${API_KEY}"},
            },
            "api": {
                "type": "http",
                "url": "https://api.example/mcp",
                "headers": {"Authorization": "Bearer ${API_KEY}"},
            },
            "events": {"type": "sse", "url": "https://api.example/sse"},
            "sock": {"type": "ws", "url": "wss://api.example/ws"},
            "broken": {"command": "x", "env": {"K": "${NOT_SET_ANYWHERE}"}},
        },
    )
    (project / ".claw").mkdir()
    (project / ".claw" / "config.local.toml").write_text(
        '[mcp.servers.local]\ncommand = "local-cmd"\ntimeout = 5\n\n[mcp.servers.u]\ncommand = "u2"\nenabled = false\n'
    )
    (isolated_home / ".claude.json").write_text(
        json.dumps(
            {
                "mcpServers": {"cc-user": {"command": "cc"}},
                "projects": {str(project): {"mcpServers": {"cc-local": {"url": "https://x/mcp"}}}},
            }
        )
    )
    servers = {s.name: s for s in load_servers(project)}
    assert servers["shared"].scope == "project" and servers["shared"].command == "project-cmd"
    assert servers["shared"].args == ("--port", "8080") and servers["shared"].env == {"K": "k1"}
    assert servers["api"].transport == "http" and servers["api"].headers == {"Authorization": "Bearer k1"}
    assert servers["events"].transport == "sse" and servers["sock"].transport == "ws"
    assert servers["local"].scope == "local" and servers["local"].timeout == 5.0
    assert servers["u"].scope == "local" and servers["u"].command == "u2" and not servers["u"].enabled
    assert servers["cc-user"].scope == "user" and servers["cc-local"].transport == "http"
    assert "NOT_SET_ANYWHERE" in servers["broken"].error and ".mcp.json" in servers["broken"].error


def test_bad_files_and_entries_give_clear_errors(tmp_path):
    (tmp_path / ".mcp.json").write_text("{not json")
    with pytest.raises(McpConfigError, match=r"\.mcp\.json"):
        load_servers(tmp_path)
    write_json(tmp_path / ".mcp.json", {"a": {"type": "carrier-pigeon", "url": "x"}, "b": {"args": []}})
    errors = {s.name: s.error for s in load_servers(tmp_path)}
    assert "unknown type 'carrier-pigeon'" in errors["a"]
    assert "needs `command`" in errors["b"]


def test_mcp_config_flag_file_json_and_strict(tmp_path):
    write_json(tmp_path / ".mcp.json", {"proj": {"command": "p"}})
    flag_file = tmp_path / "extra.json"
    write_json(flag_file, {"extra": {"command": "e"}})
    parser = argparse.ArgumentParser()
    add_mcp_config_flag(parser)
    args = parser.parse_args(
        ["--mcp-config", str(flag_file), "--mcp-config", '{"mcpServers": {"inline": {"command": "i"}}}']
    )
    assert {s.name for s in load_servers(tmp_path, args.mcp_config)} == {"proj", "extra", "inline"}
    args = parser.parse_args(["--mcp-config", str(flag_file), "--strict-mcp-config"])
    assert [s.name for s in load_servers(tmp_path, args.mcp_config, strict=args.strict_mcp_config)] == [
        "extra"
    ]
    with pytest.raises(McpConfigError, match="no such file"):
        load_flag_config(str(tmp_path / "nope.json"))
    with pytest.raises(McpConfigError, match="expected an object with `mcpServers`"):
        load_flag_config("{}")


async def test_project_server_is_refused_until_trusted_and_trust_is_remembered(tmp_path, isolated_home):
    project = tmp_path / "repo"
    write_json(project / ".mcp.json", {"demo": DEMO})
    async with McpManager.from_config(project) as mgr:
        assert mgr.status("demo").status == "needs-trust"
        assert mgr.tools() == []
        with pytest.raises(ToolError, match="needs your trust"):
            await mgr.call_tool("demo", "echo", {"text": "x"})
        await mgr.trust("demo")
        await mgr.wait_for("demo", "connected")
        assert (await mgr.call_tool("demo", "echo", {"text": "x"})).content[0].text == "echo: x"

    stored = json.loads((isolated_home / "data" / "trusted_mcp.json").read_text())
    assert list(stored) == [str(project.resolve())]
    async with McpManager.from_config(project) as mgr:  # remembered for this project path
        assert mgr.status("demo").status == "connected"

    write_json(project / ".mcp.json", {"demo": {**DEMO, "env": {"CHANGED": "1"}}})
    async with McpManager.from_config(project) as mgr:  # an edited definition asks again
        assert mgr.status("demo").status == "needs-trust"

    other = tmp_path / "other"
    write_json(other / ".mcp.json", {"demo": DEMO})
    assert not TrustStore().is_trusted(other, load_servers(other)[0])


async def test_user_and_flag_servers_need_no_trust_and_timeouts_come_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MCP_TOOL_TIMEOUT", "1500")
    flag = tmp_path / "f.json"
    write_json(flag, {"demo": DEMO})
    async with McpManager.from_config(tmp_path, [str(flag)]) as mgr:
        assert mgr.call_timeout == 1.5
        assert mgr.status("demo").status == "connected"
        assert mgr.status("demo").scope == "flag"


def test_token_storage_is_owner_only(tmp_path):
    import asyncio

    from mcp.shared.auth import OAuthToken

    from claw_tui.mcp.oauth import FileTokenStorage

    storage = FileTokenStorage("my server")
    asyncio.run(storage.set_tokens(OAuthToken(access_token="a", token_type="Bearer", expires_in=60)))
    assert storage.path.name == "my_server.json"
    assert os.stat(storage.path).st_mode & 0o777 == 0o600
    assert os.stat(storage.path.parent).st_mode & 0o777 == 0o700
    token = asyncio.run(storage.get_tokens())
    assert token is not None and token.access_token == "a" and 0 < token.expires_in <= 60
