from claw_tui import entry

entry()
