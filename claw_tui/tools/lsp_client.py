"""The protocol side of claw's LSP support: one running language server, and its answers as text.

`LanguageServer` runs a server over stdio, speaking JSON-RPC with LSP's Content-Length framing
itself: the messages are plain JSON (a dict per object, as the LSP specification names its fields),
so nothing here costs more than `json` to import. (pygls and lsprotocol, used before, took 0.4 s
of CPU to import in claw's own process, on the GIL the session needs, for the few messages claw
exchanges.) It keeps the files it was asked about open (sending the text again when it changed on
disk), collects `textDocument/publishDiagnostics`, and answers the requests servers send their
clients.

Positions: callers speak 0-based lines and characters in code points; LSP speaks 0-based lines
and UTF-16 code units. Conversions happen here, against the file's text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from claw_tui.core import pooled_servers
from claw_tui.tools.lsp_config import LanguageServerConfig, LspError

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 1.0
SERVER_NICENESS = 10  # added to the server's nice value: the session it serves comes first

# LSP's objects as they come over the wire (the specification's field names).
Diagnostic = dict[str, Any]
Location = dict[str, Any]
Symbol = dict[str, Any]  # a DocumentSymbol (selectionRange, children) or a SymbolInformation (location)

_METHOD_NOT_FOUND = -32601
# What a server may ask of its client, and claw's answer: it offers no dynamic registration,
# progress or edits of its own, so each is acknowledged or declined, never left unanswered.
_ANSWERS: dict[str, Callable[[LanguageServer, Any], Any]] = {
    "client/registerCapability": lambda server, params: None,
    "client/unregisterCapability": lambda server, params: None,
    "window/workDoneProgress/create": lambda server, params: None,
    "window/showMessageRequest": lambda server, params: None,
    "window/showDocument": lambda server, params: {"success": False},
    "workspace/applyEdit": lambda server, params: {"applied": False, "failureReason": "claw applies no server edits"},
    "workspace/configuration": lambda server, params: [None for _ in (params or {}).get("items", [])],
    "workspace/workspaceFolders": lambda server, params: [server.workspace_folder()],
}


class _Refused(Exception):
    """The server answered a request with an error."""


class _Gone(Exception):
    """The server's output ended: it exited or closed its side."""


