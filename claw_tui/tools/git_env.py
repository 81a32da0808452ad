"""The environment for claw's own git calls: nothing a repository configures gets to run.

A repository's own config (`.git/config`, which arrives with a copied or downloaded folder) can
name programs that git runs as a side effect: `core.fsmonitor` on every status, a pager, hooks,
and the filter and diff drivers (`clean`, `smudge`, `process`, `textconv`) that `.gitattributes`
picks. claw reads that config (reading runs nothing) and passes overrides through
`GIT_CONFIG_COUNT`, so its git calls run git alone. Drivers from the user's own config (such
as git-lfs, set up in ~/.gitconfig) still run: the user chose them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

# Neutral values per driver setting: `cat` passes content through; an empty `process` is none.
_DRIVER_OVERRIDES = {"clean": "cat", "smudge": "cat", "process": "", "textconv": "cat"}
_REPOSITORY_SCOPES = ("local", "worktree")


def repository_drivers(cwd: Path) -> list[str]:
    """Filter and diff driver settings (`filter.lfs.clean`…) defined by the repository's own config."""
    try:
        listed = subprocess.run(
            ["git", "config", "--show-scope", "-z", "--get-regexp", r"^(filter|diff)\..*\.(clean|smudge|process|textconv)$"],
            cwd=cwd,
            env=_without_overrides(os.environ),
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    keys = []
    # -z: "scope\0key\nvalue\0" per entry
    fields = listed.stdout.decode("utf-8", "replace").split("\0")
    for scope, entry in zip(fields[0::2], fields[1::2], strict=False):
        if scope in _REPOSITORY_SCOPES:
            keys.append(entry.split("\n", 1)[0])
    return keys


def safe_git_env(cwd: Path, base: Mapping[str, str] | None = None, *, hooks: bool = False) -> dict[str, str]:
    """`base` (default: os.environ) plus the overrides for git calls in the repository at `cwd`.

    `hooks=True` keeps the repository's hooks (a commit the user approved runs its pre-commit).
    """
    overrides = {"core.fsmonitor": "false", "core.pager": "cat"}
    if not hooks:
        overrides["core.hooksPath"] = os.devnull
    for key in repository_drivers(cwd):
        overrides[key] = _DRIVER_OVERRIDES[key.rsplit(".", 1)[1]]
    env = _without_overrides(os.environ if base is None else base)
    env.pop("GIT_EXTERNAL_DIFF", None)
    env["GIT_PAGER"] = "cat"
    env["GIT_CONFIG_COUNT"] = str(len(overrides))
    for index, (key, value) in enumerate(overrides.items()):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def _without_overrides(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without GIT_CONFIG_* entries, which would shift or hide claw's own."""
    return {k: v for k, v in env.items() if not k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_", "GIT_CONFIG_COUNT"))}
