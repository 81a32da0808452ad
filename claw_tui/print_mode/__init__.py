"""Print mode: `claw -p` and Claude Code's print-mode protocol."""
