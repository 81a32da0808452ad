"""The `claw` command's first code: a module that loads nothing, so that a Ctrl+C while claw's own
modules load is reported as one at any later moment is (cli.entry), not as a traceback."""

import sys


def entry() -> None:
    try:
        from claw_tui.cli import entry as run
    except KeyboardInterrupt:
        print("claw: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    run()
