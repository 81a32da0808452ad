"""Bubblewrap: run Bash with the filesystem read-only except the workspace, and no network.

Inside the workspace, protected paths (`.git` internals, agent configuration, shell start-up
files: see `protected`) stay read-only, and those that do not exist yet are held by an empty
read-only directory so a command cannot create them; paths the user's `Read(…)` deny rules name
are covered by an unreadable stand-in. Every capability is dropped and bwrap sets `no_new_privs`,
so a command running as root cannot mount, remount or unmount its way out.

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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from claw_tui.config import SandboxSettings
from claw_tui.tools import protected
from claw_tui.tools.base import ToolContext

BWRAP_ENV = "CLAW_BWRAP"  # points claw at another bubblewrap binary (or a missing one, to test without)
_PROBE_TIMEOUT_SECONDS = 15.0
_detected: dict[str, SandboxStatus] = {}


@dataclass(frozen=True)
class SandboxStatus:
    available: bool
    reason: str  # why not, as a phrase ("bubblewrap is not installed"); or which bwrap works
    bwrap: str | None = None  # the binary that works, when available


def detect(bwrap: str | None = None) -> SandboxStatus:
    """Whether bubblewrap can sandbox commands here, found on PATH unless `bwrap` (or $CLAW_BWRAP) names it."""
    wanted = bwrap or os.environ.get(BWRAP_ENV) or "bwrap"
    path = shutil.which(wanted)
    key = path or f"missing {wanted}"  # each missing name is said as itself
    if key not in _detected:
        _detected[key] = _probe(path, wanted)
    return _detected[key]


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


@dataclass(frozen=True)
class SandboxGuard:
    """What the agent tells Bash besides the settings: who turned the sandbox off, what to hide."""

    off_by_user: bool = False  # the user's own config turned the sandbox off (not a repository's)
    read_denied: Callable[[], list[Path]] = list  # existing paths `Read(…)` deny rules name


def sandbox_guard(ctx: ToolContext) -> SandboxGuard:
    return ctx.services.sandbox_guard or SandboxGuard()


@dataclass(frozen=True)
class Policy:
    """What one sandboxed command may not touch inside the workspace."""

    protect: bool = True  # protected paths read-only (sandbox.protected_paths)
    hide: tuple[Path, ...] = ()  # paths covered by an unreadable stand-in


UNRESTRICTED = Policy()  # protected paths kept, nothing hidden: what a command gets without an agent's rules


def policy(ctx: ToolContext) -> Policy:
    return Policy(protect=sandbox_settings(ctx).protected_paths, hide=tuple(sandbox_guard(ctx).read_denied()))


def unsandboxed_notice(settings: SandboxSettings, guard: SandboxGuard) -> str:
    """What the model must know when Bash runs without a sandbox; empty when it runs in one or the
    user turned it off on purpose."""
    if settings.enabled:
        status = detect()
        return "" if status.available else unavailable_notice(status)
    if guard.off_by_user:
        return ""
    return ("The sandbox is turned off by this repository's settings, not by the user: Bash commands run "
            "unsandboxed, with the user's full permissions, and every command needs the user's approval first "
            "(no rule or permission mode lets one run unasked).")


def startup_warning(settings: SandboxSettings, off_by_user: bool) -> str | None:
    """The line a front end shows once at start when commands will run unsandboxed unasked-for."""
    if settings.enabled:
        status = detect()
        if status.available:
            return None
        why = f"the sandbox is unavailable ({status.reason})"
    elif off_by_user:
        return None
    else:
        why = "the sandbox is turned off by this repository's settings"
    return (f"{why}: every Bash command will ask for approval. To run commands unsandboxed under your rules, "
            "set sandbox.enabled = false in your user config.")


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
    mounts: Sequence[str] = (),
) -> list[str]:
    """The bwrap command line running `argv` with `/` read-only and only `roots` (and `tmpdir`) writable.

    `tmpdir` is mounted at /tmp, so scratch files never touch the real one; later binds win, so
    roots under /tmp stay reachable at their own paths. The pid namespace and --die-with-parent
    make killing bwrap kill everything the command started. --new-session keeps a command from
    pushing keystrokes into a terminal (TIOCSTI). `seccomp_fd` (from `unix_socket_filter`, passed
    to the child) stops the command from opening UNIX sockets, which would reach services outside
    the sandbox (a Docker socket is root on the host) through the read-only filesystem. `mounts`
    (from `Mounts`) come after the workspace, so they win over it.
    """
    args = [bwrap or detect().bwrap or "bwrap", "--cap-drop", "ALL", "--ro-bind", "/", "/", "--dev", "/dev",
            "--proc", "/proc"]
    if tmpdir is not None:
        args += ["--bind", str(tmpdir), "/tmp"]
    for root in (r.resolve() for r in roots):
        if root.is_dir():
            args += ["--bind", str(root), str(root)]
    args += mounts
    if not network:
        args.append("--unshare-net")
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += ["--unshare-pid", "--die-with-parent", "--new-session", "--", *argv]
    return args


# --- protected and hidden paths -------------------------------------------------------------


@dataclass
class Mounts:
    """The bwrap arguments that keep protected paths read-only and hide read-denied ones."""

    args: list[str]
    placeholders: list[Path]  # protected paths that did not exist: bwrap makes each a mount point on the host


class Standins:
    """Empty directories bound over paths: a readable one holds the place of a protected path that
    does not exist yet; an unreadable one (mode 000, and no capability overrides that) covers a
    path a `Read(…)` deny rule names. Kept outside the sandbox's own /tmp."""

    def __init__(self) -> None:
        import tempfile

        self._dir = tempfile.TemporaryDirectory(prefix="claw-standins-", ignore_cleanup_errors=True)
        base = Path(self._dir.name)
        self.empty_dir = base / "empty"
        self.denied_dir = base / "denied-dir"
        self.denied_file = base / "denied-file"
        self.empty_dir.mkdir()
        self.denied_dir.mkdir(mode=0)
        self.denied_file.touch(mode=0)
        os.chmod(self.denied_dir, 0)
        os.chmod(self.denied_file, 0)

    def close(self) -> None:
        os.chmod(self.denied_dir, 0o700)
        self._dir.cleanup()


