"""Secrets in tool output: a corpus of realistic fake tokens is redacted, ordinary code is not.

The tokens are made at test time (a seeded generator fills each format), so no file in the
repository holds anything a secret scanner would flag.
"""

from __future__ import annotations

import json
import random
import string

import pytest

from claw_tui.core.redaction import REDACTED, Redactor

ALNUM = string.ascii_letters + string.digits


def _fill(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[str, str]]:
    """kind → (the line a tool printed, the secret in it)."""
    rng = random.Random(17)
    b64 = ALNUM + "+/"
    tokens = {
        "anthropic": "sk-ant-api03-" + _fill(rng, ALNUM + "_-", 93) + "AA",
        "openai": "sk-proj-" + _fill(rng, ALNUM + "_-", 74) + "T3BlbkFJ" + _fill(rng, ALNUM + "_-", 74),
        "aws-key-id": "AKIA" + _fill(rng, string.ascii_uppercase + "234567", 16),
        "aws-secret": _fill(rng, b64, 40),
        "github": "ghp_" + _fill(rng, ALNUM, 36),
        "github-fine-grained": "github_pat_" + _fill(rng, ALNUM + "_", 82),
        "gitlab": "glpat-" + _fill(rng, ALNUM + "_-", 20),
        "slack": "xoxb-" + _fill(rng, string.digits, 12) + "-" + _fill(rng, string.digits, 13) + "-" + _fill(rng, ALNUM, 24),
        "stripe": "sk_" + "live_" + _fill(rng, ALNUM, 32),
        "google": "AIza" + _fill(rng, ALNUM + "_-", 35),
        "npm": "npm_" + _fill(rng, string.ascii_lowercase + string.digits, 36),
        "env-password": "Tr0ub4dor&3-" + _fill(rng, ALNUM, 6),
        "env-quoted": _fill(rng, ALNUM, 24),
        "url-password": "p4ss-" + _fill(rng, ALNUM, 10),
        "bearer": "eyJ" + _fill(rng, ALNUM, 40),
    }
    key_body = "\n".join(_fill(rng, b64, 70) for _ in range(6))
    private_key = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{key_body}\n-----END OPENSSH PRIVATE KEY-----"
    lines = {
        "anthropic": f"export ANTHROPIC_KEY_FOR_CI={tokens['anthropic']}",
        "openai": f'client = OpenAI(api_key="{tokens["openai"]}")',
        "aws-key-id": f"aws_access_key_id = {tokens['aws-key-id']}",
        "aws-secret": f"aws_secret_access_key = {tokens['aws-secret']}",
        "github": f"remote: token {tokens['github']} has expired",
        "github-fine-grained": f"GH_TOKEN={tokens['github-fine-grained']}",
        "gitlab": f"  gitlab_token: {tokens['gitlab']}",
        "slack": f'{{"token": "{tokens["slack"]}", "channel": "C123"}}',
        "stripe": f"stripe.api_key = '{tokens['stripe']}'",
        "google": f"https://maps.googleapis.com/maps/api/geocode/json?key={tokens['google']}",
        "npm": f"//registry.npmjs.org/:_authToken={tokens['npm']}",
        "env-password": f"DB_PASSWORD={tokens['env-password']}",
        "env-quoted": f'SECRET_KEY="{tokens["env-quoted"]}"',
        "url-password": f"origin  https://deploy:{tokens['url-password']}@git.example.com/app.git (fetch)",
        "bearer": f"> Authorization: Bearer {tokens['bearer']}",
    }
    out = {kind: (lines[kind], tokens[kind]) for kind in lines}
    out["private-key"] = (private_key, key_body)
    return out


def test_every_kind_in_the_corpus_is_redacted(corpus):
    redact = Redactor()
    for kind, (line, secret) in corpus.items():
        out = redact(line)
        assert secret not in out and REDACTED in out, f"{kind}: {out}"
        for part in secret.split("\n"):
            assert part not in out, kind


def test_a_whole_env_file_keeps_its_names_and_loses_its_values(corpus):
    env = "\n".join(
        [
            "# local settings",
            "DEBUG=1",
            "PORT=8080",
            corpus["env-password"][0],
            corpus["env-quoted"][0],
            "DATABASE_HOST=db.internal",
            "OPENAI_API_KEY=" + corpus["openai"][1],
        ]
    )
    out = Redactor()(env)
    assert out.splitlines() == [
        "# local settings",
        "DEBUG=1",
        "PORT=8080",
        f"DB_PASSWORD={REDACTED}",
        f'SECRET_KEY="{REDACTED}"',
        "DATABASE_HOST=db.internal",
        f"OPENAI_API_KEY={REDACTED}",
    ]


