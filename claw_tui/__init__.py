"""claw: a full-screen terminal coding agent."""

__version__ = "0.1.0"


def entry() -> None:
    """The `claw` command (cli.entry), reached through a module that loads nothing: a Ctrl+C while
    claw's own modules load is reported as one at any later moment is, not as a traceback."""
    import sys

    try:
        from claw_tui.cli import entry as run
    except KeyboardInterrupt:
        print("claw: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    run()
