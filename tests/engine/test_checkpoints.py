"""Undo and rewind against real files in a temporary project, with the store reopened in between."""

from __future__ import annotations

from pathlib import Path

import pytest

from claw_tui.engine.checkpoints import CheckpointStore
from claw_tui.engine.sessions import SessionStore, StoreError


@pytest.fixture
def db(tmp_path):
    return tmp_path / "sessions.db"


@pytest.fixture
def project(tmp_path):
    p = tmp_path / "proj"
    p.mkdir()
    return p


def claw_write(cps: CheckpointStore, sid: str, turn: str, index: int, path: Path, text: str) -> None:
    """What the file tools do: snapshot, write, record."""
    prior = path.read_bytes() if path.exists() else None
    cps.snapshot(sid, turn, index, path, prior)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    cps.record_written(sid, turn, path, text.encode())


def test_undo_last_turn_restores_edits_and_deletes_new_files_after_a_restart(db, project):
    a, new = project / "a.py", project / "pkg" / "new.py"
    a.write_text("original\n")
    with SessionStore.open(db) as store:
        sid = store.create_session(project, "m")
        cps = CheckpointStore(store)
        claw_write(cps, sid, "turn_1", 1, a, "first edit\n")
        claw_write(cps, sid, "turn_1", 1, a, "second edit\n")  # same turn: the first prior counts
        claw_write(cps, sid, "turn_1", 1, new, "brand new\n")
    with SessionStore.open(db) as store:  # a restart
        report = CheckpointStore(store).undo_last_turn(sid)
    assert a.read_text() == "original\n"
    assert not new.exists()
    assert report.turn_id == "turn_1"
    assert report.restored == [a.resolve()] and report.deleted == [new.resolve()]
    assert report.lines(project.resolve()) == ["Restored a.py", "Deleted pkg/new.py (claw had created it)"]


def test_turns_are_undone_newest_first_then_nothing_is_left(db, project):
    f = project / "f.txt"
    f.write_text("v0")
    with SessionStore.open(db) as store:
        sid = store.create_session(project, "m")
        cps = CheckpointStore(store)
        claw_write(cps, sid, "turn_1", 1, f, "v1")
        claw_write(cps, sid, "turn_2", 3, f, "v2")
        assert cps.undo_last_turn(sid).turn_id == "turn_2"
        assert f.read_text() == "v1"
        assert cps.undo_last_turn(sid).turn_id == "turn_1"
        assert f.read_text() == "v0"
        empty = cps.undo_last_turn(sid)
        assert empty.empty and empty.lines() == ["No file changes to undo."]


def test_a_file_the_user_changed_is_never_overwritten(db, project):
    mine, gone, fine = project / "mine.txt", project / "gone.txt", project / "fine.txt"
    for p in (mine, gone, fine):
        p.write_text("before")
    with SessionStore.open(db) as store:
        sid = store.create_session(project, "m")
        cps = CheckpointStore(store)
        for p in (mine, gone, fine):
            claw_write(cps, sid, "turn_1", 1, p, "claw wrote this")
        mine.write_text("the user's own change")
        gone.unlink()
        report = cps.undo_last_turn(sid)
    assert mine.read_text() == "the user's own change"
    assert not gone.exists()
    assert fine.read_text() == "before"
    lines = report.lines(project.resolve())
    assert "Skipped mine.txt: it was changed after claw wrote it; left as it is" in lines
    assert "Skipped gone.txt: it was deleted after claw wrote it; left as it is" in lines
    assert "Restored fine.txt" in lines


def test_rewind_restores_every_file_to_before_a_message(db, project):
    a, b = project / "a", project / "b"
    a.write_text("a0")
    with SessionStore.open(db) as store:
        sid = store.create_session(project, "m")
        cps = CheckpointStore(store)
        claw_write(cps, sid, "turn_1", 1, a, "a1")
        claw_write(cps, sid, "turn_2", 3, a, "a2")
        claw_write(cps, sid, "turn_2", 3, b, "b2")
        claw_write(cps, sid, "turn_3", 5, a, "a3")
        report = cps.rewind(sid, 2)  # before message 2: turn_1's change stays
        assert a.read_text() == "a1" and not b.exists()
        assert sorted(p.name for p in report.restored + report.deleted) == ["a", "b"]
        # the rewound turns are done; undo goes on with turn_1
        assert cps.undo_last_turn(sid).turn_id == "turn_1"
        assert a.read_text() == "a0"


def test_an_unfinished_write_restores_what_was_there(db, project):
    f = project / "f"
    f.write_text("v0")
    with SessionStore.open(db) as store:
        sid = store.create_session(project, "m")
        cps = CheckpointStore(store)
        claw_write(cps, sid, "turn_1", 1, f, "v1")
        cps.snapshot(sid, "turn_2", 3, f, f.read_bytes())  # the write of turn_2 never happened
        report = cps.rewind(sid, 0)
    assert f.read_text() == "v0" and report.restored == [f.resolve()]


def test_contents_are_stored_once(db, project):
    f = project / "f"
    with SessionStore.open(db) as store:
        sid = store.create_session(project, "m")
        cps = CheckpointStore(store)
        for turn in range(10):
            f.write_text("same content every time")
            claw_write(cps, sid, f"turn_{turn}", turn, f, "claw's version")
        blobs = store._query("SELECT COUNT(*) FROM blobs")[0][0]
        assert blobs == 1


def test_truncating_and_deleting_drop_checkpoints_and_unused_blobs(db, project):
    f = project / "f"
    f.write_text("v0")
    with SessionStore.open(db) as store:
        sid = store.create_session(project, "m")
        cps = CheckpointStore(store)
        claw_write(cps, sid, "turn_1", 1, f, "v1")
        claw_write(cps, sid, "turn_2", 3, f, "v2")
        store.truncate_after(sid, 2)  # turn_2's checkpoint goes with its messages
        assert cps.undo_last_turn(sid).turn_id == "turn_1"
        assert store._query("SELECT COUNT(*) FROM blobs")[0][0] == 1
        store.delete(sid)
        assert store._query("SELECT COUNT(*) FROM blobs")[0][0] == 0


def test_recording_a_write_without_a_snapshot_is_refused(db, project):
    with SessionStore.open(db) as store:
        sid = store.create_session(project, "m")
        with pytest.raises(StoreError, match="call snapshot"):
            CheckpointStore(store).record_written(sid, "turn_1", project / "x", b"data")
