"""A whole command line's effects, resolved: every command it runs, the files it writes and reads.

The permission engine judges a Bash call by these. Redirections, `tee` and output-file options
are writes, resolved against the directory the command really runs in (after `cd`, `pushd` or a
program's `-C DIR`); where that directory cannot be known, every relative write is an unknown
one. Commands are seen through wrappers (`env`, `timeout`, `bash -c`, `sudo`…) and through the
commands programs launch (`find -exec`, `rg --pre`), and a computed program name (`$R`,
`$(echo rm)`, `rm${IFS}f`) is worked out where it can be, for deny rules.
"""

from __future__ import annotations

import glob
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from claw_tui.engine import command_rules
from claw_tui.engine.bash_parse import SimpleCommand

HARMLESS_TARGETS = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero"}
_MAX_DEPTH = 6  # wrappers within wrappers


@dataclass
class Leaf:
    """One command that runs: the command line's own, or one a wrapper or a program starts."""

    command: SimpleCommand
    via: str = ""  # the wrapper or program that starts it ("" for the command line's own)


@dataclass
class BashEffects:
    leaves: list[Leaf] = field(default_factory=list)
    writes: list[Path] = field(default_factory=list)  # redirections, tee, output-file options
    program_writes: list[Path] = field(default_factory=list)  # what cp, mv, rm… change
    reads: list[Path] = field(default_factory=list)  # existing paths named as arguments or `< file`
    unknown_write: str | None = None  # a write whose target is not known before it runs
    computed: list[str] = field(default_factory=list)  # programs named by expansions no one can work out
    unknown_code: bool = False  # code that runs but cannot be named (`awk '{system($0)}'`)
    views: list[list[str]] = field(default_factory=list)  # every command as deny and ask rules see it


def resolve(target: str, cwd: Path) -> Path:
    path = Path(os.path.expanduser(target))
    if not path.is_absolute():
        path = cwd / path
    return path.resolve()


def _is_dynamic(word: str) -> bool:
    return "$" in word or "`" in word or "<(" in word or ">(" in word


def _unknowable(word: str) -> bool:
    """A path whose value only bash knows: an expansion, a glob or a brace list (`~` is not one)."""
    return _is_dynamic(word) or any(c in word for c in "*?[") or ("{" in word and "}" in word)


def leaves(cmd: SimpleCommand, depth: int = 0, via: str = "") -> Iterator[Leaf]:
    """`cmd` and every command it starts, through wrappers and launching options."""
    yield Leaf(cmd, via)
    if depth >= _MAX_DEPTH or not cmd.words:
        return
    name = os.path.basename(cmd.words[0])
    unwrapped = command_rules.unwrap(cmd)
    if unwrapped is not None:
        for inner in unwrapped.commands:
            yield from leaves(inner, depth + 1, name)
    for launched in command_rules.effects(cmd).launched:
        yield from leaves(launched, depth + 1, name)


def views(cmd: SimpleCommand, variables: dict[str, str]) -> tuple[list[list[str]], bool]:
    """The ways deny and ask rules see one command: as written, without its assignments, its program
    named by its base name (`/usr/bin/rm` is `rm`), and with computed words worked out. The flag says
    the program's name is computed and could not be worked out."""
    words = list(cmd.words)
    seen = [[*cmd.assignments, *words], words]
    if words and "/" in words[0]:
        seen.append([os.path.basename(words[0]), *words[1:]])
    unresolved = False
    if cmd.dynamic_words:
        expanded: list[str] = []
        for i, word in enumerate(words):
            if i in cmd.dynamic_words and _is_dynamic(word):
                value = command_rules.static_value(word, variables)
                if value is None:
                    unresolved = unresolved or i == 0
                    expanded.append(word)
                    continue
                expanded.extend(value.split())
            else:
                expanded.append(word)
        if expanded != words:
            seen.append(expanded)
            if expanded and "/" in expanded[0]:
                seen.append([os.path.basename(expanded[0]), *expanded[1:]])
    return seen, unresolved


