"""LSP: language servers as a service (`LspManager`) and as the model's `LSP` tool.

The manager starts a language's server in the background when the session first touches a file
of that language (or with the session, when configured so), and routes each question to it. After
Edit/Write the tool-call pipeline asks it for the problems the edit introduced, waiting at most
`EDIT_WAIT`: an edit never waits for a server that is still starting, and diagnostics that come
later go with the next tool result (as Claude Code delivers IDE diagnostics). The protocol work
lives in lsp_client. The agent builds a manager only when a configured server is installed.

Positions: the tool speaks 1-based lines and characters; the manager 0-based code points.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from claw_tui.tools import lsp_client
from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult
from claw_tui.tools.lsp_client import Baseline, Diagnostic, LanguageServer, Location, Symbol
from claw_tui.tools.lsp_config import LanguageServerConfig, LspError, default_config, parse_config

__all__ = ["LSP", "LspError", "LspManager", "default_config"]

DIAGNOSTICS_TIMEOUT = 3.0  # how long the LSP tool's `diagnostics` waits for a server to publish
EDIT_WAIT = 0.1  # how long an edit's result waits for its diagnostics; later ones go with a later result
MAX_LINES = 200


@dataclass
class _Pending:
    """An edited file whose diagnostics were not in when its edit's result went back."""

    owner: object  # the agent whose next tool result carries them
    baseline: Baseline | None  # None: its server was not ready at the edit, so nothing is known of before


