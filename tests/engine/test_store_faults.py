"""The session store under faults, through real claw processes: a damaged record, a damaged
page, two writers, a full and a read-only disk, and claw's files private whatever the umask."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from fake_model import Reply, Text, ToolCall
from forked_claw import claw_env, wait_for

from claw_tui.config import user_data_dir
from claw_tui.core.transcript import Message, TextBlock, ToolUseBlock, tool_result, user_text
from claw_tui.engine.sessions import SessionStore


def _assistant(text: str) -> Message:
    return Message(role="assistant", content=[TextBlock(text=text)])


def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr and "internal error" not in stderr, stderr
    return lines[0]


def _valid(messages: list[dict]) -> bool:
    for i, msg in enumerate(messages):
        blocks = msg["content"] if isinstance(msg["content"], list) else []
        results = sorted(b["tool_use_id"] for b in blocks if b["type"] == "tool_result")
        prev = messages[i - 1]["content"] if i and isinstance(messages[i - 1]["content"], list) else []
        if results != sorted(b["id"] for b in prev if b["type"] == "tool_use"):
            return False
    return True


# --- 1. a bad record costs one record ---------------------------------------------------------


def test_a_damaged_message_is_skipped_by_every_read_path_and_kept_for_export(claw_forks, fake_model, tmp_path):
    db = user_data_dir() / "sessions.db"
    with SessionStore.open(db) as store:
        sid = store.import_session(
            tmp_path,
            [user_text("alpha question"), _assistant("alpha answer"), user_text("beta question"), _assistant("beta answer")],
        )
    with sqlite3.connect(db) as conn:  # message 3's JSON cut in the middle, as a torn write would leave it
        conn.execute("UPDATE messages SET data = substr(data, 1, 30) WHERE session_id = ? AND idx = 2", (sid,))
    env = claw_env(fake_model.base_url)

    shown = claw_forks.run(["sessions", "show", sid], tmp_path, env)
    assert shown.code == 0
    assert "alpha answer" in shown.stdout and "beta answer" in shown.stdout
    line = _one_line(shown.stderr)
    assert sid in line and "message 3" in line and "damaged" in line

    exported = claw_forks.run(["sessions", "export", sid, "--format", "jsonl"], tmp_path, env)
    assert exported.code == 0
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    kept = [r for r in records if r["type"] == "damaged_message"]
    assert len(kept) == 1 and kept[0]["index"] == 2 and len(kept[0]["data"]) == 30
    assert sum(r["type"] == "message" for r in records) == 3

    searched = claw_forks.run(["sessions", "search", "beta"], tmp_path, env)
    assert searched.code == 0 and "beta" in searched.stdout

    fake_model.script(Reply(parts=[Text("carried on")]), Reply(parts=[Text("and again")]))
    for args in (["-p", "-c", "go on"], ["-p", "--resume", sid, "once more"]):
        resumed = claw_forks.run(args, tmp_path, env)
        assert resumed.code == 0, resumed.stderr
        assert "message 3" in _one_line(resumed.stderr)
        sent = fake_model.requests[-1].json["messages"]
        assert _valid(sent)
        assert "alpha question" in json.dumps(sent) and "beta answer" in json.dumps(sent)


def test_a_damaged_assistant_message_leaves_no_stray_tool_result(tmp_path):
    from claw_tui.core.transcript import repair

    call = Message(role="assistant", content=[TextBlock(text="x"), ToolUseBlock(id="toolu_1", name="Read", input={})])
    db = tmp_path / "sessions.db"
    with SessionStore.open(db) as store:
        sid = store.import_session(
            tmp_path, [user_text("q"), call, Message(role="user", content=[tool_result("toolu_1", "r")]), _assistant("a")]
        )
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE messages SET data = '{' WHERE session_id = ? AND idx = 1", (sid,))
    with SessionStore.open(db) as store:
        messages = store.messages(sid)
        assert len(messages) == 3 and len(store.take_notices()) == 1
        store.messages(sid)
        assert store.take_notices() == []  # said once
    assert [m.role for m in repair(messages)] == ["user", "assistant"]  # the result of the lost call is dropped


def _damage_page_of(db: Path, table: str, marker: str) -> None:
    """Overwrite the page of `table` that holds `marker` with garbage (the file folded out of WAL first)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (table,))]
    data = bytearray(db.read_bytes())
    page = next(p for p in pages if marker.encode() in data[(p - 1) * page_size : p * page_size])
    data[(page - 1) * page_size : page * page_size] = b"\xa5" * page_size
    db.write_bytes(bytes(data))


