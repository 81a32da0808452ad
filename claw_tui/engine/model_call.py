"""One model call of a turn: the request, the stream with its retries, and what has streamed so far.

What has streamed is kept for a cancel: the partial reply goes into the transcript, and the call's
usage (the server counted the input when the stream started) into the session's cost.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from claw_tui.core import events as ev
from claw_tui.core.transcript import Message, TextBlock, repair
from claw_tui.engine import system_prompt
from claw_tui.providers.base import ModelRequest, ModelResponse, Provider, ProviderError, TokenUsage, ToolSpec

if TYPE_CHECKING:
    from claw_tui.engine.agent import Agent


class ModelCall:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._partial: Message | None = None  # the reply of the attempt streaming now
        self._streamed_chars = 0  # of this attempt, for the usage of a call a cancel cuts short
        self._provider: Provider | None = None  # the one streaming

    def request(self, native_model: str, provider: Provider) -> ModelRequest:
        agent = self.agent
        # WebSearch runs on the provider's server-side search: not offered where the API has none.
        offered = [t for t in agent.tools.values() if t.name != "WebSearch" or provider.web_searcher is not None]
        return ModelRequest(
            model=native_model,
            system=system_prompt.build(
                agent.cwd,
                agent.ctx.roots,
                agent.model,
                memory=agent.memory_prompt,
                extra=agent.append_system_prompt,
                base=system_prompt.BASE if agent.system_prompt is None else agent.system_prompt,
            ),
            messages=repair(agent.transcript),
            tools=[ToolSpec(name=t.name, description=t.description, input_schema=t.schema()) for t in offered],
            max_tokens=agent.settings.max_tokens,
            thinking_budget=agent.settings.thinking_budget,
        )

    async def stream(self) -> AsyncGenerator[Any, None]:
        """Stream one model response, retrying what a new attempt can fix."""
        agent = self.agent
        attempts = agent.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            self._partial = Message(role="assistant", model=agent.model)
            self._streamed_chars = 0
            try:
                provider, native = await agent.provider_for(agent.model)
                self._provider = provider
                async with aclosing(provider.stream(self.request(native, provider))) as stream:
                    async for item in stream:
                        if isinstance(item, ModelResponse):
                            item.message.model = agent.model
                            self._partial = None
                            yield item
                            return
                        self._track(item)
                        yield item.model_copy(update={"agent_id": agent.agent_id})
                raise ProviderError("The model's stream ended without a final message.", kind="stream")
            except ProviderError as err:
                streamed = bool(self._partial and self._partial.content)
                self._partial = None
                if not err.retryable or attempt == attempts:
                    msg = err.message if attempt == 1 else f"{err.message} (gave up after {attempt} attempts)"
                    yield agent.event(ev.Error, message=msg, kind=err.kind, status=err.status)
                    return
                delay = self._retry_delay(err, attempt)
                if delay is None:
                    yield agent.event(
                        ev.Error,
                        message=f"{err.message} The provider asks to wait {err.retry_after:.0f} s; try again later.",
                        kind=err.kind,
                        status=err.status,
                    )
                    return
                yield agent.event(
                    ev.Retrying,
                    attempt=attempt,
                    max_attempts=attempts - 1,
                    delay_s=delay,
                    reason=err.message,
                    kind=err.kind,
                    status=err.status,
                    discard_partial=streamed or err.partial,
                )
                await asyncio.sleep(delay)

    def take_partial(self) -> Message | None:
        """The reply streamed so far by a call that did not finish, once."""
        partial, self._partial = self._partial, None
        return partial

    def cut_short_usage(self) -> TokenUsage | None:
        """What a call a cancel cut short used, where the provider reports it mid-stream."""
        usage = self._provider.take_cut_short_usage() if self._provider is not None else None
        if usage is None:
            return None
        # The stream's start reports a placeholder output count (1); what streamed is what was made.
        streamed = -(-self._streamed_chars // 4)
        reported = usage.output_tokens if usage.output_tokens > 1 else 0
        usage = usage.model_copy(update={"output_tokens": max(streamed, reported)})
        return usage if usage != TokenUsage() else None

    def _retry_delay(self, err: ProviderError, attempt: int) -> float | None:
        s = self.agent.settings
        if err.retry_after is not None:
            return None if err.retry_after > s.max_retry_wait else max(0.0, err.retry_after)
        backoff = s.retry_base_delay * (2 ** (attempt - 1))
        return min(s.max_retry_wait, backoff * (1 + random.random() * 0.25))

    def _track(self, item: Any) -> None:
        """Mirror streamed text into the partial reply kept if the turn is cancelled."""
        if isinstance(item, ev.TextDelta | ev.ThinkingDelta):
            self._streamed_chars += len(item.text)
        elif isinstance(item, ev.ToolCallInputDelta):
            self._streamed_chars += len(item.partial_json)
        partial = self._partial
        if partial is None:
            return
        last = partial.content[-1] if partial.content else None
        if isinstance(item, ev.TextDelta):
            if isinstance(last, TextBlock):
                last.text += item.text
            else:
                partial.content.append(TextBlock(text=item.text))
        # Unsigned thinking cannot be replayed; it is shown, not kept.
