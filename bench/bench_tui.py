"""TUI figures: first frame, event-loop stalls and paint lag while a long answer streams, memory.

    python bench/bench_tui.py

Prints figures; nothing is asserted. The model is the scripted fake server from tests/fake_model,
run in its own process (so its work never holds the app's interpreter) and pacing its events at
an exact average rate. A "token" of the fake server is one streamed event: for text, one word
with its trailing whitespace. A frame counts as painted when Textual hands it to the terminal
driver (headless: the same frame, not written anywhere); the bench wraps the app's `_display`
to see them, which is Textual's own (pinned) internal, not claw's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_model import FakeModelServer, Reply, Text, isolated_env
from fake_model.script import words

if TYPE_CHECKING:
    from claw_tui.core.transcript import Message
    from claw_tui.ui.app import ClawApp

RUNS = 5
SIZE = (160, 48)
PLACEHOLDER = "Ask claw"  # the prompt's placeholder: the main screen is up
ANSWER_TOKENS = 3_000
TOKENS_PER_SECOND = 2_000
ANSWERS_PER_APP = 4
HEARTBEAT_S = 0.005
SESSION_MESSAGES = 2_000
SENTENCE = ("the parser reads each `token` from the stream and hands it to the widget, which keeps "
            "its layout cheap by caching rendered lines until the theme or the width changes")
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


# --- the model server, in its own process -----------------------------------------------------


def _serve(conn: Connection) -> None:
    server = FakeModelServer(steady_rate=True).start()
    conn.send(server.base_url)
    while (request := conn.recv())[0] != "stop":
        command, arg = request
        if command == "script":
            server.script(arg)
            conn.send(None)
        elif command == "last_chunk_at":
            conn.send(server.last_chunk_at)
    server.stop()


class ModelServerProcess:
    """A FakeModelServer in a child process, driven over a pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self.base_url: str = self._conn.recv()

    def _ask(self, command: str, arg: Any = None) -> Any:
        self._conn.send((command, arg))
        return self._conn.recv()

    def script(self, reply: Reply) -> None:
        self._ask("script", reply)

    def last_chunk_at(self) -> float | None:
        """perf_counter() (CLOCK_MONOTONIC, the same clock in every process) of the last byte sent."""
        return self._ask("last_chunk_at")

    def stop(self) -> None:
        self._conn.send(("stop", None))
        self._process.join(10)


# --- instruments -------------------------------------------------------------------------------


class Frames:
    """Every frame the app paints, with the time it was handed to the driver."""

    def __init__(self, app: ClawApp) -> None:
        self.app = app
        self.painted: list[tuple[float, Any, Any]] = []  # (perf_counter, screen, compositor update)
        self._text: dict[int, str] = {}  # frame index → its plain text, rendered once
        display = app._display

        def record(screen: Any, update: Any) -> None:
            self.painted.append((time.perf_counter(), screen, update))
            display(screen, update)

        app._display = record  # type: ignore[method-assign]

    def clear(self) -> None:
        self.painted.clear()
        self._text.clear()

    def first_showing(self, text: str, since: float = 0.0) -> float | None:
        """When the first frame painted at or after `since` showed `text`."""
        for index, (at, _screen, update) in enumerate(self.painted):
            if at >= since and update is not None and text in self._plain(index, update):
                return at
        return None

    def _plain(self, index: int, update: Any) -> str:
        if index not in self._text:
            self._text[index] = ANSI.sub("", update.render_segments(self.app.console))
        return self._text[index]


