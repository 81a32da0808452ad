"""The trust question: a screen of its own naming what the folder's configuration would run."""

from __future__ import annotations

from textual.app import App

from claw_tui.ui.screens.trust import TrustScreen
from claw_tui.ui.theming import CLAW_VARIABLES, register_themes


class TrustApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def on_mount(self) -> None:
        register_themes(self)
        self.theme = "claw-dark"
        self.push_screen(
            TrustScreen(
                "~/src/shop",
                [
                    "PreToolUse hook (Bash) runs `./scripts/audit.sh`",
                    "MCP server db runs `uvx mcp-server-postgres postgresql://localhost/shop`",
                    "anthropic requests, with your key, go to https://proxy.example.com",
                    "runs without asking: Bash(npm test:*), Edit(src/**)",
                ],
            )
        )


def test_trust_screen(snap_compare):
    """You should see "Do you trust this folder?" over the app, the folder, four bullet lines naming the
    hook command, the MCP server's command, the proxy address and the allow rules, then "Y trusts it
    now … N or Esc: not now"."""
    assert snap_compare(TrustApp(), terminal_size=(100, 24))
