"""A CI job written for `claude -p` (ci/review.sh) runs unchanged with claw as `claude`.

The script uses json and stream-json output, --json-schema, piped input, --resume with the
session id the first call returned, a model alias and the permission flags. It was also run
against Claude Code 2.1.332 itself with the same scripted replies (`python
tests/print_mode/test_ci_script.py <path to claude>`), which printed the same lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "ci" / "review.sh"
DIFF_LINE = "+def greet(name): return f'hello {name}'"


def make_repo(root: Path) -> None:
    """A git repository whose last commit adds a function."""
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                       env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})

    git("init", "-q", "-b", "main")
    git("config", "user.email", "ci@example.com")
    git("config", "user.name", "CI")
    (root / "app.py").write_text("print('app')\n")
    git("add", ".")
    git("commit", "-q", "-m", "start")
    (root / "app.py").write_text("print('app')\n" + DIFF_LINE[1:] + "\n")
    git("commit", "-q", "-am", "add greet")


def replies(root: Path) -> list:
    from fake_model import Reply, Text, ToolCall

    return [
        Reply(parts=[ToolCall("StructuredOutput", {"verdict": "APPROVE", "reason": "A small, tested helper."})]),
        Reply(parts=[Text("Because greet is small and correct.")]),
        Reply(parts=[ToolCall("Write", {"file_path": str(root / "CHANGES.md"), "content": "- Add greet()\n"})]),
        Reply(parts=[Text("Added the entry.")]),
    ]


def run_script(program: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """ci/review.sh with `claude` on PATH being `program`."""
    bin_dir = root.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "claude").symlink_to(program)
    env = {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}
    return subprocess.run(["bash", str(SCRIPT)], cwd=root, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


EXPECTED = [
    "verdict: APPROVE",
    "why: Because greet is small and correct.",
    "first line: system/init",
    "tools used: Write",
    "outcome: success after 2 turns",
    "cost: true",
]


def test_a_claude_ci_script_runs_with_claw(project, fake_model, claw_env):
    from claw_runner import claw_program

    make_repo(project)
    fake_model.script(*replies(project))
    out = run_script(claw_program(), project, claw_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == EXPECTED
    assert (project / "CHANGES.md").read_text() == "- Add greet()\n"
    review, why, *_ = (r.json for r in fake_model.requests)
    content = review["messages"][0]["content"]
    sent = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
    assert sent.startswith("Review this diff.\ndiff --git") and DIFF_LINE in sent, "the piped diff follows the prompt"
    assert "StructuredOutput" in [t["name"] for t in review["tools"]]
    assert why["model"] == "claude-sonnet-5-5", "--model sonnet is Claude Code's alias"
    assert [m["role"] for m in why["messages"]][:3] == ["user", "assistant", "user"], "--resume continued the session"
    system = why["system"] if isinstance(why["system"], str) else " ".join(b["text"] for b in why["system"])
    assert system.rstrip().endswith("Answer in one sentence.")


if __name__ == "__main__":  # run the script against another program, e.g. Claude Code: python … <path to claude>
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from fake_model import FakeModelServer

    with tempfile.TemporaryDirectory() as tmp, FakeModelServer() as server:
        root = Path(tmp) / "project"
        root.mkdir()
        (Path(tmp) / "home").mkdir()
        make_repo(root)
        server.script(*replies(root))
        env = {"PATH": os.environ["PATH"], "HOME": str(Path(tmp) / "home"), "ANTHROPIC_BASE_URL": server.base_url,
               "ANTHROPIC_API_KEY": "sk-ant-fake", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        result = run_script(sys.argv[1], root, env)
        print(result.stdout, result.stderr, f"exit {result.returncode}", sep="\n")
        print("same lines as claw's test expects:", result.stdout.splitlines() == EXPECTED)
