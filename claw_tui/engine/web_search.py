"""WebSearch's backend: the current model's provider searches the web server-side, in a call of
its own (as Claude Code's WebSearch does), and the session pays for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from claw_tui.core import events as ev
from claw_tui.providers.base import ProviderError

if TYPE_CHECKING:
    from claw_tui.engine.agent import Agent
    from claw_tui.providers.base import WebSearchResult
    from claw_tui.tools.web import SearchResults


async def search(agent: Agent, query: str, allowed: list[str] | None, blocked: list[str] | None) -> SearchResults:
    from claw_tui.tools.base import ToolError
    from claw_tui.tools.web import SearchResults

    provider, native = await agent.provider_for(agent.model)
    searcher = provider.web_searcher
    if searcher is None:
        raise ToolError(f"WebSearch is not available with {agent.model}: its API has no web search.")
    try:
        found = await searcher.web_search(native, query, allowed, blocked)
    except ProviderError as err:
        raise ToolError(f"The web search failed: {err.message}") from None
    return SearchResults(found.text, [(hit.title, hit.url) for hit in found.hits], _usage(agent, found))


def _usage(agent: Agent, found: WebSearchResult) -> ev.Usage:
    """The search call's cost, added to the session's; the context gauge stays as it is."""
    from claw_tui.providers.base import PRICE_PER_SEARCH_USD

    return agent.usage_event(found.usage, extra_usd=found.searches * PRICE_PER_SEARCH_USD, measures_context=False)
