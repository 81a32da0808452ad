"""Folder trust in the app: the question on its own screen at start, and `/trust`, both at once.

The screen names what the folder's own configuration would run (hook commands, MCP servers,
language servers, where requests would go, the rules it would add). Trusting it re-reads the
configuration into the running agent, trusts the project's MCP servers it named and starts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from claw_tui.config import load_config, trust_folder
from claw_tui.core.home_paths import short_path

if TYPE_CHECKING:
    from claw_tui.mcp import ServerConfig
    from claw_tui.ui.screens.main import MainScreen


def what_would_run(screen: MainScreen) -> list[str]:
    """Each thing the folder's configuration asks for that waits for trust, in words."""
    cwd = screen.cwd
    now, trusted = load_config(cwd, trusted=False), load_config(cwd, trusted=True)
    items: list[str] = []
    for event, matchers in trusted.settings.hooks.items():
        if matchers == now.settings.hooks.get(event):
            continue
        for matcher in matchers:
            for hook in matcher.hooks:
                where = f" ({matcher.matcher})" if matcher.matcher not in ("", "*") else ""
                items.append(f"{event} hook{where} runs `{hook.command}`")
    for name in ("anthropic", "openai", "local"):
        url = getattr(trusted.settings.providers, name).base_url
        if url and url != getattr(now.settings.providers, name).base_url:
            items.append(f"{name} requests, with your key, go to {url}")
    if trusted.settings.lsp and trusted.settings.lsp != now.settings.lsp:
        for language, server in trusted.settings.lsp.items():
            items.append(f"{language} language server runs `{server.get('command', '?')}`")
    allowed = {r.rule for r in now.rules if r.behavior == "allow"}
    extra = [r.rule for r in trusted.rules if r.behavior == "allow" and r.rule not in allowed]
    if extra:
        items.append("runs without asking: " + ", ".join(extra))
    shown = {"hooks", "providers", "lsp", "permissions.allow"}
    items += [w for w in now.withheld if w.split(" from ")[0] not in shown]
    items += [f"MCP server {s.name} runs `{' '.join([s.command or '', *s.args]).strip() or s.url}`" for s in _waiting_servers(screen)]
    return items


def _waiting_servers(screen: MainScreen) -> list[ServerConfig]:
    manager = screen.mcp_manager
    if manager is None:
        return []
    return [manager.config(s.name) for s in manager.statuses() if s.status == "needs-trust"]


async def ask_at_start(screen: MainScreen) -> None:
    """At start, for a folder whose configuration waits: the question on its own screen."""
    from claw_tui.ui.screens.trust import TrustScreen

    items = what_would_run(screen)
    if not items:
        return

    async def answered(yes: bool | None) -> None:
        if yes:
            await trust_now(screen)
        else:
            await screen.conversation.add_note("Not trusted: the folder's own hooks, servers and settings stay out (/trust allows them).", "warning")

    screen.app.push_screen(TrustScreen(short_path(screen.cwd), items), callback=answered)


async def trust_now(screen: MainScreen) -> None:
    """Trust the folder and let its configuration take effect in this session (`/trust`, or Y on the screen)."""
    cwd = screen.cwd
    waited = trust_folder(cwd, name_servers=False)  # the servers started below are named once, below
    config = load_config(cwd, trusted=True)
    if screen.agent is not None:
        screen.agent.apply_config(config)
    started = []
    if (manager := screen.mcp_manager) is not None:
        for server in _waiting_servers(screen):
            await manager.trust(server.name)
            started.append(server.name)
    named = waited + [f"MCP server {name}" for name in started]
    if named:
        await screen.conversation.add_note(f"Trusted {short_path(cwd)}: {', '.join(named)} now take effect.")
    else:
        await screen.conversation.add_note(f"Trusted {short_path(cwd)}; its settings ask for nothing that waited.")
