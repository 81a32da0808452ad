"""Bash, TaskOutput and TaskStop against real bash processes, sandboxed by the real bwrap."""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest
from pydantic import ValidationError

from claw_tui.config import SandboxSettings
from claw_tui.tools.base import ToolContext, ToolError, ToolKind
from claw_tui.tools.sandbox import BWRAP_ENV, SandboxGuard
from claw_tui.tools.shell import (
    MAX_OUTPUT_CHARS,
    Bash,
    OutputBuffer,
    ShellManager,
    TaskOutput,
    TaskStop,
)


async def _context(tmp_path: Path, *, sandbox: bool):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    ctx = ToolContext(cwd=workspace, roots=[workspace])
    ctx.services.sandbox = SandboxSettings(enabled=sandbox)
    ctx.services.sandbox_guard = SandboxGuard(off_by_user=not sandbox)  # off: the user's own choice
    yield ctx
    if ctx.services.shell is not None:
        await ctx.services.shell.close()


@pytest.fixture
async def ctx(tmp_path):
    """Unsandboxed: processes keep their host pids, so tests can watch them die."""
    async for c in _context(tmp_path, sandbox=False):
        yield c


@pytest.fixture
async def sandboxed(tmp_path):
    async for c in _context(tmp_path, sandbox=True):
        yield c


async def bash(ctx, command, **args):
    tool = Bash()
    return await tool.run(tool.Input(command=command, **args), ctx)


async def task_output(ctx, task_id, **args):
    tool = TaskOutput()
    return await tool.run(tool.Input(task_id=task_id, **args), ctx)


async def task_stop(ctx, **args):
    tool = TaskStop()
    return await tool.run(tool.Input(**args), ctx)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has died; its reaper may just be slow


