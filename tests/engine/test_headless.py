"""`claw -p` as a user runs it: a real process talking to the fake model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fake_model import Fault, Reply, Text, ToolCall


def claw(cwd, base_url: str | None, *args: str, stdin: str | None = None, keys: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env["CLAW_NO_LOCAL_DISCOVERY"] = "1"
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
        env["OPENAI_BASE_URL"] = base_url + "/v1"
        env["CLAW_LOCAL_BASE_URL"] = base_url + "/v1"
    if keys:
        env["ANTHROPIC_API_KEY"] = "test-key"
        env["OPENAI_API_KEY"] = "test-key"
    env["CLAW_SANDBOX__ENABLED"] = "false"
    return subprocess.run(
        [sys.executable, "-m", "claw_tui", *args],
        check=False,
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_text_output_prints_the_answer(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("Hello from the model")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "say hello")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Hello from the model\n"


def test_prompt_from_stdin(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("got it")]))
    out = claw(tmp_path, fake_model.base_url, "-p", stdin="piped prompt\n")
    assert out.returncode == 0, out.stderr
    assert "piped prompt" in json.dumps(fake_model.requests[0].json["messages"])


def test_json_output_is_one_result_object(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("forty-two")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "answer", "--output-format", "json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["result"] == "forty-two" and result["is_error"] is False and result["num_turns"] == 1


def test_claw_events_prints_engine_events(tmp_path, fake_model):
    (tmp_path / "f.txt").write_text("data\n")
    fake_model.script(Reply(parts=[ToolCall("Read", {"file_path": "f.txt"})]), Reply(parts=[Text("read it")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "read", "--output-format", "claw-events")
    assert out.returncode == 0, out.stderr
    types = [json.loads(line)["type"] for line in out.stdout.splitlines()]
    assert types[0] == "turn_started" and types[-1] == "turn_finished"
    for expected in ("text_delta", "tool_call_started", "tool_call_queued", "permission_decided", "tool_call_finished", "usage"):
        assert expected in types


def test_missing_key_names_the_variable(tmp_path):
    out = claw(tmp_path, None, "-p", "hi", keys=False)
    assert out.returncode == 1
    assert "ANTHROPIC_API_KEY" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_unauthorised_is_one_line_without_traceback(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("x")], fault=Fault.http(401)))
    out = claw(tmp_path, fake_model.base_url, "-p", "hi")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and "401" in out.stderr


def test_permission_flags_gate_tools(tmp_path, fake_model):
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "out.txt", "content": "x\n"})]),
        Reply(parts=[Text("could not")]),
        Reply(parts=[ToolCall("Write", {"file_path": "out.txt", "content": "x\n"})]),
        Reply(parts=[Text("wrote")]),
    )
    denied = claw(tmp_path, fake_model.base_url, "-p", "write")
    assert denied.returncode == 0 and not (tmp_path / "out.txt").exists()
    assert denied.stderr.startswith("claw: Write was denied (") and denied.stdout == "could not\n"
    allowed = claw(tmp_path, fake_model.base_url, "-p", "write", "--allowed-tools", "Write,Edit")
    assert allowed.returncode == 0, allowed.stderr
    assert (tmp_path / "out.txt").read_text() == "x\n"


def test_max_turns_flag_exits_non_zero(tmp_path, fake_model):
    fake_model.script(*[Reply(parts=[ToolCall("Glob", {"pattern": "*"})]) for _ in range(3)])
    out = claw(tmp_path, fake_model.base_url, "-p", "loop", "--max-turns", "2")
    assert out.returncode == 1 and out.stderr == "claw: Stopped after 2 model calls (max turns).\n", "one line"
    as_json = claw(tmp_path, fake_model.base_url, "-p", "loop", "--max-turns", "0", "--output-format", "json")
    result = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and result["subtype"] == "error_max_turns"
    assert as_json.stderr == "claw: Stopped after 0 model calls (max turns).\n"


def test_retries_are_said_on_stderr_while_they_wait(tmp_path, fake_model):
    fake_model.script(Reply(fault=Fault.http(529, retry_after=0.2)), Reply(parts=[Text("back")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "hi")
    assert out.returncode == 0 and out.stdout == "back\n"
    assert "Retrying in" in out.stderr and "(retry 1 of" in out.stderr


def test_openai_model_by_flag(tmp_path, fake_model):
    fake_model.script(Reply(parts=[Text("from gpt")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "hi", "--model", "openai/gpt-5")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "from gpt"
    assert fake_model.requests[0].path.endswith(("/chat/completions", "/responses"))


def test_no_prompt_is_a_clear_error(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "claw_tui", "-p"], cwd=tmp_path, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        check=False,
    )
    assert out.returncode == 1 and ("empty" in out.stderr or "no prompt" in out.stderr)


def test_mcp_config_flag_gives_the_model_the_servers_tools(tmp_path, fake_model):
    from pathlib import Path

    demo = Path(__file__).resolve().parent.parent / "mcp" / "servers" / "demo.py"
    config = tmp_path / "servers.json"
    config.write_text(json.dumps({"mcpServers": {"demo": {"command": sys.executable, "args": [str(demo)]}}}))
    fake_model.script(
        Reply(parts=[ToolCall("mcp__demo__add", {"a": 20, "b": 22})]),
        Reply(parts=[Text("It is 42.")]),
    )
    out = claw(tmp_path, fake_model.base_url, "-p", "add", "--mcp-config", str(config),
               "--allowed-tools", "mcp__demo__add")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "It is 42.\n"
    tools = [t["name"] for t in fake_model.requests[0].json["tools"]]
    assert "mcp__demo__add" in tools
    result = fake_model.requests[1].json["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and "42" in str(result["content"])


def test_bad_mcp_config_is_one_line(tmp_path, fake_model):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = claw(tmp_path, fake_model.base_url, "-p", "hi", "--mcp-config", str(bad))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and "bad.json" in out.stderr


def test_untrusted_project_hooks_do_not_run_until_claw_trust(tmp_path, fake_model):
    marker = tmp_path / "hook-ran"
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude" / "settings.json").write_text(json.dumps({
        "hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": f"touch {marker}"}]}]}
    }))
    fake_model.script(Reply(parts=[Text("one")]), Reply(parts=[Text("two")]))
    out = claw(tmp_path, fake_model.base_url, "-p", "hi")
    assert out.returncode == 0, out.stderr
    assert not marker.exists()
    assert "not trusted" in out.stderr and "hooks from .claude/settings.json" in out.stderr

    trusted = claw(tmp_path, None, "trust")
    assert trusted.returncode == 0 and "hooks from .claude/settings.json now take effect" in trusted.stdout
    out = claw(tmp_path, fake_model.base_url, "-p", "hi again")
    assert out.returncode == 0, out.stderr
    assert marker.exists()


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-6", "openai/gpt-5", "local/llama3"])
def test_headless_edits_a_file_with_each_provider(tmp_path, fake_model, model):
    (tmp_path / "greet.py").write_text('print("helo")\n')
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": "greet.py"})]),
        Reply(parts=[ToolCall("Edit", {"file_path": "greet.py", "old_string": "helo", "new_string": "hello"})]),
        Reply(parts=[Text("Fixed the typo.")]),
    )
    out = claw(tmp_path, fake_model.base_url, "-p", "fix the typo", "--model", model,
               "--permission-mode", "acceptEdits")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "greet.py").read_text() == 'print("hello")\n'
    assert out.stdout == "Fixed the typo.\n"
    assert len(fake_model.requests) == 3


def test_version_names_the_installed_release(tmp_path):
    from importlib.metadata import version

    out = claw(tmp_path, None, "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"claw {version('claw-tui')}"


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    """`claw … | head -0`: the output's reader is gone before claw writes; the command says nothing
    more and fails, as a Unix tool does, and the exit codes of a normal end are kept."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    run = subprocess.run([sys.executable, "-m", "claw_tui", "--version"], stdout=write_end, stderr=subprocess.PIPE,
                         cwd=tmp_path, check=False, text=True)
    os.close(write_end)
    assert (run.returncode, run.stderr) == (1, "")
    assert claw(tmp_path, None, "--no-such-flag").returncode == 2  # argparse's usage error, through the same exit
