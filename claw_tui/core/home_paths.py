"""A path as people write it: `~/src/app` for one under the home directory (the home itself is `~`)."""

from __future__ import annotations

from pathlib import Path


def short_path(path: str | Path, home: Path | None = None) -> str:
    """`path` with the home directory as `~`, whether it is given through the home's real path or a link."""
    p = Path(path)
    home = home or Path.home()
    for base in dict.fromkeys((home, home.resolve())):
        if p == base:
            return "~"
        if p.is_relative_to(base):
            return f"~/{p.relative_to(base).as_posix()}"
    return str(p)
