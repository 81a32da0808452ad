"""`claw sessions …` in-process and as a real process (in a pseudo-terminal where it asks)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from claw_tui.core.transcript import Message, TextBlock, ToolUseBlock, user_text
from claw_tui.engine.sessions import SessionStore
from claw_tui.sessions_cli import OPEN_BROWSER, sessions_main


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """Tables fit titles to the terminal; give every test the same, wide one."""
    monkeypatch.setenv("COLUMNS", "160")


@pytest.fixture
def projects(tmp_path):
    a, b = tmp_path / "alpha", tmp_path / "beta"
    a.mkdir()
    b.mkdir()
    return a, b


@pytest.fixture
def seeded(projects):
    """Two sessions in alpha, one in beta; returns their ids."""
    a, b = projects
    with SessionStore.open() as store:
        s1 = store.create_session(a, "anthropic/claude-sonnet-4-5")
        store.append_message(s1, user_text("Refactor the parser module"))
        store.append_message(
            s1,
            Message(
                role="assistant",
                model="anthropic/claude-sonnet-4-5",
                content=[
                    TextBlock(text="Reading it."),
                    ToolUseBlock(id="t1", name="Read", input={"file_path": "parser.py"}),
                ],
            ),
        )
        store.record_usage(s1, "anthropic/claude-sonnet-4-5", 1000, 200, 0, 0, 1.5)
        s2 = store.create_session(a, "openai/gpt-5")
        store.append_message(s2, user_text("Write docs for the parser"))
        s3 = store.create_session(b, "local/llama3")
        store.append_message(s3, user_text("Unrelated beta work"))
    return s1, s2, s3


def run(args: list[str], capsys) -> tuple[int, str, str]:
    code = sessions_main(args)
    out, err = capsys.readouterr()
    return code, out, err


def claw(args: list[str], cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "claw_tui", "sessions", *args],
        cwd=cwd,
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def in_pty(code: str, cwd: Path, typed: str = "") -> str:
    """Run python code with a terminal on stdin/stdout, type into it, return all it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave, cwd=cwd)
    os.close(slave)
    if typed:
        os.write(master, typed.encode())
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    proc.wait(timeout=60)
    return out.decode(errors="replace").replace("\r\n", "\n")


def test_list_shows_this_projects_sessions_newest_first(seeded, projects, capsys):
    s1, s2, s3 = seeded
    code, out, _ = run(["list", "--project", str(projects[0])], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "UPDATED", "MSGS", "COST", "MODEL", "TITLE"]
    assert [line.split()[0] for line in lines[1:]] == [s2, s1]
    assert "$1.50" in lines[2] and "Refactor the parser module" in lines[2]
    assert s3 not in out


def test_list_all_and_json(seeded, capsys):
    s1, s2, s3 = seeded
    code, out, _ = run(["list", "--all"], capsys)
    assert code == 0 and "PROJECT" in out.splitlines()[0]
    assert [line.split()[0] for line in out.splitlines()[1:]] == [s3, s2, s1]
    code, out, _ = run(["list", "--all", "--json", "--limit", "2"], capsys)
    data = json.loads(out)
    assert [d["id"] for d in data] == [s3, s2]
    assert data[0]["title"] == "Unrelated beta work" and data[0]["models"] == ["local/llama3"]


def test_list_defaults_to_the_current_folder(seeded, projects, capsys, monkeypatch):
    monkeypatch.chdir(projects[1])
    code, out, _ = run(["list"], capsys)
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == [seeded[2]]
    empty = projects[0].parent / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    code, out, _ = run(["list"], capsys)
    assert code == 0 and out.startswith("No sessions for") and "--all" in out


def test_search_table_json_and_scope(seeded, projects, capsys):
    s1, s2, _ = seeded
    code, out, _ = run(["search", "parser", "--project", str(projects[0])], capsys)
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()[1:]} == {s1, s2}
    assert "«parser»" in out
    code, out, _ = run(["search", "parser.py", "--all", "--json"], capsys)
    hits = json.loads(out)
    assert [(h["session_id"], h["message_index"], h["role"]) for h in hits] == [(s1, 1, "assistant")]
    code, out, _ = run(["search", "beta", "--project", str(projects[0])], capsys)
    assert code == 0 and "No messages match 'beta' in this project" in out
    code, out, _ = run(["search", '"unbalanced', "AND", "(", "--all"], capsys)
    assert code == 0 and "No messages match" in out


