"""WebFetch and WebSearch.

WebFetch downloads one page with httpx2 (the SDKs' HTTP stack), turns HTML into Markdown and
hands it to the main model with the caller's question; claw runs no second model over it.
Redirects are followed only within the same host, so a permission granted for one domain
never silently reads another. WebSearch uses the model provider's server-side search (Anthropic's
web search tool, OpenAI Responses' web_search) through `ctx.services.web_search`, which the agent
sets; claw has no search engine of its own, and does not offer WebSearch with a provider that has
none (a local server).

WebFetch stays off the machine's own network: loopback, private, link-local (cloud metadata),
shared and reserved addresses are refused, however the URL spells them (`localhost`,
`0x7f000001`, `[::ffff:127.0.0.1]`, a name that resolves there). The check is made in the
connection itself (`_GuardedBackend`), on the address actually connected to, after DNS and on
every redirect, so a name that answers differently the second time (DNS rebinding) gains
nothing. `WebFetch(domain:HOST)` in the user's own allow rules opts HOST in. Proxy settings
from the environment are not used: a proxy would resolve names where claw cannot judge them.

httpx2 (~30 ms) and markdownify (BeautifulSoup, ~0.1 s) are imported inside the functions that
use them, so building an Agent loads neither; by the time the model calls WebFetch, the
provider has loaded httpx2 anyway.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field, field_validator, model_validator

from claw_tui.tools.base import Tool, ToolContext, ToolError, ToolKind, ToolResult

if TYPE_CHECKING:
    import httpx2

MAX_DOWNLOAD_BYTES = 5 * 1024 * 1024
MAX_RESULT_CHARS = 90_000  # below the agent's own cap, leaving room for the header
MAX_REDIRECTS = 5
CACHE_SECONDS = 15 * 60
CACHE_ENTRIES = 64
TIMEOUT_SECONDS = 20.0  # reading and writing; connecting gets CONNECT_SECONDS
CONNECT_SECONDS = 10.0
TOTAL_SECONDS = 60.0

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-yaml",
    "application/yaml",
)


# --- the machine's own network -------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
Resolver = Callable[[str, int], Awaitable[list[str]]]


class LocalNetworkRefused(ToolError):
    """WebFetch would have reached the machine's own network."""


