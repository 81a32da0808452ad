"""`claw` entry point (filled in by the engine-core work)."""

import sys


def main(argv: list[str] | None = None) -> None:
    sys.exit(0)
