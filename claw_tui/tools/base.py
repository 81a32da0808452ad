"""What every tool is: a name, a pydantic input model, a kind, and an async run.

The agent loop validates the model's input against `Input`, asks the permission engine
(which reads `kind` and `rule_target`), and, for tools that change files, shows the
`FileChange`s from `propose` for approval before `apply` writes only what was accepted.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel

from claw_tui.core.diffs import FileChange
from claw_tui.core.transcript import ImageBlock, TextBlock
from claw_tui.tools.editor_files import EditorFiles
from claw_tui.tools.editor_terminals import EditorTerminals

if TYPE_CHECKING:
    from claw_tui.config import SandboxSettings
    from claw_tui.core.approval import Approver
    from claw_tui.core.tasks import TaskGraph
    from claw_tui.tools.ask import Asker
    from claw_tui.tools.lsp import LspManager
    from claw_tui.tools.sandbox import SandboxGuard
    from claw_tui.tools.shell import ShellManager
    from claw_tui.tools.web import SearchBackend


class ToolKind(str, Enum):
    READ = "read"  # looks, changes nothing
    WRITE = "write"  # changes files
    EXECUTE = "execute"  # runs programs or reaches the network


class ToolError(Exception):
    """A failure the model should read and recover from (sent back as an error result)."""


@dataclass
class ToolResult:
    content: list[TextBlock | ImageBlock]
    is_error: bool = False
    # For front ends only, never sent to the model (e.g. {"sandboxed": True}).
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def text(cls, text: str, *, is_error: bool = False, **metadata: Any) -> ToolResult:
        return cls(content=[TextBlock(text=text)], is_error=is_error, metadata=metadata)

    @property
    def output(self) -> str:
        return "\n".join(b.text for b in self.content if isinstance(b, TextBlock))

    def redacted(self, redact: Callable[[str], str]) -> ToolResult:
        """This result with `redact` applied to all the text it carries, metadata included."""
        content = [TextBlock(text=redact(b.text)) if isinstance(b, TextBlock) else b for b in self.content]
        metadata = {k: redact(v) if isinstance(v, str) else v for k, v in self.metadata.items()}
        return ToolResult(content=content, is_error=self.is_error, metadata=metadata)


@dataclass
class FileState:
    """What the model saw of a file when it last read it, to refuse edits of stale copies."""

    mtime_ns: int
    size: int
    # The text's digest when it was read through the editor (`ToolContext.editor_files`).
    digest: str | None = None


class PermissionMode(Protocol):
    """What the plan tools change of the permission engine (which lives above the tools)."""

    mode: str
    mode_before_plan: str | None


@dataclass
class Services:
    """What the session shares with its tools, set by whoever builds the context; None where a
    front end or a subagent has no such thing (the tool then says it is not available here)."""

    permissions: PermissionMode | None = None  # EnterPlanMode / ExitPlanMode switch the mode
    approver: Approver | None = None  # ExitPlanMode asks the user to approve the plan
    asker: Asker | None = None  # AskUserQuestion: the TUI's form, or answers from flags
    shell: ShellManager | None = None  # Bash's shell session and background commands
    task_graph: TaskGraph | None = None  # TaskCreate / TaskUpdate, the Agent tool and the task pane
    lsp: LspManager | None = None  # language servers, for LSP and diagnostics after edits
    sandbox: SandboxSettings | None = None  # how Bash is sandboxed (defaults when None)
    sandbox_guard: SandboxGuard | None = None  # who turned the sandbox off, what Read deny rules hide
    local_network_ok: Callable[[str], bool] | None = None  # WebFetch: the hosts the user opted in
    web_search: SearchBackend | None = None  # the provider's server-side search, where it has one


@dataclass
class ToolContext:
    """Everything a tool may touch besides its input. One per agent (subagents get their own);
    the agent loop hands each call a copy with the call's own fields set."""

    cwd: Path
    roots: list[Path]  # workspace roots: the launch directory plus configured extra dirs
    read_files: dict[Path, FileState] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # Called with (path, prior content or None) before any file is written (checkpoints).
    before_write: Callable[[Path, bytes | None], None] | None = None
    # Shared with the whole session: the copy a call gets holds the same record.
    services: Services = field(default_factory=Services)
    # The call's own, set by the agent loop: its id, progress output for the front end (Bash
    # lines as they come), and whole events into the turn's stream (a subagent's own events).
    call_id: str = ""
    emit_output: Callable[[str], Awaitable[None]] | None = None
    emit_event: Callable[[Any], Awaitable[None]] | None = None
    # Paths as this tool call first resolved them: the agent loop gives each call an empty dict, so
    # the file the permission engine judged is the one the tool opens (see tools/nofollow).
    resolved: dict[str, Path] | None = None
    # The editor's buffers and terminals, when a front end offers them (ACP): see tools/editor_files.py
    # and tools/editor_terminals.py.
    editor_files: EditorFiles | None = None
    editor_terminals: EditorTerminals | None = None

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """Resolve a model-given path: `~`, relative to cwd, `..` and symlinks (once per call)."""
        key = str(path)
        if self.resolved is not None and key in self.resolved:
            return self.resolved[key]
        p = Path(os.path.expanduser(key))
        if not p.is_absolute():
            p = self.cwd / p
        p = p.resolve()
        if self.resolved is not None:
            self.resolved[key] = p
        return p

    def in_workspace(self, path: Path) -> bool:
        return any(path == r or path.is_relative_to(r) for r in (r.resolve() for r in self.roots))

    def remember_read(self, path: Path, st: os.stat_result | None = None) -> None:
        st = st or path.stat()
        self.read_files[path] = FileState(st.st_mtime_ns, st.st_size)


