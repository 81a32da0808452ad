"""The command palette's providers: claw's themes (/theme) and the slash commands of the calling screen.
Loaded when the palette first opens: Textual's palette module is not needed to start."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from claw_tui.ui.app import ClawApp
    from claw_tui.ui.commands import SlashCommand


class ClawThemeProvider(Provider):
    """The /theme picker: every registered theme, claw's own first; highlighting previews it."""

    def _themes(self) -> list[str]:
        app: ClawApp = self.app  # type: ignore[assignment]
        ours = sorted(app.claw_theme_names)
        return ours + sorted(name for name in app.available_themes if name not in app.claw_theme_names)

    async def discover(self) -> Hits:
        app: ClawApp = self.app  # type: ignore[assignment]
        for name in self._themes():
            yield DiscoveryHit(name, lambda name=name: app.apply_theme_choice(name), text=name)

    async def search(self, query: str) -> Hits:
        app: ClawApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        for name in self._themes():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), lambda name=name: app.apply_theme_choice(name), text=name)


class SlashCommandProvider(Provider):
    """The palette's view of the registry: the commands available on the calling screen."""

    def _commands(self) -> Iterable[tuple[SlashCommand, Callable[[], Any]]]:
        app: ClawApp = self.app  # type: ignore[assignment]
        main = app.main_screen
        on_modal = self.screen is not main
        for command in main.registry.available(main):
            if on_modal and not command.over_modals:
                continue
            yield command, partial(main.run_command, command, "")

    async def discover(self) -> Hits:
        for command, run in self._commands():
            yield DiscoveryHit(f"{command.slash}  {command.title}", run, text=command.slash, help=command.help_with_key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, run in self._commands():
            label = f"{command.slash}  {command.title}"
            if (score := matcher.match(label)) > 0:
                yield Hit(score, matcher.highlight(label), run, text=command.slash, help=command.help_with_key)
