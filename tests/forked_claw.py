"""Real `claw` processes at a fraction of their start-up cost: forked from one that has imported claw.

Starting `claw -p` spends most of two seconds importing the provider SDK. Tests that start many
claw processes (kill -9 at many moments, two writers, a full disk) instead start one server
process that imports everything once, then forks a child per run; each child runs `claw`'s
own `main()` with its own arguments, directory, environment and output files, and is a real
process a test can SIGKILL. `ClawForks(wrapper=["unshare", "-m"])` puts the server (and every
child) in a mount namespace of its own, where `sh()` can mount a small file system.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

_SERVER = r"""
import json, os, signal, subprocess, sys, threading
import claw_tui.cli
from claw_tui.engine.toolset import builtin_tools
from claw_tui.providers import registry
import claw_tui.providers.anthropic
registry.preload_first_request_modules("anthropic")
builtin_tools()
assert threading.active_count() == 1, "forking needs a single-threaded server"
reply = sys.stdout
for line in sys.stdin:
    job = json.loads(line)
    if "wait" in job:
        _, status = os.waitpid(job["wait"], 0)
        code = os.waitstatus_to_exitcode(status)
        reply.write(json.dumps({"code": code}) + "\n"); reply.flush()
        continue
    if "sh" in job:
        done = subprocess.run(job["sh"], shell=True, capture_output=True, text=True)
        reply.write(json.dumps({"code": done.returncode, "out": done.stdout + done.stderr}) + "\n"); reply.flush()
        continue
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            fd_in = os.open(os.devnull, os.O_RDONLY)
            os.dup2(fd_in, 0)
            os.dup2(os.open(job["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 1)
            os.dup2(os.open(job["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", buffering=1, closefd=False)
            sys.stderr = open(2, "w", buffering=1, closefd=False)
            os.chdir(job["cwd"])
            if job.get("umask") is not None:
                os.umask(job["umask"])
            os.environ.clear()
            os.environ.update(job["env"])
            signal.signal(signal.SIGINT, signal.default_int_handler)
            code = 0
            try:
                claw_tui.cli.main(job["args"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            sys.stdout.flush(); sys.stderr.flush()
        except BaseException:
            import traceback; traceback.print_exc(); code = 99
        os._exit(code)
    reply.write(json.dumps({"pid": pid}) + "\n"); reply.flush()
"""


@dataclass
class ClawRun:
    pid: int
    out: Path
    err: Path

    @property
    def stdout(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8", errors="replace")

    def events(self) -> list[dict[str, Any]]:
        """The claw-events lines printed so far (a line cut by a kill is left out)."""
        events = []
        for line in self.stdout.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
        return events


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str


class ClawForks:
    def __init__(self, workdir: Path, env: dict[str, str], wrapper: list[str] | None = None) -> None:
        self.workdir = workdir
        self.env = env
        self._count = 0
        self._proc = subprocess.Popen(
            [*(wrapper or []), sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )

    def _ask(self, job: dict[str, Any]) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the claw fork server died (exit {self._proc.wait()})")
        return json.loads(line)

    def start(
        self, args: list[str], cwd: Path, env: dict[str, str] | None = None, umask: int | None = None
    ) -> ClawRun:
        self._count += 1
        out, err = self.workdir / f"run{self._count}.out", self.workdir / f"run{self._count}.err"
        out.touch()
        err.touch()
        job = {"args": args, "cwd": str(cwd), "env": env or self.env, "out": str(out), "err": str(err), "umask": umask}
        pid = self._ask(job)["pid"]
        return ClawRun(pid, out, err)

    def wait(self, run: ClawRun) -> int:
        """The run's exit code; minus the signal number when a signal ended it."""
        return self._ask({"wait": run.pid})["code"]

    def run(
        self, args: list[str], cwd: Path, env: dict[str, str] | None = None, umask: int | None = None
    ) -> Finished:
        started = self.start(args, cwd, env, umask)
        code = self.wait(started)
        return Finished(code, started.stdout, started.stderr)

    def sh(self, command: str) -> tuple[int, str]:
        """Run a shell command in the server's own namespaces (a mount, say)."""
        answer = self._ask({"sh": command})
        return answer["code"], answer["out"]

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def claw_env(base_url: str, **extra: str) -> dict[str, str]:
    """The test process's environment (its isolated claw home), talking to the fake model server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    env.update(
        ANTHROPIC_BASE_URL=base_url,
        ANTHROPIC_API_KEY="test-key",
        CLAW_SANDBOX__ENABLED="false",
        CLAW_NO_LOCAL_DISCOVERY="1",
        PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
    )
    env.update(extra)
    return env


def wait_for(predicate: Any, timeout: float = 30.0, what: str = "the moment") -> Any:
    """Poll until `predicate()` is truthy (returned); an AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")
