"""OAuth 2.1 for HTTP MCP servers, on the SDK's `OAuthClientProvider`.

The SDK does discovery, dynamic client registration, PKCE, the token exchange and refresh.
claw adds what is local: tokens stored per server with owner-only permissions, a browser
opened on the authorisation URL, and a one-shot HTTP server on 127.0.0.1 that receives the
redirect with the code. Background connections never open a browser: they raise
`AuthRequired` and the server shows as needs-auth until the user asks to sign in.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from claw_tui.config import user_data_dir
from claw_tui.mcp.config import file_stem

if TYPE_CHECKING:
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthToken

RedirectHandler = Callable[[str], Awaitable[None]]
CallbackHandler = Callable[[], Awaitable["AuthorizationCodeResult"]]

_PAGE = (
    "<!doctype html><html><body style='font-family:sans-serif'><h2>{title}</h2>"
    "<p>You can close this tab and return to claw.</p></body></html>"
)


LOGIN_TIMEOUT = 300.0  # seconds the user has to finish signing in in the browser


class AuthRequired(Exception):
    """The server wants a sign-in that only the user can start (from /mcp or `authenticate`)."""


def token_path(server: str) -> Path:
    return user_data_dir() / "mcp-tokens" / f"{file_stem(server)}.json"


class FileTokenStorage:
    """The SDK's TokenStorage as one JSON file per server, readable by its owner only."""

    def __init__(self, server: str, path: Path | None = None) -> None:
        self.path = path or token_path(server)
        # The redirect URI is part of the client registration, so its port is kept with it.
        port = self.read().get("callback_port")
        self.callback_port = port if isinstance(port, int) else _free_port()

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write(self, **changes: Any) -> None:
        from claw_tui.core.private_files import write_private

        write_private(self.path, json.dumps(self.read() | changes))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    async def get_tokens(self) -> OAuthToken | None:
        """The stored tokens, `expires_in` counted from now so a stale token gets refreshed."""
        from mcp.shared.auth import OAuthToken

        data = self.read()
        raw = data.get("tokens")
        if not raw:
            return None
        token = OAuthToken.model_validate(raw)
        if isinstance(expires_at := data.get("expires_at"), int | float):
            token.expires_in = int(expires_at - time.time()) - 1
        return token

    async def set_tokens(self, tokens: OAuthToken) -> None:
        expires_at = time.time() + int(tokens.expires_in) if tokens.expires_in is not None else None
        self.write(tokens=tokens.model_dump(mode="json", exclude_none=True), expires_at=expires_at)

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        from mcp.shared.auth import OAuthClientInformationFull

        raw = self.read().get("client_info")
        return OAuthClientInformationFull.model_validate(raw) if raw else None

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        info = client_info.model_dump(mode="json", exclude_none=True)
        self.write(client_info=info, callback_port=self.callback_port)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CallbackServer:
    """A one-shot HTTP listener on 127.0.0.1 for the authorisation redirect."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.redirect_uri = f"http://127.0.0.1:{port}/callback"
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[dict[str, str]] | None = None

    async def start(self) -> None:
        if self._server is not None:
            return
        self._result = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode("latin-1")
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            parts = request_line.split()
            target = urlsplit(parts[1]) if len(parts) >= 2 else urlsplit("/")
            params = {k: v[0] for k, v in parse_qs(target.query).items()}
            ok = target.path == "/callback" and ("code" in params or "error" in params)
            if ok and "code" in params:
                title = "Signed in"
            else:
                title = "Sign-in failed: " + params.get("error_description", params.get("error", "no code"))
            body = _PAGE.format(title=title).encode()
            status = "200 OK" if ok else "404 Not Found"
            head = f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
            writer.write(head.encode() + b"Connection: close\r\n\r\n" + body)
            await writer.drain()
            if ok and self._result is not None and not self._result.done():
                self._result.set_result(params)
        finally:
            writer.close()

    async def wait(self, timeout: float) -> dict[str, str]:
        assert self._result is not None, "start() first"
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), timeout)
        finally:
            await self.stop()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


async def open_browser(url: str) -> None:
    import webbrowser

    if not await asyncio.to_thread(webbrowser.open, url):
        # Headless machines have no browser: the URL is still the way in.
        print(f"Open this URL to sign in: {url}", flush=True)


def _is_expected_auth_stop(record: logging.LogRecord) -> bool:
    """Drop the SDK's traceback for a sign-in claw deferred on purpose (it is a status, not a fault)."""
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, AuthRequired)


def build_oauth_provider(
    server: str,
    url: str,
    *,
    redirect_handler: RedirectHandler | None = None,
    callback_handler: CallbackHandler | None = None,
    scope: str | None = None,
) -> OAuthClientProvider:
    """An httpx2 Auth for `url` that signs in through the browser and a local callback.

    `redirect_handler` replaces opening the browser (tests follow the URL with httpx2; the
    manager raises AuthRequired there for background connections); the local callback
    server still receives the code unless `callback_handler` is given too.
    """
    from mcp.client.auth import OAuthClientProvider, OAuthFlowError
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    class _Provider(OAuthClientProvider):
        async def _initialize(self) -> None:
            # The SDK loads stored tokens without their expiry; without it an expired token is
            # sent, refused, and the user is asked to sign in again instead of a silent refresh.
            await super()._initialize()
            if self.context.current_tokens is not None:
                self.context.update_token_expiry(self.context.current_tokens)

    sdk_logger = logging.getLogger("mcp.client.auth.oauth2")
    if _is_expected_auth_stop not in sdk_logger.filters:
        sdk_logger.addFilter(_is_expected_auth_stop)
    storage = FileTokenStorage(server)
    callback = CallbackServer(storage.callback_port)

    async def redirect(auth_url: str) -> None:
        await callback.start()
        try:
            await (redirect_handler or open_browser)(auth_url)
        except BaseException:
            await callback.stop()
            raise

    async def receive() -> AuthorizationCodeResult:
        if callback_handler is not None:
            await callback.stop()
            return await callback_handler()
        params = await callback.wait(LOGIN_TIMEOUT)
        if "code" not in params:
            raise OAuthFlowError(f"sign-in refused: {params.get('error_description') or params.get('error')}")
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    metadata = OAuthClientMetadata(
        client_name="claw",
        redirect_uris=[callback.redirect_uri],  # type: ignore[list-item]
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
        scope=scope,
    )
    return _Provider(
        server_url=url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=redirect,
        callback_handler=receive,
    )