class Heartbeat:
    """A task on the app's loop sleeping 5 ms at a time; how late each wake-up is = the loop's stalls."""

    def __init__(self) -> None:
        self.late_ms: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(HEARTBEAT_S)
            self.late_ms.append((time.perf_counter() - start - HEARTBEAT_S) * 1000)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._beat())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll without forcing a screen update (Pilot.pause would force one and skew the paint times)."""
    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)


def rss_mib() -> float:
    return _status_kib("VmRSS") / 1024


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} is not in /proc/self/status")


def new_app(project: Path, **kwargs: Any) -> ClawApp:
    from claw_tui.config import load_config
    from claw_tui.ui.app import ClawApp

    return ClawApp(project, config=load_config(project), **kwargs)


# --- time to first frame ------------------------------------------------------------------------


async def first_frame_in_process(project: Path) -> float:
    from claw_tui.config import load_config
    from claw_tui.ui.app import ClawApp

    config = load_config(project)
    start = time.perf_counter()
    app = ClawApp(project, config=config)
    frames = Frames(app)
    async with app.run_test(size=SIZE):
        await wait_until(lambda: frames.first_showing(PLACEHOLDER) is not None, "the first frame")
        painted = frames.first_showing(PLACEHOLDER)
    assert painted is not None
    return painted - start


def first_frame_in_tmux(project: Path, env: dict[str, str], run: int) -> float:
    """`claw` as a real process in a 160×48 tmux window, until the prompt's placeholder is on screen."""
    tmux = ["tmux", "-L", f"claw-bench-{os.getpid()}-{run}"]  # a tmux server of our own for each run
    claw = str(Path(sys.executable).parent / "claw")
    start = time.perf_counter()
    started = subprocess.run([*tmux, "new-session", "-d", "-s", "bench", "-x", "160", "-y", "48", "-c", str(project),
                              claw], env=env, capture_output=True, text=True, check=False)
    try:
        if started.returncode != 0:
            raise RuntimeError(f"tmux could not start claw: {started.stderr.strip()}")
        while time.perf_counter() - start < 30:
            pane = subprocess.run([*tmux, "capture-pane", "-p", "-t", "bench"], env=env, capture_output=True, text=True,
                                  check=False)
            if pane.returncode != 0:
                raise RuntimeError(f"claw's tmux window closed: {pane.stderr.strip()}")
            if PLACEHOLDER in pane.stdout:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise TimeoutError("claw did not show its prompt in tmux within 30 s")
    finally:
        subprocess.run([*tmux, "kill-server"], env=env, capture_output=True, check=False)


# --- streaming ---------------------------------------------------------------------------------


def long_answer(tokens: int, marker: str) -> str:
    """Markdown of exactly `tokens` fake-server tokens (paragraphs, lists, code); the last one is `marker`."""
    vocab = SENTENCE.split()
    text, i = "", 0
    while True:
        if i % 6 == 4:
            block = "\n".join(f"- {' '.join(vocab[j:j + 6])}" for j in range(0, 24, 6))
        elif i % 6 == 5:
            block = "```python\ndef handle(event):\n    return render(event.token, width=80)\n```"
        else:
            block = " ".join(vocab[(i + j) % len(vocab)] for j in range(60)) + "."
        longer = f"{text}\n\n{block}" if text else block
        if len(longer.split()) > tokens - 20:
            break
        text, i = longer, i + 1
    filler = tokens - 1 - len(text.split())
    text += "\n\n" + " ".join(["more"] * filler) + f" {marker}"
    assert len(words(text)) == tokens
    return text


async def stream_answers(project: Path, server: ModelServerProcess, answers: int) -> list[dict[str, float]]:
    """`answers` long answers one after another in one app; the first is the app's first turn."""
    app = new_app(project)
    frames = Frames(app)
    results = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for n in range(answers):
            frames.clear()
            results.append(await stream_one(app, pilot, frames, server, f"zzend{n}zz"))
    return results


async def stream_one(app: ClawApp, pilot: Any, frames: Frames, server: ModelServerProcess, marker: str) -> dict[str, float]:
    server.script(Reply(parts=[Text(long_answer(ANSWER_TOKENS, marker))], token_delay=1 / TOKENS_PER_SECOND))
    await pilot.press(*"explain the renderer")
    beat = Heartbeat()
    beat.start()
    sent = time.perf_counter()
    app.simulate_key("enter")  # Pilot.press would wait for the screen to go idle: not until the stream ends
    screen = app.main_screen
    await wait_until(lambda: screen.turn_running, "the turn to start")
    await wait_until(lambda: not screen.turn_running, "the turn to finish")
    await asyncio.sleep(0.3)  # the frames after the turn count too; frames are read only after this
    await beat.stop()
    await wait_until(lambda: frames.first_showing(marker, since=sent) is not None, "the final frame", 10)
    painted = frames.first_showing(marker, since=sent)
    last_byte = server.last_chunk_at()
    if painted is None or last_byte is None or last_byte < sent:
        raise RuntimeError("the answer was not streamed to the end; run the app by hand to see why")
    late = sorted(beat.late_ms)
    return {
        "stream_s": last_byte - sent,
        "max_stall_ms": late[-1],
        "p99_stall_ms": late[int(len(late) * 0.99)],
        "beats": len(late),
        "lag_ms": (painted - last_byte) * 1000,
    }


