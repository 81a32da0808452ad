"""Recorded engine events and an agent that replays them, for pilot and snapshot tests of the TUI.

`RecordedAgent` is a `FrontendAgent` (the surface every front end uses): its turns are recorded. Its turns replay fixed event lists; a gate can hold a turn after a
given event so a test can act mid-stream (cancel, queue) without sleeping.
"""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from claw_tui.config import LoadedConfig, Settings
from claw_tui.core import events as ev
from claw_tui.core.tasks import TaskGraph
from claw_tui.core.transcript import Message, TextBlock, ToolUseBlock
from claw_tui.engine.agent_defs import BUILTIN_AGENTS, AgentDef
from claw_tui.engine.permissions import PermissionEngine
from claw_tui.engine.user_commands import CommandPrompt

if TYPE_CHECKING:
    from claw_tui.engine.checkpoints import CheckpointStore
    from claw_tui.engine.frontend import FrontendAgent
    from claw_tui.engine.scheduler import Scheduler
    from claw_tui.engine.sessions import SessionStore
    from claw_tui.engine.subagents import SubagentManager
    from claw_tui.mcp import McpManager

MODEL = "anthropic/claude-sonnet-4-6"

ANSWER_WITH_CODE = [
    "Here is the fix for the **off-by-one** in `count_lines`:\n\n",
    "```python\ndef count_lines(text: str) -> int:\n",
    '    """Lines in text, counting a last line without a newline."""\n',
    "    return text.count(\"\\n\") + (not text.endswith(\"\\n\"))\n```\n\n",
    "The tests pass now.",
]


async def settle(pilot) -> None:
    """Wait until the app's workers are done and its messages handled, workers started meanwhile too
    (the start-up's background work begins once the first frame is drawn).

    An exclusive worker replaced by a newer one ends cancelled; that is the app working, so
    unlike `workers.wait_for_complete()` this does not raise for it.
    """
    for _ in range(5):
        await pilot.pause()
        running = [worker for worker in pilot.app.workers if not worker.is_finished]
        if not running:
            break
        await asyncio.gather(*(worker.wait() for worker in running), return_exceptions=True)
    await pilot.pause()


def usage(input_tokens: int, output_tokens: int, cost_usd: float) -> ev.Usage:
    """A model call's usage as the agent reports it: the context figures filled from the catalog."""
    return ev.Usage(
        model=MODEL, input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=cost_usd,
        context_tokens=input_tokens + output_tokens, context_window=1_000_000, ts=0,
    )


def text_turn(*chunks: str, turn_id: str = "turn_1") -> list[ev.EngineEvent]:
    text = "".join(chunks)
    return [
        ev.TurnStarted(turn_id=turn_id, model=MODEL, ts=0),
        *(ev.TextDelta(text=c, ts=0) for c in chunks),
        usage(1200, 80, 0.0048),
        ev.MessageCompleted(message=Message(role="assistant", content=[TextBlock(text=text)], created_at=0), ts=0),
        ev.TurnFinished(turn_id=turn_id, stop_reason="end_turn", turns=1, ts=0),
    ]


def full_turn(turn_id: str = "turn_1") -> list[ev.EngineEvent]:
    """Thinking, a tool call that reads a file and edits it, then a streamed answer with a code block."""
    call = ToolUseBlock(id="call_1", name="Read", input={"file_path": "src/lines.py"})
    return [
        ev.TurnStarted(turn_id=turn_id, model=MODEL, ts=0),
        ev.ThinkingDelta(text="The user reports an off-by-one. ", ts=0),
        ev.ThinkingDelta(text="I should read src/lines.py first.", ts=0),
        ev.TextDelta(text="Let me look at the file.", ts=0),
        ev.ToolCallStarted(call_id="call_1", name="Read", ts=0),
        ev.ToolCallInputDelta(call_id="call_1", partial_json='{"file_path": "src/lines.py"}', ts=0),
        usage(900, 40, 0.0033),
        ev.MessageCompleted(
            message=Message(role="assistant", content=[TextBlock(text="Let me look at the file."), call], created_at=0),
            ts=0,
        ),
        ev.ToolCallQueued(call_id="call_1", name="Read", input=call.input, summary="Read src/lines.py", ts=0),
        ev.ToolCallRunning(call_id="call_1", ts=0),
        ev.ToolCallFinished(
            call_id="call_1", name="Read", status="done", output="1\tdef count_lines(text):\n2\t    return text.count('\\n')\n", ts=0
        ),
        ev.FileChanged(call_id="call_2", path="src/lines.py", before="a\n", after="b\n", ts=0),
        *(ev.TextDelta(text=c, ts=0) for c in ANSWER_WITH_CODE),
        usage(1400, 120, 0.006),
        ev.MessageCompleted(
            message=Message(role="assistant", content=[TextBlock(text="".join(ANSWER_WITH_CODE))], created_at=0), ts=0
        ),
        ev.TurnFinished(turn_id=turn_id, stop_reason="end_turn", turns=2, ts=0),
    ]


