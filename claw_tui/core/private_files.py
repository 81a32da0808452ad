"""claw's own files are its user's alone: folders 0700, files 0600, whatever the umask.

Every file claw writes under its data and config directories goes through `private_dir`,
`open_private` or `write_private`; `tighten` brings an install made before that down to the
same modes on the next start. Only claw's own paths are touched: a folder's missing parents
are created 0700 (as the XDG base directory spec asks), existing parents are left alone.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO, cast

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """`path` as a folder only its owner can enter, created (with missing parents) if need be."""
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another claw made it meanwhile
            os.mkdir(folder, DIR_MODE)
    _narrow(path, DIR_MODE)
    return path


@contextlib.contextmanager
def open_private(path: Path, mode: str = "a", encoding: str = "utf-8") -> Iterator[TextIO]:
    """Open a text file of claw's for writing ("a" or "w"), created 0600 and kept so."""
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask cannot widen it, and an older file is narrowed
    except OSError:
        os.close(fd)
        raise
    with os.fdopen(fd, mode, encoding=encoding) as f:
        yield cast(TextIO, f)  # a text mode: fdopen returns a TextIOWrapper


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically (a temporary file beside it, then a rename), 0600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open_private(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
        raise


def create_private_file(path: Path) -> None:
    """Make sure `path` exists as an 0600 file (before SQLite opens it, say, so that its
    journal files, which copy the database file's mode, are private too)."""
    with open_private(path, "a"):
        pass


def narrow_files(paths: Iterable[Path]) -> None:
    """Those of `paths` that exist lose every permission bit of group and others."""
    for path in paths:
        _narrow(path, DIR_MODE)


def tighten(folders: Iterable[Path], depth: int = 1) -> None:
    """Narrow existing installs: each folder, and the files and folders in it (to `depth`
    levels), lose every bit of group and others (0644 becomes 0600, 0755 0700). Symbolic links
    are not followed; what cannot be changed is left as it is."""
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink():
            _narrow(folder, DIR_MODE)
            _tighten_inside(folder, depth)


def _tighten_inside(folder: Path, depth: int) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_file():
            _narrow(Path(entry.path), DIR_MODE)  # group and others lose every bit; an owner's script keeps its x
        elif entry.is_dir() and depth > 0:
            _narrow(Path(entry.path), DIR_MODE)
            _tighten_inside(Path(entry.path), depth - 1)


def _narrow(path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(os.lstat(path).st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)
    except OSError:
        pass  # not ours (another user's, a read-only file system): leave it as it is
