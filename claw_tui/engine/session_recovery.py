"""`claw sessions recover`: what SQLite can still read of a damaged session database, in a new one.

Rows are read by rowid in windows; a window that hits a damaged page is read again row by
row, so one bad page costs the rows on it and nothing else. The new database gets a fresh
search index, sessions whose row was lost get one rebuilt from their messages, and it takes
the damaged file's place; the damaged file (and its -wal/-shm) is kept beside it.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from claw_tui.core.private_files import create_private_file
from claw_tui.core.transcript import Message
from claw_tui.engine.session_lock import any_locked
from claw_tui.engine.sessions import MIGRATIONS, SCHEMA_VERSION, StoreError, search_text

_WINDOW = 256
_TABLES = ("sessions", "messages", "events", "usage", "checkpoints", "blobs")


@dataclass
class RecoveryReport:
    kept_as: Path
    sessions: int = 0
    messages: int = 0
    unreadable_rows: int = 0

    def summary(self, path: Path) -> str:
        lost = f"; {self.unreadable_rows} rows could not be read" if self.unreadable_rows else ""
        return (
            f"Recovered {self.sessions} sessions and {self.messages} messages into {path}{lost}. "
            f"The damaged database is kept as {self.kept_as}."
        )


def recover(path: Path) -> RecoveryReport:
    if not path.exists():
        raise StoreError(f"No session database at {path}; nothing to recover.")
    if held := any_locked(path.parent):
        raise StoreError(
            f"Sessions are open in another claw ({', '.join(held[:3])}); close it before recovering {path}."
        )
    fresh = path.with_name(path.name + ".recovering")
    for leftover in (fresh, fresh.with_name(fresh.name + "-journal")):
        leftover.unlink(missing_ok=True)
    report = RecoveryReport(kept_as=path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"))
    try:
        create_private_file(fresh)
        dst = sqlite3.connect(fresh, isolation_level=None)
        try:
            dst.execute("BEGIN")
            for step in MIGRATIONS:
                step(dst)
            dst.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            _copy_all(path, dst, report)
            _rebuild(dst, report)
            dst.execute("COMMIT")
        finally:
            dst.close()
    except OSError as exc:
        fresh.unlink(missing_ok=True)
        raise StoreError(f"Cannot write the recovered database beside {path}: {exc.strerror or exc}.") from None
    except sqlite3.Error as exc:
        fresh.unlink(missing_ok=True)
        raise StoreError(f"Recovery of {path} failed: {exc}.") from None
    # The damaged file's write-ahead log goes with it: left beside the new file, SQLite would replay it there.
    for suffix in ("", "-wal", "-shm"):
        old = path.with_name(path.name + suffix)
        if old.exists():
            os.replace(old, report.kept_as.with_name(report.kept_as.name + suffix))
    os.replace(fresh, path)
    return report


def _copy_all(path: Path, dst: sqlite3.Connection, report: RecoveryReport) -> None:
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        src.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError:
        report.unreadable_rows += 1  # not a database at all: the new one starts empty
        return
    try:
        for table in _TABLES:
            columns = [r[1] for r in dst.execute(f"PRAGMA table_info({table})")]
            placeholders = ", ".join("?" * len(columns))
            insert = f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
            for row in _readable_rows(src, table, columns, report):
                dst.execute(insert, row)
    finally:
        src.close()


def _readable_rows(
    src: sqlite3.Connection, table: str, columns: list[str], report: RecoveryReport
) -> Iterator[tuple[object, ...]]:
    select = f"SELECT {', '.join(columns)} FROM {table}"
    if table == "blobs":  # no rowid: read it whole, or as far as it goes
        try:
            yield from src.execute(select)
        except sqlite3.DatabaseError:
            report.unreadable_rows += 1
        return
    try:
        top = src.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        top = None  # the rightmost pages are damaged: walk until the rows run out
    start, empty_windows = 0, 0
    while (top is not None and start <= top) or (top is None and empty_windows < 64):
        end = start + _WINDOW
        try:
            rows = src.execute(f"{select} WHERE rowid >= ? AND rowid < ?", (start, end)).fetchall()
        except sqlite3.DatabaseError:
            rows = []
            for rowid in range(start, end):
                try:
                    rows += src.execute(f"{select} WHERE rowid = ?", (rowid,)).fetchall()
                except sqlite3.DatabaseError:
                    report.unreadable_rows += 1
        empty_windows = 0 if rows else empty_windows + 1
        yield from rows
        start = end


def _rebuild(dst: sqlite3.Connection, report: RecoveryReport) -> None:
    """A new search index; a session row for messages whose own was lost; counts as recovered."""
    for rowid, data in dst.execute("SELECT rowid, data FROM messages").fetchall():
        try:
            text = search_text(Message.model_validate_json(data))
        except ValueError:
            continue  # a damaged message stays (claw skips it on load) but is not searchable
        if text:
            dst.execute("INSERT INTO message_fts (rowid, text) VALUES (?, ?)", (rowid, text))
    dst.execute(
        "INSERT INTO sessions (id, project, title, created, updated) "
        "SELECT session_id, '', 'Recovered session', MIN(created), MAX(created) FROM messages "
        "WHERE session_id NOT IN (SELECT id FROM sessions) GROUP BY session_id"
    )
    dst.execute(
        "UPDATE sessions SET message_count = "
        "(SELECT COALESCE(MAX(idx) + 1, 0) FROM messages WHERE messages.session_id = sessions.id)"
    )
    report.sessions = dst.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    report.messages = dst.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
