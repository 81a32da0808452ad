"""SDK failures → one `ProviderError` each, with a one-line message saying what to fix.

Shared by the Anthropic and OpenAI providers: both SDKs raise look-alike exceptions
(`APIStatusError`, `APIConnectionError`, an error event after HTTP 200) over `httpx2`.
"""

from __future__ import annotations

import email.utils
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

from claw_tui.providers.base import ErrorKind, ProviderError


@dataclass(frozen=True)
class Where:
    """Who was called, so a message can say where to look."""

    label: str  # "Anthropic", "OpenAI", "the local model server"
    key_var: str  # the environment variable holding the key
    base_url_var: str
    base_url: str
    model: str = ""

    @property
    def unreachable_hint(self) -> str:
        if self.key_var == "CLAW_LOCAL_API_KEY":
            return f"Start the server, or set {self.base_url_var} to its address."
        return f"Check the network or {self.base_url_var}."

    @property
    def stream_title(self) -> str:
        return f"{self.title}'s stream" if self.label.startswith("the ") else f"The {self.label} stream"

    @property
    def title(self) -> str:
        return self.label[:1].upper() + self.label[1:]


# What an SDK call or its stream may raise besides the SDK's own errors; each provider adds
# its SDK's base class to make the tuple it catches.
TRANSPORT_ERRORS = (httpx2.HTTPError, httpx2.StreamError, json.JSONDecodeError)

_SDK_BASES = {"anthropic": "AnthropicError", "openai": "OpenAIError"}


def _sdk(name: str) -> tuple[type[BaseException], ...]:
    """Exception class `name` ("base" for the root) of each SDK that is loaded.

    Each SDK takes a second or more to import, so a provider imports only its own; an
    exception from an SDK means that SDK is loaded.
    """
    found = (
        getattr(module, base if name == "base" else name, None)  # None while another thread still imports it
        for module_name, base in _SDK_BASES.items()
        if (module := sys.modules.get(module_name)) is not None
    )
    return tuple(cls for cls in found if cls is not None)


def kind_for_status(status: int) -> ErrorKind:
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limit"
    if status in (503, 529):
        return "overloaded"
    if status >= 500 or status == 408:
        return "server"
    return "bad_request"


