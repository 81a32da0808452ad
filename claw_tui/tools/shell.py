"""Bash, TaskOutput and TaskStop: a persistent shell made of one process per command.

Each command is its own `bash -c` in its own session (so its own process group), under
bubblewrap when the sandbox is on: a timeout or a cancel kills that command and all it
started, and the session lives on. What persists is carried by claw: the command's EXIT trap
writes its working directory and exported variables to a state file, and the next command
starts there with that environment. Background commands start from the same state but do
not change it.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import shutil
import signal
import tempfile
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field, field_validator, model_validator

from claw_tui.core.redaction import KEY_VARIABLES, redact, secret_values
from claw_tui.tools import sandbox
from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolKind, ToolResult
from claw_tui.tools.editor_terminals import EditorTerminals

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000
DEFAULT_WAIT_MS = 30_000
MAX_OUTPUT_CHARS = 30_000
KILL_GRACE_SECONDS = 3.0  # between SIGTERM and SIGKILL
DRAIN_SECONDS = 2.0  # to read what is still in the pipe once the command has exited
LIVE_OUTPUT_CHARS = 1_000_000  # streamed to the front end per command; the result keeps head and tail
_LONG_LINE_CHARS = 4096  # a line this long is streamed before its newline arrives
_STATE_FILE = ".claw-shell-state"
_NOT_CARRIED = {"_", "SHLVL"}  # bash sets these itself; carrying SHLVL would count up forever

# The model's command is $2, run by eval so that its syntax errors are reported as its own.
# The EXIT trap also runs on `exit N` and `set -e`; it keeps the command's exit code.
_SCRIPT = r"""__claw_state=$1
__claw_command=$2
shift 2
trap '__claw_rc=$?; { printf "%s\0" "$PWD"; env -0; } > "$__claw_state" 2>/dev/null; exit $__claw_rc' EXIT
eval "$__claw_command"
"""

Emit = Callable[[str], Awaitable[None]]


def command_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for the model's commands: `env` without claw's credentials."""
    return {name: value for name, value in env.items() if name not in KEY_VARIABLES}


class OutputBuffer:
    """The head and tail of a stream of output: a command printing gigabytes costs bounded memory."""

    def __init__(self, limit: int = MAX_OUTPUT_CHARS) -> None:
        self.limit = limit
        self._clear()

    def _clear(self) -> None:
        self.total = 0
        self._head = ""
        self._tail: deque[str] = deque()
        self._tail_chars = 0

    def add(self, text: str) -> None:
        self.total += len(text)
        room = self.limit // 2 - len(self._head)
        if room > 0:
            self._head += text[:room]
            text = text[room:]
        if not text:
            return
        self._tail.append(text)
        self._tail_chars += len(text)
        keep = self.limit - self.limit // 2
        while self._tail_chars - len(self._tail[0]) >= keep:
            self._tail_chars -= len(self._tail.popleft())

    def text(self) -> str:
        tail = "".join(self._tail)
        if self.total <= self.limit:
            return self._head + tail
        tail = tail[len(tail) - (self.limit - len(self._head)) :]
        cut = self.total - len(self._head) - len(tail)
        return f"{self._head}\n[… {cut} characters cut …]\n{tail}"

    def take(self) -> str:
        """The text so far, emptying the buffer (for "new output since the last read")."""
        text = self.text()
        self._clear()
        return text


class _ExitProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """Says when the process exits. Process.wait() on Python 3.11 also waits for the pipes to
    close, which never happens while something the command left behind holds stdout."""

    def __init__(
        self, exited: asyncio.Event, loop: asyncio.AbstractEventLoop, on_exit: Callable[[], None] | None = None
    ) -> None:
        super().__init__(limit=1 << 16, loop=loop)
        self._exited = exited
        self._on_exit = on_exit

    def process_exited(self) -> None:
        super().process_exited()
        self._exited.set()
        if self._on_exit is not None:
            self._on_exit()


