"""Record Claude Code's print-mode output for the scenarios in cc_scenarios.py (not a test).

    npm install --prefix /tmp/cc @anthropic-ai/claude-code
    python tests/print_mode/record_claude_code.py /tmp/cc/node_modules/@anthropic-ai/claude-code-linux-x64/claude

Claude Code runs against the fake model server (ANTHROPIC_BASE_URL) in a temporary home and
project; what it prints goes to recordings/<scenario>.jsonl with the temporary paths written
as $PROJECT and $HOME, and recordings/<scenario>.meta.json says how it ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for fake_model

from cc_scenarios import RECORDINGS, SCENARIOS, Scenario
from cc_session import Session, response_to
from fake_model import FakeModelServer, Reply, Text, ToolCall


def environment(home: Path, base_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": "sk-ant-fake",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
    }


class Workspace:
    """A temporary home and project, and a way to write what ran there without its paths."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.project = root / "project"
        self.home.mkdir()
        self.project.mkdir()

    def scrub(self, text: str) -> str:
        return text.replace(str(self.project), "$PROJECT").replace(str(self.home), "$HOME")

    def save(self, name: str, stdout: str, meta: dict, *, text: bool = False) -> None:
        RECORDINGS.mkdir(exist_ok=True)
        if text:  # --output-format text: stdout as it is
            (RECORDINGS / f"{name}.txt").write_text(self.scrub(stdout), encoding="utf-8")
        else:
            lines = [line for line in self.scrub(stdout).splitlines() if line.strip()]
            (RECORDINGS / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        (RECORDINGS / f"{name}.meta.json").write_text(json.dumps(json.loads(self.scrub(json.dumps(meta))), indent=2) + "\n")


def requests_of(server: FakeModelServer) -> list[dict]:
    out = []
    for r in server.requests:
        body = r.json if isinstance(r.json, dict) else {}
        out.append({"method": r.method, "path": r.path, "model": body.get("model"), "tools": len(body.get("tools", [])),
                    "stream": body.get("stream"), "max_tokens": body.get("max_tokens"),
                    "last_text": _last_user_text(body)[:200]})
    return out


def _last_user_text(body: dict) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            texts = [b.get("text", "") for b in content if b.get("type") == "text"]
            return texts[-1] if texts else json.dumps(content)[:200]
    return ""


def record(claude: str, version: str, scenario: Scenario) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeModelServer() as server:
        ws = Workspace(Path(tmp))
        for rel, text in scenario.files.items():
            (ws.project / rel).write_text(text)
        server.script(*scenario.replies(ws.project))
        started = time.monotonic()
        out = subprocess.run([claude, *scenario.argv], cwd=ws.project, env=environment(ws.home, server.base_url),
                             input=scenario.stdin, capture_output=True, text=True, timeout=180, check=False)
        user_text = ""
        if server.requests:
            blocks = server.requests[0].json["messages"][0]["content"]
            user_text = [b["text"] for b in blocks if b.get("type") == "text"][-1] if isinstance(blocks, list) else blocks
        ws.save(scenario.name, out.stdout, {
            "claude_code_version": version, "argv": scenario.argv, "exit_code": out.returncode,
            "stderr": out.stderr, "seconds": round(time.monotonic() - started, 1),
            "requests": requests_of(server), "first_user_text": user_text,
        }, text="--output-format" not in scenario.argv)


def record_resume(claude: str, version: str) -> None:
    """`--output-format json`, then `--resume <the session_id it returned>`: each call's own cost."""
    with tempfile.TemporaryDirectory() as tmp, FakeModelServer() as server:
        ws = Workspace(Path(tmp))
        env = environment(ws.home, server.base_url)
        server.script(Reply(parts=[Text("First answer.")]), Reply(parts=[Text("Second answer.")]))
        first = subprocess.run([claude, "-p", "First question", "--output-format", "json"], cwd=ws.project, env=env,
                               capture_output=True, text=True, timeout=180, check=False)
        session = json.loads(first.stdout)["session_id"]
        argv = ["-p", "Second question", "--output-format", "json", "--resume", session]
        second = subprocess.run([claude, *argv], cwd=ws.project, env=env, capture_output=True, text=True,
                                timeout=180, check=False)
        ws.save("resume_json", first.stdout + second.stdout, {
            "claude_code_version": version, "argv": argv, "exit_code": second.returncode,
            "stderr": first.stderr + second.stderr, "requests": requests_of(server),
            "second_request_roles": [m["role"] for m in server.requests[1].json["messages"]],
        })


def record_stream_input(claude: str, version: str) -> None:
    """The Agent SDK's conversation: initialize, a prompt, a permission callback, mode and model
    changes, MCP status, a request the CLI does not know, and an interrupt of a slow reply."""
    with tempfile.TemporaryDirectory() as tmp, FakeModelServer() as server:
        ws = Workspace(Path(tmp))
        server.script(
            Reply(parts=[ToolCall("Write", {"file_path": str(ws.project / "out.txt"), "content": "x\n"})]),
            Reply(parts=[Text("Wrote it.")]),
            Reply(parts=[Text("Hi")]),  # set_model tries the new model with a one-token request
            Reply(parts=[Text("word " * 400)], token_delay=0.05),
            Reply(parts=[Text("After the interrupt.")]),
        )
        argv = ["--output-format", "stream-json", "--verbose", "--input-format", "stream-json",
                "--permission-prompt-tool", "stdio", "--include-partial-messages"]
        s = Session(claude, argv, ws.project, environment(ws.home, server.base_url))
        s.control("req_1", {"subtype": "initialize", "hooks": None})
        s.until(response_to("req_1"))
        s.send({"type": "user", "session_id": "", "message": {"role": "user", "content": "Write out.txt"},
                "parent_tool_use_id": None})
        ask = s.until(lambda m: m.get("type") == "control_request")
        s.send({"type": "control_response", "response": {"subtype": "success", "request_id": ask["request_id"],
                "response": {"behavior": "allow", "updatedInput": ask["request"]["input"]}}})
        s.until(lambda m: m.get("type") == "result")
        for rid, request in [
            ("req_2", {"subtype": "set_permission_mode", "mode": "acceptEdits"}),
            ("req_3", {"subtype": "set_model", "model": "claude-haiku-5-5"}),
            ("req_4", {"subtype": "mcp_status"}),
            ("req_5", {"subtype": "no_such_request"}),
        ]:
            s.control(rid, request)
            s.until(response_to(rid))
        s.send({"type": "user", "session_id": "", "message": {"role": "user", "content": "Talk for a while"},
                "parent_tool_use_id": None})
        s.until(lambda m: m.get("type") == "stream_event" and m["event"].get("type") == "content_block_delta")
        s.control("req_6", {"subtype": "interrupt"})
        s.until(lambda m: m.get("type") == "result")
        s.send({"type": "user", "session_id": "", "message": {"role": "user", "content": "Are you there?"},
                "parent_tool_use_id": None})
        s.until(lambda m: m.get("type") == "result")
        stderr = s.close()
        ws.save("stream_input", "\n".join(json.dumps(m) for m in s.received), {
            "claude_code_version": version, "argv": argv, "exit_code": s.process.returncode, "stderr": stderr,
            "requests": requests_of(server), "sent": s.sent,
        })


def main() -> None:
    claude = sys.argv[1]
    version = subprocess.run([claude, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    wanted = set(sys.argv[2:])
    for scenario in SCENARIOS.values():
        if not wanted or scenario.name in wanted:
            record(claude, version, scenario)
            print("recorded", scenario.name)
    if not wanted or "resume_json" in wanted:
        record_resume(claude, version)
        print("recorded resume_json")
    if not wanted or "stream_input" in wanted:
        record_stream_input(claude, version)
        print("recorded stream_input")


if __name__ == "__main__":
    main()
