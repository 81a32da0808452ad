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
from typing import Any, ClassVar

from pydantic import BaseModel

from claw_tui.core.diffs import FileChange
from claw_tui.core.transcript import ImageBlock, TextBlock
from claw_tui.tools.editor_files import EditorFiles
from claw_tui.tools.editor_terminals import EditorTerminals


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


@dataclass
class FileState:
    """What the model saw of a file when it last read it, to refuse edits of stale copies."""

    mtime_ns: int
    size: int
    # The text's digest when it was read through the editor (`ToolContext.editor_files`).
    digest: str | None = None


@dataclass
class ToolContext:
    """Everything a tool may touch besides its input. One per agent (subagents get their own)."""

    cwd: Path
    roots: list[Path]  # workspace roots: the launch directory plus configured extra dirs
    read_files: dict[Path, FileState] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    # Progress output for the front end (Bash lines as they come); set by the agent loop.
    emit_output: Callable[[str], Awaitable[None]] | None = None
    # Called with (path, prior content or None) before any file is written (checkpoints).
    before_write: Callable[[Path, bytes | None], None] | None = None
    # The editor's buffers, when a front end offers them (ACP): see tools/editor_files.py.
    editor_files: EditorFiles | None = None
    # The editor's terminals, when a front end offers them (ACP): see tools/editor_terminals.py.
    editor_terminals: EditorTerminals | None = None
    # Shared services, set by whoever builds the context (shell sessions, task graph, LSP…).
    services: dict[str, Any] = field(default_factory=dict)

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """Resolve a model-given path: `~`, relative to cwd, `..` and symlinks."""
        p = Path(os.path.expanduser(str(path)))
        if not p.is_absolute():
            p = self.cwd / p
        return p.resolve()

    def in_workspace(self, path: Path) -> bool:
        return any(path == r or path.is_relative_to(r) for r in (r.resolve() for r in self.roots))

    def remember_read(self, path: Path) -> None:
        st = path.stat()
        self.read_files[path] = FileState(st.st_mtime_ns, st.st_size)


@functools.cache
def _input_schema(model: type[BaseModel]) -> dict[str, Any]:
    # Built once per input model: pydantic takes about a millisecond per tool, on every request.
    schema = model.model_json_schema()
    schema.pop("title", None)
    return schema


class Tool:
    name: ClassVar[str]
    description: ClassVar[str]
    Input: ClassVar[type[BaseModel]]
    kind: ClassVar[ToolKind] = ToolKind.READ
    # Read-only calls in one response may run concurrently; others run in order.
    concurrent_safe: ClassVar[bool] = False

    def schema(self) -> dict[str, Any]:
        """The input's JSON schema; shared between calls, so callers must not change it."""
        return _input_schema(self.Input)

    def summary(self, input: BaseModel) -> str:
        """One line for the tool log: the tool's name and its most telling argument."""
        return self.name

    def rule_target(self, input: BaseModel, ctx: ToolContext) -> str | None:
        """What permission rules match against: a resolved path, a command, a domain."""
        return None

    def touched_paths(self, input: BaseModel, ctx: ToolContext) -> list[Path]:
        """Resolved paths this call would read or write (checked against the workspace)."""
        return []

    async def run(self, input: BaseModel, ctx: ToolContext) -> ToolResult:
        raise NotImplementedError


class FileEditTool(Tool):
    """A tool whose effect is a set of file writes the user can review hunk by hunk."""

    kind: ClassVar[ToolKind] = ToolKind.WRITE

    async def propose(self, input: BaseModel, ctx: ToolContext) -> list[FileChange]:
        """Compute the writes without making them; raise ToolError when the input is wrong."""
        raise NotImplementedError

    async def apply(self, changes: list[FileChange], ctx: ToolContext) -> ToolResult:
        """Write exactly these changes (possibly narrowed to the accepted hunks)."""
        raise NotImplementedError

    async def run(self, input: BaseModel, ctx: ToolContext) -> ToolResult:
        return await self.apply(await self.propose(input, ctx), ctx)