def _signal_group(proc: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)  # the command is a session leader: its pgid is its pid
    except (ProcessLookupError, PermissionError):
        pass  # the whole group is gone already


class _Run:
    """One running command: its process group and its output, read as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process, exited: asyncio.Event, emit: Emit | None) -> None:
        self.proc = proc
        self.exited = exited
        self.output = OutputBuffer()
        self.killed = False  # stopped by claw before it exited
        self._reader = asyncio.create_task(self._read(emit))

    async def _read(self, emit: Emit | None) -> None:
        assert self.proc.stdout is not None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending, streamed = "", 0
        while True:
            chunk = await self.proc.stdout.read(1 << 16)
            text = decoder.decode(chunk, final=not chunk)
            self.output.add(text)
            if emit is None:
                if not chunk:
                    return
                continue
            pending += text
            cut = len(pending) if not chunk or len(pending) >= _LONG_LINE_CHARS else pending.rfind("\n") + 1
            if cut:
                line, pending = pending[:cut], pending[cut:]
                streamed += len(line)
                if streamed > LIVE_OUTPUT_CHARS:
                    await emit("[… more output; the result shows its end …]\n")
                    emit = None
                else:
                    await emit(line)
            if not chunk:
                return

    async def finish(self) -> None:
        """Once the command has exited: stop what it left running and read the rest of its output."""
        await self.exited.wait()
        _signal_group(self.proc, signal.SIGKILL)
        done, _ = await asyncio.wait({self._reader}, timeout=DRAIN_SECONDS)
        if not done:  # a process that left the group still holds the pipe
            self._reader.cancel()
        elif not self._reader.cancelled():
            self._reader.result()  # surfaces a failing emit

    async def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after a grace period."""
        if not self.exited.is_set():
            self.killed = True
        _signal_group(self.proc, signal.SIGTERM)
        try:
            async with asyncio.timeout(KILL_GRACE_SECONDS):
                await self.exited.wait()
        except TimeoutError:
            pass
        finally:
            _signal_group(self.proc, signal.SIGKILL)

    def abandon(self) -> None:
        self._reader.cancel()

    @property
    def returncode(self) -> int:
        return self.proc.returncode if self.proc.returncode is not None else -1


@dataclass
class CommandResult:
    output: str
    exit_code: int
    timed_out: bool
    cwd: Path
    note: str = ""  # something about the shell the model should know (its directory vanished)


@dataclass
class BackgroundShell:
    id: str
    command: str
    sandboxed: bool
    run: _Run
    done: asyncio.Task[None]

    @property
    def status(self) -> str:
        if self.run.killed:
            return "killed"
        return f"exited {self.run.returncode}" if self.done.done() else "running"

    async def wait(self, seconds: float) -> None:
        await asyncio.wait({self.done}, timeout=seconds)