def forbidden_kind(address: str) -> str | None:
    """What kind of non-public address this is ("loopback", "private"…), or None for a public one.
    An IPv4 address inside IPv6 (mapped, 6to4, NAT64) is judged as the IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local (where cloud metadata services answer)"
    if ip.is_private:
        return "private"
    if ip.is_unspecified:
        return "unspecified (this machine)"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved or not ip.is_global:
        return "reserved or shared, not public"
    return None


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _guarded_backend(opted_in: Callable[[str], bool], resolver: Resolver) -> object:
    """An httpcore network backend that resolves the host itself, refuses it if any address it
    resolves to is not public (unless the user opted the host in), and connects to the address it
    judged, so nothing resolves the name again behind its back."""
    import httpcore2

    class _GuardedBackend(httpcore2.AsyncNetworkBackend):
        def __init__(self) -> None:
            self._inner = httpcore2.AnyIOBackend()

        async def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[object] | None = None,
        ) -> httpcore2.AsyncNetworkStream:
            try:
                addresses = await resolver(host, port)
            except OSError as exc:
                raise httpcore2.ConnectError(f"cannot resolve {host}: {exc}") from None
            if not addresses:
                raise httpcore2.ConnectError(f"{host} resolves to no address")
            if not opted_in(host):
                for address in addresses:
                    if kind := forbidden_kind(address):
                        shown = host if host == address else f"{host}, which resolves to {address}"
                        raise LocalNetworkRefused(
                            f"WebFetch refused {shown}: a {kind} address on this machine's own network. "
                            f"Only the user can allow it, with WebFetch(domain:{host}) in their own allow rules."
                        )
            return await self._inner.connect_tcp(
                addresses[0], port, timeout=timeout, local_address=local_address,
                socket_options=socket_options,  # type: ignore[arg-type]
            )

        async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                      socket_options: Iterable[object] | None = None) -> httpcore2.AsyncNetworkStream:
            raise LocalNetworkRefused("WebFetch does not connect to UNIX sockets.")

        async def sleep(self, seconds: float) -> None:
            await self._inner.sleep(seconds)

    return _GuardedBackend()


def guarded_transport(opted_in: Callable[[str], bool], resolver: Resolver = _system_resolver) -> httpx2.AsyncHTTPTransport:
    """An httpx2 transport whose every connection goes through `_guarded_backend`."""
    import httpx2

    transport = httpx2.AsyncHTTPTransport(trust_env=False)
    # httpx2 builds its connection pool without a way to pass a network backend; the pool reads this
    # attribute for every connection it makes.
    transport._pool._network_backend = _guarded_backend(opted_in, resolver)  # type: ignore[attr-defined, assignment]
    return transport


class WebFetchInput(BaseModel):
    url: str = Field(description="The fully formed URL to fetch (http is upgraded to https).")
    prompt: str = Field(description="What you want to learn from the page; it is kept with the content.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        import httpx2

        value = value.strip()
        try:
            url = httpx2.URL(value)
        except httpx2.InvalidURL as exc:
            raise ValueError(f"not a valid URL: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value


@dataclass
class _Page:
    url: str  # where the content finally came from
    content_type: str
    text: str
    converted: bool  # HTML turned into Markdown
    truncated_download: bool
    redirect: str | None = None  # a redirect to another host, not followed


class WebFetch(Tool[WebFetchInput]):
    name: ClassVar[str] = "WebFetch"
    description: ClassVar[str] = (
        "Fetch a web page and read its content as Markdown.\n\n"
        "- Give a fully formed URL and a prompt saying what you are looking for; the page's content "
        "comes back with your prompt above it, so read it with that question in mind.\n"
        "- http:// URLs are upgraded to https://. HTML is converted to Markdown; plain text and JSON "
        "come back as they are; binary files (images, PDFs, archives) are refused.\n"
        "- Large pages are cut off; results are cached for 15 minutes.\n"
        "- When a URL redirects to a different host, the result says so and gives the new URL: call "
        "WebFetch again with it.\n"
        "- It cannot read pages behind a login. Prefer an MCP tool for a service when one is available."
    )
    Input = WebFetchInput
    kind: ClassVar[ToolKind] = ToolKind.EXECUTE
    concurrent_safe: ClassVar[bool] = True

    def __init__(self, resolver: Resolver = _system_resolver) -> None:
        self._cache: dict[str, tuple[float, _Page]] = {}
        self.resolver = resolver  # how names become addresses (a test stands in a DNS server here)

    def summary(self, input: WebFetchInput) -> str:
        return f"WebFetch: {input.url}"

    def rule_target(self, input: WebFetchInput, ctx: ToolContext) -> str | None:
        import httpx2

        return httpx2.URL(input.url).host.lower()

    async def run(self, input: WebFetchInput, ctx: ToolContext) -> ToolResult:
        opted_in = ctx.services.local_network_ok or (lambda _host: False)
        url = _upgraded(input.url, opted_in)
        page = self._cached(url)
        if page is None:
            try:
                async with asyncio.timeout(TOTAL_SECONDS):
                    page = await _fetch(url, guarded_transport(opted_in, self.resolver))
            except TimeoutError:
                raise ToolError(f"Fetching {url} took longer than {TOTAL_SECONDS:.0f} seconds; gave up.") from None
            self._remember(url, page)
        if page.redirect is not None:
            return ToolResult.text(
                f"The URL redirected to {page.redirect}; it is on a different host, so it was not "
                "followed. Call WebFetch again with that URL if you want it.",
                redirect_url=page.redirect,
            )
        return ToolResult.text(_render(page, input.prompt), url=page.url, content_type=page.content_type)

    def _cached(self, url: str) -> _Page | None:
        hit = self._cache.get(url)
        if hit is None or time.monotonic() - hit[0] > CACHE_SECONDS:
            self._cache.pop(url, None)
            return None
        return hit[1]

    def _remember(self, url: str, page: _Page) -> None:
        self._cache[url] = (time.monotonic(), page)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.pop(next(iter(self._cache)))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _upgraded(url: str, opted_in: Callable[[str], bool]) -> str:
    """http:// as https://, except for loopback and the hosts the user opted in (an intranet server)."""
    import httpx2

    parsed = httpx2.URL(url)
    if parsed.scheme == "http" and not _is_loopback(parsed.host) and not opted_in(parsed.host):
        return str(parsed.copy_with(scheme="https"))
    return url


def _same_site(a: httpx2.URL, b: httpx2.URL) -> bool:
    def bare(host: str) -> str:
        host = host.lower()
        return host.removeprefix("www.")

    return bare(a.host) == bare(b.host)


