"""The protocol side of claw's LSP support: one running language server, and its answers as text.

Apart from lsp.py because lsprotocol takes about half a second to import: building an Agent
(and its LspManager and LSP tool) must not pay for it, so lsp.py imports this module only when
the first server starts or the tool first formats an answer.

`LanguageServer` runs a server over stdio with pygls's client, keeps the files it was asked
about open (sending the text again when it changed on disk), and collects
`textDocument/publishDiagnostics`.

Positions: callers speak 0-based lines and characters in code points; LSP speaks 0-based lines
and UTF-16 code units. Conversions happen here, against the file's text.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types as lsp
from pygls import uris
from pygls.exceptions import JsonRpcException
from pygls.io_ import run_async
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter

from claw_tui.core import pooled_servers
from claw_tui.tools.lsp_config import LanguageServerConfig, LspError

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 1.0


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
    _prepare(converter)
    return converter


# What every session exchanges with its server: initialize (its answer holds every capability
# type), the notifications it sends, and the diagnostics it gets.
_EXCHANGED = (lsp.INITIALIZE, lsp.INITIALIZED, lsp.TEXT_DOCUMENT_DID_OPEN, lsp.TEXT_DOCUMENT_DID_CHANGE,
              lsp.WORKSPACE_DID_CHANGE_CONFIGURATION, lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


def _prepare(converter: Any) -> None:
    """Have cattrs generate its code for those messages now, on the worker thread that builds the
    client: on the event loop, structuring the first initialize answer took 0.3 s."""
    for method in _EXCHANGED:
        message, answer = lsp.METHOD_TO_TYPES[method][:2]
        converter.get_structure_hook(message)
        if answer is not None:
            converter.get_structure_hook(answer)
    # Nested types are reached only by serialising: one initialize request like the real one.
    converter.unstructure(lsp.InitializeRequest(id=0, params=lsp.InitializeParams(process_id=None, capabilities=_capabilities())))


def _capabilities() -> lsp.ClientCapabilities:
    return lsp.ClientCapabilities(
        text_document=lsp.TextDocumentClientCapabilities(
            synchronization=lsp.TextDocumentSyncClientCapabilities(did_save=True),
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(version_support=True),
            hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]),
            document_symbol=lsp.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True),
        ),
        workspace=lsp.WorkspaceClientCapabilities(workspace_folders=True, configuration=False),
    )


class _Client(LanguageClient):
    """pygls's client, which can also talk to a server over a stream: a lease of the warm engine's pool."""

    def start_stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """As `start_io` over a process's pipes (pygls's `start_tcp` does the same over TCP): and when the
        stream ends, the requests still waiting fail as they do when a process exits."""
        self.protocol.set_writer(writer)
        connection = asyncio.create_task(run_async(
            stop_event=self._stop_event, reader=reader, protocol=self.protocol, logger=log,
            error_handler=self.report_server_error,
        ))
        self._async_tasks.extend([connection, asyncio.create_task(self._stream_ended(connection))])

    async def _stream_ended(self, connection: asyncio.Task[Any]) -> None:
        await asyncio.wait([connection])
        for future in self.protocol._request_futures.values():  # what pygls's own _server_exit does
            if not future.done():
                future.set_exception(RuntimeError("the connection to the server closed"))
        self._stop_event.set()


@dataclass
class _Document:
    version: int
    text: str


@dataclass(frozen=True)
class Baseline:
    """The serious diagnostics of a file before an edit (`known` False: the server had said nothing of it)."""

    known: bool
    counts: Counter[tuple[Any, ...]]


class LanguageServer:
    """One running language server and what it told us."""

    def __init__(self, language: str, config: LanguageServerConfig, root: Path) -> None:
        self.language = language
        self.config = config
        self.root = root
        self.client = _Client("claw", "0.1", converter_factory=_converter)
        self.documents: dict[str, _Document] = {}
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self._fresh: dict[str, bool] = {}  # diagnostics received for the document's current version
        self._published: dict[str, asyncio.Event] = {}
        self._stderr: deque[str] = deque(maxlen=20)
        self._drain: asyncio.Task[None] | None = None
        self._lease: asyncio.StreamWriter | None = None  # the connection to a server lent by the engine's pool
        self.ready = False  # initialised: it answers requests and publishes diagnostics

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
            if not await self._borrow():
                await self.client.start_io(command[0], *command[1:], cwd=str(self.root))
        except (FileNotFoundError, PermissionError) as exc:
            raise LspError(
                f"The {self.language} language server could not start: {command[0]!r} "
                f"{'is not installed' if isinstance(exc, FileNotFoundError) else 'is not executable'}. "
                f"Install it or configure another command for {self.language}."
            ) from None
        process = self.client._server  # pygls keeps the process here and offers no accessor
        if process is not None and process.stderr is not None:
            self._drain = asyncio.create_task(self._drain_stderr(process.stderr))
        params = lsp.InitializeParams(
            process_id=None,
            root_uri=self.root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)],
            initialization_options=self.config.initialization_options,
            capabilities=_capabilities(),
        )
        await self.request(self.client.initialize_async(params), "initialize", STARTUP_TIMEOUT)
        self.client.initialized(lsp.InitializedParams())
        if self.config.settings:
            self.client.workspace_did_change_configuration(
                lsp.DidChangeConfigurationParams(settings=self.config.settings)
            )
        self.ready = True

    async def _borrow(self) -> bool:
        """In the warm engine, the server from its pool (its stderr through a pipe of ours): whether it was."""
        if not pooled_servers.in_use():
            return False
        loop = asyncio.get_running_loop()
        read_end, write_end = os.pipe()
        try:
            # What else decides the server's state: its root, initialisation options and settings.
            config = {"root": str(self.root), "initialization_options": self.config.initialization_options,
                      "settings": self.config.settings}
            sock = await pooled_servers.lease("lsp", self.config.command, dict(os.environ), str(self.root),
                                              stderr=write_end, config=config)
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        if sock is None:
            os.close(read_end)
            return False
        try:
            reader, self._lease = await asyncio.open_unix_connection(sock=sock)
        except BaseException:
            sock.close()
            os.close(read_end)
            raise
        self.client.start_stream(reader, self._lease)
        stderr = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stderr), os.fdopen(read_end, "rb", 0))
        self._drain = asyncio.create_task(self._drain_stderr(stderr))
        return True

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

    async def request(self, call: Any, what: str, timeout: float = REQUEST_TIMEOUT) -> Any:
        try:
            return await asyncio.wait_for(call, timeout)
        except TimeoutError:
            raise LspError(
                f"The {self.language} language server did not answer {what} within {timeout:.0f} s."
            ) from None
        except JsonRpcException as exc:
            raise LspError(f"The {self.language} language server refused {what}: {exc}") from None
        except RuntimeError as exc:  # pygls's way of saying the server process is gone
            if self._drain is not None:  # the process has exited: its stderr is about to end
                await asyncio.wait([self._drain], timeout=1)
            tail = "\n".join(self._stderr)
            detail = f"\nIts last output:\n{tail}" if tail else ""
            raise LspError(f"The {self.language} language server stopped ({exc}).{detail}") from None

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
            self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
        elif doc.text != text:
            doc.version += 1
            doc.text = text
            self._fresh[uri] = False
            self.client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=doc.version),
                    content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
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

    # --- questions about one file ----------------------------------------------------------

    async def diagnostics_of(self, path: Path, timeout: float) -> list[lsp.Diagnostic]:
        uri = self.sync(path)
        await self.wait_for_diagnostics(uri, timeout)
        return list(self.diagnostics.get(uri, []))

    async def definition(self, path: Path, line: int, character: int) -> list[lsp.Location]:
        uri = self.sync(path)
        params = lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=self._position(uri, line, character),
        )
        return _locations(await self.request(self.client.text_document_definition_async(params), "definition"))

    async def references(self, path: Path, line: int, character: int) -> list[lsp.Location]:
        uri = self.sync(path)
        params = lsp.ReferenceParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=self._position(uri, line, character),
            context=lsp.ReferenceContext(include_declaration=True),
        )
        return _locations(await self.request(self.client.text_document_references_async(params), "references"))

    async def hover(self, path: Path, line: int, character: int) -> str:
        uri = self.sync(path)
        params = lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=self._position(uri, line, character),
        )
        result = await self.request(self.client.text_document_hover_async(params), "hover")
        return _hover_text(result.contents).strip() if result is not None else ""

    async def document_symbols(self, path: Path) -> Sequence[lsp.DocumentSymbol | lsp.SymbolInformation]:
        uri = self.sync(path)
        params = lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        return (
            await self.request(
                self.client.text_document_document_symbol_async(params),
                "documentSymbol",
            )
            or []
        )

    def baseline(self, path: Path) -> Baseline:
        """What the server last said of `path`: taken before an edit is synced, to report only what it added."""
        uri = path.as_uri()
        found = self.diagnostics.get(uri)
        return Baseline(found is not None, Counter(_key(d) for d in found or [] if _serious(d)))

    def report_since(self, path: Path, baseline: Baseline | None, when: str = "this edit") -> str | None:
        """Errors and warnings in `path` that were not there at `baseline` (None: nothing is known of
        before), as text ("" if none); None while the server has not published for the current text."""
        uri = path.as_uri()
        if not self._fresh.get(uri):
            return None
        known = baseline is not None and baseline.known
        before = Counter(baseline.counts if baseline is not None else ())
        new = []
        for diagnostic in self.diagnostics.get(uri, []):
            if not _serious(diagnostic):
                continue
            if before[_key(diagnostic)] > 0:
                before[_key(diagnostic)] -= 1
            else:
                new.append(diagnostic)
        if not new:
            return ""
        shown = relative(path, self.root)
        heading = f"{'New diagnostics' if known else 'Diagnostics'} in {shown} after {when}:"
        lines = [format_diagnostic(path, d, self.root) for d in new[:20]]
        if len(new) > 20:
            lines.append(f"… and {len(new) - 20} more")
        return "\n".join([heading, *lines])

    def _position(self, uri: str, line: int, character: int) -> lsp.Position:
        line_text = _line_text(self.documents[uri].text, line)
        return lsp.Position(line=line, character=_utf16_units(line_text[:character]))

    async def close(self) -> None:
        """Shut a ready server down politely (briefly: a session's end waits for it); kill one
        that is still starting, which would answer nothing before its initialisation."""
        process = self.client._server
        if process is None and self._lease is None:  # never started
            return
        said_exit = False
        try:
            if self.ready and self.running and (process is None or process.returncode is None):
                await asyncio.wait_for(self.client.shutdown_async(None), SHUTDOWN_TIMEOUT)
                self.client.exit(None)  # a pooled server's lease ends here: the pool closes the connection
                said_exit = True
                if process is not None:
                    await asyncio.wait_for(process.wait(), SHUTDOWN_TIMEOUT)
        except Exception:  # a server that will not stop politely is killed below
            log.debug("language server %s did not stop cleanly", self.language, exc_info=True)
        if process is not None and process.returncode is None:
            process.kill()
        if self._lease is not None and not said_exit:
            self._lease.close()  # the pool stops a server left mid-start or mid-request, as ours would be killed
        try:  # a pooled server: until the pool has it back (and closes the connection)
            await asyncio.wait_for(self.client.stop(), pooled_servers.GIVE_BACK_SECONDS if said_exit and process is None
                                   else SHUTDOWN_TIMEOUT)
        except Exception:  # the process is gone; what is left of the connection goes with it
            log.debug("language server %s connection did not close", self.language, exc_info=True)
        if self._lease is not None:
            self._lease.close()
        if self._drain is not None:
            self._drain.cancel()


# --- positions and formatting --------------------------------------------------------------


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line] if 0 <= line < len(lines) else ""


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
            out.append(lsp.Location(uri=item.target_uri, range=item.target_selection_range))
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


def relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class Lines:
    """Source lines of result files, read once per call."""

    def __init__(self) -> None:
        self._files: dict[Path, list[str]] = {}

    def get(self, path: Path, line: int) -> str:
        if path not in self._files:
            try:
                self._files[path] = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._files[path] = []
        lines = self._files[path]
        return lines[line] if 0 <= line < len(lines) else ""


def _place(path: Path, pos: lsp.Position, root: Path, lines: Lines) -> str:
    col = _column(lines.get(path, pos.line), pos.character)
    return f"{relative(path, root)}:{pos.line + 1}:{col + 1}"


def format_location(location: lsp.Location, root: Path, lines: Lines | None = None) -> str:
    lines = lines or Lines()
    path = _uri_path(location.uri)
    source = lines.get(path, location.range.start.line).strip()
    place = _place(path, location.range.start, root, lines)
    return f"{place}: {source}" if source else place


_SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


def _serious(diagnostic: lsp.Diagnostic) -> bool:
    return (diagnostic.severity or lsp.DiagnosticSeverity.Error) <= lsp.DiagnosticSeverity.Warning


def _key(diagnostic: lsp.Diagnostic) -> tuple[Any, ...]:
    # Lines shift with an edit, so a diagnostic is "the same" if it says the same thing.
    return (
        diagnostic.severity,
        diagnostic.source,
        str(diagnostic.code),
        diagnostic.message,
    )


def format_diagnostic(path: Path, diagnostic: lsp.Diagnostic, root: Path, lines: Lines | None = None) -> str:
    severity = _SEVERITY.get(int(diagnostic.severity or 1), "error")
    origin = " ".join(str(x) for x in (diagnostic.source, diagnostic.code) if x)
    place = _place(path, diagnostic.range.start, root, lines or Lines())
    return f"{place}: {severity}: {diagnostic.message}" + (f" [{origin}]" if origin else "")


def symbol_lines(symbols: Sequence[Any], depth: int = 0) -> list[str]:
    out = []
    for symbol in symbols:
        kind = getattr(symbol.kind, "name", str(symbol.kind))
        if isinstance(symbol, lsp.DocumentSymbol):
            line = symbol.selection_range.start.line + 1
            detail = f" {symbol.detail}" if symbol.detail else ""
            out.append(f"{'  ' * depth}{kind} {symbol.name}{detail} (line {line})")
            out.extend(symbol_lines(symbol.children or [], depth + 1))
        else:
            container = f" in {symbol.container_name}" if symbol.container_name else ""
            out.append(f"{'  ' * depth}{kind} {symbol.name}{container} (line {symbol.location.range.start.line + 1})")
    return out
