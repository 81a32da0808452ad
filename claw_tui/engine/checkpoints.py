"""File snapshots for /undo and /rewind, kept in the session database so they survive a restart.

Before every write the tool layer calls `snapshot` with the file's prior bytes (None for a new
file); after it, `record_written` with what claw wrote. Contents are stored once per sha256
(compressed), so a file written in many turns costs one blob per distinct version. A file the
user changed since claw wrote it is never overwritten: undo skips it and says so.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from claw_tui.engine.sessions import SessionStore, StoreError


@dataclass
class UndoReport:
    turn_id: str | None = None
    restored: list[Path] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)  # files claw had created
    unchanged: list[Path] = field(default_factory=list)  # already as they were before
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, why)

    @property
    def empty(self) -> bool:
        return not (self.restored or self.deleted or self.unchanged or self.skipped)

    def lines(self, root: Path | None = None) -> list[str]:
        """One line per file, paths relative to root when inside it."""

        def show(p: Path) -> str:
            if root is not None and p.is_relative_to(root):
                return str(p.relative_to(root))
            return str(p)

        if self.empty:
            return ["No file changes to undo."]
        out = [f"Restored {show(p)}" for p in self.restored]
        out += [f"Deleted {show(p)} (claw had created it)" for p in self.deleted]
        out += [f"Unchanged {show(p)} (already as before)" for p in self.unchanged]
        out += [f"Skipped {show(p)}: {why}" for p, why in self.skipped]
        return out


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class CheckpointStore:
    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def snapshot(
        self, session_id: str, turn_id: str, message_index: int, path: Path, prior: bytes | None
    ) -> None:
        """Remember a file's content before claw writes it; the first snapshot in a turn wins."""
        prior_sha = sha256(prior) if prior is not None else None
        with self.store.transaction() as c:
            if prior is not None:
                c.execute(
                    "INSERT OR IGNORE INTO blobs (sha, size, data) VALUES (?, ?, ?)",
                    (prior_sha, len(prior), zlib.compress(prior)),
                )
            c.execute(
                "INSERT INTO checkpoints (session_id, turn_id, message_index, path, prior_sha, created) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, turn_id, path) DO UPDATE SET "
                "prior_sha = excluded.prior_sha, written_sha = NULL, undone = 0, "
                "message_index = excluded.message_index, created = excluded.created WHERE undone = 1",
                (session_id, turn_id, message_index, _key(path), prior_sha, time.time()),
            )

    def record_written(self, session_id: str, turn_id: str, path: Path, after: bytes) -> None:
        """Remember what claw wrote, so undo can tell whether the user changed it since."""
        with self.store.transaction() as c:
            cur = c.execute(
                "UPDATE checkpoints SET written_sha = ? WHERE session_id = ? AND turn_id = ? AND path = ?",
                (sha256(after), session_id, turn_id, _key(path)),
            )
            if cur.rowcount == 0:
                raise StoreError(f"No snapshot of {path} in turn {turn_id}; call snapshot() before writing.")

    def undo_last_turn(self, session_id: str) -> UndoReport:
        """Restore the files of the latest turn that changed any (and was not undone yet)."""
        with self.store.transaction() as c:
            row = c.execute(
                "SELECT turn_id FROM checkpoints WHERE session_id = ? AND undone = 0 "
                "ORDER BY rowid DESC LIMIT 1",
                (session_id,),
            ).fetchone()
            if row is None:
                return UndoReport()
            rows = c.execute(
                "SELECT rowid, path, prior_sha, written_sha FROM checkpoints "
                "WHERE session_id = ? AND turn_id = ? AND undone = 0 ORDER BY rowid",
                (session_id, row["turn_id"]),
            ).fetchall()
        report = self._restore(rows)
        report.turn_id = row["turn_id"]
        return report

    def rewind(self, session_id: str, message_index: int) -> UndoReport:
        """Restore files to how they were before message_index; the caller truncates the conversation."""
        with self.store.transaction() as c:
            rows = c.execute(
                "SELECT rowid, path, prior_sha, written_sha FROM checkpoints "
                "WHERE session_id = ? AND message_index >= ? AND undone = 0 ORDER BY rowid",
                (session_id, message_index),
            ).fetchall()
        return self._restore(rows)

    def _restore(self, rows: list[sqlite3.Row]) -> UndoReport:
        """Per path: back to the earliest prior, if the file is still what claw last left there."""
        plans: dict[str, tuple[str | None, str | None]] = {}
        for r in rows:
            target = plans[r["path"]][0] if r["path"] in plans else r["prior_sha"]
            # If the last write never completed, the file should still hold that snapshot's prior.
            expected = r["written_sha"] if r["written_sha"] is not None else r["prior_sha"]
            plans[r["path"]] = (target, expected)
        report = UndoReport()
        for key, (target_sha, expected_sha) in plans.items():
            path = Path(key)
            try:
                self._restore_one(path, target_sha, expected_sha, report)
            except OSError as exc:
                report.skipped.append((path, f"could not write it ({exc.strerror or exc})"))
        with self.store.transaction() as c:
            c.executemany("UPDATE checkpoints SET undone = 1 WHERE rowid = ?", [(r["rowid"],) for r in rows])
        return report

    def _restore_one(
        self, path: Path, target_sha: str | None, expected_sha: str | None, report: UndoReport
    ) -> None:
        current = path.read_bytes() if path.is_file() else None
        current_sha = sha256(current) if current is not None else None
        if current_sha == target_sha:
            report.unchanged.append(path)
        elif current_sha != expected_sha:
            why = "it was deleted" if current is None else "it was changed"
            report.skipped.append((path, f"{why} after claw wrote it; left as it is"))
        elif target_sha is None:
            path.unlink()
            report.deleted.append(path)
        else:
            data = self._blob(target_sha)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            report.restored.append(path)

    def _blob(self, sha: str) -> bytes:
        with self.store.transaction() as c:
            row = c.execute("SELECT data FROM blobs WHERE sha = ?", (sha,)).fetchone()
        if row is None:
            raise StoreError(f"The saved copy {sha[:12]} is missing from the session database.")
        return zlib.decompress(row[0])


def _key(path: Path) -> str:
    return str(Path(path).expanduser().resolve())