class RecordedAgent:
    def __init__(self, cwd: Path, *turns: list[ev.EngineEvent]) -> None:
        self.cwd = cwd
        self.model = MODEL
        self.permissions = PermissionEngine("default", [], [cwd])
        self.task_graph: TaskGraph | None = TaskGraph()
        self.transcript: list[Message] = []
        self.session_id: str | None = None
        self.new_session_id: str | None = None
        self.total_cost_usd = 0.0
        self.config = LoadedConfig(settings=Settings(), rules=[], files=[])
        self.settings = self.config.settings
        self.sandbox_status = "disabled"
        self.sandbox_warning: str | None = None
        self.store: SessionStore | None = None  # sessions are not saved
        self.checkpoints: CheckpointStore | None = None
        self.mcp: McpManager | None = None
        self.system_prompt: str | None = None
        self.append_system_prompt = ""
        self.session_agents: list[AgentDef] = []
        self.subagents: SubagentManager | None = None
        self.startup_notes: list[str] = []
        self.scheduler: Scheduler | None = None
        self.notes_for_model: list[str] = []
        self.turns: deque[list[ev.EngineEvent]] = deque(turns)
        self.prompts: list[str] = []
        self.models_used: list[str] = []
        # Hold a turn before yielding event number `hold_at` until `gate` is set.
        self.gate = asyncio.Event()
        self.hold_at: int | None = None
        self.held = asyncio.Event()  # set when a turn reaches the hold point
        self.cancelled = 0
        self.compactions: list[str] = []

    async def run_turn(self, prompt: str | CommandPrompt):
        if isinstance(prompt, CommandPrompt):  # a user command: the model would get its expansion
            prompt = prompt.prompt if isinstance(prompt.prompt, str) else prompt.typed
        self.prompts.append(prompt)
        self.models_used.append(self.model)
        events = self.turns.popleft() if self.turns else text_turn(f"echo: {prompt}", turn_id=f"turn_{len(self.prompts)}")
        try:
            for index, event in enumerate(events):
                if index == self.hold_at:
                    self.held.set()
                    await self.gate.wait()
                yield event
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    async def compact(self, instructions: str = ""):
        self.compactions.append(instructions)
        yield ev.Compacted(
            summary_message_id="msg_summary", summary="Earlier: fixed count_lines.", trigger="manual",
            tokens_before=50_000, tokens_after=4_000, kept_messages=4, ts=0,
        )

    def set_model(self, model: str) -> None:
        self.model = model

    def use_local_server(self, base_url: str) -> None:
        self.local_base_url = base_url

    def apply_config(self, config: LoadedConfig) -> None:
        self.config, self.settings = config, config.settings

    def take_cut_short_usage(self) -> ev.Usage | None:
        return None  # recorded turns are not billed

    def tell_model(self, text: str) -> None:
        self.notes_for_model.append(text)

    async def attach_files(self, prompt: str):
        from claw_tui.core.transcript import user_text
        from claw_tui.engine.file_mentions import Attached

        return Attached(user_text(prompt))  # recorded turns read no files

    def load_session(self, session_id: str) -> None:
        raise AssertionError("a recorded agent has no stored sessions")

    def new_conversation(self) -> None:
        self.transcript.clear()
        self.session_id = None
        self.total_cost_usd = 0.0

    def tool_summary(self, name: str, data: dict) -> str:
        return name

    def tool_names(self) -> list[str]:
        return ["Read", "Edit"]

    def agent_types(self) -> list[AgentDef]:
        return list(BUILTIN_AGENTS)

    def refresh_agent_types(self) -> None:
        pass

    async def prepare(self) -> None:
        pass

    async def start_mcp(self, mcp_config=(), *, strict: bool = False, wait: bool = True) -> McpManager | None:
        return None  # as the agent without a declared server: recorded turns call no MCP tool

    async def aclose(self) -> None:
        pass


if TYPE_CHECKING:  # the UI's tests drive the app with it as they would with the real agent
    _: type[FrontendAgent] = RecordedAgent
