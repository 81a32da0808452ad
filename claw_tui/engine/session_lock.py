"""One writer per session: an OS file lock held by the process that has the session open.

Each session has a lock file beside the database (`locks/<id>.lock`). The holder keeps an
exclusive `flock` on it for as long as it writes the session, and notes its pid there so a
second claw can say who has it. The kernel drops the lock when the holder exits, however it
exits, so a crashed or killed claw never keeps a session locked. Where `fcntl` is missing
(Windows) sessions are not locked.
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

from claw_tui.core.private_files import private_dir
from claw_tui.engine.sessions import StoreDiskError, StoreError, disk_problem

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class SessionBusy(StoreError):
    """Another claw process has the session open for writing."""

    def __init__(self, session_id: str, holder: str) -> None:
        self.session_id = session_id
        self.holder = holder
        super().__init__(
            f"Session {session_id} is open in another claw{f' ({holder})' if holder else ''}; "
            "two writers would interleave it."
        )


class SessionLock:
    def __init__(self, session_id: str, fd: int | None) -> None:
        self.session_id = session_id
        self._fd = fd

    @classmethod
    def acquire(cls, folder: Path, session_id: str) -> SessionLock:
        """Lock `session_id` for this process, or raise SessionBusy naming the holder."""
        if fcntl is None:
            return cls(session_id, None)
        path = lock_path(folder, session_id)
        try:
            private_dir(path.parent)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreDiskError(f"Cannot lock session {session_id}: {disk_problem(path.parent, exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise SessionBusy(session_id, holder) from None
        except OSError:  # a file system without locks (some network mounts): unlocked rather than not at all
            os.close(fd)
            return cls(session_id, None)
        note = f"pid {os.getpid()} on {socket.gethostname()}, since {time.strftime('%H:%M:%S')}"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, note.encode(), 0)
        except OSError:
            pass  # the lock holds without the note (a full disk, say)
        return cls(session_id, fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def lock_path(folder: Path, session_id: str) -> Path:
    return folder / "locks" / (re.sub(r"[^A-Za-z0-9_.-]", "_", session_id) + ".lock")


def any_locked(folder: Path) -> list[str]:
    """The sessions some process holds now (recovery must not swap the database under it)."""
    held: list[str] = []
    if fcntl is None or not (folder / "locks").is_dir():
        return held
    for path in (folder / "locks").glob("*.lock"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            held.append(path.stem)
        finally:
            os.close(fd)
    return held


def _read_holder(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
