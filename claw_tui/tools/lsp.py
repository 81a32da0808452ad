"""LSP: language servers as a service (`LspManager`) and as the model's `LSP` tool.

The manager starts one server per configured language over stdio with pygls's client, keeps
the files it was asked about open (sending the text again when it changed on disk), and
collects `textDocument/publishDiagnostics`. The agent loop calls `diagnostics_after_edit`
after Edit/Write so the model sees the problems its edit introduced.

Positions: the tool speaks 1-based lines and characters; LSP speaks 0-based lines and UTF-16
code units. Conversions happen here, against the file's text.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import attrs
from lsprotocol import types as lsp
from pydantic import BaseModel, Field, ValidationError, model_validator
from pygls import uris
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter

from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolResult

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0
DIAGNOSTICS_TIMEOUT = 3.0  # how long to wait for a server to publish after a change
MAX_LINES = 200


class LspError(ToolError):
    """A language server is missing, failed, or did not answer."""


class LanguageServerConfig(BaseModel):
    command: list[str] = Field(min_length=1)
    extensions: list[str] = Field(min_length=1)
    language_id: str | None = None  # defaults to the language's name
    settings: dict[str, Any] | None = None  # sent as workspace/didChangeConfiguration
    initialization_options: dict[str, Any] | None = None


def default_config() -> dict[str, dict[str, Any]]:
    """python → pylsp, with the style linters off: the model needs bugs, not PEP 8 nits."""
    return {
        "python": {
            "command": [_find_pylsp()],
            "extensions": [".py", ".pyi"],
            "settings": {
                "pylsp": {
                    "plugins": {
                        "pycodestyle": {"enabled": False},
                        "mccabe": {"enabled": False},
                    }
                }
            },
        }
    }


def _find_pylsp() -> str:
    beside = (
        Path(sys.executable).parent / "pylsp"
    )  # a venv's scripts are often not on PATH
    return shutil.which("pylsp") or (str(beside) if beside.exists() else "pylsp")


def _converter() -> Any:
    # lsprotocol 2025.0.0 registers no structure hook for the *optional* notebook filter union
    # that cattrs 26 asks for, so a pylsp initialize result fails to parse without this one.
    converter = default_converter()
    optional = attrs.fields(lsp.NotebookDocumentFilterWithCells).notebook.type
    required = attrs.fields(lsp.NotebookCellTextDocumentFilter).notebook.type
    converter.register_structure_hook(
        optional,
        lambda obj, _: None if obj is None else converter.structure(obj, required),
    )
    return converter


@dataclass
class _Document:
    version: int
    text: str


class _Server:
    """One running language server and what it told us."""

    def __init__(self, language: str, config: LanguageServerConfig, root: Path) -> None:
        self.language = language
        self.config = config
        self.root = root
        self.client = LanguageClient("claw", "0.1", converter_factory=_converter)
        self.documents: dict[str, _Document] = {}
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self._fresh: dict[
            str, bool
        ] = {}  # diagnostics received for the document's current version
        self._published: dict[str, asyncio.Event] = {}
        self._stderr: deque[str] = deque(maxlen=20)
        self._drain: asyncio.Task[None] | None = None

        # pygls tags the handler with attributes, which a bound method cannot carry.
        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self._on_diagnostics(params)

    @property
    def running(self) -> bool:
        return not self.client.stopped

    async def start(self) -> None:
        command = self.config.command
        try:
            await self.client.start_io(command[0], *command[1:], cwd=str(self.root))
        except (FileNotFoundError, PermissionError) as exc:
            raise LspError(
                f"The {self.language} language server could not start: {command[0]!r} "
                f"{'is not installed' if isinstance(exc, FileNotFoundError) else 'is not executable'}. "
                f"Install it or configure another command for {self.language}."
            ) from None
        process = (
            self.client._server
        )  # pygls keeps the process here and offers no accessor
        if process is not None and process.stderr is not None:
            self._drain = asyncio.create_task(self._drain_stderr(process.stderr))
        params = lsp.InitializeParams(
            process_id=None,
            root_uri=self.root.as_uri(),
            workspace_folders=[
                lsp.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)
            ],
            initialization_options=self.config.initialization_options,
            capabilities=lsp.ClientCapabilities(
                text_document=lsp.TextDocumentClientCapabilities(
                    synchronization=lsp.TextDocumentSyncClientCapabilities(
                        did_save=True
                    ),
                    publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(
                        version_support=True
                    ),
                    hover=lsp.HoverClientCapabilities(
                        content_format=[
                            lsp.MarkupKind.Markdown,
                            lsp.MarkupKind.PlainText,
                        ]
                    ),
                    document_symbol=lsp.DocumentSymbolClientCapabilities(
                        hierarchical_document_symbol_support=True
                    ),
                ),
                workspace=lsp.WorkspaceClientCapabilities(
                    workspace_folders=True, configuration=False
                ),
            ),
        )
        await self.request(
            self.client.initialize_async(params), "initialize", STARTUP_TIMEOUT
        )
        self.client.initialized(lsp.InitializedParams())
        if self.config.settings:
            self.client.workspace_did_change_configuration(
                lsp.DidChangeConfigurationParams(settings=self.config.settings)
            )

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        # An unread pipe fills up and stalls the server; keep the tail to explain failures.
        while line := await stream.readline():
            self._stderr.append(line.decode(errors="replace").rstrip())

    def _on_diagnostics(self, params: lsp.PublishDiagnosticsParams) -> None:
        self.diagnostics[params.uri] = list(params.diagnostics)
        doc = self.documents.get(params.uri)
        if doc is None or params.version is None or params.version >= doc.version:
            self._fresh[params.uri] = True
            self._published.setdefault(params.uri, asyncio.Event()).set()

    async def request(
        self, call: Any, what: str, timeout: float = REQUEST_TIMEOUT
    ) -> Any:
        try:
            return await asyncio.wait_for(call, timeout)
        except TimeoutError:
            raise LspError(
                f"The {self.language} language server did not answer {what} within {timeout:.0f} s."
            ) from None
        except JsonRpcException as exc:
            raise LspError(
                f"The {self.language} language server refused {what}: {exc}"
            ) from None
        except RuntimeError as exc:  # pygls's way of saying the server process is gone
            if (
                self._drain is not None
            ):  # the process has exited: its stderr is about to end
                await asyncio.wait([self._drain], timeout=1)
            tail = "\n".join(self._stderr)
            detail = f"\nIts last output:\n{tail}" if tail else ""
            raise LspError(
                f"The {self.language} language server stopped ({exc}).{detail}"
            ) from None

    def sync(self, path: Path) -> str:
        """Open the file, or send its new text if it changed on disk; returns its URI."""
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            raise LspError(f"File does not exist: {path}") from None
        except IsADirectoryError:
            raise LspError(f"{path} is a directory, not a file.") from None
        uri = path.as_uri()
        doc = self.documents.get(uri)
        if doc is None:
            self.documents[uri] = _Document(1, text)
            item = lsp.TextDocumentItem(
                uri=uri,
                language_id=self.config.language_id or self.language,
                version=1,
                text=text,
            )
            self._fresh[uri] = False
            self.client.text_document_did_open(
                lsp.DidOpenTextDocumentParams(text_document=item)
            )
        elif doc.text != text:
            doc.version += 1
            doc.text = text
            self._fresh[uri] = False
            self.client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(
                        uri=uri, version=doc.version
                    ),
                    content_changes=[
                        lsp.TextDocumentContentChangeWholeDocument(text=text)
                    ],
                )
            )
        return uri

    async def wait_for_diagnostics(self, uri: str, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._fresh.get(uri):
            event = self._published.setdefault(uri, asyncio.Event())
            event.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return

    async def close(self) -> None:
        process = self.client._server
        if process is None:  # never started
            return
        try:
            if self.running and process.returncode is None:
                await asyncio.wait_for(self.client.shutdown_async(None), 5)
                self.client.exit(None)
            await asyncio.wait_for(self.client.stop(), 5)
        except Exception:  # a server that will not stop politely is killed below
            log.debug(
                "language server %s did not stop cleanly", self.language, exc_info=True
            )
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        if self._drain is not None:
            self._drain.cancel()


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
                raise ValueError(
                    f"Bad language server config for {language!r}: {exc}"
                ) from None
        self._servers: dict[str, _Server] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def language_for(self, path: Path) -> str | None:
        suffix = path.suffix.lower()
        return next(
            (lang for lang, cfg in self.configs.items() if suffix in cfg.extensions),
            None,
        )

    async def _server_for(self, path: Path) -> _Server:
        language = self.language_for(path)
        if language is None:
            known = (
                ", ".join(
                    f"{lang} ({' '.join(c.extensions)})"
                    for lang, c in self.configs.items()
                )
                or "none"
            )
            raise LspError(
                f"No language server is configured for {path.suffix or 'extensionless'} files. Configured: {known}."
            )
        async with self._locks.setdefault(language, asyncio.Lock()):
            server = self._servers.get(language)
            if server is not None and server.running:
                return server
            server = _Server(language, self.configs[language], self.root)
            try:
                await server.start()
            except BaseException:
                await server.close()
                raise
            self._servers[language] = server
            return server

    async def _open(self, path: Path) -> tuple[_Server, str]:
        server = await self._server_for(path)
        return server, server.sync(path)

    async def diagnostics(self, path: Path) -> list[lsp.Diagnostic]:
        server, uri = await self._open(path)
        await server.wait_for_diagnostics(uri, self.diagnostics_timeout)
        return list(server.diagnostics.get(uri, []))

    async def definition(
        self, path: Path, line: int, character: int
    ) -> list[lsp.Location]:
        """Where the symbol at (0-based line, 0-based character) is defined."""
        server, uri = await self._open(path)
        params = lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=_position(server, uri, line, character),
        )
        return _locations(
            await server.request(
                server.client.text_document_definition_async(params), "definition"
            )
        )

    async def references(
        self, path: Path, line: int, character: int
    ) -> list[lsp.Location]:
        server, uri = await self._open(path)
        params = lsp.ReferenceParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=_position(server, uri, line, character),
            context=lsp.ReferenceContext(include_declaration=True),
        )
        return _locations(
            await server.request(
                server.client.text_document_references_async(params), "references"
            )
        )

    async def hover(self, path: Path, line: int, character: int) -> str:
        server, uri = await self._open(path)
        params = lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=_position(server, uri, line, character),
        )
        result = await server.request(
            server.client.text_document_hover_async(params), "hover"
        )
        return _hover_text(result.contents).strip() if result is not None else ""

    async def document_symbols(
        self, path: Path
    ) -> Sequence[lsp.DocumentSymbol | lsp.SymbolInformation]:
        server, uri = await self._open(path)
        params = lsp.DocumentSymbolParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri)
        )
        return (
            await server.request(
                server.client.text_document_document_symbol_async(params),
                "documentSymbol",
            )
            or []
        )

    async def diagnostics_after_edit(self, path: Path) -> str:
        """Errors and warnings in `path` that were not there before the edit, as text ("" if none)."""
        path = Path(path).resolve()
        if self.language_for(path) is None or not path.is_file():
            return ""
        server = await self._server_for(path)
        uri = path.as_uri()
        known_before = uri in server.diagnostics
        before = Counter(
            _key(d) for d in server.diagnostics.get(uri, []) if _serious(d)
        )
        server.sync(path)
        await server.wait_for_diagnostics(uri, self.diagnostics_timeout)
        new = []
        for diagnostic in server.diagnostics.get(uri, []):
            if not _serious(diagnostic):
                continue
            if before[_key(diagnostic)] > 0:
                before[_key(diagnostic)] -= 1
            else:
                new.append(diagnostic)
        if not new:
            return ""
        shown = _relative(path, self.root)
        heading = (
            f"New diagnostics in {shown} after this edit:"
            if known_before
            else f"Diagnostics in {shown} after this edit:"
        )
        lines = [format_diagnostic(path, d, self.root) for d in new[:20]]
        if len(new) > 20:
            lines.append(f"… and {len(new) - 20} more")
        return "\n".join([heading, *lines])

    async def close(self) -> None:
        servers, self._servers = list(self._servers.values()), {}
        await asyncio.gather(*(s.close() for s in servers), return_exceptions=True)


# --- positions and formatting --------------------------------------------------------------


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line] if 0 <= line < len(lines) else ""


def _position(server: _Server, uri: str, line: int, character: int) -> lsp.Position:
    line_text = _line_text(server.documents[uri].text, line)
    return lsp.Position(line=line, character=_utf16_units(line_text[:character]))


def _column(line_text: str, units: int) -> int:
    """0-based code-point column of a UTF-16 offset in `line_text`."""
    count = 0
    for index, char in enumerate(line_text):
        if count >= units:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(line_text)


def _locations(result: Any) -> list[lsp.Location]:
    if result is None:
        return []
    items = result if isinstance(result, Sequence) else [result]
    out = []
    for item in items:
        if isinstance(item, lsp.LocationLink):
            out.append(
                lsp.Location(uri=item.target_uri, range=item.target_selection_range)
            )
        elif isinstance(item, lsp.Location):
            out.append(item)
    return out


def _hover_text(contents: Any) -> str:
    if isinstance(contents, lsp.MarkupContent):
        return contents.value
    if isinstance(contents, lsp.MarkedStringWithLanguage):
        return f"```{contents.language}\n{contents.value}\n```"
    if isinstance(contents, str):
        return contents
    if isinstance(contents, Sequence):
        return "\n\n".join(_hover_text(c) for c in contents)
    return str(contents)


def _uri_path(uri: str) -> Path:
    return Path(uris.to_fs_path(uri) or uri)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class _Lines:
    """Source lines of result files, read once per call."""

    def __init__(self) -> None:
        self._files: dict[Path, list[str]] = {}

    def get(self, path: Path, line: int) -> str:
        if path not in self._files:
            try:
                self._files[path] = path.read_text(
                    encoding="utf-8", errors="replace"
                ).splitlines()
            except OSError:
                self._files[path] = []
        lines = self._files[path]
        return lines[line] if 0 <= line < len(lines) else ""


def _place(path: Path, pos: lsp.Position, root: Path, lines: _Lines) -> str:
    col = _column(lines.get(path, pos.line), pos.character)
    return f"{_relative(path, root)}:{pos.line + 1}:{col + 1}"


def format_location(
    location: lsp.Location, root: Path, lines: _Lines | None = None
) -> str:
    lines = lines or _Lines()
    path = _uri_path(location.uri)
    source = lines.get(path, location.range.start.line).strip()
    place = _place(path, location.range.start, root, lines)
    return f"{place}: {source}" if source else place


_SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


def _serious(diagnostic: lsp.Diagnostic) -> bool:
    return (
        diagnostic.severity or lsp.DiagnosticSeverity.Error
    ) <= lsp.DiagnosticSeverity.Warning


def _key(diagnostic: lsp.Diagnostic) -> tuple[Any, ...]:
    # Lines shift with an edit, so a diagnostic is "the same" if it says the same thing.
    return (
        diagnostic.severity,
        diagnostic.source,
        str(diagnostic.code),
        diagnostic.message,
    )


def format_diagnostic(
    path: Path, diagnostic: lsp.Diagnostic, root: Path, lines: _Lines | None = None
) -> str:
    severity = _SEVERITY.get(int(diagnostic.severity or 1), "error")
    origin = " ".join(str(x) for x in (diagnostic.source, diagnostic.code) if x)
    place = _place(path, diagnostic.range.start, root, lines or _Lines())
    return f"{place}: {severity}: {diagnostic.message}" + (
        f" [{origin}]" if origin else ""
    )


def _symbol_lines(symbols: Sequence[Any], depth: int = 0) -> list[str]:
    out = []
    for symbol in symbols:
        kind = getattr(symbol.kind, "name", str(symbol.kind))
        if isinstance(symbol, lsp.DocumentSymbol):
            line = symbol.selection_range.start.line + 1
            detail = f" {symbol.detail}" if symbol.detail else ""
            out.append(f"{'  ' * depth}{kind} {symbol.name}{detail} (line {line})")
            out.extend(_symbol_lines(symbol.children or [], depth + 1))
        else:
            container = f" in {symbol.container_name}" if symbol.container_name else ""
            out.append(
                f"{'  ' * depth}{kind} {symbol.name}{container} (line {symbol.location.range.start.line + 1})"
            )
    return out


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
    file_path: str = Field(
        description="The file to ask about (absolute or relative to the working directory)."
    )
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


class LSP(Tool):
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
    Input: ClassVar[type[BaseModel]] = LSPInput
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: BaseModel) -> str:
        assert isinstance(input, LSPInput)
        where = input.file_path + (
            f":{input.line}:{input.character}" if input.line and input.character else ""
        )
        return f"LSP {input.operation}: {where}"

    def rule_target(self, input: BaseModel, ctx: ToolContext) -> str | None:
        assert isinstance(input, LSPInput)
        return str(ctx.resolve(input.file_path))

    def touched_paths(self, input: BaseModel, ctx: ToolContext) -> list[Path]:
        assert isinstance(input, LSPInput)
        return [ctx.resolve(input.file_path)]

    async def run(self, input: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(input, LSPInput)
        manager: LspManager | None = ctx.services.get("lsp")
        if manager is None:
            raise ToolError(
                "LSP is not available in this session: no language servers are set up."
            )
        path = ctx.resolve(input.file_path)
        if not path.is_file():
            raise ToolError(f"File does not exist: {input.file_path}")
        shown = _relative(path, ctx.cwd)
        operation = _ALIASES.get(input.operation, input.operation)
        line, character = (input.line or 1) - 1, (input.character or 1) - 1
        lines = _Lines()
        if operation == "diagnostics":
            found = await manager.diagnostics(path)
            if not found:
                return ToolResult.text(f"No diagnostics in {shown}.")
            body = [format_diagnostic(path, d, ctx.cwd, lines) for d in found]
            return ToolResult.text(
                f"{len(found)} diagnostic(s) in {shown}:\n" + "\n".join(_capped(body))
            )
        if operation == "documentSymbol":
            symbols = await manager.document_symbols(path)
            if not symbols:
                return ToolResult.text(f"No symbols in {shown}.")
            return ToolResult.text(
                f"Symbols in {shown}:\n" + "\n".join(_capped(_symbol_lines(symbols)))
            )
        at = f"{shown}:{line + 1}:{character + 1}"
        if operation == "hover":
            text = await manager.hover(path, line, character)
            return ToolResult.text(text or f"No hover information at {at}.")
        if operation == "definition":
            found_locations = await manager.definition(path, line, character)
            if not found_locations:
                return ToolResult.text(f"No definition found for the symbol at {at}.")
            body = [format_location(loc, ctx.cwd, lines) for loc in found_locations]
            return ToolResult.text(
                f"Definition of the symbol at {at}:\n" + "\n".join(_capped(body))
            )
        found_locations = await manager.references(path, line, character)
        if not found_locations:
            return ToolResult.text(f"No references found for the symbol at {at}.")
        body = [format_location(loc, ctx.cwd, lines) for loc in found_locations]
        return ToolResult.text(
            f"{len(found_locations)} reference(s) to the symbol at {at}:\n"
            + "\n".join(_capped(body))
        )