def _stream_child(conn: Connection, project: str, answers: int) -> None:
    """A fresh process, as `claw` is: its first answer pays every first-use cost, as a user's does."""
    server = ModelServerProcess()
    os.environ["ANTHROPIC_BASE_URL"] = server.base_url
    try:
        conn.send(asyncio.run(stream_answers(Path(project), server, answers)))
    finally:
        server.stop()


# --- memory over a long session -----------------------------------------------------------------


def session_messages(count: int) -> list[Message]:
    """Turns of: prompt, text + a tool call, the tool's output, a final answer."""
    from claw_tui.core.transcript import (
        Message,
        TextBlock,
        ToolUseBlock,
        tool_result,
        user_text,
    )

    para = ("The loader reads `config.toml` first, then the project file; a missing key falls back to "
            "the default, and a wrong type is reported with the file and the line. ")
    out: list[Message] = []
    turn = 0
    while len(out) < count:
        call = f"toolu_{turn:05d}"
        out += [
            user_text(f"Turn {turn}: why does the config loader ignore the project file in case {turn}?"),
            Message(role="assistant", model="m", content=[
                TextBlock(text=f"Let me look at case {turn}.\n\n" + para * 3),
                ToolUseBlock(id=call, name="Bash", input={"command": f"pytest -q -k case_{turn}"}),
            ]),
            Message(role="user", content=[tool_result(call, "\n".join(f"tests/test_config.py::case_{turn}_{k} PASSED"
                                                                      for k in range(20)))]),
            Message(role="assistant", model="m", content=[
                TextBlock(text=f"**Case {turn}** passes now:\n\n- {para}\n- {para}\n\n```toml\n[model]\nname = \"m\"\n```")
            ]),
        ]
        turn += 1
    return out[:count]


def _memory_child(conn: Connection, project: str, session_id: str, trace: bool) -> None:
    conn.send(asyncio.run(memory_figures(Path(project), session_id, trace)))


async def memory_figures(project: Path, session_id: str, trace: bool) -> dict[str, Any]:
    """Open the app on the session (`claw --resume`), scroll it from bottom to top; RSS (and tracemalloc) on the way."""
    if trace:
        tracemalloc.start()
    figures: dict[str, Any] = {}
    start = time.perf_counter()
    app = new_app(project, resume=session_id)
    async with app.run_test(size=SIZE) as pilot:
        conversation = app.main_screen.conversation
        await wait_until(lambda: conversation.unmounted > 0, "the session to be drawn")
        figures["load_s"] = time.perf_counter() - start
        await pilot.pause()
        figures["rss_loaded"] = rss_mib()
        figures["blocks_loaded"] = (len(conversation.blocks), conversation.unmounted)
        start = time.perf_counter()
        await pilot.press("f2", "pageup", "pageup", "pageup")
        stuck = 0
        while conversation.unmounted and stuck < 3:
            before = conversation.unmounted
            await pilot.press("home")
            await pilot.pause(0.05)
            stuck = stuck + 1 if conversation.unmounted == before else 0
        figures["scroll_s"] = time.perf_counter() - start
        figures["blocks_scrolled"] = (len(conversation.blocks), conversation.unmounted)
        figures["rss_scrolled"] = rss_mib()
        figures["rss_peak"] = _status_kib("VmHWM") / 1024
        if trace:
            figures["traced_now"], figures["traced_peak"] = (b / 2**20 for b in tracemalloc.get_traced_memory())
    return figures


def _empty_app_child(conn: Connection, project: str) -> None:
    conn.send(asyncio.run(empty_app_rss(Path(project))))


async def empty_app_rss(project: Path) -> float:
    """RSS of the app on an empty conversation, once its start-up work has settled."""
    app = new_app(project)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(1.0)
        return rss_mib()