def test_a_damaged_page_is_one_line_and_recover_keeps_the_rest(claw_forks, fake_model, tmp_path):
    db = user_data_dir() / "sessions.db"
    with SessionStore.open(db) as store:
        other = store.import_session(tmp_path / "elsewhere", [user_text("kept question"), _assistant("kept answer")])
        sid = store.import_session(
            tmp_path,
            [m for i in range(60) for m in (user_text(f"question {i} " + "x" * 300), _assistant(f"answer {i}"))],
        )
    _damage_page_of(db, "messages", "question 30 ")
    env = claw_env(fake_model.base_url)

    failed = claw_forks.run(["-p", "-c", "go on"], tmp_path, env)
    assert failed.code == 1
    line = _one_line(failed.stderr)
    assert "damaged" in line and "claw sessions recover" in line and str(db) in line

    recovered = claw_forks.run(["sessions", "recover"], tmp_path, env)
    assert recovered.code == 0, recovered.stderr
    kept = sorted(db.parent.glob("sessions.db.damaged-*"))
    assert kept and kept[0].name in recovered.stdout

    with SessionStore.open(db) as store:
        assert [m.text for m in store.messages(other)] == ["kept question", "kept answer"]
        texts = [m.text for m in store.messages(sid)]
    assert 100 <= len(texts) < 120  # one page of messages lost, the rest there
    assert texts[0].startswith("question 0 ") and texts[-1] == "answer 59"

    fake_model.script(Reply(parts=[Text("back in business")]))
    resumed = claw_forks.run(["-p", "-c", "go on"], tmp_path, env)
    assert resumed.code == 0, resumed.stderr
    assert resumed.stdout == "back in business\n"


# --- 2. one writer per session ----------------------------------------------------------------


def test_a_second_process_cannot_write_a_session_that_is_open(claw_forks, fake_model, tmp_path):
    env = claw_env(fake_model.base_url)
    fake_model.script(Reply(parts=[Text("first answer")]))
    first = claw_forks.run(["-p", "start"], tmp_path, env)
    assert first.code == 0, first.stderr
    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        sid = store.latest(tmp_path).id

    fake_model.script(Reply(parts=[ToolCall("Bash", {"command": "echo holding > held.txt; sleep 30"})]))
    holder = claw_forks.start(["-p", "--permission-mode=acceptEdits", "--allowed-tools=Bash", "--resume", sid, "hold it"], tmp_path, env)
    wait_for(lambda: (tmp_path / "held.txt").exists(), what="the first claw inside its slow tool")
    asked = len(fake_model.requests)

    second = claw_forks.run(["-p", "--resume", sid, "butt in"], tmp_path, env)
    assert second.code == 1
    line = _one_line(second.stderr)
    assert sid in line and f"pid {holder.pid}" in line
    assert f"claw sessions show {sid}" in line and "--fork-session" in line  # the read-only view, the fork
    assert len(fake_model.requests) == asked  # it asked the model nothing

    shown = claw_forks.run(["sessions", "show", sid], tmp_path, env)
    assert shown.code == 0 and "hold it" in shown.stdout  # reading is fine meanwhile
    deleted = claw_forks.run(["sessions", "delete", "--yes", sid], tmp_path, env)
    assert deleted.code == 1 and "open in another claw" in _one_line(deleted.stderr)

    fake_model.script(Reply(parts=[Text("in the fork")]))
    forked = claw_forks.run(["-p", "--resume", sid, "--fork-session", "fork it"], tmp_path, env)
    assert forked.code == 0, forked.stderr
    assert forked.stdout == "in the fork\n"

    os.kill(holder.pid, signal.SIGKILL)  # a crashed holder does not keep the session locked
    claw_forks.wait(holder)
    fake_model.script(Reply(parts=[Text("mine now")]))
    after = claw_forks.run(["-p", "--resume", sid, "take over"], tmp_path, env)
    assert after.code == 0, after.stderr

    with SessionStore.open(user_data_dir() / "sessions.db") as store:
        texts = [m.text for m in store.messages(sid)]
        fork = next(s for s in store.list(tmp_path) if s.parent_id == sid)
        fork_texts = [m.text for m in store.messages(fork.id)]
    assert "butt in" not in texts and "fork it" not in texts  # never interleaved
    assert texts[:3] == ["start", "first answer", "hold it"] and texts[-2:] == ["take over", "mine now"]
    assert fork_texts[:3] == ["start", "first answer", "hold it"] and fork_texts[-2:] == ["fork it", "in the fork"]