class ShellManager:
    """One agent's shell: working directory, exported variables, and its background commands."""

    def __init__(self, cwd: Path, env: dict[str, str], secrets: frozenset[str] | None = None) -> None:
        self.home = cwd
        self.cwd = cwd
        # Keys claw was started with or holds now (the agent's set adds those from its config) are
        # scrubbed, wherever a command found them (a `.env` file, /proc/<claw>/environ), before its
        # output streams to the front end.
        self.secrets = secret_values(env, os.environ) if secrets is None else secrets
        self.env = command_env(env)
        self.tasks: dict[str, BackgroundShell] = {}
        self.closed = False
        self.notice_given = False
        self._dir = tempfile.TemporaryDirectory(prefix="claw-shell-", ignore_cleanup_errors=True)
        self.tmpdir = Path(self._dir.name)  # the sandbox's /tmp
        self._lock = asyncio.Lock()
        self._current: _Run | None = None
        self._standins: sandbox.Standins | None = None  # made on the first sandboxed command

    @classmethod
    def for_context(cls, ctx: ToolContext) -> ShellManager:
        shell = ctx.services.shell
        if not isinstance(shell, ShellManager) or shell.closed:
            # A replacement keeps the agent's set of keys to scrub (it holds keys from the config too).
            secrets = shell.secrets if isinstance(shell, ShellManager) else None
            shell = ctx.services.shell = cls(ctx.cwd, ctx.env, secrets)
        return shell

    async def _start(
        self,
        command: str,
        *,
        state: str,
        sandboxed: bool,
        network: bool,
        roots: Sequence[Path],
        emit: Emit | None,
        policy: sandbox.Policy,
    ) -> _Run:
        bash = shutil.which("bash", path=self.env.get("PATH")) or shutil.which("bash")
        if bash is None:
            raise ToolError("bash was not found on PATH, so shell commands cannot run.")
        argv = [bash, "-c", _SCRIPT, "bash", state, command]
        loop = asyncio.get_running_loop()
        exited = asyncio.Event()
        placeholders: list[Path] = []
        try:
            with contextlib.ExitStack() as stack:
                pass_fds: tuple[int, ...] = ()
                if sandboxed:
                    pass_fds = (stack.enter_context(sandbox.unix_socket_filter()),)
                    if self._standins is None:
                        self._standins = sandbox.Standins()
                    mounts = await asyncio.to_thread(
                        sandbox.mounts, roots, protect=policy.protect, hide=policy.hide, standins=self._standins
                    )
                    placeholders = mounts.placeholders
                    argv = sandbox.wrap(argv, roots=roots, tmpdir=self.tmpdir, network=network, seccomp_fd=pass_fds[0],
                                        mounts=mounts.args)
                sandbox.PLACEHOLDERS.hold(placeholders)
                try:
                    transport, protocol = await loop.subprocess_exec(
                        lambda: _ExitProtocol(exited, loop, lambda: sandbox.PLACEHOLDERS.release(placeholders)),
                        *argv,
                        cwd=self.cwd,
                        env=self.env,
                        stdin=asyncio.subprocess.DEVNULL,
                        stdout=asyncio.subprocess.PIPE,
                        stderr=asyncio.subprocess.STDOUT,
                        start_new_session=True,
                        pass_fds=pass_fds,
                    )
                except BaseException:
                    sandbox.PLACEHOLDERS.release(placeholders)
                    raise
        except OSError as exc:
            raise ToolError(f"Could not start the shell: {exc}") from None
        return _Run(asyncio.subprocess.Process(transport, protocol, loop), exited, self._scrubbed(emit))

    def _scrubbed(self, emit: Emit | None) -> Emit | None:
        """`emit` passing on output with claw's keys redacted."""
        if emit is None or not self.secrets:
            return emit

        async def scrubbed(text: str) -> None:
            await emit(self.scrub(text))

        return scrubbed

    def scrub(self, text: str) -> str:
        """Output with claw's keys redacted."""
        return redact(text, self.secrets)

    def _check_cwd(self) -> str:
        if self.cwd.is_dir():
            return ""
        gone, self.cwd = self.cwd, self.home
        return f"(The shell's directory {gone} no longer exists; the command ran in {self.home}.)"

    async def run(
        self,
        command: str,
        *,
        timeout: float,
        sandboxed: bool,
        network: bool,
        roots: Sequence[Path],
        emit: Emit | None = None,
        policy: sandbox.Policy = sandbox.UNRESTRICTED,
        terminals: EditorTerminals | None = None,
        call_id: str | None = None,
    ) -> CommandResult:
        """Run a command to its end (or its timeout), carrying its directory and exports forward;
        in the editor's terminal when `terminals` is given and the command is not sandboxed."""
        async with self._lock:
            note = self._check_cwd()
            state = self.tmpdir / _STATE_FILE
            state.unlink(missing_ok=True)
            if terminals is not None and not sandboxed:
                return await self._run_in_editor(terminals, call_id, command, state, timeout, note)
            inside = f"/tmp/{_STATE_FILE}" if sandboxed else str(state)
            run = await self._start(
                command, state=inside, sandboxed=sandboxed, network=network, roots=roots, emit=emit, policy=policy
            )
            self._current = run
            timed_out = False
            try:
                try:
                    async with asyncio.timeout(timeout):
                        await run.exited.wait()
                except TimeoutError:
                    timed_out = True
                    await run.stop()
                await run.finish()
            except asyncio.CancelledError:
                await run.stop()
                run.abandon()
                raise
            finally:
                self._current = None
            if not timed_out:
                self._load_state(state)
            return CommandResult(self.scrub(run.output.text()), run.returncode, timed_out, self.cwd, note)

    async def _run_in_editor(
        self, terminals: EditorTerminals, call_id: str | None, command: str, state: Path, timeout: float, note: str
    ) -> CommandResult:
        bash = shutil.which("bash", path=self.env.get("PATH")) or shutil.which("bash") or "bash"
        # The editor adds its own environment: claw's keys are blanked so a command cannot read them there either.
        env = {**self.env, **dict.fromkeys(KEY_VARIABLES, "")}
        done = await terminals.run(
            call_id, [bash, "-c", _SCRIPT, "bash", str(state), command], cwd=self.cwd, env=env, timeout=timeout
        )
        if not done.timed_out:
            self._load_state(state)
        output = OutputBuffer()
        output.add(done.output)
        return CommandResult(self.scrub(output.text()), done.exit_code, done.timed_out, self.cwd, note)

    def _load_state(self, state: Path) -> None:
        """Take the directory and exports the command left; keep the old ones if it left none."""
        try:
            data = state.read_bytes()
        except OSError:
            return  # the command replaced the shell (exec) or removed the file
        cwd, _, env = data.partition(b"\0")
        if not env.endswith(b"\0"):
            return
        self.cwd = Path(os.fsdecode(cwd))
        self.env = {}
        for entry in env[:-1].split(b"\0"):
            name, sep, value = entry.partition(b"=")
            if sep and name and os.fsdecode(name) not in _NOT_CARRIED:
                self.env[os.fsdecode(name)] = os.fsdecode(value)

    async def start_background(
        self, command: str, *, sandboxed: bool, network: bool, roots: Sequence[Path],
        policy: sandbox.Policy = sandbox.UNRESTRICTED,
    ) -> BackgroundShell:
        note = self._check_cwd()
        run = await self._start(
            command, state="/dev/null", sandboxed=sandboxed, network=network, roots=roots, emit=None, policy=policy
        )
        if note:
            run.output.add(note + "\n")
        task_id = f"bash_{len(self.tasks) + 1}"
        task = BackgroundShell(task_id, command, sandboxed, run, asyncio.create_task(run.finish()))
        self.tasks[task_id] = task
        return task

    def get(self, task_id: str) -> BackgroundShell:
        """The background command with this id, or an error the model can act on."""
        if task := self.tasks.get(task_id.strip()):
            return task
        if not self.tasks:
            raise ToolError(f"No background task has id {task_id!r}: none were started in this session.")
        known = ", ".join(f"{t.id} ({t.status})" for t in self.tasks.values())
        raise ToolError(f"No background task has id {task_id!r}. Known tasks: {known}.")

    async def close(self) -> None:
        """Kill every command still running and remove the temporary directory."""
        self.closed = True
        runs = [t.run for t in self.tasks.values() if not t.done.done()]
        if self._current is not None:
            runs.append(self._current)
        await asyncio.gather(*(run.stop() for run in runs))
        await asyncio.gather(*(t.done for t in self.tasks.values()), return_exceptions=True)
        self._dir.cleanup()
        if self._standins is not None:
            self._standins.close()