def in_child(target: Callable[..., None], *args: Any) -> Any:
    """Run target(conn, *args) in a fresh interpreter, so its memory is its own."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args))
    process.start()
    result = parent.recv()
    process.join(30)
    return result


def make_session(project: Path, count: int) -> str:
    from claw_tui.engine.sessions import SessionStore

    store = SessionStore.open()
    try:
        return store.import_session(project, session_messages(count), title="a long session", models=["m"])
    finally:
        store.close()


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--only", choices=PARTS, action="append", help="run only these parts (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        project = home / "project"
        project.mkdir()
        # A key, so the app opens its main screen; each streaming process starts a model server of its own.
        os.environ.update(isolated_env(home), ANTHROPIC_API_KEY="bench-key")
        for part in args.only or PARTS:
            PARTS[part](project, args.runs)


def report_first_frame(project: Path, runs: int) -> None:
    times = [asyncio.run(first_frame_in_process(project)) * 1000 for _ in range(runs)]
    print(f"{'first frame, ClawApp() → painted (run_test)':<52} median {statistics.median(times):6.0f} ms"
          f"  (min {min(times):.0f}, max {max(times):.0f})")
    # An installed claw runs from bytecode compiled at install time; a checkout run with
    # PYTHONDONTWRITEBYTECODE compiles every module of claw on every start. Bytecode goes to a cache
    # of the bench's own, filled by one unmeasured start.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(project.parent / "pycache")
    first_frame_in_tmux(project, env, -1)
    times = [first_frame_in_tmux(project, env, run) * 1000 for run in range(runs)]
    print(f"{'first frame, `claw` process in tmux 160×48':<52} median {statistics.median(times):6.0f} ms"
          f"  (min {min(times):.0f}, max {max(times):.0f}; process start to prompt on screen; target < 600 ms)")


def report_stream(project: Path, runs: int) -> None:
    first: list[dict[str, float]] = []
    later: list[dict[str, float]] = []
    for process in range(max(2, runs // 2 + 1)):
        results = in_child(_stream_child, str(project), ANSWERS_PER_APP)
        first.append(results[0])
        later += results[1:]
        for n, r in enumerate(results, 1):
            rate = ANSWER_TOKENS / r["stream_s"]
            print(f"process {process + 1} answer {n}: Enter → last byte {r['stream_s']:.2f} s ({rate:,.0f} tokens/s);"
                  f" stall max {r['max_stall_ms']:6.1f} ms, p99 {r['p99_stall_ms']:5.1f} ms ({r['beats']} beats);"
                  f" last byte → final frame {r['lag_ms']:6.1f} ms")
    for label, rows in (("first answer of a fresh app", first), ("later answers, same app", later)):
        stalls = [r["max_stall_ms"] for r in rows]
        lags = [r["lag_ms"] for r in rows]
        print(f"{label + ': largest event-loop stall':<52} {max(stalls):6.1f} ms"
              f"  (median of the answers' largest {statistics.median(stalls):.1f}; target < 50 ms)")
        print(f"{label + ': last byte → final text painted':<52} {statistics.median(lags):6.1f} ms"
              f"  (median; max {max(lags):.1f}; target < 100 ms)")


def report_memory(project: Path, runs: int) -> None:
    session_id = make_session(project, SESSION_MESSAGES)
    empty = in_child(_empty_app_child, str(project))
    plain = in_child(_memory_child, str(project), session_id, False)
    traced = in_child(_memory_child, str(project), session_id, True)
    print(f"{SESSION_MESSAGES:,}-message session, opened with ClawApp(resume=session_id)")
    print(f"  ClawApp() → drawn {plain['load_s']:.1f} s, blocks mounted/unmounted {plain['blocks_loaded']};"
          f" scroll to top {plain['scroll_s']:.1f} s, then {plain['blocks_scrolled']}")
    print(f"  RSS: empty app {empty:.0f} MiB, loaded {plain['rss_loaded']:.0f} MiB,"
          f" scrolled to top {plain['rss_scrolled']:.0f} MiB (peak VmHWM {plain['rss_peak']:.0f} MiB)")
    print(f"  tracemalloc (separate run): peak {traced['traced_peak']:.0f} MiB, after scrolling"
          f" {traced['traced_now']:.0f} MiB")


PARTS: dict[str, Callable[[Path, int], None]] = {
    "first-frame": report_first_frame,
    "stream": report_stream,
    "memory": report_memory,
}

if __name__ == "__main__":
    main()
