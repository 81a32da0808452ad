"""Secrets in tool output, replaced before they are stored, sent to a model or printed.

Three kinds are found:
- the values of claw's own keys (from the environment and its config), wherever they appear;
- key and token formats of the major providers, by gitleaks' own rules for them
  (`secret_rules.toml`, copied from gitleaks with its source and licence);
- `NAME=value` and `name: value` lines (.env files, shell exports, YAML, JSON, INI such as
  ~/.aws/credentials) whose name says secret (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY…),
  and the password of a URL (`https://user:password@host`).
Each becomes REDACTED. The rules load on first use. To see a tool's raw output on purpose,
run the command yourself in the app with `!` (`!cat .env`): its output is shown on your
screen only, never stored or sent to the model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

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


# --- formats --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One format. Its patterns are compiled when a text first holds one of its keywords: most
    output holds none, and compiling all of them took 25 ms of a print run's start."""

    id: str
    source: str
    keywords: tuple[str, ...]
    secret_group: int | None = None
    entropy: float = 0.0
    allow_sources: tuple[str, ...] = field(default=())

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.source)

    @cached_property
    def allow(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(source) for source in self.allow_sources)

    def spans(self, text: str, lowered: str) -> Iterable[tuple[int, int]]:
        # Only the lines that hold a keyword are searched (a private key's block spans lines: all of it).
        windows = [(0, len(text))] if self.id == "private-key" else _lines_holding(text, lowered, self.keywords)
        for start, end in windows:
            yield from self._spans_in(text, start, end)

    def _spans_in(self, text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
        if self.id == "private-key" and "-----begin" not in text[start:end].lower():
            return
        for match in self.regex.finditer(text, start, end):
            group = self.secret_group if self.secret_group is not None else (1 if match.re.groups else 0)
            secret = match.group(group)
            if not secret or _entropy(secret) < self.entropy or any(a.search(secret) for a in self.allow):
                continue
            if self.id == "private-key" and not _KEY_BLOCK.fullmatch(secret):
                continue  # a docstring that names the header, then code up to a later "KEY-----"
            yield match.span(group)


# A private key block is base64 lines (and a few header lines such as "Proc-Type: 4,ENCRYPTED").
_KEY_BLOCK = re.compile(r"(?i)-----BEGIN[ A-Z0-9_-]*-----[\sA-Za-z0-9+/=:,._-]*?-----END[ A-Z0-9_-]*-----")


@cache
def _rules() -> tuple[_Rule, ...]:
    import tomllib

    data = tomllib.loads((Path(__file__).with_name("secret_rules.toml")).read_text(encoding="utf-8"))
    rules = []
    for raw in data["rules"]:
        allow = [_python_regex(rx) for a in raw.get("allowlists", []) for rx in a.get("regexes", [])]
        rules.append(
            _Rule(
                id=raw["id"],
                source=_python_regex(raw["regex"]),
                keywords=tuple(k.lower() for k in raw.get("keywords", [])),
                secret_group=raw.get("secretGroup"),
                entropy=float(raw.get("entropy", 0)),
                allow_sources=tuple(allow),
            )
        )
    return tuple(rules)


def _python_regex(go: str) -> str:
    """Go's RE2 syntax where Python's differs: `\\z` is `\\Z`, and a flag in mid-pattern, which in Go
    holds to the end of its group, becomes a scoped group `(?i:…)` closing there."""
    go = go.replace(r"\z", r"\Z")
    at = go.find("(?i)", 1)
    while at > 0:
        depth, i, in_class = 0, at + 4, False
        while i < len(go):
            ch = go[i]
            if ch == "\\":
                i += 1
            elif in_class:
                in_class = ch != "]"
            elif ch == "[":
                in_class = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    break
                depth -= 1
            i += 1
        go = go[:at] + "(?i:" + go[at + 4 : i] + ")" + go[i:]
        at = go.find("(?i)", 1)
    return go


def _lines_holding(text: str, lowered: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` in which one of `words` (lower case) occurs."""
    lines: dict[int, int] = {}
    for word in words:
        at = lowered.find(word)
        while at >= 0:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            lines[start] = end
            at = lowered.find(word, end)
    return sorted(lines.items())


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character, as gitleaks measures a secret."""
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


# After a name: `=value`, `: value`, `": "value"`, ` = value` (INI), to the end of the line.
_AFTER_NAME = re.compile(
    r"""(?P<quote>["']?)[ \t]*(?P<sep>:|=)[ \t]*"""
    r"""(?P<value>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s'"#,;(){}\[\]<>=]+)"""
    r"""(?=[ \t]*(?:[,;][ \t]*)?(?:\#.*)?$)""",
    re.MULTILINE,
)
_NAME_REST = re.compile(r"[\w.-]*")
# Not "pwd": PWD and OLDPWD in every environment dump are folders.
_SECRET_WORDS = {"password", "passwd", "pass", "passphrase", "secret", "token", "apikey", "credential",
                 "credentials", "privatekey", "auth"}
# A name ending in one of these two-word pairs is secret too (API_KEY, accessKey, private-key…).
_SECRET_PAIRS = {("api", "key"), ("access", "key"), ("private", "key"), ("secret", "key"), ("signing", "key"),
                 ("encryption", "key"), ("master", "key"), ("client", "secret"), ("auth", "token"), ("session", "key")}
_NOT_VALUES = {"", "none", "null", "nil", "true", "false", "undefined", "str", "string", "bytes", "int", "bool",
               "optional", "secretstr", "required"}
_URL_PASSWORD = re.compile(r"\b[a-zA-Z][\w+.-]*://[^\s/:@]+:(?P<value>[^\s/@]+)@[\w.-]")
_AUTH_HEADER = re.compile(r"(?i)\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:bearer|basic|token)[ \t]+(?P<value>[\w.~+/=-]{8,})")


def _name_is_secret(name: str) -> bool:
    words = [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name.strip("\"'"))]
    if not words:
        return False
    if words[-1] in _SECRET_WORDS:
        return True
    return len(words) >= 2 and (words[-2], words[-1]) in _SECRET_PAIRS


def _value_is_secret(value: str, env_style: bool) -> bool:
    """Whether `value` is a secret rather than code or a name. A variable set as in a .env file or a
    shell (DB_PASSWORD=…) is taken at its word; in code and data (`next_token = "next_token"`,
    `CHARS_PER_TOKEN = 3.5`, `"needs-auth": "a sentence"`, `Token: "#d8dee9"`) only what looks made up counts."""
    bare = value.strip("\"'")
    if bare.lower() in _NOT_VALUES or REDACTED in bare or bare.startswith(("$", "%", "{{", "<", "#")):
        return False
    if any(mark in bare.lower() for mark in ("…", "...", "xxxx", "****", "your-", "your_")):  # a placeholder
        return False
    if re.fullmatch(r"-?[\d.]+", bare):  # numbers, versions, OIDs; a long PIN in an environment variable
        return env_style and bare.isdigit() and len(bare) >= 6
    if env_style:
        return True
    if len(bare) < 4 or any(ch.isspace() for ch in bare):  # a sentence, a bracket
        return False
    if value[:1] not in "\"'" and re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", bare):  # settings.api_key: code
        return False
    return not re.fullmatch(r"[A-Za-z]+(?:[_-][A-Za-z]+)*", bare)  # "input_token": "NextToken"


_HINTS = ("pass", "secret", "token", "key", "auth", "credential")


def _assignment_spans(text: str, lowered: str) -> Iterable[tuple[int, int]]:
    for hint in _HINTS:  # each name that holds a hint, and what follows it
        at = lowered.find(hint)
        while at >= 0:
            start = at
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
                start -= 1
            rest = _NAME_REST.match(text, at)
            end = rest.end() if rest else at
            yield from _assignment_at(text, start, end)
            at = lowered.find(hint, end)
    for pattern, hint, back in ((_URL_PASSWORD, "://", 40), (_AUTH_HEADER, "authorization", 0)):
        at = lowered.find(hint)
        while at >= 0:  # matched from just before each hint, not searched for over the whole text
            start = max(0, at - back)
            for match in pattern.finditer(text, start, text.find("\n", at) % (len(text) + 1)):
                value = match.group("value")
                # `user:pass@host` in documentation is not a password; a made-up one has a digit or a sign.
                if not value.startswith(("$", "{", "<", "*")) and (len(value) >= 12 or re.search(r"[\d\W_]", value)):
                    yield match.span("value")
            at = lowered.find(hint, at + len(hint))


def _assignment_at(text: str, start: int, end: int) -> Iterable[tuple[int, int]]:
    """The value assigned to the name text[start:end], if it is a secret's."""
    name = text[start:end]
    before = text[start - 1] if start else "\n"
    if not name or not (name[0].isalpha() or name[0] == "_") or before == ":":  # AWS::SecretsManager: a type
        return
    match = _AFTER_NAME.match(text, end)
    if match is None or (match.group("quote") and before != match.group("quote")):
        return
    value = match.group("value")
    # DB_PASSWORD=… as in a .env file or a shell; `PASSWORD = "PASSWORD"` with spaces is a constant in code.
    env_style = name.isupper() and not match.group("quote") and text[end : end + 1] == "="
    if _name_is_secret(name) and _value_is_secret(value, env_style):
        first, last = match.span("value")
        if value[:1] in "\"'":
            first, last = first + 1, last - 1
        if last > first:
            yield first, last


# --- the redactor ---------------------------------------------------------------------------

_KEY_BEGIN = re.compile(r"(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY")
_KEY_END = re.compile(r"(?i)-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----")


class Redactor:
    """Replaces secrets in text: claw's key values, provider formats and secret assignments."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = frozenset(values)

    @staticmethod
    def load() -> None:
        """Read and compile the rules now (a front end does it in a thread) rather than at the first result."""
        _rules()

    def __call__(self, text: str) -> str:
        if not text:
            return text
        text = redact(text, self.values) if self.values else text
        lowered = text.lower()
        spans = [span for rule in _rules() for span in rule.spans(text, lowered)]
        spans += _assignment_spans(text, lowered)
        if not spans:
            return text
        out, pos = [], 0
        for start, end in sorted(spans):
            if end <= pos:
                continue  # inside a span already replaced
            out.append(text[pos : max(start, pos)])
            out.append(REDACTED)
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def stream(self) -> Callable[[str], str]:
        """For output that arrives in pieces (a command's lines): each piece redacted, and a private
        key block held back until its end line so that it is redacted whole (never shown in part)."""
        held: list[str] = []

        def piece(text: str) -> str:
            if not held and not _KEY_BEGIN.search(text):
                return self(text)
            held.append(text)
            joined = "".join(held)
            if _KEY_END.search(joined) or len(joined) > 64_000:
                held.clear()
                return self(joined)
            return ""

        return piece