def analyse(commands: list[SimpleCommand], cwd: Path) -> BashEffects:
    """What the command line made of `commands` (in order, as bash_parse gives them) does."""
    out = BashEffects()
    cwds: list[Path] | None = [cwd]
    variables: dict[str, str] = {}
    for cmd in commands:
        if not cmd.words:
            _assign(cmd.assignments, variables)
        _redirects(cmd, cwds, out)
        for leaf in leaves(cmd):
            inner = leaf.command
            seen, unresolved = views(inner, variables)
            out.views.extend(seen)
            out.leaves.append(leaf)
            if unresolved:
                out.computed.append(inner.words[0])
            if not inner.words:
                continue
            name = os.path.basename(inner.words[0])
            if name == "export":
                _assign(inner.words[1:], variables)
            effects = command_rules.effects(inner)
            out.unknown_code = out.unknown_code or effects.unknown_code
            unwrapped = command_rules.unwrap(inner)
            if unwrapped is not None and unwrapped.unreadable:
                out.unknown_code = True
            bases = cwds
            if effects.chdir is not None or (unwrapped is not None and unwrapped.chdir is not None):
                chdir = effects.chdir if effects.chdir is not None else unwrapped.chdir  # type: ignore[union-attr]
                bases = None if chdir is None or _is_dynamic(chdir) or cwds is None else [
                    resolve(chdir, c) for c in cwds]
            _targets(effects.writes, bases, out.writes, out, strict=True)
            _targets(effects.operand_writes, bases, out.program_writes, out, strict=False)
            _reads(inner, cwds, out)
        cwds = _after_cd(cmd, cwds)
    return out


def _assign(words: list[str], variables: dict[str, str]) -> None:
    for word in words:
        name, eq, value = word.partition("=")
        if eq and name.isidentifier() and not _is_dynamic(value):
            variables[name] = value


def _redirects(cmd: SimpleCommand, cwds: list[Path] | None, out: BashEffects) -> None:
    for redirect in cmd.redirects:
        op = redirect.op.lstrip("0123456789")
        if redirect.writes_file:
            if redirect.target in HARMLESS_TARGETS:
                continue
            if redirect.dynamic and _unknowable(redirect.target):
                out.unknown_write = out.unknown_write or f"{redirect.op} {redirect.target}"
                continue
            _targets([redirect.target], cwds, out.writes, out, strict=True, label=redirect.op)
        elif op == "<" and not _unknowable(redirect.target) and cwds is not None:
            out.reads.extend(resolve(redirect.target, c) for c in cwds)


def _targets(values: list[str], bases: list[Path] | None, into: list[Path], out: BashEffects, *, strict: bool,
             label: str = "") -> None:
    for value in values:
        if value in HARMLESS_TARGETS or value == "-":
            continue
        if _unknowable(value) or (bases is None and not os.path.isabs(value) and not value.startswith("~")):
            if strict:
                out.unknown_write = out.unknown_write or (f"{label} {value}".strip())
            continue
        for base in bases or [Path("/")]:
            path = resolve(value, base)
            if path not in into:
                into.append(path)


def _reads(cmd: SimpleCommand, cwds: list[Path] | None, out: BashEffects) -> None:
    """Arguments naming existing paths (globs expanded), for `Read(…)` deny and ask rules."""
    if cwds is None:
        return
    for i, word in enumerate(cmd.words[1:], start=1):
        if word.startswith("-"):
            if not (word.startswith("--") and "=" in word):
                continue
            word = word.split("=", 1)[1]
        if not word or (i in cmd.dynamic_words and "$" in word) or "`" in word:
            continue
        for base in cwds:
            if any(c in word for c in "*?["):
                pattern = str(resolve(word, base)) if not os.path.isabs(word) else word
                out.reads.extend(Path(p).resolve() for p in glob.glob(pattern)[:200])
                continue
            path = resolve(word, base)
            if os.path.lexists(path):
                out.reads.append(path)


def _after_cd(cmd: SimpleCommand, cwds: list[Path] | None) -> list[Path] | None:
    """Where later commands may run once `cmd` ran: a `cd` adds its target to the candidates (a
    branch of `||` or a subshell may not have taken it); a target nobody can know makes it unknown."""
    words = cmd.words
    if not words or words[0] not in ("cd", "pushd", "popd", "builtin") or cwds is None:
        return cwds
    if words[0] == "builtin":
        words = words[1:]
    if not words or words[0] == "popd":
        return None if words else cwds
    args = [w for w in words[1:] if not w.startswith("-") or w == "-"]
    if not args:
        return [*cwds, Path.home().resolve()]
    target = args[0]
    if target == "-" or _is_dynamic(target) or any(i in cmd.dynamic_words and "$" in w for i, w in enumerate(words)):
        return None
    return [*cwds, *(resolve(target, c) for c in cwds)]


def show(command: SimpleCommand) -> str:
    return shlex.join(command.words)
