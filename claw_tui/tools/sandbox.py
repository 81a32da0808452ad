"""Bubblewrap: run Bash with the filesystem read-only except the workspace, and no network.

Whether bwrap can work is only known by trying: it may be missing, or the kernel may refuse
the user namespaces it needs (containers, hardened distributions). `detect` runs a tiny
sandbox once per binary and remembers the answer for the life of the process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import subprocess
from collections.abc import Iterator, Sequence
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
        with unix_socket_filter() as fd:
            probe = subprocess.run(
                wrap(["true"], roots=[], tmpdir=None, network=False, bwrap=path, seccomp_fd=fd),
                check=False,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=_PROBE_TIMEOUT_SECONDS,
                pass_fds=(fd,),
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
    return ctx.services.sandbox or SandboxSettings()


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
    seccomp_fd: int | None = None,
) -> list[str]:
    """The bwrap command line running `argv` with `/` read-only and only `roots` (and `tmpdir`) writable.

    `tmpdir` is mounted at /tmp, so scratch files never touch the real one; later binds win, so
    roots under /tmp stay reachable at their own paths. The pid namespace and --die-with-parent
    make killing bwrap kill everything the command started. --new-session keeps a command from
    pushing keystrokes into a terminal (TIOCSTI). `seccomp_fd` (from `unix_socket_filter`, passed
    to the child) stops the command from opening UNIX sockets, which would reach services outside
    the sandbox (a Docker socket is root on the host) through the read-only filesystem.
    """
    args = [bwrap or detect().bwrap or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    if tmpdir is not None:
        args += ["--bind", str(tmpdir), "/tmp"]
    for root in (r.resolve() for r in roots):
        if root.is_dir():
            args += ["--bind", str(root), str(root)]
    if not network:
        args.append("--unshare-net")
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += ["--unshare-pid", "--die-with-parent", "--new-session", "--", *argv]
    return args


# --- seccomp: no new AF_UNIX sockets ---------------------------------------------------------

_AUDIT_ARCH_X86_64, _AUDIT_ARCH_AARCH64 = 0xC000003E, 0xC00000B7
_NR_SOCKET_X86_64, _NR_SOCKET_AARCH64 = 41, 198
_X32_SYSCALL_BIT = 0x40000000
_AF_UNIX = 1
_RET_ALLOW, _RET_EPERM = 0x7FFF0000, 0x00050001  # SECCOMP_RET_ALLOW; SECCOMP_RET_ERRNO | EPERM
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06  # classic BPF opcodes


def _socket_filter_program() -> bytes:
    """A classic BPF program: socket(AF_UNIX, …) fails with EPERM; every other call is allowed.

    Knows x86_64 (refusing x32 calls, which could dodge the check) and aarch64; on any other
    architecture it allows everything. socketpair() stays allowed: its sockets reach nothing outside.
    """
    # (opcode, jump if true, jump if false, k); jumps count instructions after the next one.
    program = [
        (_LD_W_ABS, 0, 0, 4),  # 0: A = arch
        (_JEQ_K, 0, 3, _AUDIT_ARCH_X86_64),  # 1: x86_64 → 2, else → 5
        (_LD_W_ABS, 0, 0, 0),  # 2: A = syscall number
        (_JGE_K, 7, 0, _X32_SYSCALL_BIT),  # 3: an x32 call → deny (11)
        (_JEQ_K, 3, 5, _NR_SOCKET_X86_64),  # 4: socket → 8, else → allow (10)
        (_JEQ_K, 0, 4, _AUDIT_ARCH_AARCH64),  # 5: aarch64 → 6, else → allow (10)
        (_LD_W_ABS, 0, 0, 0),  # 6: A = syscall number
        (_JEQ_K, 0, 2, _NR_SOCKET_AARCH64),  # 7: socket → 8, else → allow (10)
        (_LD_W_ABS, 0, 0, 16),  # 8: A = the low half of args[0], the address family
        (_JEQ_K, 1, 0, _AF_UNIX),  # 9: AF_UNIX → deny (11)
        (_RET_K, 0, 0, _RET_ALLOW),  # 10
        (_RET_K, 0, 0, _RET_EPERM),  # 11
    ]
    return b"".join(struct.pack("<HBBI", *instruction) for instruction in program)


@contextlib.contextmanager
def unix_socket_filter() -> Iterator[int]:
    """A pipe holding the filter, for `wrap(seccomp_fd=…)`; pass it to the child (`pass_fds`)."""
    read, write = os.pipe()
    try:
        os.write(write, _socket_filter_program())  # 96 bytes: far below a pipe's buffer
        os.close(write)
        yield read
    finally:
        with contextlib.suppress(OSError):
            os.close(write)
        os.close(read)


def unavailable_notice(status: SandboxStatus) -> str:
    """The one sentence telling the user (and the model) that Bash runs without a sandbox."""
    return (
        f"{status.reason[:1].upper()}{status.reason[1:]}: Bash commands run unsandboxed and ask for approval."
    )
