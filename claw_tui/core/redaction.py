"""Secrets in tool output, replaced before they are stored, sent to a model or printed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# claw's own provider credentials: for claw, never for the model's commands (`env` would show them).
KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY", "CLAW_LOCAL_API_KEY")
_MIN_SECRET_CHARS = 8  # shorter values ("local", "x") are placeholders, and redacting them would garble output
REDACTED = "[REDACTED]"


def secret_values(*envs: Mapping[str, str]) -> frozenset[str]:
    """The values of claw's credentials in these environments, to scrub from command output."""
    return frozenset(
        value for env in envs for name in KEY_VARIABLES if len(value := env.get(name, "")) >= _MIN_SECRET_CHARS
    )


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced, longest first (one key may contain another)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