def _capabilities() -> dict[str, Any]:
    return {
        "textDocument": {
            "synchronization": {"didSave": True},
            "publishDiagnostics": {"versionSupport": True},
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
        },
        "workspace": {"workspaceFolders": True, "configuration": False},
    }


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
        self.documents: dict[str, _Document] = {}
        self.diagnostics: dict[str, list[Diagnostic]] = {}
        self._fresh: dict[str, bool] = {}  # diagnostics received for the document's current version
        self._published: dict[str, asyncio.Event] = {}
        self._stderr: deque[str] = deque(maxlen=20)
        self._drain: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._process: asyncio.subprocess.Process | None = None  # a server of our own
        self._lease: asyncio.StreamWriter | None = None  # or the connection to one the warm engine's pool lends
        self._writer: asyncio.StreamWriter | None = None  # what we send goes here: the server's input, or the lease
        self._next_id = 0
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self.ready = False  # initialised: it answers requests and publishes diagnostics

    @property
    def running(self) -> bool:
        exited = self._process is not None and self._process.returncode is not None
        return self._writer is not None and not exited and self._reader is not None and not self._reader.done()

    def workspace_folder(self) -> dict[str, str]:
        return {"uri": self.root.as_uri(), "name": self.root.name}

    async def start(self) -> None:
        command = self.config.command
        try:
            if not await self._borrow():
                self._process = await asyncio.create_subprocess_exec(
                    *command, cwd=str(self.root),
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                )
                _yield_to_the_session(self._process.pid)
                assert self._process.stdout is not None and self._process.stderr is not None
                self._writer = self._process.stdin
                self._drain = asyncio.create_task(self._drain_stderr(self._process.stderr))
                self._reader = asyncio.create_task(self._read(self._process.stdout))
        except (FileNotFoundError, PermissionError) as exc:
            raise LspError(
                f"The {self.language} language server could not start: {command[0]!r} "
                f"{'is not installed' if isinstance(exc, FileNotFoundError) else 'is not executable'}. "
                f"Install it or configure another command for {self.language}."
            ) from None
        params: dict[str, Any] = {
            "processId": None,
            "clientInfo": {"name": "claw"},
            "rootUri": self.root.as_uri(),
            "rootPath": str(self.root),
            "workspaceFolders": [self.workspace_folder()],
            "capabilities": _capabilities(),
        }
        if self.config.initialization_options is not None:
            params["initializationOptions"] = self.config.initialization_options
        await self.request("initialize", params, "initialize", STARTUP_TIMEOUT)
        self.notify("initialized", {})
        if self.config.settings:
            self.notify("workspace/didChangeConfiguration", {"settings": self.config.settings})
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
        self._writer = self._lease
        self._reader = asyncio.create_task(self._read(reader))
        stderr = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stderr), os.fdopen(read_end, "rb", 0))
        self._drain = asyncio.create_task(self._drain_stderr(stderr))
        return True

    # --- the connection ----------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        if self._writer is None or self._writer.is_closing():
            raise _Gone("its input is closed")
        body = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=False).encode()
        self._writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def notify(self, method: str, params: Any) -> None:
        try:
            self._send({"method": method, "params": params})
        except _Gone:  # a server that is gone hears nothing; its next request says so
            log.debug("language server %s gone; %s not sent", self.language, method)

    async def request(self, method: str, params: Any, what: str, timeout: float = REQUEST_TIMEOUT) -> Any:
        self._next_id += 1
        request_id = self._next_id
        answer = self._waiting[request_id] = asyncio.get_running_loop().create_future()
        try:
            self._send({"id": request_id, "method": method, "params": params})
            return await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            raise LspError(
                f"The {self.language} language server did not answer {what} within {timeout:.0f} s."
            ) from None
        except _Refused as exc:
            raise LspError(f"The {self.language} language server refused {what}: {exc}") from None
        except _Gone as exc:
            if self._drain is not None:  # the process has exited: its stderr is about to end
                await asyncio.wait([self._drain], timeout=1)
            tail = "\n".join(self._stderr)
            detail = f"\nIts last output:\n{tail}" if tail else ""
            raise LspError(f"The {self.language} language server stopped ({exc}).{detail}") from None
        finally:
            self._waiting.pop(request_id, None)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        reason = "its output ended"
        try:
            while True:
                length = None
                while (line := await stream.readline()).strip():
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if not line:  # end of output
                    return
                if length is None:
                    continue
                try:
                    message = json.loads(await stream.readexactly(length))
                except ValueError:
                    log.debug("language server %s sent a message that is not JSON", self.language)
                    continue
                if isinstance(message, dict):
                    self._dispatch(message)
        except (asyncio.IncompleteReadError, ValueError, ConnectionError) as exc:
            reason = f"its output broke off: {exc}"
        finally:
            for answer in self._waiting.values():
                if not answer.done():
                    answer.set_exception(_Gone(reason))

    def _dispatch(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is None:  # an answer to one of ours
            request_id = message.get("id")
            answer = self._waiting.get(request_id) if isinstance(request_id, int) else None
            if answer is None or answer.done():
                return
            if "error" in message:
                error = message["error"] or {}
                answer.set_exception(_Refused(error.get("message") if isinstance(error, dict) else error))
            else:
                answer.set_result(message.get("result"))
        elif "id" in message:  # a request of the server's: every one gets an answer
            handler = _ANSWERS.get(method)
            reply: dict[str, Any] = {"id": message["id"]}
            if handler is None:
                reply["error"] = {"code": _METHOD_NOT_FOUND, "message": f"claw does not offer {method}"}
            else:
                reply["result"] = handler(self, message.get("params"))
            with contextlib.suppress(_Gone):
                self._send(reply)
        elif method == "textDocument/publishDiagnostics" and isinstance(message.get("params"), dict):
            self._on_diagnostics(message["params"])

    async def _drain_stderr(self, stream: asyncio.StreamReader) -> None:
        # An unread pipe fills up and stalls the server; keep the tail to explain failures.
        while line := await stream.readline():
            self._stderr.append(line.decode(errors="replace").rstrip())

    def _on_diagnostics(self, params: dict[str, Any]) -> None:
        uri, version = params.get("uri"), params.get("version")
        if not isinstance(uri, str):
            return
        self.diagnostics[uri] = [d for d in params.get("diagnostics") or [] if isinstance(d, dict)]
        doc = self.documents.get(uri)
        if doc is None or version is None or version >= doc.version:
            self._fresh[uri] = True
            self._published.setdefault(uri, asyncio.Event()).set()

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
            self._fresh[uri] = False
            item = {"uri": uri, "languageId": self.config.language_id or self.language, "version": 1, "text": text}
            self.notify("textDocument/didOpen", {"textDocument": item})
        elif doc.text != text:
            doc.version += 1
            doc.text = text
            self._fresh[uri] = False
            self.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": doc.version},
                "contentChanges": [{"text": text}],
            })
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

    async def diagnostics_of(self, path: Path, timeout: float) -> list[Diagnostic]:
        uri = self.sync(path)
        await self.wait_for_diagnostics(uri, timeout)
        return list(self.diagnostics.get(uri, []))

    def _at(self, uri: str, line: int, character: int) -> dict[str, Any]:
        return {"textDocument": {"uri": uri}, "position": self._position(uri, line, character)}

    async def definition(self, path: Path, line: int, character: int) -> list[Location]:
        uri = self.sync(path)
        return _locations(await self.request("textDocument/definition", self._at(uri, line, character), "definition"))

    async def references(self, path: Path, line: int, character: int) -> list[Location]:
        uri = self.sync(path)
        params = {**self._at(uri, line, character), "context": {"includeDeclaration": True}}
        return _locations(await self.request("textDocument/references", params, "references"))

    async def hover(self, path: Path, line: int, character: int) -> str:
        uri = self.sync(path)
        result = await self.request("textDocument/hover", self._at(uri, line, character), "hover")
        return _hover_text(result.get("contents")).strip() if isinstance(result, dict) else ""

    async def document_symbols(self, path: Path) -> list[Symbol]:
        uri = self.sync(path)
        result = await self.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}, "documentSymbol")
        return [s for s in result or [] if isinstance(s, dict)]

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

    def _position(self, uri: str, line: int, character: int) -> dict[str, int]:
        line_text = _line_text(self.documents[uri].text, line)
        return {"line": line, "character": _utf16_units(line_text[:character])}

    async def close(self) -> None:
        """Shut a ready server down politely (briefly: a session's end waits for it); kill one
        that is still starting, which would answer nothing before its initialisation."""
        process = self._process
        if process is None and self._lease is None:  # never started
            return
        said_exit = False
        try:
            if self.ready and self.running:
                await self.request("shutdown", None, "shutdown", SHUTDOWN_TIMEOUT)
                self.notify("exit", None)  # a pooled server's lease ends here: the pool closes the connection
                said_exit = True
                if process is not None:
                    await asyncio.wait_for(process.wait(), SHUTDOWN_TIMEOUT)
        except Exception:  # a server that will not stop politely is killed below
            log.debug("language server %s did not stop cleanly", self.language, exc_info=True)
        if process is not None and process.returncode is None:
            process.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), SHUTDOWN_TIMEOUT)
        if self._lease is not None and said_exit and self._reader is not None:
            # Until the pool has the server back and closes the connection, so the next run finds it there.
            await asyncio.wait([self._reader], timeout=pooled_servers.GIVE_BACK_SECONDS)
        for task in (self._reader, self._drain):
            if task is not None:
                task.cancel()
        if self._writer is not None:
            self._writer.close()  # a lease not ended by `exit`: the pool stops a server left mid-start or mid-request