ORDINARY = [
    "MAX_TOKENS=4096",
    "    token: str,",
    "def login(password: str, *, token: Optional[str] = None) -> bool:",
    'password = request.form["password"]',
    "api_key = settings.api_key",
    "self.secret = secret",
    "PWD=/home/dev/project",
    "OLDPWD=/home/dev",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "id: 123e4567-e89b-12d3-a456-426614174000",
    'Token:                      "#d8dee9",',
    '"input_token": "next_token",',
    'REFRESH_TOKEN = "REFRESH_TOKEN"',
    "CHARS_PER_TOKEN = 3.5",
    '"needs-auth": "The server wants you to sign in.",',
    "e.g. `pass` in `https://user:pass@host:port/path?query#fragment`",
    "export ANTHROPIC_API_KEY=sk-ant-…",
    '"AWS::SecretsManager::Secret": "c85175a4ebcce361",',
    "when your file has '-----BEGIN RSA PRIVATE KEY-----' and",
    "    return base64.standard_b64decode(pem)  # KEY-----",
    "for key, value in sorted(items.items()):",
    "    if token == expected:",
    "-----BEGIN CERTIFICATE-----",
]


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_code_and_output_pass_untouched(line):
    assert Redactor()(line) == line


def test_claws_own_key_values_are_redacted_wherever_they_are():
    redact = Redactor({"my-own-key-1234"})
    assert redact("found my-own-key-1234 in notes.txt") == f"found {REDACTED} in notes.txt"


def test_a_private_key_streamed_line_by_line_is_never_shown_in_part(corpus):
    block, body = corpus["private-key"]
    piece = Redactor().stream()
    shown = [piece(line + "\n") for line in ["building…", *block.splitlines(), "done"]]
    assert shown[0] == "building…\n" and shown[-1] == "done\n"
    assert not any(part in "".join(shown) for part in body.splitlines())
    assert REDACTED in "".join(shown)
    assert sum(1 for s in shown if s) == 3  # the block comes out once, whole, when its end arrives


def test_secrets_a_tool_prints_reach_no_store_no_model_and_no_event_stream(claw_forks, fake_model, tmp_path, corpus):
    """Through a real `claw -p --output-format claw-events` (claw's own events, a command's lines as they
    came): a Bash command prints every kind in the corpus, then the model reads the file with Read."""
    from fake_model import Reply, Text, ToolCall
    from forked_claw import claw_env

    from claw_tui.config import user_data_dir

    (tmp_path / "leaky.txt").write_text("\n".join(line for line, _ in corpus.values()) + "\n")
    fake_model.script(
        Reply(parts=[ToolCall("Bash", {"command": "cat leaky.txt"})]),
        Reply(parts=[ToolCall("Read", {"file_path": "leaky.txt"})]),
        Reply(parts=[Text("seen")]),
    )
    run = claw_forks.run(
        ["-p", "--output-format", "claw-events", "--allowed-tools=Bash,Read", "show me"],
        tmp_path,
        claw_env(fake_model.base_url),
    )
    assert run.code == 0, run.stderr
    sent = "".join(r.body.decode() for r in fake_model.requests)
    db = b"".join(p.read_bytes() for p in user_data_dir().glob("sessions.db*"))
    for kind, (_, secret) in corpus.items():
        for part in secret.split("\n"):
            assert part not in run.stdout, f"{kind} printed in the event stream"
            assert part not in sent, f"{kind} sent to the model"
            assert part.encode() not in db, f"{kind} stored"
    assert run.stdout.count(REDACTED) >= 2 * len(corpus)
    streamed = "".join(e["text"] for e in map(json.loads, run.stdout.splitlines()) if e["type"] == "tool_call_output")
    assert streamed.count(REDACTED) >= len(corpus)  # the lines as they came were redacted too


def test_every_format_compiles_though_each_compiles_only_when_its_keyword_shows():
    from claw_tui.core.redaction import _rules

    rules = _rules.__wrapped__()  # loaded afresh, not the session's (which other tests have used)
    assert len(rules) > 30 and all("regex" not in vars(rule) for rule in rules)  # nothing compiled by loading
    for rule in rules:  # gitleaks' RE2 patterns, as Python reads them: any that does not compile fails here
        assert rule.regex.pattern == rule.source and len(rule.allow) == len(rule.allow_sources)