async def _fetch(url: str, transport: httpx2.AsyncHTTPTransport) -> _Page:
    import httpx2

    headers = {
        "User-Agent": "claw (terminal coding agent)",
        "Accept": "text/markdown, text/html;q=0.9, text/plain;q=0.8, */*;q=0.5",
    }
    current = httpx2.URL(url)
    try:
        async with httpx2.AsyncClient(
            timeout=httpx2.Timeout(TIMEOUT_SECONDS, connect=CONNECT_SECONDS), headers=headers, follow_redirects=False,
            transport=transport, trust_env=False,
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                async with client.stream("GET", current) as response:
                    if response.is_redirect and "location" in response.headers:
                        target = current.join(response.headers["location"])
                        if not _same_site(current, target):
                            return _Page(str(current), "", "", False, False, redirect=str(target))
                        current = target
                        continue
                    if response.status_code >= 400:
                        reason = response.reason_phrase or "error"
                        raise ToolError(f"{current} returned HTTP {response.status_code} {reason}.")
                    return await _read(response, str(current))
    except ToolError:
        raise
    except httpx2.TimeoutException:
        raise ToolError(f"Timed out fetching {current}.") from None
    except httpx2.ConnectError as exc:
        raise ToolError(f"Could not connect to {current.host}: {exc or 'connection failed'}.") from None
    except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
        raise ToolError(f"Fetching {current} failed: {exc or type(exc).__name__}.") from None
    raise ToolError(f"{url} redirected more than {MAX_REDIRECTS} times; gave up.")


async def _read(response: httpx2.Response, url: str) -> _Page:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and not _is_textual(content_type):
        raise ToolError(
            f"{url} is {content_type}, not a text page; WebFetch reads only HTML, text and JSON. "
            "Use Bash (curl) to download files."
        )
    body = bytearray()
    truncated = False
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_DOWNLOAD_BYTES:
            del body[MAX_DOWNLOAD_BYTES:]
            truncated = True
            break
    if not content_type and b"\x00" in body[:4096]:
        raise ToolError(f"{url} looks like a binary file, not a text page; WebFetch reads only text.")
    text = bytes(body).decode(response.encoding or "utf-8", errors="replace")
    converted = content_type in _HTML_TYPES or (not content_type and "<html" in text[:2048].lower())
    if converted:
        text = await asyncio.to_thread(_html_to_markdown, text)
    return _Page(url, content_type or "unknown", text, converted, truncated)


def _is_textual(content_type: str) -> bool:
    return (
        content_type.startswith("text/")
        or content_type in _HTML_TYPES
        or content_type in _TEXT_TYPES
        or content_type.endswith(("+json", "+xml"))
    )


def _html_to_markdown(html: str) -> str:
    from markdownify import markdownify  # on first use: see the docstring

    markdown = markdownify(html, heading_style="ATX", bullets="-")
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()


def _render(page: _Page, prompt: str) -> str:
    how = "converted from HTML to Markdown" if page.converted else page.content_type
    text = page.text
    notes = []
    if page.truncated_download:
        notes.append(f"the download stopped at {MAX_DOWNLOAD_BYTES // (1024 * 1024)} MB; the page is larger")
    if len(text) > MAX_RESULT_CHARS:
        notes.append(f"only the first {MAX_RESULT_CHARS:,} of {len(text):,} characters are shown")
        text = text[:MAX_RESULT_CHARS]
    body = f"Question: {prompt}\n\nContent of {page.url} ({how}):\n\n{text or '(the page is empty)'}"
    if notes:
        body += "\n\n[Truncated: " + "; ".join(notes) + ".]"
    return body


# --- WebSearch ----------------------------------------------------------------------------


@dataclass
class SearchResults:
    text: str  # what the search model wrote about the results
    hits: list[tuple[str, str]]  # (title, url) of the pages found
    usage: Any = None  # the search's own model call, as a Usage event for the front ends


# (query, allowed_domains, blocked_domains) -> results
SearchBackend = Callable[[str, list[str] | None, list[str] | None], Awaitable[SearchResults]]


class WebSearchInput(BaseModel):
    query: str = Field(min_length=2, description="The search query.")
    allowed_domains: list[str] | None = Field(default=None, description="Only include results from these domains.")
    blocked_domains: list[str] | None = Field(default=None, description="Never include results from these domains.")

    @model_validator(mode="after")
    def _one_filter(self) -> WebSearchInput:
        if self.allowed_domains and self.blocked_domains:
            raise ValueError("give allowed_domains or blocked_domains, not both")
        return self


class WebSearch(Tool[WebSearchInput]):
    name: ClassVar[str] = "WebSearch"
    description: ClassVar[str] = (
        "Search the web and get result titles, URLs and snippets, for information beyond your training "
        "data: recent releases, current documentation, error messages.\n\n"
        "- Restrict results with allowed_domains or exclude sites with blocked_domains (not both).\n"
        "- Then read the most promising pages with WebFetch.\n"
        "- After answering from search results, list the sources you used as Markdown links."
    )
    Input = WebSearchInput
    kind: ClassVar[ToolKind] = ToolKind.EXECUTE
    concurrent_safe: ClassVar[bool] = True

    def summary(self, input: WebSearchInput) -> str:
        return f"WebSearch: {input.query}"

    async def run(self, input: WebSearchInput, ctx: ToolContext) -> ToolResult:
        backend = ctx.services.web_search
        if backend is None:
            raise ToolError(
                "WebSearch is not available here: claw has no search engine of its own and this "
                "provider offers no server-side web search. Use WebFetch on a URL you know (for example the "
                "project's documentation) instead."
            )
        found = await backend(input.query, input.allowed_domains, input.blocked_domains)
        if found.usage is not None and ctx.emit_event is not None:
            await ctx.emit_event(found.usage)
        lines = [f'Web search results for "{input.query}":', ""]
        if found.text:
            lines += [found.text, ""]
        if found.hits:
            lines += ["Sources:", *[f"- [{title}]({url})" for title, url in found.hits]]
        else:
            lines.append("No results.")
        results = [{"title": title, "url": url} for title, url in found.hits]
        return ToolResult.text("\n".join(lines).strip(), results=results)
