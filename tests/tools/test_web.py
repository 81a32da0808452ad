from __future__ import annotations

import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from pydantic import ValidationError

from claw_tui.tools import web
from claw_tui.tools.base import ToolContext, ToolError
from claw_tui.tools.web import WebFetch, WebSearch

PAGE = b"""<html><head><title>T</title><style>body { color: red }</style>
<script>var secret = "do-not-show";</script></head>
<body><h1>Install</h1><p>Run <code>pip install claw</code> then <a href="/docs">read the docs</a>.</p>
<ul><li>fast</li><li>small</li></ul></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[Counter] = Counter()

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        **headers,
    ):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.hits[self.path] += 1
        port = self.server.server_address[1]
        routes = {
            "/page": lambda: self._send(200, PAGE),
            "/json": lambda: self._send(200, b'{"ok": true}', "application/json"),
            "/same": lambda: self._send(302, Location="/hop"),
            "/hop": lambda: self._send(301, Location=f"http://127.0.0.1:{port}/page"),
            "/other": lambda: self._send(302, Location=f"http://localhost:{port}/page"),
            "/loop": lambda: self._send(302, Location="/loop"),
            "/big": lambda: self._send(
                200, b"x" * (web.MAX_DOWNLOAD_BYTES + 1000), "text/plain"
            ),
            "/image.png": lambda: self._send(
                200, b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"
            ),
            "/count": lambda: self._send(
                200, f"hit {self.hits['/count']}".encode(), "text/plain"
            ),
        }
        routes.get(self.path, lambda: self._send(404, b"nope"))()


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def ctx(tmp_path):
    """The test server is on loopback: these tests are the user who opted 127.0.0.1 and localhost in."""
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
    ctx.services.local_network_ok = lambda host: host in ("127.0.0.1", "localhost")
    return ctx


async def fetch(ctx, url, prompt="What does it say?", tool=None):
    tool = tool or WebFetch()
    return await tool.run(
        tool.Input.model_validate({"url": url, "prompt": prompt}), ctx
    )


async def test_html_becomes_markdown_under_the_question(server, ctx):
    result = await fetch(ctx, f"{server}/page", "How do I install it?")
    text = result.output
    assert text.startswith("Question: How do I install it?")
    assert "# Install" in text
    assert "`pip install claw`" in text
    assert "[read the docs](/docs)" in text
    assert "- fast" in text
    assert "do-not-show" not in text and "color: red" not in text
    assert result.metadata["content_type"] == "text/html"


async def test_json_is_passed_through(server, ctx):
    result = await fetch(ctx, f"{server}/json")
    assert '{"ok": true}' in result.output
    assert "(application/json)" in result.output


async def test_same_host_redirects_are_followed(server, ctx):
    result = await fetch(ctx, f"{server}/same")
    assert "# Install" in result.output
    assert result.metadata["url"] == f"{server}/page"


async def test_cross_host_redirect_is_reported_not_followed(server, ctx):
    port = server.rsplit(":", 1)[1]
    before = _Handler.hits["/page"]
    result = await fetch(ctx, f"{server}/other")
    assert not result.is_error
    assert f"redirected to http://localhost:{port}/page" in result.output
    assert "Call WebFetch again with that URL" in result.output
    assert result.metadata["redirect_url"] == f"http://localhost:{port}/page"
    assert _Handler.hits["/page"] == before


async def test_redirect_loop_gives_up(server, ctx):
    with pytest.raises(ToolError, match="redirected more than 5 times"):
        await fetch(ctx, f"{server}/loop")


async def test_size_cap_truncates_with_a_note(server, ctx):
    text = (await fetch(ctx, f"{server}/big")).output
    assert "download stopped at 5 MB" in text
    assert (
        f"only the first {web.MAX_RESULT_CHARS:,} of {web.MAX_DOWNLOAD_BYTES:,} characters"
        in text
    )
    assert len(text) < web.MAX_RESULT_CHARS + 1000


async def test_404_binary_and_refused_connection_are_clear_errors(server, ctx):
    with pytest.raises(ToolError, match="returned HTTP 404 Not Found"):
        await fetch(ctx, f"{server}/missing")
    with pytest.raises(ToolError, match="is image/png, not a text page"):
        await fetch(ctx, f"{server}/image.png")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(ToolError, match="Could not connect to 127.0.0.1"):
        await fetch(ctx, f"http://127.0.0.1:{closed_port}/")


async def test_results_are_cached_per_url(server, ctx):
    tool = WebFetch()
    first = await fetch(ctx, f"{server}/count", tool=tool)
    second = await fetch(ctx, f"{server}/count", "another question", tool=tool)
    assert "hit 1" in first.output and "hit 1" in second.output
    assert second.output.startswith("Question: another question")
    assert _Handler.hits["/count"] == 1


def test_http_is_upgraded_except_on_loopback_and_opted_in_hosts():
    def nobody(host: str) -> bool:
        return False

    assert web._upgraded("http://example.com/a?b=1", nobody) == "https://example.com/a?b=1"
    assert web._upgraded("http://localhost:8000/", nobody) == "http://localhost:8000/"
    assert web._upgraded("http://127.0.0.1/", nobody) == "http://127.0.0.1/"
    assert web._upgraded("http://[::1]:9/", nobody) == "http://[::1]:9/"
    assert web._upgraded("http://wiki.intranet/", lambda host: host == "wiki.intranet") == "http://wiki.intranet/"


def test_input_and_rule_target(ctx):
    tool = WebFetch()
    parsed = tool.Input.model_validate(
        {"url": "https://Docs.Python.org/3/", "prompt": "x"}
    )
    assert tool.rule_target(parsed, ctx) == "docs.python.org"
    assert tool.summary(parsed) == "WebFetch: https://Docs.Python.org/3/"
    for bad in ("ftp://example.com/", "not a url", "https://"):
        with pytest.raises(ValidationError):
            tool.Input.model_validate({"url": bad, "prompt": "x"})


async def test_web_search_without_a_backend_says_so(ctx):
    tool = WebSearch()
    with pytest.raises(ToolError, match="WebSearch is not available here"):
        await tool.run(
            tool.Input.model_validate({"query": "textual markdown stream"}), ctx
        )


def test_web_search_takes_one_domain_filter():
    with pytest.raises(ValidationError):
        WebSearch.Input.model_validate({"query": "x y", "allowed_domains": ["a"], "blocked_domains": ["b"]})
