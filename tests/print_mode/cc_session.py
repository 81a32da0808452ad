"""A program speaking stream-json on stdin and stdout (Claude Code or claw), driven line by line as
the Agent SDK drives it; used to record Claude Code and to test claw the same way."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


class Session:
    """A program under `--input-format stream-json`, driven line by line as the Agent SDK does."""

    def __init__(self, claude: str, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([claude, *argv], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.sent: list[dict] = []
        self.received: list[dict] = []

    def send(self, message: dict) -> None:
        self.sent.append(message)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def control(self, request_id: str, request: dict) -> None:
        self.send({"type": "control_request", "request_id": request_id, "request": request})

    def until(self, wanted) -> dict:  # type: ignore[no-untyped-def]
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the program closed its output: " + (self.process.stderr.read() if self.process.stderr else ""))
            if not line.strip().startswith("{"):
                continue
            message = json.loads(line)
            self.received.append(message)
            if wanted(message):
                return message

    def close(self) -> str:
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        self.until_exit()
        return self.process.stderr.read()

    def until_exit(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip().startswith("{"):
                self.received.append(json.loads(line))
        self.process.wait(60)


def response_to(request_id: str):  # type: ignore[no-untyped-def]
    return lambda m: m.get("type") == "control_response" and m["response"].get("request_id") == request_id
