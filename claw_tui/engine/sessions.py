"""The session store: every conversation, its replay events, usage and checkpoints in one SQLite file.

WAL mode and short transactions let two claw processes write the same database side by side;
each message is committed as it is appended, so a crash loses at most the message in flight.
Message text is indexed separately in FTS5 for search across sessions. The schema is
versioned with `PRAGMA user_version` and upgraded by the functions in `MIGRATIONS`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ValidationError

from claw_tui.core.private_files import create_private_file, narrow_files, private_dir
from claw_tui.core.transcript import Message, TextBlock, ToolUseBlock, tool_result

TITLE_CHARS = 60
# UUIDs (hex and dashes); sessions made before ids were UUIDs have 13 Crockford base32 characters.
_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz-"
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 10, 13, 14
_BUSY_MS = 10_000
# The result stored for a tool call that was running when claw stopped without settling it.
INTERRUPTED_RESULT = (
    "Not finished: claw stopped (it crashed or was killed) while this call ran, so its result is unknown. "
    "Check what it did before running it again."
)


class StoreError(Exception):
    """A one-line problem with the session store, meant to be shown to the user as it is."""


class StoreDiskError(StoreError):
    """The disk refused a write (full, read-only, no permission): nothing was half-written."""


class StoreDamaged(StoreError):
    """The database file is damaged; `claw sessions recover` saves what can still be read."""


@dataclass
class DamagedRecord:
    """A stored message that no longer parses: skipped on load, kept raw for export."""

    session_id: str
    index: int
    message_id: str
    problem: str
    data: str

    def notice(self) -> str:
        return (
            f"Session {self.session_id}: message {self.index + 1} ({self.message_id}) is damaged and was skipped "
            f"({self.problem}); `claw sessions export {self.session_id} -o FILE.jsonl` keeps it raw."
        )


@dataclass
class SessionInfo:
    id: str
    project: str
    title: str
    models: list[str]
    created: float
    updated: float
    message_count: int
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    # Some usage had no known price, so cost_usd is a lower bound.
    cost_partial: bool = False
    parent_id: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens


@dataclass
class SearchHit:
    session_id: str
    message_index: int
    role: str
    snippet: str  # matched terms between « and »
    rank: float  # bm25: lower is better
    title: str
    project: str
    updated: float


@dataclass
class UsageRecord:
    """One model call's usage; import carries the original timestamp so cost_today stays right."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None
    ts: float = field(default_factory=time.time)


# --- schema ---------------------------------------------------------------------------------

