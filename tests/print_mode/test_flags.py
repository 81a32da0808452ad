"""Claude Code's print-mode flags, with Claude Code's meanings, against the fake model server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from claw_runner import claw_program, run_program
from fake_model import Reply, Text, ToolCall

from claw_tui import __version__
from claw_tui.engine.sessions import SessionStore

DEMO = Path(__file__).resolve().parents[1] / "mcp" / "servers" / "demo.py"
APPROVER = Path(__file__).resolve().parent / "servers" / "approver.py"


def system_text(request) -> str:
    system = request.json["system"]
    return system if isinstance(system, str) else "\n".join(b["text"] for b in system)


def tool_names(request) -> list[str]:
    return [t["name"] for t in request.json.get("tools", [])]


def mcp_file(path: Path, name: str, **env: str) -> str:
    path.write_text(json.dumps({"mcpServers": {name: {"command": sys.executable, "args": [str(DEMO)],
                                                      "env": {"DEMO_NAME": name, **env}}}}))
    return str(path)


def test_every_flag_the_issue_names_starts_claw(claw_p, fake_model, project, tmp_path):
    """The command line that stopped claw with exit 2 runs; the two flags claw cannot honour yet
    are each named on one stderr line."""
    fake_model.script(Reply(parts=[ToolCall("StructuredOutput", {"ok": True})]))
    extra = tmp_path / "extra"
    extra.mkdir()
    (tmp_path / "settings.json").write_text('{"permissions": {"deny": ["WebFetch"]}}')
    run = claw_p(
        "-p", "go", "--output-format", "stream-json", "--verbose", "--dangerously-skip-permissions",
        "--append-system-prompt", "Be brief.", "--system-prompt", "You review code.", "--add-dir", str(extra),
        "--settings", str(tmp_path / "settings.json"), "--session-id", str(uuid.uuid4()),
        "--fallback-model", "haiku", "--max-budget-usd", "2", "--no-session-persistence",
        "--include-partial-messages", "--input-format", "text", "--permission-mode", "dontAsk",
        "--tools", "Read,Grep", "--strict-mcp-config", "--json-schema", '{"type": "object"}',
        "--include-hook-events", "--agents", '{"rev": {"description": "Reviews", "prompt": "Review."}}',
        "--setting-sources", "user,project", "--bare",
        "--mcp-config", mcp_file(tmp_path / "a.json", "alpha"), mcp_file(tmp_path / "b.json", "beta"),
    )
    assert run.code == 0, run.stderr
    assert run.stderr.splitlines() == [
        "claw: --fallback-model: claw does not switch to another model when the main one is overloaded yet; ignored",
        "claw: --include-hook-events: claw does not report hook events in stream-json yet; ignored",
    ]
    init, *_, result = run.lines()
    assert init["permissionMode"] == "dontAsk" and init["agents"][-1] == "rev"
    assert {"mcp__alpha__add", "mcp__beta__add", "StructuredOutput", "Read", "Grep"} <= set(init["tools"])
    assert "Write" not in init["tools"] and init["additional_directories"] == [str(extra.resolve())]
    assert result["subtype"] == "success" and result["structured_output"] == {"ok": True}


def test_version_short_and_long(claw_p):
    for flag in ("-v", "--version"):
        run = subprocess.run([claw_program(), flag], capture_output=True, text=True, check=False)
        assert run.returncode == 0 and run.stdout == f"claw {__version__}\n"


def test_model_aliases_and_bare_ids_resolve_through_the_catalog(claw_p, fake_model):
    fake_model.script(Reply(parts=[Text("a")]), Reply(parts=[Text("b")]))
    assert claw_p("-p", "hi", "--model", "sonnet").code == 0
    assert claw_p("-p", "hi", "--model", "gpt-5.6-luna").code == 0
    assert fake_model.requests[0].json["model"] == "claude-sonnet-5-5"
    assert fake_model.requests[1].path.endswith(("/chat/completions", "/responses"))
    assert fake_model.requests[1].json["model"] == "gpt-5.6-luna"


def test_an_unknown_model_is_an_immediate_clear_error(claw_p, fake_model):
    started = time.monotonic()
    run = claw_p("-p", "hi", "--model", "sonet")
    assert run.code == 1 and run.stdout == "" and fake_model.requests == []
    assert run.stderr.startswith("claw: Unknown model 'sonet'") and len(run.stderr.splitlines()) == 1
    assert "local/sonet" in run.stderr and time.monotonic() - started < 30


def test_session_id_resume_and_fork(claw_p, fake_model, project):
    fake_model.script(*[Reply(parts=[Text(t)]) for t in ("one", "two", "three")])
    chosen = str(uuid.uuid4())
    first = claw_p("-p", "first", "--output-format", "json", "--session-id", chosen).lines()[0]
    assert first["session_id"] == chosen
    taken = claw_p("-p", "again", "--session-id", chosen)
    assert taken.code == 1 and "already in use" in taken.stderr
    forked = claw_p("-p", "second", "--output-format", "json", "--resume", chosen[:8], "--fork-session").lines()[0]
    assert forked["session_id"] != chosen and str(uuid.UUID(forked["session_id"]))
    assert [m["role"] for m in fake_model.requests[1].json["messages"]] == ["user", "assistant", "user"]
    again = claw_p("-p", "third", "--output-format", "json", "--continue").lines()[0]
    assert again["session_id"] == forked["session_id"], "--continue takes the latest session: the fork"
    with SessionStore.open() as store:
        assert store.get(chosen).message_count == 2, "forking left the original as it was"
        assert store.get(forked["session_id"]).parent_id == chosen
    bad = claw_p("-p", "x", "--session-id", "not-a-uuid")
    assert bad.code == 1 and bad.stderr == "claw: --session-id must be a UUID, not 'not-a-uuid'\n"


def test_no_session_persistence_keeps_nothing(claw_p, fake_model):
    fake_model.script(Reply(parts=[Text("gone")]))
    result = claw_p("-p", "hi", "--output-format", "json", "--no-session-persistence").lines()[0]
    assert result["result"] == "gone" and str(uuid.UUID(result["session_id"]))
    with SessionStore.open() as store:
        assert store.list() == []
    resumed = claw_p("-p", "hi", "--resume", result["session_id"])
    assert resumed.code == 1 and "No session matches" in resumed.stderr


def test_system_prompt_flags(claw_p, fake_model, project, tmp_path):
    (project / "CLAUDE.md").write_text("Always use tabs.\n")
    fake_model.script(*[Reply(parts=[Text("ok")]) for _ in range(3)])
    claw_p("-p", "a", "--system-prompt", "You are a reviewer.", "--append-system-prompt", "Reply in French.")
    (tmp_path / "sp.txt").write_text("From a file.")
    claw_p("-p", "b", "--system-prompt-file", str(tmp_path / "sp.txt"))
    claw_p("-p", "c", "--bare")
    replaced, from_file, bare = (system_text(r) for r in fake_model.requests)
    assert replaced.startswith("You are a reviewer.") and "You are claw" not in replaced
    assert replaced.rstrip().endswith("Reply in French.") and "Always use tabs." in replaced
    assert from_file.startswith("From a file.")
    assert "You are claw" in bare and "Always use tabs." not in bare, "--bare reads no CLAUDE.md"


def test_tools_limits_the_built_in_tools(claw_p, fake_model):
    fake_model.script(*[Reply(parts=[Text("ok")]) for _ in range(3)])
    claw_p("-p", "a", "--tools", "Read,Grep")
    claw_p("-p", "b", "--tools", "")
    claw_p("-p", "c", "--tools", "default")
    only, none, every = (tool_names(r) for r in fake_model.requests)
    assert only == ["Read", "Grep"] and none == [] and {"Read", "Write", "Bash", "Agent"} <= set(every)
    bad = claw_p("-p", "d", "--tools", "Reed")
    assert bad.code == 1 and bad.stderr.startswith("claw: --tools: no built-in tool named Reed")


def test_permission_modes(claw_p, fake_model, project):
    write = {"file_path": str(project / "out.txt"), "content": "x\n"}
    fake_model.script(Reply(parts=[ToolCall("Write", write)]), Reply(parts=[Text("denied")]),
                      Reply(parts=[ToolCall("Write", write)]), Reply(parts=[Text("done")]))
    dont_ask = claw_p("-p", "w", "--output-format", "json", "--permission-mode", "dontAsk").lines()[0]
    assert [d["tool_name"] for d in dont_ask["permission_denials"]] == ["Write"]
    assert not (project / "out.txt").exists()
    skip = claw_p("-p", "w", "--output-format", "json", "--dangerously-skip-permissions").lines()[0]
    assert skip["permission_denials"] == [] and (project / "out.txt").read_text() == "x\n"


def test_settings_and_setting_sources(claw_p, fake_model, project, isolated_home):
    (isolated_home / ".claude").mkdir()
    (isolated_home / ".claude" / "settings.json").write_text('{"permissions": {"deny": ["Glob"]}}')
    fake_model.script(*[Reply(parts=[Text("ok")]) for _ in range(3)])
    claw_p("-p", "a")
    claw_p("-p", "b", "--setting-sources", "project,local")
    claw_p("-p", "c", "--settings", '{"permissions": {"deny": ["Grep"]}}')
    with_user, without_user, with_flag = (tool_names(r) for r in fake_model.requests)
    assert "Glob" not in with_user and "Glob" in without_user
    assert "Grep" not in with_flag and "Glob" not in with_flag
    bad = claw_p("-p", "d", "--setting-sources", "user,team")
    assert bad.code == 1 and "not team" in bad.stderr


def test_agents_json_adds_agent_types(claw_p, fake_model):
    fake_model.script(Reply(parts=[Text("ok")]))
    agents = {"reviewer": {"description": "Reviews code for bugs", "prompt": "You review.", "tools": ["Read"]}}
    run = claw_p("-p", "a", "--output-format", "stream-json", "--agents", json.dumps(agents))
    assert "reviewer" in run.lines()[0]["agents"]
    agent_tool = next(t for t in fake_model.requests[0].json["tools"] if t["name"] == "Agent")
    assert "- reviewer: Reviews code for bugs (Tools: Read)" in agent_tool["description"]
    bad = claw_p("-p", "a", "--agents", '{"x": {"description": "no prompt"}}')
    assert bad.code == 1 and bad.stderr == "claw: --agents: agent 'x' needs a description and a prompt\n"


def test_mcp_config_takes_several_files_and_strict_leaves_the_project_out(claw_p, fake_model, project, tmp_path):
    fake_model.script(Reply(parts=[Text("ok")]), Reply(parts=[Text("ok")]))
    mcp_file(project / ".mcp.json", "local")
    files = [mcp_file(tmp_path / "a.json", "alpha"), mcp_file(tmp_path / "b.json", "beta")]
    claw_p("-p", "a", "--mcp-config", *files, "--strict-mcp-config")
    assert {"mcp__alpha__add", "mcp__beta__add"} <= set(tool_names(fake_model.requests[0]))
    assert not any(n.startswith("mcp__local__") for n in tool_names(fake_model.requests[0]))


def test_an_mcp_tool_answers_permission_asks(claw_p, fake_model, project, tmp_path):
    config = tmp_path / "gate.json"
    config.write_text(json.dumps({"mcpServers": {"gate": {"command": sys.executable, "args": [str(APPROVER)]}}}))
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": str(project / "ok.txt"), "content": "1\n"}),
                     ToolCall("Write", {"file_path": str(project / "secret.txt"), "content": "2\n"})]),
        Reply(parts=[Text("done")]),
    )
    run = claw_p("-p", "w", "--output-format", "json", "--mcp-config", str(config),
                 "--permission-prompt-tool", "mcp__gate__approve")
    result = run.lines()[0]
    assert (project / "ok.txt").exists() and not (project / "secret.txt").exists()
    assert [d["tool_input"]["file_path"] for d in result["permission_denials"]] == [str(project / "secret.txt")]
    results = fake_model.requests[1].json["messages"][-1]["content"]
    assert "may not touch secrets" in json.dumps(results)


def test_json_schema(claw_p, fake_model):
    bad = claw_p("-p", "a", "--output-format", "json", "--json-schema", "{not json")
    assert bad.code == 1 and bad.stderr.startswith("claw: --json-schema is not valid JSON")
    schema = '{"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}'
    fake_model.script(
        Reply(parts=[Text("It is four.")]),  # no tool call: reminded once
        Reply(parts=[ToolCall("StructuredOutput", {"n": "four"})]),  # does not validate: told why
        Reply(parts=[ToolCall("StructuredOutput", {"n": 4})]),
    )
    result = claw_p("-p", "2+2?", "--output-format", "json", "--json-schema", schema).lines()[0]
    assert result["subtype"] == "success" and result["structured_output"] == {"n": 4} and result["result"] == '{"n":4}'
    told = json.dumps(fake_model.requests[2].json["messages"][-1])
    assert "does not follow the schema" in told and "n: 'four' is not of type 'integer'" in told


def test_name_titles_the_session(claw_p, fake_model):
    fake_model.script(Reply(parts=[Text("ok")]))
    session = claw_p("-p", "hi", "--output-format", "json", "-n", "Nightly review").lines()[0]["session_id"]
    with SessionStore.open() as store:
        assert store.get(session).title == "Nightly review"


def test_user_commands_and_skills_expand_as_in_claude_code(claw_p, fake_model, project):
    (project / ".claude" / "commands").mkdir(parents=True)
    (project / ".claude" / "commands" / "greet.md").write_text("---\ndescription: Greets\n---\nSay hello to $ARGUMENTS.\n")
    (project / ".claude" / "skills" / "shout").mkdir(parents=True)
    (project / ".claude" / "skills" / "shout" / "SKILL.md").write_text(
        "---\nname: shout\ndescription: Shouts\n---\nSHOUT: $ARGUMENTS\n")
    fake_model.script(*[Reply(parts=[Text("ok")]) for _ in range(4)])
    claw_p("-p", "/greet Bob")
    claw_p("-p", "/shout go team")
    unknown = claw_p("-p", "/nosuch thing")
    claw_p("-p", "/greet Bob", "--disable-slash-commands")
    greet, shout, nosuch, literal = ([b["text"] for b in r.json["messages"][0]["content"]] for r in fake_model.requests)
    assert greet == [("<command-message>greet</command-message>\n<command-name>/greet</command-name>\n"
                     "<command-args>Bob</command-args>\n"), "Say hello to Bob."]
    assert shout[0].startswith("<command-message>shout</command-message>") and "SHOUT: go team" in shout[1]
    assert nosuch[-1] == "/nosuch thing" and "/greet" in nosuch[0] and "/shout" in nosuch[0]
    assert unknown.code == 0 and "No command /nosuch here; the prompt went to the model as typed." in unknown.stderr
    assert literal == ["/greet Bob"]


def test_an_open_stdin_without_a_prompt_times_out_clearly(project, claw_env):
    """Nothing written, nothing closed: claw waits 3 s as Claude Code does, says so, then goes on."""
    proc = subprocess.Popen([claw_program(), "-p"], cwd=project, env=claw_env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        code = proc.wait(timeout=60)
        err = proc.stderr.read()  # type: ignore[union-attr]
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        proc.kill()
    assert code == 1
    assert err.splitlines() == [
        ("claw: no input on standard input in 3 s, going on without it (close it, or redirect it from "
        "/dev/null, to skip the wait)"),
        'claw: no prompt: pass it as an argument (claw -p "…") or on standard input',
    ]


def test_stream_json_input_needs_stream_json_output(project, claw_env):
    run = run_program([claw_program(), "-p", "--input-format", "stream-json"], project, claw_env)
    assert run.returncode == 1 and run.stderr == "claw: --input-format stream-json needs --output-format stream-json\n"


@pytest.mark.parametrize("flag", ["--max-turns", "--max-budget-usd"])
def test_a_bad_number_is_argparses_one_line(project, claw_env, flag):
    run = run_program([claw_program(), "-p", "x", flag, "lots"], project, claw_env)
    assert run.returncode == 2 and "Traceback" not in run.stderr and flag in run.stderr
