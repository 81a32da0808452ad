"""Print-mode runs recorded from Claude Code and replayed with claw, against the same scripted model.

Each scenario is a command line (without the program name), the files its project starts with,
what arrives on standard input and the model's scripted replies. `record_claude_code.py` runs
Claude Code through each one and keeps its standard output in `recordings/`; the tests run
`claw` through the same scenario and compare what it prints with the recording.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fake_model import Fault, Reply, Text, ToolCall

RECORDINGS = Path(__file__).resolve().parent / "recordings"
NOTES = "remember the milk\n"
PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@dataclass(frozen=True)
class Scenario:
    name: str
    argv: list[str]
    replies: Callable[[Path], list[Reply]]  # given the project folder (tool inputs take absolute paths)
    files: dict[str, str] = field(default_factory=dict)
    stdin: str = ""

    def text(self) -> str:
        """The recorded stdout of a text-output run."""
        return (RECORDINGS / f"{self.name}.txt").read_text(encoding="utf-8")

    def recording(self) -> list[dict]:
        """The recorded stdout lines, parsed (one JSON value per line)."""
        text = (RECORDINGS / f"{self.name}.jsonl").read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def meta(self) -> dict:
        """How the recording was made: Claude Code's version, exit code, stderr, the requests it sent."""
        return json.loads((RECORDINGS / f"{self.name}.meta.json").read_text(encoding="utf-8"))


def _read_notes(project: Path) -> list[Reply]:
    return [
        Reply(parts=[Text("Let me read it."), ToolCall("Read", {"file_path": str(project / "notes.txt")})]),
        Reply(parts=[Text("It says: remember the milk.")]),
    ]


STREAM = ["--output-format", "stream-json", "--verbose"]

SCENARIOS = {
    s.name: s
    for s in [
        Scenario("text_json", ["-p", "Say hello", "--output-format", "json"],
                 lambda _: [Reply(parts=[Text("Hello from the model.")])]),
        Scenario("text_stream", ["-p", "Say hello", *STREAM], lambda _: [Reply(parts=[Text("Hello from the model.")])]),
        Scenario("tool_stream", ["-p", "What does notes.txt say?", *STREAM], _read_notes, {"notes.txt": NOTES}),
        Scenario("partial_stream", ["-p", "What does notes.txt say?", *STREAM, "--include-partial-messages"],
                 _read_notes, {"notes.txt": NOTES}),
        Scenario("max_turns_json", ["-p", "What does notes.txt say?", "--output-format", "json", "--max-turns", "1"],
                 _read_notes, {"notes.txt": NOTES}),
        Scenario(
            "denied_stream",
            ["-p", "Write out.txt", *STREAM],
            lambda project: [
                Reply(parts=[ToolCall("Write", {"file_path": str(project / "out.txt"), "content": "x\n"})]),
                Reply(parts=[Text("I could not write it.")]),
            ],
        ),
        Scenario("retry_stream", ["-p", "Say hello", *STREAM],
                 lambda _: [Reply(fault=Fault.http(529, retry_after=0)), Reply(parts=[Text("Back again.")])]),
        Scenario("api_error_json", ["-p", "Say hello", "--output-format", "json"],
                 lambda _: [Reply(fault=Fault.http(400, message="prompt is too long"))]),
        Scenario(
            "structured_json",
            ["-p", "Who wrote the first program?", "--output-format", "json", "--json-schema", json.dumps(PERSON_SCHEMA)],
            lambda _: [Reply(parts=[ToolCall("StructuredOutput", {"name": "Ada", "age": 36})])],
        ),
        Scenario("budget_json", ["-p", "What does notes.txt say?", "--output-format", "json", "--max-budget-usd", "0.001"],
                 _read_notes, {"notes.txt": NOTES}),
        Scenario("stdin_text", ["-p", "Explain this log"], lambda _: [Reply(parts=[Text("It is a log.")])],
                 stdin="ERROR disk full\nWARN retrying\n"),
    ]
}