def _yield_to_the_session(pid: int) -> None:
    """Run the server at a lower CPU priority: its start-up (a second or more of imports for
    pylsp) would otherwise take a core from the session it serves, which never waits for it."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, min(os.getpriority(os.PRIO_PROCESS, pid) + SERVER_NICENESS, 19))
    except OSError:  # it already exited, or the system refuses: the server runs as it is
        pass


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


def _locations(result: Any) -> list[Location]:
    """Locations from a definition or references answer: a Location, a list of them, or LocationLinks."""
    if result is None:
        return []
    out = []
    for item in result if isinstance(result, list) else [result]:
        if not isinstance(item, dict):
            continue
        if "targetUri" in item:  # a LocationLink
            out.append({"uri": item["targetUri"], "range": item.get("targetSelectionRange") or item.get("targetRange")})
        elif "uri" in item and "range" in item:
            out.append(item)
    return out


def _hover_text(contents: Any) -> str:
    """A hover's contents: MarkupContent, a MarkedString (text, or code with its language), or a list of them."""
    if isinstance(contents, str):
        return contents
    if isinstance(contents, list):
        return "\n\n".join(_hover_text(c) for c in contents)
    if isinstance(contents, dict):
        if "language" in contents:
            return f"```{contents['language']}\n{contents.get('value', '')}\n```"
        return str(contents.get("value", ""))
    return "" if contents is None else str(contents)