class LspManager:
    """The language servers of one session, started in the background and stopped by `close()`."""

    def __init__(
        self,
        root: Path,
        config: Mapping[str, Any] | None = None,
        *,
        diagnostics_timeout: float = DIAGNOSTICS_TIMEOUT,
        edit_wait: float = EDIT_WAIT,
    ) -> None:
        self.root = root.resolve()
        self.diagnostics_timeout = diagnostics_timeout
        self.edit_wait = edit_wait
        self.configs: dict[str, LanguageServerConfig] = parse_config(config)
        self._servers: dict[str, LanguageServer] = {}
        self._starts: dict[str, asyncio.Task[LanguageServer]] = {}
        self._pending: dict[Path, _Pending] = {}

    def language_for(self, path: Path) -> str | None:
        suffix = path.suffix.lower()
        return next(
            (lang for lang, cfg in self.configs.items() if suffix in cfg.extensions),
            None,
        )

    # --- starting servers ------------------------------------------------------------------

    def start_configured(self) -> None:
        """Start the servers configured to start with the session (idempotent)."""
        for language, config in self.configs.items():
            if config.start_with_session:
                self._start(language)

    def touch(self, paths: Iterable[Path]) -> None:
        """A tool call touched these files: start their languages' servers in the background."""
        for path in paths:
            if (language := self.language_for(path)) is not None:
                self._start(language)

    def _start(self, language: str) -> asyncio.Task[LanguageServer]:
        """The task that starts (or started) `language`'s server; a new one if that server has since stopped."""
        task = self._starts.get(language)
        server = self._servers.get(language)
        if task is None or (task.done() and server is not None and not server.running):
            task = self._starts[language] = asyncio.create_task(self._run_server(language))
            task.add_done_callback(_retrieve)
        return task

    async def _run_server(self, language: str) -> LanguageServer:
        self._servers.pop(language, None)  # one that stopped: a failed restart must not look like it
        server = LanguageServer(language, self.configs[language], self.root)
        try:
            await server.start()
        except BaseException:
            await server.close()
            raise
        self._servers[language] = server
        for path in [p for p in self._pending if self.language_for(p) == language]:
            self._sync(server, path)  # edited before it was ready: it reports on them now
        return server

    async def _server_for(self, path: Path) -> LanguageServer:
        """The file's server, waiting for it to start; LspError says why there is none."""
        language = self.language_for(path)
        if language is None:
            known = ", ".join(f"{lang} ({' '.join(c.extensions)})" for lang, c in self.configs.items()) or "none"
            raise LspError(
                f"No language server is configured for {path.suffix or 'extensionless'} files. Configured: {known}."
            )
        task = self._start(language)
        if task.done() and not task.cancelled() and task.exception() is not None:  # asked again: try again
            del self._starts[language]
            task = self._start(language)
        return await asyncio.shield(task)

    def _ready(self, path: Path) -> LanguageServer | None:
        """The file's server if it is up and answering now; None while it starts, or if it failed."""
        server = self._servers.get(self.language_for(path) or "")
        return server if server is not None and server.ready and server.running else None

    @staticmethod
    def _sync(server: LanguageServer, path: Path) -> bool:
        try:
            server.sync(path)
        except LspError:  # deleted or replaced by a directory since: nothing to report on
            return False
        return True

    # --- questions -------------------------------------------------------------------------

    async def diagnostics(self, path: Path) -> list[Diagnostic]:
        server = await self._server_for(path)
        return await server.diagnostics_of(path, self.diagnostics_timeout)

    async def definition(self, path: Path, line: int, character: int) -> list[Location]:
        """Where the symbol at (0-based line, 0-based character) is defined."""
        server = await self._server_for(path)
        return await server.definition(path, line, character)

    async def references(self, path: Path, line: int, character: int) -> list[Location]:
        server = await self._server_for(path)
        return await server.references(path, line, character)

    async def hover(self, path: Path, line: int, character: int) -> str:
        server = await self._server_for(path)
        return await server.hover(path, line, character)

    async def document_symbols(self, path: Path) -> Sequence[Symbol]:
        server = await self._server_for(path)
        return await server.document_symbols(path)

    # --- diagnostics after edits -------------------------------------------------------------

    async def after_edit(self, paths: Iterable[Path], owner: object) -> str:
        """Errors and warnings the edit of `paths` introduced, as text ("" if none), waiting at most
        `edit_wait` for them; what is not in by then goes with `owner`'s next `late_diagnostics`."""
        waiting: list[tuple[LanguageServer, Path, Baseline]] = []
        for path in (Path(p).resolve() for p in paths):
            if self.language_for(path) is None or not path.is_file():
                continue
            server = self._ready(path)
            if path in self._pending:  # an earlier edit's report is still due: it will cover this one
                self._pending[path].owner = owner
                if server is not None:
                    self._sync(server, path)
                continue
            if server is None:
                self.touch([path])
                self._pending[path] = _Pending(owner, None)
                continue
            baseline = server.baseline(path)
            if self._sync(server, path):
                waiting.append((server, path, baseline))
        # Each waits at most edit_wait, all at once: the edit's result waits edit_wait at most.
        await asyncio.gather(*(server.wait_for_diagnostics(path.as_uri(), self.edit_wait) for server, path, _ in waiting))
        reports = []
        for server, path, baseline in waiting:
            report = server.report_since(path, baseline)
            if report is None:
                self._pending[path] = _Pending(owner, baseline)
            elif report:
                reports.append(report)
        return "\n\n".join(reports)

    def late_diagnostics(self, owner: object) -> str:
        """Diagnostics of `owner`'s earlier edits that have come in since their results went back."""
        reports = []
        for path, pending in list(self._pending.items()):
            if pending.owner is not owner:
                continue
            task = self._starts.get(self.language_for(path) or "")
            if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
                del self._pending[path]  # its server did not start: no report is coming
                continue
            server = self._ready(path)
            if server is None:
                continue
            report = server.report_since(path, pending.baseline, "an earlier edit")
            if report is not None:
                del self._pending[path]
                if report:
                    reports.append(report)
        return "\n\n".join(reports)

    async def close(self) -> None:
        starts, self._starts = list(self._starts.values()), {}
        for task in starts:
            task.cancel()
        await asyncio.gather(*starts, return_exceptions=True)
        servers, self._servers = list(self._servers.values()), {}
        await asyncio.gather(*(s.close() for s in servers), return_exceptions=True)
        self._pending.clear()


def _retrieve(task: asyncio.Task[Any]) -> None:
    """A failed start is told to whoever asks for the server, never as "exception was never retrieved"."""
    if not task.cancelled():
        task.exception()


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], f"… and {len(lines) - MAX_LINES} more"]


# --- the tool --------------------------------------------------------------------------------

Operation = Literal[
    "diagnostics",
    "definition",
    "references",
    "hover",
    "documentSymbol",
    "goToDefinition",
    "findReferences",
]
_ALIASES = {"goToDefinition": "definition", "findReferences": "references"}


