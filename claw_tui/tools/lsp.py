"""LSP: language servers as a service (`LspManager`) and as the model's `LSP` tool.

The manager starts one server per configured language on first use and routes each question
to it; the agent loop calls `diagnostics_after_edit` after Edit/Write so the model sees the
problems its edit introduced. The protocol work (pygls, lsprotocol) lives in lsp_client,
imported only when a server first starts: lsprotocol alone takes about half a second to load,
and every Agent builds an LspManager and an LSP tool.

Positions: the tool speaks 1-based lines and characters; the manager 0-based code points.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult
from claw_tui.tools.lsp_config import LanguageServerConfig, LspError, default_config

if TYPE_CHECKING:
    from lsprotocol import types as lsp

    from claw_tui.tools.lsp_client import LanguageServer

DIAGNOSTICS_TIMEOUT = 3.0  # how long to wait for a server to publish after a change
MAX_LINES = 200


class LspManager:
    """The language servers of one session, started on first use and stopped by `close()`."""

    def __init__(
        self,
        root: Path,
        config: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        diagnostics_timeout: float = DIAGNOSTICS_TIMEOUT,
    ) -> None:
        self.root = root.resolve()
        self.diagnostics_timeout = diagnostics_timeout
        self.configs: dict[str, LanguageServerConfig] = {}
        for language, raw in (default_config() if config is None else config).items():
            try:
                self.configs[language] = LanguageServerConfig.model_validate(raw)
            except ValidationError as exc:
                raise ValueError(f"Bad language server config for {language!r}: {exc}") from None
        self._servers: dict[str, LanguageServer] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def language_for(self, path: Path) -> str | None:
        suffix = path.suffix.lower()
        return next(
            (lang for lang, cfg in self.configs.items() if suffix in cfg.extensions),
            None,
        )

    async def _server_for(self, path: Path) -> LanguageServer:
        language = self.language_for(path)
        if language is None:
            known = ", ".join(f"{lang} ({' '.join(c.extensions)})" for lang, c in self.configs.items()) or "none"
            raise LspError(
                f"No language server is configured for {path.suffix or 'extensionless'} files. Configured: {known}."
            )
        async with self._locks.setdefault(language, asyncio.Lock()):
            server = self._servers.get(language)
            if server is not None and server.running:
                return server
            from claw_tui.tools.lsp_client import LanguageServer  # ~0.5 s, paid by the first server to start

            server = LanguageServer(language, self.configs[language], self.root)
            try:
                await server.start()
            except BaseException:
                await server.close()
                raise
            self._servers[language] = server
            return server

    async def diagnostics(self, path: Path) -> list[lsp.Diagnostic]:
        server = await self._server_for(path)
        return await server.diagnostics_of(path, self.diagnostics_timeout)

    async def definition(self, path: Path, line: int, character: int) -> list[lsp.Location]:
        """Where the symbol at (0-based line, 0-based character) is defined."""
        server = await self._server_for(path)
        return await server.definition(path, line, character)

    async def references(self, path: Path, line: int, character: int) -> list[lsp.Location]:
        server = await self._server_for(path)
        return await server.references(path, line, character)

    async def hover(self, path: Path, line: int, character: int) -> str:
        server = await self._server_for(path)
        return await server.hover(path, line, character)

    async def document_symbols(self, path: Path) -> Sequence[lsp.DocumentSymbol | lsp.SymbolInformation]:
        server = await self._server_for(path)
        return await server.document_symbols(path)

    async def diagnostics_after_edit(self, path: Path) -> str:
        """Errors and warnings in `path` that were not there before the edit, as text ("" if none)."""
        path = Path(path).resolve()
        if self.language_for(path) is None or not path.is_file():
            return ""
        server = await self._server_for(path)
        return await server.diagnostics_after_edit(path, self.diagnostics_timeout)

    async def close(self) -> None:
        servers, self._servers = list(self._servers.values()), {}
        await asyncio.gather(*(s.close() for s in servers), return_exceptions=True)


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
            raise ToolError("LSP is not available in this session: no language servers are set up.")
        path = ctx.resolve(input.file_path)
        if not path.is_file():
            raise ToolError(f"File does not exist: {input.file_path}")
        from claw_tui.tools import lsp_client  # the answers' formatting needs lsprotocol: loaded on first use

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