# --- 3. a full disk is a disk error -------------------------------------------------------------


def _namespace_forks(tmp_path: Path):
    from forked_claw import ClawForks

    if subprocess.run(["unshare", "-m", "true"], check=False, capture_output=True).returncode != 0:
        pytest.fail("this machine refuses a private mount namespace (unshare -m), which the full-disk test "
                    "needs (root, or unprivileged user namespaces); see README: Development")
    return ClawForks(tmp_path / "forks", dict(os.environ), wrapper=["unshare", "-m"])


@pytest.mark.needs("unshare")
def test_a_full_then_read_only_disk_is_one_line_and_the_session_goes_on(fake_model, tmp_path):
    (tmp_path / "forks").mkdir()
    project = tmp_path / "project"
    project.mkdir()
    data = user_data_dir()
    data.mkdir(parents=True, exist_ok=True)
    env = claw_env(fake_model.base_url)
    with _namespace_forks(tmp_path) as forks:
        code, out = forks.sh(f"mount --make-rprivate / && mount -t tmpfs -o size=600k tmpfs {data}")
        assert code == 0, out
        fake_model.script(Reply(parts=[Text("answer one")]))
        assert forks.run(["-p", "one"], project, env).code == 0

        forks.sh(f"head -c 10M /dev/zero > {data}/filler")  # fills the disk, and fails doing so
        asked = len(fake_model.requests)
        full = forks.run(["-p", "-c", "two"], project, env)
        assert full.code == 1
        line = _one_line(full.stderr)
        assert "full" in line and str(data) in line and "free" in line
        assert len(fake_model.requests) == asked  # the prompt could not be stored: the turn stopped before the model

        forks.sh(f"rm {data}/filler")
        fake_model.script(Reply(parts=[Text("answer three")]))
        freed = forks.run(["-p", "-c", "three"], project, env)
        assert freed.code == 0, freed.stderr
        assert _valid(fake_model.requests[-1].json["messages"])

        code, out = forks.sh(f"mount -o remount,ro {data}")
        assert code == 0, out
        read_only = forks.run(["-p", "-c", "four"], project, env)
        assert read_only.code == 1
        assert "read-only" in _one_line(read_only.stderr)
        shown = forks.run(["sessions", "show", "--json", _latest_id(forks, project, env)], project, env)
        assert shown.code == 0, shown.stderr  # reading still works on a read-only disk
        texts = [m["content"][0]["text"] for m in json.loads(shown.stdout)["messages"]]
    assert texts == ["one", "answer one", "three", "answer three"]  # nothing half-written from "two"


def _latest_id(forks, project: Path, env: dict[str, str]) -> str:
    listed = forks.run(["sessions", "list", "--json"], project, env)
    assert listed.code == 0, listed.stderr
    return json.loads(listed.stdout)[0]["id"]