def _first_notice(shell: ShellManager, ctx: ToolContext) -> str:
    """Once per session: that commands run unsandboxed and ask, unless the user turned the sandbox off."""
    if shell.notice_given:
        return ""
    notice = sandbox.unsandboxed_notice(sandbox.sandbox_settings(ctx), sandbox.sandbox_guard(ctx))
    shell.notice_given = bool(notice)
    return notice


def _short(command: str, width: int = 80) -> str:
    """The command's first line, cut to `width`, marked "…" when anything was left out."""
    lines = command.strip().splitlines() or [""]
    if len(lines) == 1 and len(lines[0]) <= width:
        return lines[0]
    return lines[0][: width - 1] + "…"


class BashInput(BaseModel):
    command: str = Field(description="The command to execute")
    timeout: int | None = Field(
        default=None, description=f"Optional timeout in milliseconds (max {MAX_TIMEOUT_MS})"
    )
    description: str | None = Field(
        default=None,
        description=(
            "Clear, concise description of what this command does in 5-10 words, in active voice. "
            'Examples: "List files in current directory", "Install package dependencies".'
        ),
    )
    run_in_background: bool = Field(
        default=False,
        description="Set to true to run this command in the background. Use TaskOutput to read the output later.",
    )

    @field_validator("command")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("command is empty")
        return value

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError("timeout is in milliseconds and must be positive")
        return None if value is None else min(value, MAX_TIMEOUT_MS)


