"""Session store benchmark: search and listing over 10,000 sessions, loading a 5,000-message one.

Run: `python bench/bench_sessions.py [--sessions N]`. Prints figures (median of several runs);
targets are < 50 ms for search and for listing. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from claw_tui.core.transcript import Message, TextBlock, ToolUseBlock, tool_result, user_text
from claw_tui.engine.sessions import SessionStore, UsageRecord

WORDS = [
    "parser",
    "config",
    "loader",
    "token",
    "stream",
    "widget",
    "theme",
    "cache",
    "session",
    "model",
    "provider",
    "tool",
    "sandbox",
    "permission",
    "hook",
    "memory",
    "compaction",
    "budget",
    "diff",
    "patch",
    "commit",
    "branch",
    "merge",
    "test",
    "fixture",
    "flaky",
    "timeout",
    "retry",
    "network",
    "socket",
    "thread",
    "async",
    "await",
    "queue",
    "worker",
    "render",
    "layout",
    "scroll",
    "prompt",
    "error",
    "warning",
    "refactor",
    "rename",
    "extract",
    "inline",
    "module",
    "package",
    "import",
    "export",
    "schema",
    "migration",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)) + "."


def synthetic_messages(rng: random.Random, count: int) -> list[Message]:
    out: list[Message] = []
    for i in range(count):
        if i % 3 == 0:
            out.append(user_text(sentence(rng, 18)))
        elif i % 3 == 1:
            call = ToolUseBlock(id=f"t{i}", name="Bash", input={"command": f"pytest -k {rng.choice(WORDS)}"})
            out.append(
                Message(role="assistant", content=[TextBlock(text=sentence(rng, 40)), call], model="m")
            )
        else:
            out.append(Message(role="user", content=[tool_result(f"t{i - 1}", sentence(rng, 60))]))
    return out


def timed(fn: Callable[[], object], runs: int = 7) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--messages-per-session", type=int, default=6)
    args = parser.parse_args()
    rng = random.Random(7)
    projects = [Path(f"/bench/project-{i}") for i in range(20)]
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore.open(Path(tmp) / "bench.db")
        start = time.perf_counter()
        for i in range(args.sessions):
            msgs = synthetic_messages(rng, args.messages_per_session)
            store.import_session(
                projects[i % len(projects)],
                msgs,
                models=["anthropic/claude-sonnet-4-5"],
                created=1.7e9 + i * 60,
                updated=1.7e9 + i * 60 + 30,
                usage=[
                    UsageRecord("anthropic/claude-sonnet-4-5", 1000, 200, cost_usd=0.01, ts=1.7e9 + i * 60)
                ],
            )
        setup = time.perf_counter() - start
        total = args.sessions * args.messages_per_session
        print(f"setup: {args.sessions:,} sessions, {total:,} messages in {setup:.1f} s")

        for label, query, project in [
            ("search common word, all projects", "parser", None),
            ("search two words, all projects", "flaky timeout", None),
            ("search prefix 'migr', one project", "migr", projects[3]),
            ("search no match", "xylophone", None),
        ]:
            ms, hits = timed(lambda q=query, p=project: store.search(q, p, limit=50))
            print(f"{label:<40} {ms:7.2f} ms  ({len(hits)} hits; target < 50 ms)")  # type: ignore[arg-type]

        ms, rows = timed(lambda: store.list(None, limit=200))
        print(f"{'list newest 200, all projects':<40} {ms:7.2f} ms  ({len(rows)} rows; target < 50 ms)")  # type: ignore[arg-type]
        ms, rows = timed(lambda: store.list(projects[5], limit=200))
        print(f"{'list newest 200, one project':<40} {ms:7.2f} ms  ({len(rows)} rows; target < 50 ms)")  # type: ignore[arg-type]
        ms, rows = timed(lambda: store.list(None, limit=200, offset=9_000))
        print(f"{'list page at offset 9,000':<40} {ms:7.2f} ms  ({len(rows)} rows)")  # type: ignore[arg-type]

        big = store.create_session(projects[0], "anthropic/claude-sonnet-4-5")
        msgs = synthetic_messages(rng, 5_000)
        start = time.perf_counter()
        for msg in msgs[:500]:
            store.append_message(big, msg)
        per_append = (time.perf_counter() - start) * 1000 / 500
        print(f"{'append_message (one commit each)':<40} {per_append:7.2f} ms each")
        for msg in msgs[500:]:
            store.append_message(big, msg)
        for i in range(500):
            store.append_event(big, {"type": "usage", "model": "m", "input_tokens": i})
        ms, _ = timed(lambda: (store.messages(big), store.events(big)), runs=3)
        print(f"{'load 5,000 messages + 500 events':<40} {ms:7.2f} ms")
        ms, _ = timed(store.cost_today)
        print(f"{'cost_today':<40} {ms:7.2f} ms")
        store.close()


if __name__ == "__main__":
    main()
