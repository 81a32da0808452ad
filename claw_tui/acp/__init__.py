"""The Agent Client Protocol front end: `claw acp` (stdio) and the warm engine (`claw serve`).

Built on the official `agent-client-protocol` SDK. Like the TUI, it drives agents through the
engine's events and never imports Textual, Rich or claw_tui.ui.
"""