class Bash(Tool[BashInput]):
    name: ClassVar[str] = "Bash"
    description: ClassVar[str] = (
        "Executes a bash command and returns its output (stdout and stderr together).\n\n"
        "- The working directory and exported environment variables persist between commands; shell "
        "functions, aliases and unexported variables do not.\n"
        f"- Timeout: {DEFAULT_TIMEOUT_MS // 1000} s by default, at most {MAX_TIMEOUT_MS // 1000} s "
        "(`timeout` is in milliseconds). On timeout the command and everything it started is killed.\n"
        f"- Output longer than {MAX_OUTPUT_CHARS} characters is cut in the middle, keeping its start and end.\n"
        "- Processes a command starts with `&` are stopped when the command ends. For servers, watchers "
        "and other long-running commands use `run_in_background`, then TaskOutput to read their output "
        "and TaskStop to stop them.\n"
        "- Commands may run in a sandbox: the whole filesystem is readable, but only the workspace and "
        "/tmp are writable, and the network is unreachable unless the user allowed it. Inside the workspace, "
        ".git internals (hooks, config, info), .claude/, .claw/ and .mcp.json stay read-only and cannot be "
        "created; files the user's deny rules keep from you are unreadable. A 'Read-only file system', "
        "'Permission denied' or network error can come from the sandbox: ask the user to make such a change.\n"
        "- Quote paths that contain spaces. Prefer absolute paths over `cd`.\n"
        "- Use the Glob, Grep and Read tools rather than `find`, `grep`, `cat`, `head` or `tail`.\n"
        "- Chain dependent commands with `&&`; independent commands can go in separate parallel calls."
    )
    Input = BashInput
    kind: ClassVar[ToolKind] = ToolKind.EXECUTE

    def summary(self, input: BashInput) -> str:
        return f"Bash: {_short(input.command)}"

    def rule_target(self, input: BashInput, ctx: ToolContext) -> str | None:
        return input.command

    async def run(self, input: BashInput, ctx: ToolContext) -> ToolResult:
        shell = ShellManager.for_context(ctx)
        sandboxed = sandbox.sandbox_active(ctx)
        network = sandbox.sandbox_settings(ctx).network
        policy = sandbox.policy(ctx) if sandboxed else sandbox.UNRESTRICTED
        notice = _first_notice(shell, ctx)
        if input.run_in_background:
            task = await shell.start_background(
                input.command, sandboxed=sandboxed, network=network, roots=ctx.roots, policy=policy
            )
            text = (
                f"Command running in background with ID: {task.id}. Read its output with TaskOutput "
                f'(task_id "{task.id}") and stop it with TaskStop.'
            )
            return ToolResult.text(
                "\n".join(filter(None, [notice, text])),
                sandboxed=sandboxed,
                cwd=str(shell.cwd),
                task_id=task.id,
            )
        timeout = (input.timeout or DEFAULT_TIMEOUT_MS) / 1000
        done = await shell.run(
            input.command,
            timeout=timeout,
            sandboxed=sandboxed,
            network=network,
            roots=ctx.roots,
            emit=ctx.emit_output,
            policy=policy,
            terminals=ctx.editor_terminals,
            call_id=ctx.call_id,
        )
        parts = [notice, done.note, done.output.rstrip("\n")]
        if done.timed_out:
            parts.append(f"Command timed out after {timeout:g} s")
        elif done.exit_code != 0:
            parts.append(f"Exit code {done.exit_code}")
        if not ctx.in_workspace(done.cwd.resolve()):
            parts.append(f"(The shell is now in {done.cwd}, outside the workspace: fine for reading.)")
        text = "\n".join(filter(None, parts)) or "(no output)"
        return ToolResult.text(
            text,
            is_error=done.timed_out or done.exit_code != 0,
            sandboxed=sandboxed,
            exit_code=done.exit_code,
            cwd=str(done.cwd),
        )