_V1 = [
    """CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        parent_id TEXT,
        models TEXT NOT NULL DEFAULT '[]',
        created REAL NOT NULL,
        updated REAL NOT NULL,
        message_count INTEGER NOT NULL DEFAULT 0,
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cache_read_tokens INTEGER NOT NULL DEFAULT 0,
        cache_write_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        unpriced INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX sessions_project_updated ON sessions(project, updated DESC)",
    "CREATE INDEX sessions_updated ON sessions(updated DESC)",
    """CREATE TABLE messages (
        rowid INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        id TEXT NOT NULL,
        role TEXT NOT NULL,
        created REAL NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (session_id, idx)
    )""",
    "CREATE VIRTUAL TABLE message_fts USING fts5(text, tokenize='unicode61 remove_diacritics 2')",
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL,
        at_message INTEGER NOT NULL,
        type TEXT NOT NULL,
        ts REAL NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX events_session ON events(session_id, seq)",
    """CREATE TABLE usage (
        rowid INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL,
        model TEXT NOT NULL,
        ts REAL NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        cost_usd REAL
    )""",
    "CREATE INDEX usage_ts ON usage(ts)",
    "CREATE INDEX usage_session ON usage(session_id)",
]

_V2_CHECKPOINTS = [
    "CREATE TABLE blobs (sha TEXT PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL) WITHOUT ROWID",
    """CREATE TABLE checkpoints (
        rowid INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL,
        turn_id TEXT NOT NULL,
        message_index INTEGER NOT NULL,
        path TEXT NOT NULL,
        prior_sha TEXT,
        written_sha TEXT,
        created REAL NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0,
        UNIQUE (session_id, turn_id, path)
    )""",
    "CREATE INDEX checkpoints_session ON checkpoints(session_id, rowid)",
]


def _statements(stmts: list[str]) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        for stmt in stmts:
            conn.execute(stmt)

    return run


# MIGRATIONS[i] takes a database from version i to i + 1. Append only; never edit a shipped one.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_statements(_V1), _statements(_V2_CHECKPOINTS)]
SCHEMA_VERSION = len(MIGRATIONS)


# --- helpers --------------------------------------------------------------------------------


def new_session_id() -> str:
    """A random UUID, as Claude Code's session ids are: scripts and the Agent SDK pass them back,
    and a few leading characters are enough to name one (`claw sessions show 3f2a`)."""
    return str(uuid.uuid4())


def title_from_prompt(text: str) -> str:
    """The first non-empty line, cut at a word boundary near TITLE_CHARS."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS - 1]
    if " " in cut[TITLE_CHARS // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def search_text(message: Message) -> str:
    """What search finds in a message: its text and the tool calls' arguments, not tool output."""
    parts: list[str] = []
    for block in message.content:
        if isinstance(block, TextBlock):
            parts.append(block.text)
        elif isinstance(block, ToolUseBlock):
            parts.append(block.name)
            parts.extend(_strings(block.input))
    return "\n".join(p for p in parts if p)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def fts_query(query: str) -> str:
    """Turn what a user typed into a safe FTS5 query: every term quoted, the last one a prefix.

    User input is never FTS syntax, so `foo-bar`, `"` or `AND(` search for themselves.
    """
    terms = ['"' + t.replace('"', '""') + '"' for t in query.split()]
    if not terms:
        return ""
    terms[-1] += "*"
    return " ".join(terms)


def _project_key(project: Path | str) -> str:
    return str(Path(project).expanduser().resolve())


def _event_dict(event: BaseModel | dict[str, Any] | str, data: dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(event, BaseModel):
        out = event.model_dump(mode="json")
    elif isinstance(event, str):
        out = {"type": event, **(data or {})}
    else:
        out = dict(event)
    if not isinstance(out.get("type"), str) or not out["type"]:
        raise StoreError("An event needs a string 'type'.")
    return out


def _local_midnight() -> float:
    return datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


# --- the store ------------------------------------------------------------------------------


class SessionStore:
    """One connection per process; methods are safe to call from several threads."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()
        # Damaged records met so far, each said once per process (`take_notices`).
        self._damaged_seen: set[tuple[str, int]] = set()
        self._notices: list[str] = []

    @classmethod
    def open(cls, path: Path | None = None) -> SessionStore:
        if path is None:
            from claw_tui.config import user_data_dir

            path = user_data_dir() / "sessions.db"
        path = Path(path)
        try:
            private_dir(path.parent)
            # SQLite gives its -wal and -shm files the mode of the database file: 0600 for all three.
            if not path.exists() or not _read_only(path.parent):
                create_private_file(path)
            narrow_files(path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm"))
        except OSError as exc:
            raise StoreDiskError(f"Cannot create the session database {path}: {disk_problem(path.parent, exc)}") from None
        conn: sqlite3.Connection | None = None
        try:
            # On a read-only disk the sessions can still be read; every write then says why it cannot be.
            read_only = _read_only(path.parent)
            conn = sqlite3.connect(
                # immutable: a WAL database opens without its -shm file, which cannot be made here.
                f"file:{path}?mode=ro&immutable=1" if read_only else path,
                timeout=_BUSY_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
                uri=read_only,
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"The session database {path} was written by a newer claw (schema v{version}; "
                    f"this claw knows up to v{SCHEMA_VERSION}). Upgrade claw to open it."
                )
            if not read_only or version < SCHEMA_VERSION:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                _migrate(conn)
        except StoreError:
            if conn is not None:
                conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            if _code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
                raise _damaged(path, exc) from None
            if _code(exc) in (_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN):
                raise StoreDiskError(
                    f"Cannot open the session database {path}: {disk_problem(path.parent, exc)}"
                ) from None
            raise StoreError(f"Cannot open the session database {path}: {exc}.") from None
        return cls(conn, path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions -------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction (BEGIN IMMEDIATE), for this store and CheckpointStore."""
        with self._lock, _errors(self.path):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:  # SQLite has already rolled back after SQLITE_FULL and the like
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock, _errors(self.path):
            cur = self._conn.execute(sql, tuple(params))
            return cur.fetchall()

    def _require(self, conn: sqlite3.Connection, session_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise StoreError(f"No session {session_id!r}.")
        return row

    # --- sessions -----------------------------------------------------------------------

    def create_session(
        self,
        project: Path,
        model: str,
        title: str | None = None,
        parent_id: str | None = None,
        session_id: str | None = None,
    ) -> str:
        """A new empty session; `session_id` chooses its id (`claw -p --session-id`), else a new one."""
        session_id = session_id or new_session_id()
        now = time.time()
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
                raise StoreError(f"Session id {session_id} is already in use.")
            c.execute(
                "INSERT INTO sessions (id, project, title, parent_id, models, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    _project_key(project),
                    title or "",
                    parent_id,
                    json.dumps([model] if model else []),
                    now,
                    now,
                ),
            )
        return session_id

    def get(self, session_id: str) -> SessionInfo | None:
        rows = self._query("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return _info(rows[0]) if rows else None

    def latest(self, project: Path) -> SessionInfo | None:
        rows = self._query(
            "SELECT * FROM sessions WHERE project = ? ORDER BY updated DESC LIMIT 1", (_project_key(project),)
        )
        return _info(rows[0]) if rows else None

    def resolve_id(self, prefix: str) -> str:
        """The one session whose id starts with prefix, or a StoreError saying why not."""
        prefix = prefix.strip().lower()
        if not prefix or any(ch not in _ID_ALPHABET for ch in prefix):
            raise StoreError(f"No session matches {prefix!r} (ids use 0-9, a-z and -).")
        rows = self._query("SELECT id FROM sessions WHERE id GLOB ? ORDER BY id LIMIT 6", (prefix + "*",))
        if not rows:
            raise StoreError(f"No session matches {prefix!r}.")
        if len(rows) > 1:
            shown = ", ".join(r[0] for r in rows[:5]) + (", …" if len(rows) > 5 else "")
            raise StoreError(f"{prefix!r} matches several sessions ({shown}); type more of the id.")
        return rows[0][0]

    def rename(self, session_id: str, title: str) -> None:
        with self.transaction() as c:
            self._require(c, session_id)
            c.execute("UPDATE sessions SET title = ? WHERE id = ?", (title.strip(), session_id))

    def set_title_if_empty(self, session_id: str, title: str) -> None:
        with self.transaction() as c:
            c.execute(
                "UPDATE sessions SET title = ? WHERE id = ? AND title = ''", (title.strip(), session_id)
            )

    def delete(self, session_id: str) -> None:
        with self.transaction() as c:
            self._require(c, session_id)
            c.execute(
                "DELETE FROM message_fts WHERE rowid IN (SELECT rowid FROM messages WHERE session_id = ?)",
                (session_id,),
            )
            for table in ("messages", "events", "usage", "checkpoints"):
                c.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
            c.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            c.execute("UPDATE sessions SET parent_id = NULL WHERE parent_id = ?", (session_id,))
            _drop_orphan_blobs(c)

    # --- messages -----------------------------------------------------------------------

    def append_message(self, session_id: str, message: Message) -> None:
        """Commit one message now; the first user prompt names an untitled session."""
        with self.transaction() as c:
            row = self._require(c, session_id)
            idx = c.execute(
                "SELECT COALESCE(MAX(idx) + 1, 0) FROM messages WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
            self._insert_message(c, session_id, idx, message)
            title = row["title"]
            if (
                not title
                and message.role == "user"
                and not message.is_compaction_summary
                and message.text.strip()
            ):
                title = title_from_prompt(message.text)
            c.execute(
                "UPDATE sessions SET message_count = ?, updated = ?, title = ? WHERE id = ?",
                (idx + 1, time.time(), title, session_id),
            )

    def _insert_message(self, c: sqlite3.Connection, session_id: str, idx: int, message: Message) -> None:
        cur = c.execute(
            "INSERT INTO messages (session_id, idx, id, role, created, data) VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, idx, message.id, message.role, message.created_at, message.model_dump_json()),
        )
        text = search_text(message)
        if text:
            c.execute("INSERT INTO message_fts (rowid, text) VALUES (?, ?)", (cur.lastrowid, text))

    def messages(self, session_id: str) -> list[Message]:
        """The session's messages in order; one that does not parse is skipped and noted once."""
        return [m for _, m in self._indexed_messages(session_id)]

    def _indexed_messages(self, session_id: str) -> list[tuple[int, Message]]:
        out = []
        for idx, mid, data in self._query(
            "SELECT idx, id, data FROM messages WHERE session_id = ? ORDER BY idx", (session_id,)
        ):
            try:
                out.append((idx, Message.model_validate_json(data)))
            except (ValidationError, ValueError, TypeError) as exc:
                self._note_damaged(DamagedRecord(session_id, idx, mid, _first_line(exc), str(data)))
        return out

    def _note_damaged(self, record: DamagedRecord) -> None:
        key = (record.session_id, record.index)
        if key not in self._damaged_seen:
            self._damaged_seen.add(key)
            self._notices.append(record.notice())

    def take_notices(self) -> list[str]:
        """What reading met since the last call (damaged records), one line each, said once."""
        notices, self._notices = self._notices, []
        return notices

    def damaged_messages(self, session_id: str) -> list[DamagedRecord]:
        """The session's messages that do not parse, raw (export keeps them aside)."""
        damaged = []
        for idx, mid, data in self._query(
            "SELECT idx, id, data FROM messages WHERE session_id = ? ORDER BY idx", (session_id,)
        ):
            try:
                Message.model_validate_json(data)
            except (ValidationError, ValueError, TypeError) as exc:
                damaged.append(DamagedRecord(session_id, idx, mid, _first_line(exc), str(data)))
        return damaged

    def settle_interrupted_calls(self, session_id: str) -> int:
        """Store a result for every tool call a crash left unanswered; returns how many.

        A call answered nowhere gets INTERRUPTED_RESULT, written once: into the user message
        that follows it (an older claw appended a prompt after a crash), or as a new message at
        the end, so the transcript on disk is a valid conversation again.
        """
        messages = self._indexed_messages(session_id)
        fixed = 0
        for pos, (_, msg) in enumerate(messages):
            if msg.role != "assistant" or not msg.tool_uses:
                continue
            nxt = messages[pos + 1] if pos + 1 < len(messages) else None
            answered = {r.tool_use_id for r in nxt[1].tool_results} if nxt and nxt[1].role == "user" else set()
            missing = [tool_result(u.id, INTERRUPTED_RESULT, is_error=True) for u in msg.tool_uses if u.id not in answered]
            if not missing:
                continue
            fixed += len(missing)
            if nxt is not None and nxt[1].role == "user":
                updated = nxt[1].model_copy(update={"content": [*missing, *nxt[1].content]})
                with self.transaction() as c:
                    c.execute(
                        "UPDATE messages SET data = ? WHERE session_id = ? AND idx = ?",
                        (updated.model_dump_json(), session_id, nxt[0]),
                    )
            else:
                self.append_message(session_id, Message(role="user", content=list(missing)))
        return fixed

    def truncate_after(self, session_id: str, message_index: int) -> None:
        """Keep messages 0..message_index (for /rewind); -1 empties the session.

        Events recorded after the kept messages and checkpoints of later messages go too.
        """
        with self.transaction() as c:
            self._require(c, session_id)
            c.execute(
                "DELETE FROM message_fts WHERE rowid IN "
                "(SELECT rowid FROM messages WHERE session_id = ? AND idx > ?)",
                (session_id, message_index),
            )
            c.execute("DELETE FROM messages WHERE session_id = ? AND idx > ?", (session_id, message_index))
            c.execute(
                "DELETE FROM events WHERE session_id = ? AND at_message > ?", (session_id, message_index + 1)
            )
            c.execute(
                "DELETE FROM checkpoints WHERE session_id = ? AND message_index > ?",
                (session_id, message_index),
            )
            count = c.execute("SELECT COUNT(*) FROM messages WHERE session_id = ?", (session_id,)).fetchone()[
                0
            ]
            c.execute(
                "UPDATE sessions SET message_count = ?, updated = ? WHERE id = ?",
                (count, time.time(), session_id),
            )
            _drop_orphan_blobs(c)

    def fork(self, session_id: str, upto_message_index: int, new_id: str | None = None) -> str:
        """A new session (with `new_id`, else a new one) holding messages 0..upto_message_index and
        their events; parent_id points back."""
        new_id = new_id or new_session_id()
        now = time.time()
        with self.transaction() as c:
            src = self._require(c, session_id)
            if c.execute("SELECT 1 FROM sessions WHERE id = ?", (new_id,)).fetchone():
                raise StoreError(f"Session id {new_id} is already in use.")
            if not 0 <= upto_message_index < src["message_count"]:
                raise StoreError(
                    f"Cannot fork at message {upto_message_index}: "
                    f"the session has {src['message_count']} messages."
                )
            title = f"{src['title']} (fork)" if src["title"] else ""
            c.execute(
                "INSERT INTO sessions (id, project, title, parent_id, models, created, updated, "
                "message_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (new_id, src["project"], title, session_id, src["models"], now, now, upto_message_index + 1),
            )
            rows = c.execute(
                "SELECT m.idx, m.id, m.role, m.created, m.data, f.text FROM messages m "
                "LEFT JOIN message_fts f ON f.rowid = m.rowid "
                "WHERE m.session_id = ? AND m.idx <= ? ORDER BY m.idx",
                (session_id, upto_message_index),
            ).fetchall()
            for idx, mid, role, created, data, text in rows:
                cur = c.execute(
                    "INSERT INTO messages (session_id, idx, id, role, created, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (new_id, idx, mid, role, created, data),
                )
                if text:
                    c.execute("INSERT INTO message_fts (rowid, text) VALUES (?, ?)", (cur.lastrowid, text))
            c.execute(
                "INSERT INTO events (session_id, at_message, type, ts, data) "
                "SELECT ?, at_message, type, ts, data FROM events "
                "WHERE session_id = ? AND at_message <= ? ORDER BY seq",
                (new_id, session_id, upto_message_index + 1),
            )
        return new_id

    # --- events and usage ---------------------------------------------------------------

    def append_event(
        self, session_id: str, event: BaseModel | dict[str, Any] | str, data: dict[str, Any] | None = None
    ) -> None:
        """Keep what replaying the session needs (Usage, task graph snapshots, Compacted, FileChanged).

        `event` is an engine event, a dict with a "type", or a type name with `data`.
        """
        record = _event_dict(event, data)
        with self.transaction() as c:
            row = self._require(c, session_id)
            c.execute(
                "INSERT INTO events (session_id, at_message, type, ts, data) VALUES (?, ?, ?, ?, ?)",
                (session_id, row["message_count"], record["type"], time.time(), json.dumps(record)),
            )

    def events(self, session_id: str, types: set[str] | None = None) -> list[dict[str, Any]]:
        rows = self._query("SELECT type, data FROM events WHERE session_id = ? ORDER BY seq", (session_id,))
        return [e for kind, data in rows if (types is None or kind in types) and (e := _json_record(data))]

    def event_records(self, session_id: str) -> list[tuple[int, dict[str, Any]]]:
        """Events with the message count when each was recorded (export keeps positions)."""
        rows = self._query(
            "SELECT at_message, data FROM events WHERE session_id = ? ORDER BY seq", (session_id,)
        )
        return [(at, e) for at, data in rows if (e := _json_record(data))]

    def record_usage(
        self,
        session_id: str,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cache_read: int,
        cache_write: int,
        cost_usd: float | None,
    ) -> None:
        usage = UsageRecord(model, input_tokens, output_tokens, cache_read, cache_write, cost_usd)
        with self.transaction() as c:
            row = self._require(c, session_id)
            _add_usage(c, row, usage)

    def usage(self, session_id: str) -> list[UsageRecord]:
        rows = self._query(
            "SELECT model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, ts "
            "FROM usage WHERE session_id = ? ORDER BY rowid",
            (session_id,),
        )
        return [UsageRecord(*r) for r in rows]

    def cost_today(self) -> float:
        """Money spent since local midnight, over all sessions."""
        rows = self._query("SELECT COALESCE(SUM(cost_usd), 0) FROM usage WHERE ts >= ?", (_local_midnight(),))
        return float(rows[0][0])

    # --- search -------------------------------------------------------------------------

    def search(self, query: str, project: Path | None = None, limit: int = 50) -> list[SearchHit]:
        match = fts_query(query)
        if not match:
            return []
        sql = (
            "SELECT m.session_id, m.idx, m.role, snippet(message_fts, 0, '«', '»', '…', 12), "
            "message_fts.rank, s.title, s.project, s.updated FROM message_fts "
            "JOIN messages m ON m.rowid = message_fts.rowid JOIN sessions s ON s.id = m.session_id "
            "WHERE message_fts MATCH ?"
        )
        params: list[Any] = [match]
        if project is not None:
            sql += " AND s.project = ?"
            params.append(_project_key(project))
        sql += " ORDER BY message_fts.rank LIMIT ?"
        params.append(limit)
        return [SearchHit(*r) for r in self._query(sql, params)]

    # --- bulk import --------------------------------------------------------------------

    def import_session(
        self,
        project: Path | str,
        messages: Iterable[Message],
        *,
        title: str = "",
        models: Iterable[str] = (),
        session_id: str | None = None,
        parent_id: str | None = None,
        created: float | None = None,
        updated: float | None = None,
        events: Iterable[tuple[int, dict[str, Any]]] = (),
        usage: Iterable[UsageRecord] = (),
    ) -> str:
        """Add a whole session in one transaction (import, benchmarks); returns its id.

        A given session_id is kept unless taken; events are (at_message, event dict) pairs.
        """
        msgs = list(messages)
        now = time.time()
        created = created if created is not None else (msgs[0].created_at if msgs else now)
        updated = updated if updated is not None else (msgs[-1].created_at if msgs else created)
        if not title:
            first = next(
                (m for m in msgs if m.role == "user" and m.text.strip() and not m.is_compaction_summary), None
            )
            title = title_from_prompt(first.text) if first else ""
        with self.transaction() as c:
            sid = session_id or ""
            if not sid or c.execute("SELECT 1 FROM sessions WHERE id = ?", (sid,)).fetchone():
                sid = new_session_id()
            c.execute(
                "INSERT INTO sessions (id, project, title, parent_id, models, created, updated, "
                "message_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    _project_key(project),
                    title,
                    parent_id,
                    json.dumps(list(models)),
                    created,
                    updated,
                    len(msgs),
                ),
            )
            for idx, msg in enumerate(msgs):
                self._insert_message(c, sid, idx, msg)
            for at, record in events:
                record = _event_dict(record, None)
                c.execute(
                    "INSERT INTO events (session_id, at_message, type, ts, data) VALUES (?, ?, ?, ?, ?)",
                    (sid, at, record["type"], float(record.get("ts") or now), json.dumps(record)),
                )
            for item in usage:
                _add_usage(c, self._require(c, sid), item)
            c.execute("UPDATE sessions SET updated = ? WHERE id = ?", (updated, sid))
        return sid

    # Last in the class: a method named `list` would shadow the builtin in later annotations.
    def list(self, project: Path | None = None, limit: int = 200, offset: int = 0) -> list[SessionInfo]:
        """Newest first; project None means every project."""
        if project is None:
            rows = self._query(
                "SELECT * FROM sessions ORDER BY updated DESC LIMIT ? OFFSET ?", (limit, offset)
            )
        else:
            rows = self._query(
                "SELECT * FROM sessions WHERE project = ? ORDER BY updated DESC LIMIT ? OFFSET ?",
                (_project_key(project), limit, offset),
            )
        return [_info(r) for r in rows]


# --- module internals -----------------------------------------------------------------------


@contextmanager
def _errors(path: Path) -> Iterator[None]:
    """sqlite3 errors become one-line StoreErrors."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        code = _code(exc)
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            raise _damaged(path, exc) from None
        if code in (_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN):
            raise StoreDiskError(f"Cannot save to the session database: {disk_problem(path.parent, exc)}") from None
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreError(
                f"The session database {path} is busy (another claw is writing); try again."
            ) from None
        if isinstance(exc, sqlite3.OperationalError):
            raise StoreError(f"Session database error: {exc}.") from None
        raise StoreError(f"The session database {path} failed: {exc}.") from None


def _code(exc: sqlite3.Error) -> int | None:
    """The primary SQLite result code (SQLITE_FULL…) of an error, extended bits dropped."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _damaged(path: Path, exc: sqlite3.Error) -> StoreDamaged:
    return StoreDamaged(
        f"The session database {path} is damaged ({exc}). `claw sessions recover` copies what can still be "
        "read into a new database and keeps the damaged file beside it."
    )


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def disk_problem(folder: Path, exc: BaseException) -> str:
    """What keeps claw from writing in `folder`, in words: full (and how much is free), read-only, not allowed."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return f"{folder} cannot be written ({exc})."
    if stats.f_flag & os.ST_RDONLY:
        return f"{folder} is on a read-only file system. Nothing was half-written; the session goes on once it is writable."
    if not os.access(folder, os.W_OK):
        return f"permission denied in {folder}. Nothing was half-written; the session goes on once claw may write there."
    free = stats.f_bavail * stats.f_frsize
    return (
        f"the disk holding {folder} is full ({_size(free)} free). Nothing was half-written; "
        "the session goes on once space is freed."
    )


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _json_record(data: str) -> dict[str, Any] | None:
    """A stored JSON object, or None for one that is damaged (an event is skipped, not fatal)."""
    try:
        record = json.loads(data)
    except (ValueError, TypeError):
        return None
    return record if isinstance(record, dict) else None


def _migrate(conn: sqlite3.Connection) -> None:
    """Run the missing migrations in one transaction; a second process waits, then finds none left."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in MIGRATIONS[version:]:
            step(conn)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _info(row: sqlite3.Row) -> SessionInfo:
    return SessionInfo(
        id=row["id"],
        project=row["project"],
        title=row["title"],
        models=_json_list(row["models"]),
        created=row["created"],
        updated=row["updated"],
        message_count=row["message_count"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cache_read_tokens=row["cache_read_tokens"],
        cache_write_tokens=row["cache_write_tokens"],
        cost_usd=row["cost_usd"],
        cost_partial=bool(row["unpriced"]),
        parent_id=row["parent_id"],
    )


def _json_list(data: str) -> list[str]:
    try:
        value = json.loads(data)
    except (ValueError, TypeError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _add_usage(c: sqlite3.Connection, session: sqlite3.Row, u: UsageRecord) -> None:
    c.execute(
        "INSERT INTO usage (session_id, model, ts, input_tokens, output_tokens, cache_read_tokens, "
        "cache_write_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            session["id"],
            u.model,
            u.ts,
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens,
            u.cost_usd,
        ),
    )
    models = _json_list(session["models"])
    if u.model and u.model not in models:
        models.append(u.model)
    c.execute(
        "UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, "
        "cache_read_tokens = cache_read_tokens + ?, cache_write_tokens = cache_write_tokens + ?, "
        "cost_usd = cost_usd + ?, unpriced = unpriced OR ?, models = ? WHERE id = ?",
        (
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens,
            u.cost_usd or 0.0,
            u.cost_usd is None,
            json.dumps(models),
            session["id"],
        ),
    )


def _drop_orphan_blobs(c: sqlite3.Connection) -> None:
    c.execute(
        "DELETE FROM blobs WHERE sha NOT IN (SELECT prior_sha FROM checkpoints WHERE prior_sha IS NOT NULL)"
    )
