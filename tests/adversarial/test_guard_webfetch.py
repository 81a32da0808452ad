"""WebFetch against the machine's own network (issue 11, class 10): loopback, private, link-local and
metadata addresses are refused in every spelling, judged on the address actually connected to."""

from __future__ import annotations

import select
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from adversarial.guard_harness import results, sent_to_model, turn
from fake_model import ToolCall

from claw_tui.tools.base import ToolContext, ToolError
from claw_tui.tools.web import WebFetch

PAGE = "the intranet page 5512"


class _Handler(BaseHTTPRequestHandler):
    hits: ClassVar[Counter] = Counter()

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.hits[self.path] += 1
        if self.path == "/hop":  # a same-site redirect: followed, so its connection is judged again
            self.send_response(302)
            self.send_header("Location", f"http://www.a.test:{self.server.server_address[1]}/page")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.hits.clear()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def listener():
    """A bare TCP listener on loopback: did anything connect?"""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock


def _arrived(sock: socket.socket) -> bool:
    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)


def spellings(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/", f"http://localhost:{port}/", f"http://LOCALHOST:{port}/", f"http://[::1]:{port}/",
        f"http://0x7f000001:{port}/", f"http://2130706433:{port}/", f"http://017700000001:{port}/",
        f"http://127.1:{port}/", f"http://0x7f.1:{port}/", f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/", f"http://0.0.0.0:{port}/", f"https://127.0.0.1:{port}/",
        "http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/", "http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.1.1/",
        "http://[fd00::1]/", "http://[fe80::1]/", "http://100.64.0.1/", "http://[64:ff9b::7f00:1]/",
        "http://[2002:7f00:1::]/",
    ]


@pytest.mark.parametrize(("mode", "rules"), [("bypassPermissions", []), ("default", [("allow", "WebFetch")]),
                                             ("acceptEdits", [("allow", "WebFetch(domain:*)")])])
async def test_webfetch_refuses_the_machines_own_network_in_every_spelling(fake_model, project, listener, mode,
                                                                          rules):
    port = listener.getsockname()[1]
    urls = spellings(port)
    calls = [ToolCall("WebFetch", {"url": url, "prompt": "what is here?"}) for url in urls]
    agent, _, approver = await turn(fake_model, project, *calls, mode=mode, rules=rules)
    assert approver.requests == [], "allowed by the mode or the rule: the refusal is WebFetch's own"
    for url, result in zip(urls, results(agent), strict=True):
        assert result.is_error and "WebFetch refused" in result.text, (url, result.text)
        assert "this machine's own network" in result.text
    assert not _arrived(listener), "a connection reached the listener"


async def test_the_users_own_rule_opts_a_host_in_and_a_repositorys_does_not(fake_model, project, server):
    from claw_tui.config import FolderTrust

    url = f"http://127.0.0.1:{server}/page"
    fetch = ToolCall("WebFetch", {"url": url, "prompt": "read it"})
    agent, _, _ = await turn(fake_model, project, fetch, mode="bypassPermissions",
                             rules=[("allow", "WebFetch(domain:127.0.0.1)")])
    assert PAGE in results(agent)[0].text, "the control: the user opted 127.0.0.1 in"

    (project / ".claude").mkdir()
    (project / ".claude" / "settings.json").write_text('{"permissions": {"allow": ["WebFetch(domain:127.0.0.1)"]}}')
    FolderTrust().trust(project)
    fake_model.requests.clear()
    agent, _, _ = await turn(fake_model, project, fetch, mode="bypassPermissions")
    assert "WebFetch refused 127.0.0.1" in results(agent)[0].text
    assert PAGE not in sent_to_model(fake_model)
    assert _Handler.hits["/page"] == 1


def _dns(table: dict[str, str]):
    """A DNS server's answers, standing in for the resolver (no network here)."""

    async def resolve(host: str, port: int) -> list[str]:
        if host in table:
            return [table[host]]
        raise OSError(f"no such host {host}")

    return resolve


async def test_a_name_is_judged_by_the_address_it_resolves_to(tmp_path, listener):
    """A public-looking name that resolves to loopback (DNS rebinding) is refused before any connection."""
    port = listener.getsockname()[1]
    tool = WebFetch(resolver=_dns({"innocent.example": "127.0.0.1", "metadata.example": "169.254.169.254"}))
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
    for url in (f"http://innocent.example:{port}/", "http://metadata.example/latest/"):
        with pytest.raises(ToolError, match=r"resolves to (127\.0\.0\.1|169\.254\.169\.254): a (loopback|link-local)"):
            await tool.run(tool.Input(url=url, prompt="p"), ctx)
    assert not _arrived(listener)


async def test_every_redirect_is_judged_on_its_own_connection(tmp_path, server):
    """a.test is opted in and answers; its same-site redirect to www.a.test (also resolving to loopback,
    not opted in) is refused when that connection is made."""
    tool = WebFetch(resolver=_dns({"a.test": "127.0.0.1", "www.a.test": "127.0.0.1"}))
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
    ctx.services.local_network_ok = lambda host: host == "a.test"
    page = await tool.run(tool.Input(url=f"http://a.test:{server}/page", prompt="p"), ctx)
    assert PAGE in page.output, "the control: the opted-in host answers"
    with pytest.raises(ToolError, match=r"WebFetch refused www\.a\.test, which resolves to 127\.0\.0\.1"):
        await tool.run(tool.Input(url=f"http://a.test:{server}/hop", prompt="p"), ctx)
    assert (_Handler.hits["/hop"], _Handler.hits["/page"]) == (1, 1)