class LSPInput(BaseModel):
    operation: Operation = Field(description="What to ask the language server.")
    file_path: str = Field(description="The file to ask about (absolute or relative to the working directory).")
    line: int | None = Field(
        default=None,
        ge=1,
        description="1-based line of the symbol (definition, references, hover).",
    )
    character: int | None = Field(
        default=None,
        ge=1,
        description="1-based column of the symbol on that line (definition, references, hover).",
    )

    @model_validator(mode="after")
    def _position_when_needed(self) -> LSPInput:
        if _ALIASES.get(self.operation, self.operation) in (
            "definition",
            "references",
            "hover",
        ) and (self.line is None or self.character is None):
            raise ValueError(f"{self.operation} needs line and character")
        return self


class LSP(Tool[LSPInput]):
    name: ClassVar[str] = "LSP"
    description: ClassVar[str] = (
        "Ask a language server about code, with compiler-grade precision instead of text search.\n\n"
        "Operations:\n"
        "- diagnostics: errors and warnings in file_path.\n"
        "- definition: where the symbol at line/character is defined.\n"
        "- references: every use of the symbol at line/character across the project.\n"
        "- hover: the type and documentation of the symbol at line/character.\n"
        "- documentSymbol: the classes, functions and variables defined in file_path.\n\n"
        "line and character are 1-based, as the Read tool shows lines; point at any character inside the "
        "symbol's name. Locations come back as path:line:column with the source line."
    )
    Input = LSPInput
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: LSPInput) -> str:
        where = input.file_path + (f":{input.line}:{input.character}" if input.line and input.character else "")
        return f"LSP {input.operation}: {where}"

    def rule_target(self, input: LSPInput, ctx: ToolContext) -> str | None:
        return str(ctx.resolve(input.file_path))

    def touched_paths(self, input: LSPInput, ctx: ToolContext) -> list[Path]:
        return [ctx.resolve(input.file_path)]

    async def run(self, input: LSPInput, ctx: ToolContext) -> ToolResult:
        manager: LspManager | None = ctx.services.lsp
        if manager is None:
            raise ToolError(
                "LSP is not available in this session: no language server is installed "
                "(claw uses pylsp for Python when it is; others are configured under [lsp])."
            )
        path = ctx.resolve(input.file_path)
        if not path.is_file():
            raise ToolError(f"File does not exist: {input.file_path}")
        shown = lsp_client.relative(path, ctx.cwd)
        operation = _ALIASES.get(input.operation, input.operation)
        line, character = (input.line or 1) - 1, (input.character or 1) - 1
        lines = lsp_client.Lines()
        if operation == "diagnostics":
            found = await manager.diagnostics(path)
            if not found:
                return ToolResult.text(f"No diagnostics in {shown}.")
            body = [lsp_client.format_diagnostic(path, d, ctx.cwd, lines) for d in found]
            return ToolResult.text(f"{len(found)} diagnostic(s) in {shown}:\n" + "\n".join(_capped(body)))
        if operation == "documentSymbol":
            symbols = await manager.document_symbols(path)
            if not symbols:
                return ToolResult.text(f"No symbols in {shown}.")
            return ToolResult.text(f"Symbols in {shown}:\n" + "\n".join(_capped(lsp_client.symbol_lines(symbols))))
        at = f"{shown}:{line + 1}:{character + 1}"
        if operation == "hover":
            text = await manager.hover(path, line, character)
            return ToolResult.text(text or f"No hover information at {at}.")
        if operation == "definition":
            found_locations = await manager.definition(path, line, character)
            if not found_locations:
                return ToolResult.text(f"No definition found for the symbol at {at}.")
            body = [lsp_client.format_location(loc, ctx.cwd, lines) for loc in found_locations]
            return ToolResult.text(f"Definition of the symbol at {at}:\n" + "\n".join(_capped(body)))
        found_locations = await manager.references(path, line, character)
        if not found_locations:
            return ToolResult.text(f"No references found for the symbol at {at}.")
        body = [lsp_client.format_location(loc, ctx.cwd, lines) for loc in found_locations]
        return ToolResult.text(
            f"{len(found_locations)} reference(s) to the symbol at {at}:\n" + "\n".join(_capped(body))
        )