def test_the_crash_log_is_not_promised_where_it_cannot_be_written(tmp_path, monkeypatch):
    from claw_tui import cli

    monkeypatch.setenv("CLAW_DATA_DIR", str(tmp_path / "file-not-dir"))
    (tmp_path / "file-not-dir").write_text("")  # the data folder cannot be created: a file is in the way
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "file-not-dir"))
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        assert cli._log_crash() is None


# --- 6. private by default -----------------------------------------------------------------------


def _modes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode)
        for p in [folder, *folder.rglob("*")]
        if not p.is_symlink()
    }


def test_claws_files_are_private_whatever_the_umask(claw_forks, fake_model, tmp_path):
    fake_model.script(Reply(parts=[ToolCall("Bash", {"command": "touch running; sleep 30"})]))
    run = claw_forks.start(["-p", "--allowed-tools=Bash", "go"], tmp_path, claw_env(fake_model.base_url), umask=0)
    wait_for(lambda: (tmp_path / "running").exists(), what="claw inside its tool, its database open")
    from claw_tui.config import FolderTrust

    FolderTrust().trust(tmp_path)
    try:
        modes = _modes(user_data_dir())
    finally:
        os.kill(run.pid, signal.SIGKILL)
        claw_forks.wait(run)
    assert {"sessions.db", "sessions.db-wal", "sessions.db-shm", "trusted_folders.json"} <= set(modes)
    assert any(name.startswith("locks/") for name in modes)
    for name, mode in modes.items():
        want = 0o700 if (user_data_dir() / name).is_dir() else 0o600
        assert mode == want, f"{name}: {oct(mode)}"


def test_an_older_install_is_tightened_on_the_next_start(claw_forks, tmp_path):
    data, config = user_data_dir(), Path(os.environ["CLAW_CONFIG_DIR"])
    for folder in (data, data / "mcp-logs", config, config / "agents"):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    files = [data / "crash.log", data / "history.jsonl", data / "mcp-logs" / "time.log", config / "config.toml",
             config / "agents" / "helper.md"]
    for file in files:
        file.write_text("x")
        file.chmod(0o644)
    hook = config / "notify.sh"
    hook.write_text("#!/bin/sh\n")
    hook.chmod(0o755)
    listed = claw_forks.run(["sessions", "list"], tmp_path, dict(os.environ))
    assert listed.code == 0, listed.stderr
    for folder in (data, data / "mcp-logs", config, config / "agents"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE(hook.stat().st_mode) == 0o700  # the owner's script stays runnable


async def test_a_write_refused_mid_turn_stops_the_turn_and_the_next_one_stores_what_waited(fake_model, tmp_path):
    """SQLite's own SQLITE_FULL (the database may not grow past max_page_count) in the middle of a turn."""
    from agent_harness import make_agent
    from fake_model import ToolCall as Call

    from claw_tui.core import events as ev

    store = SessionStore.open(tmp_path / "sessions.db")
    agent = make_agent(tmp_path, fake_model.base_url, store=store)
    fake_model.script(Reply(parts=[Text("hello")]))
    [e async for e in agent.run_turn("first")]
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")  # full from here on
    fake_model.script(Reply(parts=[Text("big " * 3000), Call("Read", {"file_path": "x"})]))
    events = [e async for e in agent.run_turn("second")]
    errors = [e for e in events if isinstance(e, ev.Error)]
    assert len(errors) == 1 and errors[0].kind == "store" and "full" in errors[0].message
    assert events[-1].stop_reason == "error"
    # The prompt fitted; the reply did not, and nothing of it was half-written.
    assert [m.text for m in store.messages(agent.session_id)] == ["first", "hello", "second"]

    store._conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
    fake_model.script(Reply(parts=[Text("third answer")]))
    events = [e async for e in agent.run_turn("third")]
    assert events[-1].stop_reason == "end_turn"
    stored = store.messages(agent.session_id)
    assert [m.role for m in stored] == ["user", "assistant", "user", "assistant", "user", "user", "assistant"]
    assert stored[4].tool_results[0].text.startswith("Not run: claw could not save the session")
    assert _valid(fake_model.requests[-1].json["messages"])
    await agent.aclose()
    store.close()
