"""Context budget and compaction.

The context size is known exactly after each model call (provider usage) and estimated for
what was added since. Near the model's window (default 85%) — or on `/compact` — the older
part of the conversation is replaced by a summary the model writes with a dedicated prompt.
The latest turns stay verbatim; open tasks and touched files are listed in the summary by
claw itself, so they are never forgotten. The summary is a visible, editable message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, Literal

from claw_tui.core import events as ev
from claw_tui.core.transcript import (
    ImageBlock,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    repair,
    user_text,
)
from claw_tui.providers.base import ModelRequest, ModelResponse, ProviderError, ToolSpec

if TYPE_CHECKING:
    from claw_tui.engine.agent import Agent

SUMMARY_PROMPT = """You are summarising a coding session so that it can continue in a fresh context.
Write a summary another engineer (or you, later) can continue from without the original
messages. Include, under these headings:
1. Goal: what the user asked for, in their words where it matters, and any constraints.
2. Done so far: the changes made (files and what changed), commands run and their outcome.
3. Decisions and facts learnt: design choices, what was tried and rejected and why,
   errors met and how they were fixed, important details of the code (names, paths, APIs).
4. Current state: what was being worked on right before this summary.
5. Next steps: what remains, in order.
Be specific and complete; prefer facts over narrative. Do not call tools."""

# Characters per token for the estimate: a conservative average across code and prose.
CHARS_PER_TOKEN = 3.5


def estimate_tokens(messages: list[Message]) -> int:
    chars = 0
    for msg in messages:
        chars += 16
        for block in msg.content:
            if isinstance(block, TextBlock):
                chars += len(block.text)
            elif isinstance(block, ThinkingBlock):
                chars += len(block.thinking)
            elif isinstance(block, ToolUseBlock):
                chars += len(block.name) + len(json.dumps(block.input))
            elif isinstance(block, ToolResultBlock):
                chars += sum(len(b.text) if isinstance(b, TextBlock) else 4000 for b in block.content)
            elif isinstance(block, ImageBlock):
                chars += 4000  # an image costs roughly a thousand tokens or more
    return int(chars / CHARS_PER_TOKEN)


def is_prompt(msg: Message) -> bool:
    """A user message typed by a person (not tool results, a summary or an interruption marker)."""
    return msg.role == "user" and not msg.tool_results and not msg.is_compaction_summary and not msg.is_interruption


def split_point(messages: list[Message], keep_turns: int) -> int:
    """Index where the verbatim tail starts: the start of the `keep_turns`-th last prompt."""
    prompts = [i for i, m in enumerate(messages) if is_prompt(m)]
    if len(prompts) > keep_turns:
        cut = prompts[-keep_turns]
    else:
        cut = prompts[-1] if prompts else len(messages)
    if estimate_tokens(messages[:cut]) < estimate_tokens(messages[cut:]):
        # Most of the context is one long turn: cut inside it, before an assistant message
        # (never between a tool call and its result), keeping the last quarter verbatim.
        start = max(cut + 1, len(messages) - max(2, len(messages) // 4))
        for i in range(start, len(messages)):
            if messages[i].role == "assistant":
                return i
    return cut


def render_summary(summary: str, open_tasks: list[str], touched: list[str]) -> str:
    parts = ["<conversation-summary>", summary.strip(), "</conversation-summary>"]
    if open_tasks:
        parts += ["", "Open tasks (from the task list):", *[f"- {t}" for t in open_tasks]]
    if touched:
        parts += ["", "Files read or changed in the summarised part:", *[f"- {p}" for p in touched]]
    parts += ["", "The conversation continues from here; the latest messages follow verbatim."]
    return "\n".join(parts)


def touched_files(messages: list[Message]) -> list[str]:
    seen: dict[str, None] = {}
    for msg in messages:
        for use in msg.tool_uses:
            path = use.input.get("file_path") or use.input.get("notebook_path")
            if isinstance(path, str):
                seen.setdefault(path, None)
    return list(seen)


def open_tasks(agent: Agent) -> list[str]:
    graph = agent.task_graph
    if graph is None:
        return []
    return [
        f"#{t.id} [{t.status}] {t.subject}" for t in graph.list() if t.status not in ("completed", "deleted")
    ]


def needs_compaction(agent: Agent) -> bool:
    from claw_tui.providers import catalog

    settings = agent.settings.compaction
    info = catalog.lookup(agent.model)
    if not settings.auto or info is None or not info.context_window:
        return False
    return agent.context_estimate() >= settings.threshold * info.context_window


async def compact(
    agent: Agent, instructions: str = "", trigger: Literal["manual", "auto"] = "manual", keep_turns: int = 2
) -> AsyncGenerator[Any, None]:
    """Summarise the older part of the transcript; yields engine events."""
    messages = repair(agent.transcript)
    cut = split_point(messages, keep_turns)
    older, kept = messages[:cut], messages[cut:]
    if not older:
        yield agent.event(ev.Notice, text="Nothing to compact yet.")
        return
    if agent.hooks is not None:
        outcome = await agent.hooks.pre_compact(trigger, instructions)
        if outcome.block:
            yield agent.event(ev.Notice, text=f"Compaction blocked by a hook: {outcome.reason}", level="warning")
            return
    ask = "Summarise the conversation above following your instructions."
    if instructions:
        ask += f"\nThe user adds: {instructions}"
    tokens_before = estimate_tokens(messages)
    provider, native = await agent.provider_for(agent.model)
    request = ModelRequest(
        model=native,
        system=SUMMARY_PROMPT,
        messages=[*older, user_text(ask)],
        # Providers require tool definitions when the history holds tool calls.
        tools=[ToolSpec(name=t.name, description=t.description, input_schema=t.schema()) for t in agent.tools.values()],
        max_tokens=min(agent.settings.max_tokens, 8192),
    )
    summary = ""
    try:
        async for item in provider.stream(request):
            if isinstance(item, ModelResponse):
                summary = item.message.text
                yield agent.usage_event(item.usage)
    except ProviderError as err:
        yield agent.event(ev.Error, message=f"Compaction failed: {err.message}", kind=err.kind, fatal=False)
        return
    if not summary.strip():
        yield agent.event(ev.Error, message="Compaction failed: the model returned no summary.", fatal=False)
        return
    text = render_summary(summary, open_tasks(agent), touched_files(older))
    summary_msg = Message(role="user", content=[TextBlock(text=text)], is_compaction_summary=True)
    if agent.hooks is not None:
        # As in Claude Code: PostCompact sees the summary; SessionStart (source "compact") may add context to it.
        for outcome in (await agent.hooks.post_compact(trigger, text), await agent.hooks.session_start("compact")):
            for note in outcome.messages:
                yield agent.event(ev.Notice, text=note, level="warning")
            if outcome.additional_context:
                summary_msg.content.append(TextBlock(text=outcome.additional_context))
    kept = [msg.model_copy(update={"id": Message(role=msg.role).id}) for msg in kept]
    done = agent.event(
        ev.Compacted,
        summary_message_id=summary_msg.id,
        summary=text,
        trigger=trigger,
        tokens_before=tokens_before,
        tokens_after=estimate_tokens([summary_msg, *kept]),
        kept_messages=len(kept),
    )
    agent.transcript[:] = []
    yield agent.commit(summary_msg)
    # Stored right after the summary, so a fork from any message after it knows the copies below for what they are.
    agent.record_event(done)
    for msg in kept:
        # Stored again after the boundary, so a resumed session starts from the summary.
        yield agent.commit(msg)
    agent.reset_context_measure()
    yield done


def edit_summary(agent: Agent, message_id: str, text: str) -> bool:
    """Replace a summary's text (the user edited it); it is what the model sees next."""
    for i, msg in enumerate(agent.transcript):
        if msg.id == message_id and msg.is_compaction_summary:
            agent.transcript[i] = msg.model_copy(update={"content": [TextBlock(text=text)]})
            if agent.store is not None and agent.session_id:
                agent.store.append_event(agent.session_id, "summary_edited", {"message_id": message_id, "text": text})
            return True
    return False
