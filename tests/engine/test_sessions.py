"""The session store against real SQLite files: content, search, forks, concurrency, damage, migrations."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from pydantic import TypeAdapter

from claw_tui.core import events as ev
from claw_tui.core.transcript import Message, TextBlock, ToolUseBlock, tool_result, user_text
from claw_tui.engine.session_recovery import recover
from claw_tui.engine.sessions import (
    SCHEMA_VERSION,
    SessionStore,
    StoreDamaged,
    StoreError,
    UsageRecord,
    fts_query,
    new_session_id,
    title_from_prompt,
)


@pytest.fixture
def store(tmp_path):
    s = SessionStore.open(tmp_path / "sessions.db")
    yield s
    s.close()


@pytest.fixture
def project(tmp_path):
    p = tmp_path / "proj"
    p.mkdir()
    return p


def assistant(text: str, *calls: ToolUseBlock) -> Message:
    return Message(
        role="assistant", content=[TextBlock(text=text), *calls], model="anthropic/claude-sonnet-4-5"
    )


def test_default_path_is_in_the_user_data_dir(isolated_home):
    with SessionStore.open() as s:
        assert s.path == isolated_home / "data" / "sessions.db"
        assert s.path.is_file()


def test_messages_round_trip_and_the_first_prompt_names_the_session(store, project):
    sid = store.create_session(project, "anthropic/claude-sonnet-4-5")
    msgs = [
        user_text("\n  Fix the   flaky test in tests/test_io.py\nit fails on CI"),
        assistant("Looking.", ToolUseBlock(id="t1", name="Read", input={"file_path": "tests/test_io.py"})),
        Message(role="user", content=[tool_result("t1", "def test(): ...")]),
    ]
    for m in msgs:
        store.append_message(sid, m)
    assert store.messages(sid) == msgs
    info = store.get(sid)
    assert info is not None
    assert info.title == "Fix the flaky test in tests/test_io.py"
    assert info.message_count == 3
    assert info.project == str(project.resolve())
    assert info.models == ["anthropic/claude-sonnet-4-5"]
    store.set_title_if_empty(sid, "ignored")
    assert store.get(sid).title == "Fix the flaky test in tests/test_io.py"
    store.rename(sid, "Flaky test")
    assert store.get(sid).title == "Flaky test"


def test_a_given_title_is_kept_and_a_long_prompt_is_cut_at_a_word():
    long = "Please rewrite the configuration loader so that it merges every layer in order and reports"
    title = title_from_prompt(long)
    assert len(title) <= 60 and title.endswith("…")
    assert long.startswith(title[:-1])
    assert title_from_prompt("\n\n  short one \n more") == "short one"


def test_given_title_is_not_replaced(store, project):
    sid = store.create_session(project, "m", title="My title")
    store.append_message(sid, user_text("something else"))
    assert store.get(sid).title == "My title"


def test_unknown_session_is_a_clear_error(store):
    assert store.get("nope") is None
    with pytest.raises(StoreError, match="No session 'nope'"):
        store.append_message("nope", user_text("hi"))


def test_list_latest_and_project_filter(store, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    ids = []
    for i, proj in enumerate([a, b, a, a]):
        sid = store.create_session(proj, "m")
        store.append_message(sid, user_text(f"prompt {i}"))
        ids.append(sid)
    # touching an old session moves it to the top
    store.append_message(ids[0], assistant("late reply"))
    assert [s.id for s in store.list(a)] == [ids[0], ids[3], ids[2]]
    assert [s.id for s in store.list()] == [ids[0], ids[3], ids[2], ids[1]]
    assert [s.id for s in store.list(limit=2, offset=1)] == [ids[3], ids[2]]
    assert store.latest(a).id == ids[0]
    assert store.latest(b).id == ids[1]
    assert store.latest(tmp_path) is None


def test_ids_are_uuids_and_resolve_by_unique_prefix(store, project):
    made = store.create_session(project, "anthropic/claude-sonnet-4-5")
    assert str(uuid.UUID(made)) == made and new_session_id() != new_session_id()
    assert store.resolve_id(made[:8]) == made and store.resolve_id(made.upper()) == made
    assert store.create_session(project, "m", session_id="0f8c7a86-3d0e-4c55-9a57-3a3a0b6b1f10") == (
        "0f8c7a86-3d0e-4c55-9a57-3a3a0b6b1f10"
    )
    with pytest.raises(StoreError, match="already in use"):
        store.create_session(project, "m", session_id=made)
    first = store.import_session(project, [], session_id="abcd000000001")
    store.import_session(project, [], session_id="abcd000000002")
    assert store.resolve_id("abcd000000001") == first
    assert store.resolve_id("ABCD000000001 ") == first
    with pytest.raises(StoreError, match="matches several sessions"):
        store.resolve_id("abcd")
    with pytest.raises(StoreError, match="No session matches 'zzzz'"):
        store.resolve_id("zzzz")
    with pytest.raises(StoreError, match="No session matches"):
        store.resolve_id("a%_*")


def test_search_finds_text_and_tool_arguments_with_highlights(store, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    s1 = store.create_session(a, "m")
    store.append_message(s1, user_text("The tokenizer chokes on foo-bar identifiers"))
    store.append_message(
        s1,
        assistant("Let me run it.", ToolUseBlock(id="t", name="Bash", input={"command": "pytest -k lexer"})),
    )
    store.append_message(s1, Message(role="user", content=[tool_result("t", "secretoutputword")]))
    s2 = store.create_session(b, "m")
    store.append_message(s2, user_text("another tokenizer question"))

    hits = store.search("foo-bar")
    assert [(h.session_id, h.message_index) for h in hits] == [(s1, 0)]
    assert "«foo-bar»" in hits[0].snippet
    assert hits[0].title.startswith("The tokenizer")
    assert [(h.session_id, h.message_index) for h in store.search("lexer")] == [(s1, 1)]
    assert store.search("secretoutputword") == []  # tool output is not indexed
    assert {h.session_id for h in store.search("tokenizer")} == {s1, s2}
    assert [h.session_id for h in store.search("tokenizer", project=b)] == [s2]
    assert [h.message_index for h in store.search("tokeni")] == [0, 0]  # the last word is a prefix
    for weird in ['"', "'", "foo AND (", "NEAR(a b)", "-", "*", "col:x", "^", "   ", ""]:
        assert isinstance(store.search(weird), list)


def test_fts_query_quotes_every_term():
    assert fts_query('a "b" c-d') == '"a" """b""" "c-d"*'
    assert fts_query("  ") == ""


def test_usage_totals_models_and_cost_today(store, project):
    sid = store.create_session(project, "anthropic/claude-sonnet-4-5")
    store.record_usage(sid, "anthropic/claude-sonnet-4-5", 100, 20, 5, 7, 0.25)
    store.record_usage(sid, "local/llama3", 10, 2, 0, 0, None)
    info = store.get(sid)
    assert (info.input_tokens, info.output_tokens, info.cache_read_tokens, info.cache_write_tokens) == (
        110,
        22,
        5,
        7,
    )
    assert info.cost_usd == pytest.approx(0.25)
    assert info.cost_partial
    assert info.models == ["anthropic/claude-sonnet-4-5", "local/llama3"]
    other = store.create_session(project, "m")
    store.record_usage(other, "m", 1, 1, 0, 0, 0.5)
    store.import_session(project, [], usage=[UsageRecord("m", cost_usd=9.0, ts=time.time() - 3 * 86400)])
    assert store.cost_today() == pytest.approx(0.75)


def test_events_keep_models_dicts_and_named_records(store, project):
    sid = store.create_session(project, "m")
    store.append_event(sid, ev.Usage(model="m", input_tokens=3))
    store.append_event(sid, {"type": "task_graph", "graph": {"tasks": []}})
    store.append_event(sid, "summary_edited", {"message_id": "msg_1", "text": "new"})
    got = store.events(sid)
    assert [e["type"] for e in got] == ["usage", "task_graph", "summary_edited"]
    assert TypeAdapter(ev.EngineEvent).validate_python(got[0]) == ev.Usage(model="m", input_tokens=3, ts=got[0]["ts"])
    assert store.events(sid, {"summary_edited"}) == [
        {"type": "summary_edited", "message_id": "msg_1", "text": "new"}
    ]
    with pytest.raises(StoreError, match="type"):
        store.append_event(sid, {"no": "type"})


def test_fork_copies_up_to_a_message_and_points_back(store, project):
    sid = store.create_session(project, "m", title="Original")
    msgs = [user_text("one"), assistant("two"), user_text("three"), assistant("four")]
    for i, m in enumerate(msgs):
        store.append_message(sid, m)
        store.append_event(sid, {"type": "mark", "after": i})
    fork = store.fork(sid, 1)
    assert store.messages(fork) == msgs[:2]
    assert store.messages(sid) == msgs
    info = store.get(fork)
    assert info.parent_id == sid and info.title == "Original (fork)" and info.message_count == 2
    assert [e["after"] for e in store.events(fork)] == [0, 1]
    assert {h.session_id for h in store.search("two")} == {sid, fork}
    store.append_message(fork, user_text("a different three"))
    assert len(store.messages(fork)) == 3 and len(store.messages(sid)) == 4
    with pytest.raises(StoreError, match="has 4 messages"):
        store.fork(sid, 4)


def test_truncate_after_drops_messages_events_and_their_search_entries(store, project):
    sid = store.create_session(project, "m")
    for i, m in enumerate([user_text("alpha"), assistant("bravo"), user_text("charlie"), assistant("delta")]):
        store.append_message(sid, m)
        store.append_event(sid, {"type": "mark", "after": i})
    store.truncate_after(sid, 1)
    assert [m.text for m in store.messages(sid)] == ["alpha", "bravo"]
    assert store.get(sid).message_count == 2
    assert [e["after"] for e in store.events(sid)] == [0, 1]
    assert store.search("charlie") == [] and store.search("delta") == []
    store.append_message(sid, user_text("echo"))
    assert [m.text for m in store.messages(sid)] == ["alpha", "bravo", "echo"]
    store.truncate_after(sid, -1)
    assert store.messages(sid) == [] and store.get(sid).message_count == 0


def test_delete_removes_everything_and_unlinks_forks(store, project):
    sid = store.create_session(project, "m")
    store.append_message(sid, user_text("zebra crossing"))
    store.record_usage(sid, "m", 1, 1, 0, 0, 1.0)
    fork = store.fork(sid, 0)
    store.delete(sid)
    assert store.get(sid) is None
    assert store.messages(sid) == [] and store.events(sid) == []
    assert [h.session_id for h in store.search("zebra")] == [fork]
    assert store.get(fork).parent_id is None
    assert store.cost_today() == 0.0
    with pytest.raises(StoreError):
        store.delete(sid)


def test_everything_survives_reopening(tmp_path, project):
    path = tmp_path / "s.db"
    with SessionStore.open(path) as s:
        sid = s.create_session(project, "m")
        s.append_message(sid, user_text("persist me"))
    with SessionStore.open(path) as s:
        assert [m.text for m in s.messages(sid)] == ["persist me"]
        assert s.search("persist")[0].session_id == sid


WRITER = textwrap.dedent(
    """
    import sys
    import time
    from pathlib import Path
    from claw_tui.engine.sessions import SessionStore
    from claw_tui.core.transcript import user_text

    db, shared, tag, n = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    Path(sys.argv[5]).touch()  # ready
    while not Path(sys.argv[6]).exists():  # go
        time.sleep(0.001)
    store = SessionStore.open(db)
    own = store.create_session(Path(sys.argv[7]), "m")
    for i in range(n):
        store.append_message(shared, user_text(f"{tag} shared {i}"))
        store.append_message(own, user_text(f"{tag} own {i}"))
        store.record_usage(shared, "m", 1, 1, 0, 0, 0.001)
    print(own)
    """
)


def test_two_processes_append_to_one_database_at_once(tmp_path, project):
    db = tmp_path / "shared.db"
    with SessionStore.open(db) as s:
        shared = s.create_session(project, "m")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    go = tmp_path / "go"
    n = 150
    procs = []
    for tag in ("A", "B"):
        ready = tmp_path / f"ready-{tag}"
        args = [sys.executable, str(script), str(db), shared, tag, str(n), str(ready), str(go), str(project)]
        procs.append(
            (subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), ready)
        )
    while not all(ready.exists() for _, ready in procs):
        for proc, _ in procs:
            assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.01)
    go.touch()
    owns = []
    for proc, _ in procs:
        out, err = proc.communicate(timeout=100)
        assert proc.returncode == 0, err
        owns.append(out.strip())
    with SessionStore.open(db) as s:
        texts = [m.text for m in s.messages(shared)]
        assert len(texts) == 2 * n
        for tag in ("A", "B"):
            # each writer's messages are all there, in its own order
            assert [t for t in texts if t.startswith(tag)] == [f"{tag} shared {i}" for i in range(n)]
        assert s.get(shared).message_count == 2 * n
        assert s.get(shared).input_tokens == 2 * n
        for own, tag in zip(owns, ("A", "B"), strict=True):
            assert [m.text for m in s.messages(own)] == [f"{tag} own {i}" for i in range(n)]
        rows = s._query("SELECT idx FROM messages WHERE session_id = ? ORDER BY idx", (shared,))
        assert [r[0] for r in rows] == list(range(2 * n))


def test_a_file_that_is_not_a_database_is_reported_with_the_way_out_and_kept(tmp_path):
    path = tmp_path / "sessions.db"
    junk = b"this is not sqlite at all\n" * 400
    path.write_bytes(junk)
    with pytest.raises(StoreDamaged) as err:
        SessionStore.open(path)
    message = str(err.value)
    assert "\n" not in message and "damaged" in message and str(path) in message
    assert "claw sessions recover" in message
    assert path.read_bytes() == junk  # nothing moved or rewritten until the user says so

    report = recover(path)
    assert report.kept_as.read_bytes() == junk
    with SessionStore.open(path) as store:  # a fresh, empty database in its place
        assert store.list() == []


def test_a_database_with_a_damaged_schema_page_is_reported(tmp_path, project):
    path = tmp_path / "sessions.db"
    with SessionStore.open(path) as s:
        s.create_session(project, "m")
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=DELETE")  # fold the WAL back so the main file holds everything
    con.close()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[100:page] = b"\xff" * (page - 100)  # the schema page, after the 100-byte header
    path.write_bytes(bytes(data))
    with pytest.raises(StoreDamaged, match="claw sessions recover"):
        SessionStore.open(path)


def test_a_newer_schema_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "sessions.db"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=f"newer claw \\(schema v{SCHEMA_VERSION + 1}"):
        SessionStore.open(path)
    assert path.read_bytes() == before
    assert list(tmp_path.glob("*.bak-*")) == []


# The version 1 schema exactly as it shipped: a real old database to upgrade.
V1_SCHEMA = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, project TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
    parent_id TEXT, models TEXT NOT NULL DEFAULT '[]', created REAL NOT NULL, updated REAL NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0, cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0,
    unpriced INTEGER NOT NULL DEFAULT 0);
CREATE INDEX sessions_project_updated ON sessions(project, updated DESC);
CREATE INDEX sessions_updated ON sessions(updated DESC);
CREATE TABLE messages (rowid INTEGER PRIMARY KEY, session_id TEXT NOT NULL,
    idx INTEGER NOT NULL, id TEXT NOT NULL, role TEXT NOT NULL, created REAL NOT NULL,
    data TEXT NOT NULL, UNIQUE (session_id, idx));
CREATE VIRTUAL TABLE message_fts USING fts5(text, tokenize='unicode61 remove_diacritics 2');
CREATE TABLE events (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, at_message INTEGER NOT NULL,
    type TEXT NOT NULL, ts REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX events_session ON events(session_id, seq);
CREATE TABLE usage (rowid INTEGER PRIMARY KEY, session_id TEXT NOT NULL, model TEXT NOT NULL,
    ts REAL NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL, cost_usd REAL);
CREATE INDEX usage_ts ON usage(ts);
CREATE INDEX usage_session ON usage(session_id);
PRAGMA user_version = 1;
"""