def test_show_prints_markdown_or_json_by_prefix(seeded, capsys):
    s1 = seeded[0]
    code, out, _ = run(["show", s1[:11]], capsys)
    assert (
        code == 0 and out.startswith("# Refactor the parser module") and "Tool call: Read — parser.py" in out
    )
    code, out, _ = run(["show", s1, "--json"], capsys)
    data = json.loads(out)
    assert data["session"]["id"] == s1 and [m["role"] for m in data["messages"]] == ["user", "assistant"]
    code, out, err = run(["show", "zzzz"], capsys)
    assert code == 1 and out == "" and err == "claw sessions: No session matches 'zzzz'.\n"


def test_export_then_import(seeded, projects, tmp_path, capsys):
    s1 = seeded[0]
    md, jl = tmp_path / "s.md", tmp_path / "s.jsonl"
    assert run(["export", s1, "-o", str(md)], capsys)[0] == 0
    assert md.read_text().startswith("# Refactor the parser module")
    code, out, _ = run(["export", s1, "-o", str(jl)], capsys)
    assert code == 0 and out == f"Exported session {s1} to {jl} (jsonl).\n"
    assert json.loads(jl.read_text().splitlines()[0])["type"] == "claw_session"
    code, out, _ = run(["export", s1, "--format", "jsonl"], capsys)
    assert out == jl.read_text()
    code, out, _ = run(["import", str(jl), "--project", str(projects[1])], capsys)
    assert code == 0 and "2 messages in" in out
    new_id = out.split("as session ")[1].split(":")[0]
    with SessionStore.open() as store:
        assert store.messages(new_id) == store.messages(s1)
        assert store.get(new_id).project == str(projects[1].resolve())
    code, _, err = run(["import", str(tmp_path / "nope.jsonl")], capsys)
    assert code == 1 and err.startswith("claw sessions: Cannot read")


def test_delete_with_yes(seeded, capsys):
    s1 = seeded[0]
    code, out, _ = run(["delete", s1, "--yes"], capsys)
    assert code == 0 and out == f"Deleted session {s1}.\n"
    with SessionStore.open() as store:
        assert store.get(s1) is None


def test_delete_without_a_terminal_needs_yes(seeded, projects):
    s1 = seeded[0]
    proc = claw(["delete", s1], projects[0])
    assert proc.returncode == 1
    assert proc.stderr == "claw sessions: Deleting needs a confirmation; pass --yes when not at a terminal.\n"
    with SessionStore.open() as store:
        assert store.get(s1) is not None


def test_delete_asks_at_a_terminal(seeded, projects):
    s1, s2, _ = seeded
    delete = (
        "import sys; from claw_tui.sessions_cli import sessions_main; "
        "sys.exit(sessions_main(['delete', {!r}]))"
    )
    out = in_pty(delete.format(s1), projects[0], typed="n\n")
    assert "Refactor the parser module" in out and "Delete 1 session(s)?" in out and "Nothing deleted." in out
    out = in_pty(delete.format(s2), projects[0], typed="y\n")
    assert f"Deleted session {s2}." in out
    with SessionStore.open() as store:
        assert store.get(s1) is not None and store.get(s2) is None


def test_bare_sessions_opens_the_browser_only_at_a_terminal(projects):
    code = "from claw_tui.sessions_cli import sessions_main; print('code', sessions_main([]))"
    assert f"code {OPEN_BROWSER}" in in_pty(code, projects[0])
    proc = claw([], projects[0])
    assert proc.returncode == 2
    assert "the session browser needs a terminal" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_arguments_and_a_damaged_database_are_one_line_errors(projects, isolated_home, capsys):
    code, _, err = run(["frobnicate"], capsys)
    assert code == 2 and err.startswith("claw sessions: argument COMMAND: invalid choice")
    data = isolated_home / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "sessions.db").write_bytes(b"\x00garbage" * 512)
    proc = claw(["list"], projects[0])
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1 and "damaged" in proc.stderr and "Traceback" not in proc.stderr
    assert "claw sessions recover" in proc.stderr
