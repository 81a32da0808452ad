"""bubblewrap detection and the sandbox it builds, exercised with the real bwrap binary."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from claw_tui.config import SandboxSettings
from claw_tui.tools.base import ToolContext
from claw_tui.tools.sandbox import (
    BWRAP_ENV,
    detect,
    sandbox_active,
    unavailable_notice,
    unix_socket_filter,
    wrap,
)


@pytest.fixture
def outside():
    """A writable directory outside /tmp (the sandbox hides the real /tmp) and outside any root."""
    path = Path(tempfile.mkdtemp(prefix="claw-outside-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_in(argv: list[str], **wrap_args) -> subprocess.CompletedProcess[str]:
    return subprocess.run(wrap(argv, **wrap_args), capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.needs("bwrap")
def test_detect_finds_the_working_bwrap_and_remembers():
    status = detect()
    assert status.available, status.reason
    assert status.bwrap == shutil.which("bwrap")
    assert detect() is status


def test_detect_reports_a_missing_binary():
    status = detect(bwrap="/nonexistent/bwrap")
    assert not status.available
    assert "bubblewrap is not installed" in status.reason
    notice = unavailable_notice(status)
    assert notice.startswith("Bubblewrap is not installed")
    assert notice.endswith("every command needs the user's approval first (no rule or permission mode lets one "
                           "run unasked).")


def test_detect_reports_a_bwrap_that_cannot_make_a_sandbox():
    # A binary that runs but fails stands for a kernel refusing user namespaces.
    status = detect(bwrap=shutil.which("false"))
    assert not status.available
    assert "cannot create a sandbox" in status.reason


@pytest.mark.needs("bwrap")
def test_sandbox_active_follows_settings_and_availability(tmp_path, monkeypatch):
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
    assert sandbox_active(ctx)  # no settings: the defaults, sandbox on
    ctx.services.sandbox = SandboxSettings(enabled=False)
    assert not sandbox_active(ctx)
    ctx.services.sandbox = SandboxSettings(enabled=True)
    monkeypatch.setenv(BWRAP_ENV, "/nonexistent/bwrap")
    assert not sandbox_active(ctx)


@pytest.mark.needs("bwrap")
def test_workspace_writable_everything_else_read_only(tmp_path, outside):
    root = tmp_path / "ws"
    root.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    script = f"touch {root}/made && echo ok; touch /etc/claw-x; touch {outside}/x; echo tmp > /tmp/t"
    done = run_in(["bash", "-c", script], roots=[root], tmpdir=scratch, network=False)
    assert "ok" in done.stdout
    assert (root / "made").exists()
    assert "/etc/claw-x': Read-only file system" in done.stderr
    assert f"{outside}/x': Read-only file system" in done.stderr
    assert not (outside / "x").exists()
    assert (scratch / "t").read_text() == "tmp\n"  # /tmp inside is the scratch dir


def _connect_script(port: int) -> list[str]:
    code = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=10).close()\n"
        "    print('connected')\n"
        "except OSError as exc:\n"
        "    print('refused', exc)\n"
    )
    return [sys.executable, "-c", code]


@pytest.mark.needs("bwrap")
def test_network_is_cut_unless_allowed(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        cut = run_in(_connect_script(port), roots=[tmp_path], tmpdir=None, network=False)
        assert cut.stdout.startswith("refused"), cut.stdout + cut.stderr
        allowed = run_in(_connect_script(port), roots=[tmp_path], tmpdir=None, network=True)
        assert allowed.stdout.startswith("connected"), allowed.stdout + allowed.stderr


def test_wrap_skips_missing_roots_and_keeps_the_command_last(tmp_path):
    argv = wrap(["echo", "hi"], roots=[tmp_path / "missing", tmp_path], tmpdir=None, network=True)
    assert str(tmp_path / "missing") not in argv
    assert argv[-3:] == ["--", "echo", "hi"]
    assert "--unshare-net" not in argv
    assert "--die-with-parent" in argv


def test_the_socket_filter_pipe_closes_only_its_own_descriptors():
    """Its write end is closed once: a second close hit whatever took the number meanwhile (in CI,
    the command's own output pipe, and the command died of SIGPIPE)."""
    with unix_socket_filter() as filter_fd:
        assert os.read(filter_fd, 1 << 10)  # the program is there to read
        reused_read, reused_write = os.pipe()  # takes the lowest free numbers: the write end's, freed
    try:
        os.write(reused_write, b"x")
        assert os.read(reused_read, 1) == b"x"
    finally:
        os.close(reused_read)
        os.close(reused_write)