def kind_for_error_type(error_type: str | None) -> ErrorKind:
    """An error event's type (`overloaded_error`, `rate_limit_error`, `api_error`…)."""
    text = (error_type or "").lower()
    if "overloaded" in text:
        return "overloaded"
    if "rate_limit" in text:
        return "rate_limit"
    return "server"


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, or `retry-after` as seconds or an HTTP date."""
    if ms := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def api_message(body: object) -> str:
    """The human part of an error body, on one line."""
    text: object = body
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        text = inner.get("message", inner) if isinstance(inner, Mapping) else inner
    return " ".join(str(text or "").split())[:300].rstrip(".")


# OpenAI's error codes for money, not load: retrying them only repeats the refusal.
_QUOTA_CODES = {"insufficient_quota", "billing_hard_limit_reached", "billing_not_active", "quota_exceeded"}
# How Anthropic says a limit about money is reached (the type is invalid_request_error or rate_limit_error).
_SPEND_PHRASES = (
    ("usage limit", "the API usage limit set for your account or workspace is reached"),
    ("spend limit", "the spend limit set for your account or workspace is reached"),
    ("credit balance is too low", "your credit balance is too low"),
    ("credits are required", "this request needs usage credits your account does not have"),
    ("extra usage is required", "this request needs extra usage your plan does not have"),
)


def spending_limit(where: Where, body: object, error_type: str | None = None) -> ProviderError | None:
    """A quota or spend-limit refusal as a final error naming the limit; None for anything else."""
    inner = body.get("error", body) if isinstance(body, Mapping) else None
    codes = {error_type.lower()} if error_type else set()
    if isinstance(inner, Mapping):
        codes |= {str(value).lower() for value in (inner.get("code"), inner.get("type")) if value}
    detail = api_message(body)
    which: str | None
    if codes & _QUOTA_CODES:
        code = min(codes & _QUOTA_CODES)
        which = f"your account's quota is used up ({code})"
    else:
        lowered = detail.lower()
        which = next((what for phrase, what in _SPEND_PHRASES if phrase in lowered), None)
    if which is None:
        return None
    said = f": {detail}" if detail else ""
    return ProviderError(
        f"{where.title} spending limit: {which}{said}. Not retried; raise the limit or add credit, then try again.",
        kind="quota",
    )


def status_error(where: Where, status: int, body: object, headers: Mapping[str, str]) -> ProviderError:
    if status in (400, 402, 403, 429) and (limit := spending_limit(where, body)) is not None:
        return limit
    kind = kind_for_status(status)
    detail = api_message(body)
    said = f": {detail}" if detail else ""
    if status == 401:
        message = f"{where.title} rejected the API key (401). Set {where.key_var} to a valid key."
    elif status == 403:
        message = (
            f"{where.title} refused the request (403){said}. Check that your key may use {where.model or 'this model'}."
        )
    elif status == 404:
        message = (
            f"{where.title} does not know this model or endpoint (404){said}. "
            f"Check the model id '{where.model}' and {where.base_url_var} ({where.base_url})."
        )
    elif status == 413:
        message = f"The request is too large for {where.label} (413){said}. Run /compact or drop large attachments."
    elif kind == "bad_request":
        message = f"{where.title} rejected the request ({status}){said}."
    elif kind == "rate_limit":
        message = f"{where.title} rate limit reached (429){said}."
    elif kind == "overloaded":
        message = f"{where.title} is overloaded ({status}); it may help to try again shortly."
    else:
        message = f"{where.title} had a server error ({status}){said}."
    return ProviderError(message, kind=kind, status=status, retry_after=parse_retry_after(headers), partial=False)


def from_exception(exc: BaseException, where: Where, *, partial: bool, started: bool = False) -> ProviderError | None:
    """Map an SDK or transport exception; None when it is not one we know.

    `started`: the response had begun (HTTP 200 came), so a broken connection is a broken
    stream, not an unreachable server; `partial`: deltas were already yielded.
    """
    if isinstance(exc, _sdk("APIStatusError")) and (status := getattr(exc, "status_code", 0)) >= 400:
        return status_error(where, status, getattr(exc, "body", None), exc.response.headers)  # type: ignore[attr-defined]
    if isinstance(exc, (*_sdk("APIConnectionError"), httpx2.TransportError)):
        cause = exc.__cause__ or exc
        detail = " ".join(str(cause).split()).rstrip(".") or type(cause).__name__
        if started or partial:
            return ProviderError(f"{where.stream_title} broke off mid-reply: {detail}.", kind="stream", partial=partial)
        message = f"Could not reach {where.label} at {where.base_url}: {detail}. {where.unreachable_hint}"
        return ProviderError(message, kind="network")
    if isinstance(exc, httpx2.StreamError | httpx2.DecodingError | json.JSONDecodeError):
        detail = str(exc).rstrip(".")
        return ProviderError(f"{where.stream_title} broke off: {detail}.", kind="stream", partial=partial)
    if isinstance(exc, _sdk("APIError")):  # APIStatusError is an APIError in both SDKs
        # An error event after HTTP 200 (Anthropic keeps the 200 status on it).
        body: Any = exc.body  # type: ignore[attr-defined]
        error_type = getattr(exc, "type", None) or getattr(exc, "code", None)
        if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
            error_type = body["error"].get("type") or error_type
        detail = api_message(body) or str(exc).rstrip(".")
        return mid_stream_error(where, error_type, detail, partial=partial)
    if isinstance(exc, _sdk("base")):
        return ProviderError(f"{where.title} request failed: {exc}", kind="bad_request")
    return None


def to_provider_error(exc: BaseException, where: Where, *, partial: bool, started: bool = False) -> ProviderError:
    """Like `from_exception`, with a plain message for anything it does not know."""
    mapped = from_exception(exc, where, partial=partial, started=started)
    return mapped or ProviderError(f"{where.title} request failed: {exc}", kind="server", partial=partial)


def mid_stream_error(where: Where, error_type: str | None, detail: str, *, partial: bool) -> ProviderError:
    if (limit := spending_limit(where, {"error": {"type": error_type, "message": detail}})) is not None:
        return limit
    kind = kind_for_error_type(error_type)
    named = f" ({error_type})" if error_type else ""
    message = f"{where.title} reported an error mid-stream{named}: {detail}."
    return ProviderError(message, kind=kind, partial=partial)


def stalled(where: Where, seconds: float, *, partial: bool) -> ProviderError:
    return ProviderError(
        f"{where.stream_title} stalled: nothing arrived for {seconds:g} s.", kind="stream", partial=partial
    )


def ended_early(where: Where, *, partial: bool) -> ProviderError:
    message = f"{where.stream_title} ended before the reply was complete (no stop event)."
    return ProviderError(message, kind="stream", partial=partial)