def test_a_version_1_database_is_migrated(tmp_path, project):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(V1_SCHEMA)
    msg = user_text("written by claw v1")
    con.execute(
        "INSERT INTO sessions (id, project, title, created, updated, message_count) "
        "VALUES (?, ?, ?, 1, 2, 1)",
        ("old0000000001", str(project), "Old one"),
    )
    con.execute(
        "INSERT INTO messages (rowid, session_id, idx, id, role, created, data) "
        "VALUES (7, ?, 0, ?, 'user', 1, ?)",
        ("old0000000001", msg.id, msg.model_dump_json()),
    )
    con.execute("INSERT INTO message_fts (rowid, text) VALUES (7, ?)", (msg.text,))
    con.commit()
    con.close()

    with SessionStore.open(path) as s:
        assert s.messages("old0000000001") == [msg]
        assert s.search("written")[0].session_id == "old0000000001"
        from claw_tui.engine.checkpoints import CheckpointStore

        target = project / "f.txt"
        CheckpointStore(s).snapshot("old0000000001", "turn_1", 1, target, None)  # the v2 tables exist
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_calls_a_crash_left_unanswered_get_a_stored_result_once(store, project):
    from claw_tui.engine.sessions import INTERRUPTED_RESULT

    call = Message(role="assistant", content=[ToolUseBlock(id="toolu_a", name="Bash", input={"command": "make"})])
    sid = store.import_session(project, [user_text("build"), call])
    assert store.settle_interrupted_calls(sid) == 1
    assert store.settle_interrupted_calls(sid) == 0  # written once, not again at every load
    last = store.messages(sid)[-1]
    assert last.role == "user" and last.tool_results[0].tool_use_id == "toolu_a"
    assert last.tool_results[0].text == INTERRUPTED_RESULT and "cancelled by the user" not in INTERRUPTED_RESULT.lower()


def test_an_older_claws_prompt_after_a_crash_gets_the_result_put_in_front_of_it(store, project):
    from claw_tui.engine.sessions import INTERRUPTED_RESULT

    call = Message(role="assistant", content=[ToolUseBlock(id="toolu_b", name="Read", input={})])
    sid = store.import_session(project, [user_text("read"), call, user_text("go on"), Message(role="assistant")])
    assert store.settle_interrupted_calls(sid) == 1
    third = store.messages(sid)[2]
    assert [type(b).__name__ for b in third.content] == ["ToolResultBlock", "TextBlock"]
    assert third.tool_results[0].text == INTERRUPTED_RESULT and third.text == "go on"
    assert len(store.messages(sid)) == 4