class TaskOutputInput(BaseModel):
    task_id: str = Field(description="The ID of the background task (e.g. bash_1)")
    block: bool = Field(default=True, description="Whether to wait for the task to finish")
    timeout: int = Field(
        default=DEFAULT_WAIT_MS, description=f"Max wait time in milliseconds (max {MAX_TIMEOUT_MS})"
    )

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: int) -> int:
        if value < 0:
            raise ValueError("timeout is in milliseconds and cannot be negative")
        return min(value, MAX_TIMEOUT_MS)


class TaskOutput(Tool[TaskOutputInput]):
    name: ClassVar[str] = "TaskOutput"
    description: ClassVar[str] = (
        "Reads the output of a background task started with Bash `run_in_background`.\n\n"
        "- Returns only the output produced since the last read, and the task's status: running, "
        "exited N, or killed.\n"
        "- With `block` (the default) it waits until the task ends or `timeout` milliseconds pass; "
        "use block=false to look without waiting."
    )
    Input = TaskOutputInput
    kind: ClassVar[ToolKind] = ToolKind.READ
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: TaskOutputInput) -> str:
        return f"TaskOutput {input.task_id}"

    async def run(self, input: TaskOutputInput, ctx: ToolContext) -> ToolResult:
        shell = ShellManager.for_context(ctx)
        task = shell.get(input.task_id)
        if input.block:
            await task.wait(input.timeout / 1000)
        status = task.status
        output = shell.scrub(task.run.output.take()).rstrip("\n")
        lines = [f"Task {task.id}: {status}", f"Command: {_short(task.command)}"]
        if input.block and status == "running":
            lines[0] += f" (still running after waiting {input.timeout / 1000:g} s)"
        lines.append(f"New output:\n{output}" if output else "No new output since the last read.")
        return ToolResult.text("\n".join(lines), status=status, task_id=task.id, sandboxed=task.sandboxed)


class TaskStopInput(BaseModel):
    task_id: str | None = Field(default=None, description="The ID of the background task to stop")
    shell_id: str | None = Field(default=None, description="Deprecated: use task_id")

    @model_validator(mode="after")
    def _one_id(self) -> TaskStopInput:
        self.task_id = self.task_id or self.shell_id
        if not self.task_id:
            raise ValueError("task_id is required")
        return self


class TaskStop(Tool[TaskStopInput]):
    name: ClassVar[str] = "TaskStop"
    description: ClassVar[str] = (
        "Stops a running background task by its ID (from Bash `run_in_background`), with everything it started."
    )
    Input = TaskStopInput
    kind: ClassVar[ToolKind] = ToolKind.EXECUTE

    def summary(self, input: TaskStopInput) -> str:
        return f"TaskStop {input.task_id}"

    async def run(self, input: TaskStopInput, ctx: ToolContext) -> ToolResult:
        assert input.task_id  # TaskStopInput refuses an input without one
        task = ShellManager.for_context(ctx).get(input.task_id)
        if task.run.exited.is_set():
            raise ToolError(f"Task {task.id} is not running ({task.status}).")
        await task.run.stop()
        await task.done
        return ToolResult.text(
            f"Stopped task {task.id}: {_short(task.command)}", status=task.status, task_id=task.id
        )
