"""Published servers: mcp-server-time and mcp-server-git from PyPI, server-everything from npm."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest

from claw_tui.core.transcript import ImageBlock, TextBlock
from claw_tui.mcp import McpManager
from claw_tui.mcp.config import ServerConfig
from claw_tui.tools.base import ToolContext, ToolKind


def stdio(name: str, command: str, *args: str) -> ServerConfig:
    return ServerConfig(name=name, transport="stdio", scope="user", source="test", command=command, args=args)


@pytest.fixture(scope="session")
def everything_bin(tmp_path_factory) -> str:
    """@modelcontextprotocol/server-everything installed from the npm registry into a temp prefix."""
    npm = shutil.which("npm")
    assert npm is not None  # the tests that use this are marked needs("npm")
    prefix = tmp_path_factory.mktemp("npm")
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(prefix),
            "--no-audit",
            "--no-fund",
            "@modelcontextprotocol/server-everything",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return str(prefix / "node_modules" / ".bin" / "mcp-server-everything")


async def test_mcp_server_time(tmp_path):
    config = stdio("time", sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC")
    async with McpManager([config], project=tmp_path) as mgr:
        assert mgr.status("time").status == "connected"
        names = {t.name for t in mgr.tools()}
        assert names == {"mcp__time__get_current_time", "mcp__time__convert_time"}
        result = await mgr.call_tool(
            "time",
            "convert_time",
            {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"},
        )
        assert not result.is_error and "21:00" in result.content[0].text
        bad = await mgr.call_tool("time", "get_current_time", {"timezone": "Mars/Olympus"})
        assert bad.is_error


async def test_mcp_server_git(tmp_path):
    repo_dir = tmp_path / "repo"
    repo = git.Repo.init(repo_dir)
    (repo_dir / "hello.txt").write_text("hello\n")
    repo.index.add(["hello.txt"])
    repo.index.commit("first commit")
    (repo_dir / "hello.txt").write_text("hello\nworld\n")
    binary = Path(sys.executable).parent / "mcp-server-git"
    config = stdio("git", str(binary), "--repository", str(repo_dir))
    async with McpManager([config], project=tmp_path) as mgr:
        assert mgr.status("git").status == "connected", mgr.status("git").last_error
        names = {t.name for t in mgr.tools()}
        assert {"mcp__git__git_status", "mcp__git__git_log", "mcp__git__git_diff_unstaged"} <= names
        log = await mgr.call_tool("git", "git_log", {"repo_path": str(repo_dir)})
        assert "first commit" in log.content[0].text
        diff = await mgr.call_tool("git", "git_diff_unstaged", {"repo_path": str(repo_dir)})
        assert "+world" in diff.content[0].text


@pytest.mark.needs("npm")
@pytest.mark.needs("node")
async def test_server_everything_from_npm(everything_bin, tmp_path):
    async with McpManager([stdio("everything", everything_bin, "stdio")], project=tmp_path) as mgr:
        status = mgr.status("everything")
        assert status.status == "connected", status.last_error
        assert status.tools > 5 and status.resources > 0 and status.prompts > 0
        tools = {t.name: t for t in mgr.tools()}
        assert tools["mcp__everything__echo"].kind is ToolKind.READ

        echo = await mgr.call_tool("everything", "echo", {"message": "hi"})
        assert echo.content[0].text == "Echo: hi"
        tiny = tools["mcp__everything__get-tiny-image"]
        result = await tiny.run(tiny.Input.model_validate({}), ToolContext(cwd=tmp_path, roots=[tmp_path]))
        assert any(isinstance(b, ImageBlock) and b.media_type == "image/png" for b in result.content)

        resource = mgr.resources()[0]
        blocks = await mgr.read_resource("everything", resource.uri)
        assert isinstance(blocks[0], TextBlock) and blocks[0].text.startswith(f"[resource {resource.uri}]")

        args_prompt = next(p for p in mgr.list_prompts() if p.name == "args-prompt")
        assert args_prompt.command == "everything:args-prompt"
        messages = await mgr.get_prompt("everything", "args-prompt", {"city": "Lisbon"})
        assert "Lisbon" in messages[0][1][0].text
