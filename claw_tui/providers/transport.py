"""How the SDKs' clients reach their servers.

A server at a plain `http://` address (a local model server, a proxy on this machine) needs no
certificate authorities, yet an SDK's default client loads the whole CA bundle when it is built
(about 30 ms, on every start). For such an address the client gets a TLS context that trusts
nothing instead: plain HTTP never uses it, and a redirect to `https://` fails its certificate
check rather than going anywhere unchecked.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse


def client_options(base_url: str | None, default_client: Callable[..., Any]) -> dict[str, Any]:
    """Extra arguments for an SDK client at `base_url`; `default_client` is the SDK's
    DefaultAsyncHttpxClient (its timeouts, limits and redirects, with our TLS context)."""
    if not base_url or urlparse(base_url).scheme != "http":
        return {}
    return {"http_client": default_client(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))}
