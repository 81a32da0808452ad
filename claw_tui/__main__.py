from claw_tui.cli import entry

entry()
