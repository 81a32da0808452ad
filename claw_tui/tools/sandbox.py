"""Bubblewrap: run Bash with the filesystem read-only except the workspace, and no network.

Whether bwrap can work is only known by trying: it may be missing, or the kernel may refuse
the user namespaces it needs (containers, hardened distributions). `detect` runs a tiny
sandbox once per binary and remembers the answer for the life of the process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from claw_tui.config import SandboxSettings
from claw_tui.tools.base import ToolContext

BWRAP_ENV = "CLAW_BWRAP"  # points claw at another bubblewrap binary (or a missing one, to test without)
_PROBE_TIMEOUT_SECONDS = 15.0
_detected: dict[str | None, SandboxStatus] = {}


@dataclass(frozen=True)
class SandboxStatus:
    available: bool
    reason: str  # why not, as a phrase ("bubblewrap is not installed"); or which bwrap works
    bwrap: str | None = None  # the binary that works, when available


def detect(bwrap: str | None = None) -> SandboxStatus:
    """Whether bubblewrap can sandbox commands here, found on PATH unless `bwrap` (or $CLAW_BWRAP) names it."""
    wanted = bwrap or os.environ.get(BWRAP_ENV) or "bwrap"
    path = shutil.which(wanted)
    if path not in _detected:
        _detected[path] = _probe(path, wanted)
    return _detected[path]


def _probe(path: str | None, wanted: str) -> SandboxStatus:
    if path is None:
        where = "" if wanted == "bwrap" else f" (no executable at {wanted})"
        return SandboxStatus(False, f"bubblewrap is not installed{where}")
    try:
        probe = subprocess.run(
            wrap(["true"], roots=[], tmpdir=None, network=False, bwrap=path),
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=_PROBE_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(False, f"bubblewrap at {path} could not be run ({exc})")
    if probe.returncode != 0:
        said = probe.stderr.strip().splitlines()
        detail = f" ({said[-1]})" if said else f" (exit code {probe.returncode})"
        return SandboxStatus(False, f"bubblewrap cannot create a sandbox on this machine{detail}")
    return SandboxStatus(True, f"bubblewrap at {path}", bwrap=path)


def sandbox_settings(ctx: ToolContext) -> SandboxSettings:
    """The agent's sandbox settings; the defaults (enabled, no network) when it set none."""
    return ctx.services.get("sandbox_settings") or SandboxSettings()


def sandbox_active(ctx: ToolContext) -> bool:
    """Bash runs sandboxed: the settings want it (the default) and bubblewrap works here."""
    return sandbox_settings(ctx).enabled and detect().available


def wrap(
    argv: Sequence[str],
    *,
    roots: Sequence[Path],
    tmpdir: Path | None,
    network: bool,
    bwrap: str | None = None,
) -> list[str]:
    """The bwrap command line running `argv` with `/` read-only and only `roots` (and `tmpdir`) writable.

    `tmpdir` is mounted at /tmp, so scratch files never touch the real one; later binds win, so
    roots under /tmp stay reachable at their own paths. The pid namespace and --die-with-parent
    make killing bwrap kill everything the command started. --new-session keeps a command from
    pushing keystrokes into a terminal (TIOCSTI).
    """
    args = [bwrap or detect().bwrap or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    if tmpdir is not None:
        args += ["--bind", str(tmpdir), "/tmp"]
    for root in (r.resolve() for r in roots):
        if root.is_dir():
            args += ["--bind", str(root), str(root)]
    if not network:
        args.append("--unshare-net")
    args += ["--unshare-pid", "--die-with-parent", "--new-session", "--", *argv]
    return args


def unavailable_notice(status: SandboxStatus) -> str:
    """The one sentence telling the user (and the model) that Bash runs without a sandbox."""
    return (
        f"{status.reason[:1].upper()}{status.reason[1:]}: Bash commands run unsandboxed and ask for approval."
    )