@functools.cache
def _input_schema(model: type[BaseModel]) -> dict[str, Any]:
    # Built once per input model: pydantic takes about a millisecond per tool, on every request.
    schema = model.model_json_schema()
    schema.pop("title", None)
    return schema


InputT = TypeVar("InputT", bound=BaseModel)


class Tool(Generic[InputT]):
    """A tool over its input model: `class Read(Tool[ReadInput])` with `Input = ReadInput`."""

    name: ClassVar[str]
    description: ClassVar[str]
    Input: type[InputT]
    kind: ClassVar[ToolKind] = ToolKind.READ
    # Read-only calls in one response may run concurrently; others run in order.
    concurrent_safe: ClassVar[bool] = False

    def schema(self) -> dict[str, Any]:
        """The input's JSON schema; shared between calls, so callers must not change it."""
        return _input_schema(self.Input)

    def summary(self, input: InputT) -> str:
        """One line for the tool log: the tool's name and its most telling argument."""
        return self.name

    def kind_for(self, input: InputT) -> ToolKind:
        """This call's kind, for a tool whose calls differ (Git's status reads, its commit writes)."""
        return self.kind

    def rule_target(self, input: InputT, ctx: ToolContext) -> str | None:
        """What permission rules match against: a resolved path, a command, a domain."""
        return None

    def touched_paths(self, input: InputT, ctx: ToolContext) -> list[Path]:
        """Resolved paths this call would read or write (checked against the workspace)."""
        return []

    async def run(self, input: InputT, ctx: ToolContext) -> ToolResult:
        raise NotImplementedError

    def loaded(self) -> Tool[InputT]:
        """The tool that validates and runs calls: itself. A built-in is offered from its declaration
        (engine/toolset.py), whose `loaded()` imports the tool's module on the first call."""
        return self


class FileEditTool(Tool[InputT]):
    """A tool whose effect is a set of file writes the user can review hunk by hunk."""

    kind: ClassVar[ToolKind] = ToolKind.WRITE

    async def propose(self, input: InputT, ctx: ToolContext) -> list[FileChange]:
        """Compute the writes without making them; raise ToolError when the input is wrong."""
        raise NotImplementedError

    async def apply(self, changes: list[FileChange], ctx: ToolContext) -> ToolResult:
        """Write exactly these changes (possibly narrowed to the accepted hunks)."""
        raise NotImplementedError

    async def run(self, input: InputT, ctx: ToolContext) -> ToolResult:
        return await self.apply(await self.propose(input, ctx), ctx)
