"""Opening a resolved path without following any symbolic link on the way.

The permission engine judges the path a file tool resolved (symlinks followed), and the agent
loop keeps that resolution for the rest of the call (`ToolContext.resolved`). The tool then
opens it here: one directory at a time from `/`, each with O_NOFOLLOW, relative to the
descriptor of the one before. A link swapped in anywhere after the check makes the open fail
instead of leading outside the workspace; the opened file's real path is checked as well.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import BinaryIO, cast

from claw_tui.tools.base import ToolError

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def changed(path: Path) -> ToolError:
    return ToolError(
        f"{path} changed while it was being opened (a symbolic link or another file appeared in its place); "
        "nothing was read or written. Look at the path again before retrying."
    )


def open_fd(path: Path, flags: int, mode: int = 0o666, *, make_parents: bool = False) -> int:
    """A descriptor for `path` (absolute, already resolved) opened with `flags`, no link followed;
    `make_parents` creates missing directories the same way. Raises ToolError if a link is in the way."""
    if not path.is_absolute():
        raise ValueError(f"not an absolute path: {path}")
    parts = path.parts
    fd = os.open("/", _DIR_FLAGS)
    try:
        for name in parts[1:-1]:
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not make_parents:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o777, dir_fd=fd)
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        leaf = os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # a link, or a file where a directory was
            raise changed(path) from None
        raise
    finally:
        os.close(fd)
    real = _real_path(leaf)
    if real is not None and real != str(path):
        os.close(leaf)
        raise changed(path)
    return leaf


def _real_path(fd: int) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # no /proc (a container without it): the walk above already refused links
        return None


def open_file(path: Path, mode: str = "rb") -> BinaryIO:
    """`open(path, mode)` for "rb", "wb" (truncate in place) or "xb" (create), following no link."""
    flags = {"rb": os.O_RDONLY, "wb": os.O_WRONLY | os.O_TRUNC, "xb": os.O_WRONLY | os.O_CREAT | os.O_EXCL}[mode]
    return cast(BinaryIO, os.fdopen(open_fd(path, flags, make_parents=mode == "xb"), mode))


def read_bytes(path: Path) -> bytes:
    with open_file(path) as f:
        return f.read()