def _uri_path(uri: str) -> Path:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(uri)


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


def _start(range_: Any) -> tuple[int, int]:
    """A range's start as (line, UTF-16 character); (0, 0) for a malformed one."""
    start = range_.get("start") if isinstance(range_, dict) else None
    if not isinstance(start, dict):
        return 0, 0
    return int(start.get("line") or 0), int(start.get("character") or 0)


def _place(path: Path, start: tuple[int, int], root: Path, lines: Lines) -> str:
    line, units = start
    col = _column(lines.get(path, line), units)
    return f"{relative(path, root)}:{line + 1}:{col + 1}"


def format_location(location: Location, root: Path, lines: Lines | None = None) -> str:
    lines = lines or Lines()
    path = _uri_path(location["uri"])
    start = _start(location.get("range"))
    source = lines.get(path, start[0]).strip()
    place = _place(path, start, root, lines)
    return f"{place}: {source}" if source else place


_SEVERITY = {1: "error", 2: "warning", 3: "info", 4: "hint"}


def _serious(diagnostic: Diagnostic) -> bool:
    return int(diagnostic.get("severity") or 1) <= 2  # an error or a warning (no severity: an error)


def _key(diagnostic: Diagnostic) -> tuple[Any, ...]:
    # Lines shift with an edit, so a diagnostic is "the same" if it says the same thing.
    return (
        diagnostic.get("severity"),
        diagnostic.get("source"),
        str(diagnostic.get("code")),
        diagnostic.get("message"),
    )


def format_diagnostic(path: Path, diagnostic: Diagnostic, root: Path, lines: Lines | None = None) -> str:
    severity = _SEVERITY.get(int(diagnostic.get("severity") or 1), "error")
    origin = " ".join(str(x) for x in (diagnostic.get("source"), diagnostic.get("code")) if x)
    place = _place(path, _start(diagnostic.get("range")), root, lines or Lines())
    return f"{place}: {severity}: {diagnostic.get('message', '')}" + (f" [{origin}]" if origin else "")


# LSP's SymbolKind numbers, by the names the specification gives them.
_SYMBOL_KINDS = (
    "File", "Module", "Namespace", "Package", "Class", "Method", "Property", "Field", "Constructor", "Enum",
    "Interface", "Function", "Variable", "Constant", "String", "Number", "Boolean", "Array", "Object", "Key",
    "Null", "EnumMember", "Struct", "Event", "Operator", "TypeParameter",
)  # fmt: skip


def _kind(symbol: Symbol) -> str:
    kind = symbol.get("kind")
    return _SYMBOL_KINDS[kind - 1] if isinstance(kind, int) and 1 <= kind <= len(_SYMBOL_KINDS) else str(kind)


def symbol_lines(symbols: Sequence[Symbol], depth: int = 0) -> list[str]:
    out = []
    for symbol in symbols:
        name = symbol.get("name", "")
        if "location" in symbol:  # a SymbolInformation: flat, with its container's name
            container = f" in {symbol['containerName']}" if symbol.get("containerName") else ""
            line = _start(symbol["location"].get("range"))[0] + 1 if isinstance(symbol["location"], dict) else 1
            out.append(f"{'  ' * depth}{_kind(symbol)} {name}{container} (line {line})")
        else:  # a DocumentSymbol: nested
            line = _start(symbol.get("selectionRange") or symbol.get("range"))[0] + 1
            detail = f" {symbol['detail']}" if symbol.get("detail") else ""
            out.append(f"{'  ' * depth}{_kind(symbol)} {name}{detail} (line {line})")
            out.extend(symbol_lines([c for c in symbol.get("children") or [] if isinstance(c, dict)], depth + 1))
    return out