def _pids_running(marker: str) -> list[int]:
    """Host pids of live processes whose command line holds `marker` (for sandboxed commands)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline.split(b"\0") and _alive(int(proc.name)):
                found.append(int(proc.name))
    return found


async def _eventually(check) -> bool:
    """Kill signals land asynchronously: give the kernel a moment to finish the job."""
    for _ in range(200):
        if check():
            return True
        await asyncio.sleep(0.05)
    return False


# --- one command ---------------------------------------------------------------------------


async def test_cwd_and_exports_persist_between_calls(ctx):
    first = await bash(ctx, "mkdir sub && cd sub && export GREETING='hello world'; LOCAL=1; export GONE=x")
    assert not first.is_error
    assert first.metadata == {"sandboxed": False, "exit_code": 0, "cwd": str(ctx.cwd / "sub")}
    await bash(ctx, "unset GONE")
    second = await bash(ctx, 'pwd; echo "$GREETING|${LOCAL-unset}|${GONE-unset}"')
    assert second.output == f"{ctx.cwd / 'sub'}\nhello world|unset|unset"


async def test_exit_code_and_exit_builtin(ctx):
    result = await bash(ctx, "echo out; echo err >&2; cd /; exit 3")
    assert result.is_error
    assert result.output.splitlines()[:3] == ["out", "err", "Exit code 3"]
    assert result.metadata["exit_code"] == 3
    assert result.metadata["cwd"] == "/"  # the state is kept even when the command exits
    assert "outside the workspace" in result.output


async def test_syntax_error_is_the_commands_and_the_shell_survives(ctx):
    broken = await bash(ctx, "if then fi (")
    assert broken.is_error and "syntax error" in broken.output
    assert (await bash(ctx, "echo fine")).output == "fine"


async def test_no_output_and_non_utf8(ctx):
    assert (await bash(ctx, "true")).output == "(no output)"
    assert (await bash(ctx, r"printf 'a\xffb\n'")).output == "a\ufffdb"


async def test_output_is_streamed_as_it_arrives(ctx):
    # The command waits for a file the test only creates once it has seen the first line.
    seen: list[str] = []

    async def emit(text: str) -> None:
        seen.append(text)
        if "first" in text:
            (ctx.cwd / "go").touch()

    ctx.emit_output = emit
    result = await bash(ctx, "echo first; until [ -e go ]; do sleep 0.02; done; echo second", timeout=60_000)
    assert result.output == "first\nsecond"
    assert seen == ["first\n", "second\n"]


async def test_long_output_keeps_head_and_tail(ctx):
    result = await bash(ctx, "seq 1 200000")
    text = result.output
    assert text.startswith("1\n2\n3\n")
    assert text.endswith("199999\n200000")
    cut = re.search(r"\[… (\d+) characters cut …\]", text)
    assert cut
    total = len("\n".join(str(i) for i in range(1, 200001))) + 1
    assert len(text) - len(cut[0]) - 2 + int(cut[1]) == total - 1  # kept + cut = all (less final newline)
    assert len(text) < MAX_OUTPUT_CHARS + 100


def test_output_buffer_stays_bounded():
    buffer = OutputBuffer(limit=100)
    for i in range(10_000):
        buffer.add(f"{i:05d}\n")
    text = buffer.text()
    assert text.startswith("00000\n00001\n")
    assert text.endswith("09998\n09999\n")
    assert "[… 59900 characters cut …]" in text
    assert sum(len(part) for part in buffer._tail) < 200  # old chunks were dropped, not kept
    assert buffer.take() == text and buffer.text() == "" and buffer.total == 0


async def test_timeout_kills_the_group_and_keeps_partial_output(ctx):
    result = await bash(ctx, "sleep 300 & echo pid=$!; wait", timeout=300)
    assert result.is_error
    assert "Command timed out after 0.3 s" in result.output
    pid = int(re.search(r"pid=(\d+)", result.output)[1])
    assert await _eventually(lambda: not _alive(pid))
    assert (await bash(ctx, "echo still here")).output == "still here"


async def test_cancel_kills_the_group_and_reraises(ctx):
    pids: list[int] = []
    started = asyncio.Event()

    async def emit(text: str) -> None:
        if found := re.search(r"pid=(\d+)", text):
            pids.append(int(found[1]))
            started.set()

    ctx.emit_output = emit
    run = asyncio.create_task(bash(ctx, "sleep 300 & echo pid=$!; wait"))
    await started.wait()
    assert _alive(pids[0])
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert await _eventually(lambda: not _alive(pids[0]))


async def test_processes_left_behind_stop_with_the_command(ctx):
    result = await bash(ctx, "sleep 300 & echo pid=$!")
    pid = int(re.search(r"pid=(\d+)", result.output)[1])
    assert not result.is_error
    assert await _eventually(lambda: not _alive(pid))


async def test_a_deleted_directory_falls_back_to_the_launch_directory(ctx):
    await bash(ctx, "mkdir doomed && cd doomed")
    shutil.rmtree(ctx.cwd / "doomed")
    result = await bash(ctx, "pwd")
    assert "doomed no longer exists" in result.output
    assert result.output.endswith(str(ctx.cwd))


# --- input, summary, permissions ---------------------------------------------------------------


def test_tool_declarations(tmp_path):
    bash_tool = Bash()
    call = bash_tool.Input(command="pytest -q", description="Run the tests")
    assert bash_tool.kind is ToolKind.EXECUTE
    assert bash_tool.summary(call) == "Bash: pytest -q"
    assert bash_tool.summary(bash_tool.Input(command="make\nmake install")) == "Bash: make…"
    assert bash_tool.rule_target(call, ToolContext(cwd=tmp_path, roots=[tmp_path])) == "pytest -q"
    assert TaskOutput.kind is ToolKind.READ and TaskOutput.concurrent_safe
    assert TaskStop.kind is ToolKind.EXECUTE
    assert set(bash_tool.schema()["properties"]) == {"command", "timeout", "description", "run_in_background"}


def test_input_validation():
    assert Bash.Input(command="x", timeout=10_000_000).timeout == 600_000
    with pytest.raises(ValidationError, match="command is empty"):
        Bash.Input(command="  ")
    with pytest.raises(ValidationError, match="must be positive"):
        Bash.Input(command="x", timeout=0)
    assert TaskStop.Input(shell_id="bash_1").task_id == "bash_1"
    with pytest.raises(ValidationError, match="task_id is required"):
        TaskStop.Input()


# --- background commands -------------------------------------------------------------------


async def test_background_output_is_read_incrementally(ctx):
    started = await bash(
        ctx, "echo one; until [ -e go ]; do sleep 0.02; done; echo two; exit 4", run_in_background=True
    )
    assert "bash_1" in started.output and started.metadata["task_id"] == "bash_1"
    first = ""
    for _ in range(500):
        first += (await task_output(ctx, "bash_1", block=False)).output
        if "New output:\none" in first:
            break
        await asyncio.sleep(0.02)
    assert "Task bash_1: running" in first and "New output:\none" in first
    (ctx.cwd / "go").touch()
    done = await task_output(ctx, "bash_1", timeout=60_000)
    assert done.output.splitlines()[0] == "Task bash_1: exited 4"
    assert done.output.endswith("New output:\ntwo")  # "one" was already read
    again = await task_output(ctx, "bash_1", block=False)
    assert "No new output since the last read." in again.output


async def test_background_does_not_move_the_shell(ctx):
    result = await bash(ctx, "cd /; export FROM_BG=1; echo done", run_in_background=True)
    assert result.metadata["cwd"] == str(ctx.cwd)
    await task_output(ctx, "bash_1", timeout=60_000)
    assert (await bash(ctx, 'pwd; echo "${FROM_BG-unset}"')).output == f"{ctx.cwd}\nunset"


async def test_blocking_read_returns_when_waiting_runs_out(ctx):
    await bash(ctx, "sleep 300", run_in_background=True)
    result = await task_output(ctx, "bash_1", timeout=100)
    assert result.output.startswith("Task bash_1: running (still running after waiting 0.1 s)")
    assert result.metadata["status"] == "running"


async def test_task_stop_kills_the_group(ctx):
    await bash(ctx, "sleep 300 & echo pid=$!; wait", run_in_background=True)
    text = ""
    while "pid=" not in text:
        text += (await task_output(ctx, "bash_1", timeout=50)).output
    pid = int(re.search(r"pid=(\d+)", text)[1])
    stopped = await task_stop(ctx, shell_id="bash_1")
    assert stopped.output == "Stopped task bash_1: sleep 300 & echo pid=$!; wait"
    assert await _eventually(lambda: not _alive(pid))
    assert (await task_output(ctx, "bash_1")).output.startswith("Task bash_1: killed")
    with pytest.raises(ToolError, match=r"Task bash_1 is not running \(killed\)"):
        await task_stop(ctx, task_id="bash_1")


async def test_unknown_task_ids(ctx):
    with pytest.raises(ToolError, match="none were started"):
        await task_output(ctx, "bash_9")
    await bash(ctx, "true", run_in_background=True)
    await task_output(ctx, "bash_1", timeout=60_000)
    with pytest.raises(ToolError, match=r"Known tasks: bash_1 \(exited 0\)"):
        await task_stop(ctx, task_id="nope")


async def test_close_kills_background_tasks_and_removes_the_temp_dir(tmp_path):
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
    ctx.services.sandbox = SandboxSettings(enabled=False)
    await bash(ctx, "sleep 300 & echo pid=$!; wait", run_in_background=True)
    text = ""
    while "pid=" not in text:
        text += (await task_output(ctx, "bash_1", timeout=50)).output
    pid = int(re.search(r"pid=(\d+)", text)[1])
    shell = ctx.services.shell
    await shell.close()
    assert await _eventually(lambda: not _alive(pid))
    assert not shell.tmpdir.exists()
    fresh = ShellManager.for_context(ctx)
    assert fresh is not shell  # a new shell after close
    await fresh.close()


# --- the sandbox -----------------------------------------------------------------------------


@pytest.mark.needs("bwrap")
async def test_sandboxed_writes_only_in_the_workspace(sandboxed):
    outside = Path(tempfile.mkdtemp(prefix="claw-outside-", dir="/var/tmp"))
    try:
        result = await bash(sandboxed, f"touch made && echo ok; touch /etc/claw-x; touch {outside}/x")
    finally:
        shutil.rmtree(outside, ignore_errors=True)
    assert result.metadata["sandboxed"] is True
    assert result.output.startswith("ok\n")
    assert (sandboxed.cwd / "made").exists()
    assert "/etc/claw-x': Read-only file system" in result.output
    assert f"{outside}/x': Read-only file system" in result.output


@pytest.mark.needs("bwrap")
async def test_sandboxed_shell_keeps_its_state_and_its_own_tmp(sandboxed):
    await bash(sandboxed, "export IN_SANDBOX=yes; mkdir -p deeper && cd deeper; echo scratch > /tmp/note")
    result = await bash(sandboxed, 'echo "$IN_SANDBOX $(pwd) $(cat /tmp/note)"')
    assert result.output == f"yes {sandboxed.cwd / 'deeper'} scratch"
    assert (sandboxed.services.shell.tmpdir / "note").read_text() == "scratch\n"


@pytest.mark.needs("bwrap")
async def test_sandbox_cuts_the_network_unless_allowed(sandboxed):
    code = "import socket; socket.create_connection(('127.0.0.1', {port}), timeout=10); print('connected')"
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        cut = await bash(sandboxed, f'{sys.executable} -c "{code.format(port=port)}"')
        assert cut.is_error and "Connection refused" in cut.output
        sandboxed.services.sandbox = SandboxSettings(enabled=True, network=True)
        allowed = await bash(sandboxed, f'{sys.executable} -c "{code.format(port=port)}"')
        assert allowed.output == "connected"


async def test_sandboxed_cancel_leaves_no_process(sandboxed):
    marker = str(random.randint(10**8, 10**9))
    started = asyncio.Event()

    async def emit(text: str) -> None:
        if "started" in text:
            started.set()

    sandboxed.emit_output = emit
    run = asyncio.create_task(bash(sandboxed, f"sleep {marker} & echo started; wait"))
    await started.wait()
    assert await _eventually(lambda: _pids_running(marker))  # the check below can see the sandboxed sleep
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert await _eventually(lambda: not _pids_running(marker))


@pytest.mark.needs("bwrap")
async def test_sandboxed_timeout_leaves_no_process(sandboxed):
    marker = str(random.randint(10**8, 10**9))
    result = await bash(sandboxed, f"sleep {marker} & echo started; wait", timeout=500)
    assert result.output.startswith("started\nCommand timed out after 0.5 s")
    assert await _eventually(lambda: not _pids_running(marker))


async def test_missing_bwrap_is_said_once(sandboxed, monkeypatch):
    monkeypatch.setenv(BWRAP_ENV, "/nonexistent/bwrap")
    first = await bash(sandboxed, "echo hi")
    assert first.output == (
        "Bubblewrap is not installed (no executable at /nonexistent/bwrap): the sandbox is unavailable, so Bash "
        "commands run unsandboxed, with the user's full permissions, and every command needs the user's approval "
        "first (no rule or permission mode lets one run unasked).\nhi"
    )
    assert first.metadata["sandboxed"] is False
    assert (await bash(sandboxed, "echo again")).output == "again"


async def test_no_notice_when_the_user_turned_the_sandbox_off(ctx, monkeypatch):
    monkeypatch.setenv(BWRAP_ENV, "/nonexistent/bwrap")
    assert (await bash(ctx, "echo hi")).output == "hi"


async def test_a_sandbox_turned_off_by_the_repository_is_said(ctx):
    ctx.services.sandbox_guard = SandboxGuard(off_by_user=False)
    first = (await bash(ctx, "echo hi")).output
    assert first.startswith("The sandbox is turned off by this repository's settings, not by the user: Bash commands")
    assert first.endswith("every command needs the user's approval first (no rule or permission mode lets one run "
                          "unasked).\nhi")


async def test_environment_starts_from_the_context(tmp_path):
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path], env={**os.environ, "FROM_CTX": "1"})
    shell = ShellManager.for_context(ctx)
    assert shell.env["FROM_CTX"] == "1"
    assert ShellManager.for_context(ctx) is shell is ctx.services.shell
    await shell.close()
