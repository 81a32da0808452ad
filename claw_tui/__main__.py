from claw_tui.entry import entry

entry()
