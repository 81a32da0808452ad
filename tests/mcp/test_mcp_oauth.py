"""OAuth 2.1 against a local authorisation server (the SDK's auth routes over an in-memory provider)."""

from __future__ import annotations

import json
import os

import httpx2
import pytest
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions
from servers.demo import build
from servers.oauth_provider import MemoryAuthProvider

from claw_tui.mcp import McpManager
from claw_tui.mcp.config import ServerConfig
from claw_tui.mcp.oauth import token_path


@pytest.fixture
def protected(serve_app):
    """A demo server that requires a bearer token from its own authorisation server."""
    provider = MemoryAuthProvider()

    def factory(port: int):
        base = f"http://127.0.0.1:{port}"
        auth = AuthSettings(
            issuer_url=base,
            resource_server_url=f"{base}/mcp",
            validate_token_resource=False,
            client_registration_options=ClientRegistrationOptions(enabled=True),
        )
        return build(auth_server_provider=provider, auth=auth).streamable_http_app()

    app = serve_app(factory)
    config = ServerConfig(name="secure", transport="http", scope="user", source="test", url=f"{app.base}/mcp")
    return provider, config


class Browser:
    """Stands in for the user's browser: follows the authorisation URL to claw's callback."""

    def __init__(self) -> None:
        self.visits: list[str] = []

    async def __call__(self, url: str) -> None:
        self.visits.append(url)
        async with httpx2.AsyncClient(follow_redirects=True) as client:
            response = await client.get(url)
        assert response.status_code == 200 and "Signed in" in response.text


async def test_sign_in_tokens_on_disk_reuse_and_refresh(protected, tmp_path, caplog):
    provider, config = protected
    browser = Browser()

    async with McpManager([config], project=tmp_path, oauth_redirect_handler=browser) as mgr:
        status = mgr.status("secure")
        assert status.status == "needs-auth" and "sign-in required" in status.last_error, status.last_error
        assert browser.visits == []  # a background connection never opens the browser
        assert not [r for r in caplog.records if r.exc_info]  # a status, not a logged traceback

        status = await mgr.authenticate("secure", timeout=30)
        assert status.status == "connected", status.last_error
        assert len(browser.visits) == 1 and "code_challenge=" in browser.visits[0]
        assert (await mgr.call_tool("secure", "echo", {"text": "authed"})).content[0].text == "echo: authed"

    path = token_path("secure")
    assert os.stat(path).st_mode & 0o777 == 0o600
    stored = json.loads(path.read_text())
    assert stored["tokens"]["access_token"] in provider.access and stored["client_info"]["client_id"]

    # A later session reuses the stored token: no browser, no new authorisation.
    async with McpManager([config], project=tmp_path, oauth_redirect_handler=browser) as mgr:
        assert mgr.status("secure").status == "connected"
    assert provider.authorize_calls == 1 and len(browser.visits) == 1

    # An expired token is refreshed silently with the refresh token.
    stored["expires_at"] = 0
    path.write_text(json.dumps(stored))
    async with McpManager([config], project=tmp_path, oauth_redirect_handler=browser) as mgr:
        assert mgr.status("secure").status == "connected", mgr.status("secure").last_error
        assert (await mgr.call_tool("secure", "add", {"a": 1, "b": 1})).content[0].text == "2"
    assert provider.refresh_calls == 1 and provider.authorize_calls == 1
    assert json.loads(path.read_text())["tokens"]["access_token"] != stored["tokens"]["access_token"]


async def test_logout_forgets_tokens(protected, tmp_path):
    _, config = protected
    async with McpManager([config], project=tmp_path, oauth_redirect_handler=Browser()) as mgr:
        await mgr.authenticate("secure", timeout=30)
        mgr.logout("secure")
        assert not token_path("secure").exists()