def mounts(roots: Sequence[Path], *, protect: bool, hide: Sequence[Path], standins: Standins) -> Mounts:
    """Read-only binds over the protected paths inside `roots` (`protect`), and unreadable
    stand-ins over the existing paths in `hide`."""
    args: list[str] = []
    placeholders: list[Path] = []
    if protect:
        for target in protected.sandbox_targets(roots):
            if target.exists and target.path not in PLACEHOLDERS:
                args += ["--ro-bind", str(target.path), str(target.path)]
                continue
            missing = _first_missing(target.path)
            if missing in placeholders:
                continue
            args += ["--ro-bind", str(standins.empty_dir), str(missing)]
            placeholders.append(missing)
    for path in hide:
        if os.path.lexists(path) and not path.is_symlink():
            standin = standins.denied_dir if path.is_dir() else standins.denied_file
            args += ["--ro-bind", str(standin), str(path)]
    return Mounts(args, placeholders)


def _first_missing(path: Path) -> Path:
    """The shallowest part of `path` that does not exist: a stand-in there blocks creating it all."""
    missing = path
    while not os.path.lexists(missing.parent) and missing.parent != missing:
        missing = missing.parent
    return missing


class Placeholders:
    """The mount points bwrap made on the host for missing protected paths, removed once no running
    command needs them. One record per process: another sandbox (a background command, a subagent's)
    may hold the same ones, and removing a mount point on the host would undo its mount there."""

    def __init__(self) -> None:
        self._held: dict[Path, int] = {}

    def __contains__(self, path: object) -> bool:
        return path in self._held

    def hold(self, paths: Sequence[Path]) -> None:
        for path in paths:
            self._held[path] = self._held.get(path, 0) + 1

    def release(self, paths: Sequence[Path]) -> None:
        for path in paths:
            left = self._held.get(path, 0) - 1
            if left > 0:
                self._held[path] = left
                continue
            self._held.pop(path, None)
            with contextlib.suppress(OSError):  # not empty (the user made it meanwhile), or gone
                path.rmdir()


PLACEHOLDERS = Placeholders()


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
        try:
            os.write(write, _socket_filter_program())  # 96 bytes: far below a pipe's buffer
        finally:
            # Closed exactly once: a second close could hit whatever reused the number meanwhile
            # (it once closed the command's own output pipe, which then died of SIGPIPE).
            os.close(write)
        yield read
    finally:
        os.close(read)


def unavailable_notice(status: SandboxStatus) -> str:
    """The one sentence telling the model that Bash runs without a sandbox, and what follows."""
    return (
        f"{status.reason[:1].upper()}{status.reason[1:]}: the sandbox is unavailable, so Bash commands run "
        "unsandboxed, with the user's full permissions, and every command needs the user's approval first "
        "(no rule or permission mode lets one run unasked)."
    )
