"""Modes and rules → allow / ask / deny, with the reason a person can read.

Rules follow Claude Code's syntax: `Tool`, `Tool(specifier)`, `mcp__server`, `mcp__server__tool`.
Deny beats ask beats allow, whatever the order or the file. Bash rules match every simple
command of a compound command (see bash_parse), path rules match resolved paths with
gitignore-style globs, and nothing outside the workspace roots is written without an allow
rule that names the place.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from claw_tui.config import RuleSource
from claw_tui.engine import bash_effects, bash_parse, command_rules, rule_words
from claw_tui.engine.bash_effects import BashEffects
from claw_tui.tools import protected
from claw_tui.tools.base import FileEditTool, Tool, ToolContext, ToolKind

Behavior = Literal["allow", "ask", "deny"]

PLAN_MODE_REASON = "plan mode: read-only until the plan is approved"
OUTSIDE_WRITE_REASON = "outside the workspace: writes always ask"
OUTSIDE_READ_REASON = "outside the workspace: reads ask"

# Tools that only touch claw's own state (the task list, the plan, a question to the user).
# TaskStop is here too: it stops a background command the agent itself started.
ALWAYS_ALLOWED = frozenset(
    {"TaskCreate", "TaskGet", "TaskList", "TaskUpdate", "TaskOutput", "TaskStop", "AskUserQuestion",
     "EnterPlanMode", "ExitPlanMode"}
)

# Read-only commands a sandboxed Bash may run without asking, unless they use an option that
# runs code or writes (command_rules knows which).
_SAFE_COMMANDS = frozenset({
    "ls", "cat", "head", "tail", "wc", "pwd", "echo", "printf", "grep", "egrep", "fgrep", "file", "stat",
    "du", "df", "which", "whoami", "uname", "true", "false", "basename", "dirname", "realpath", "readlink",
    "cut", "tr", "diff", "cmp", "comm", "nl", "od", "id", "sha256sum", "sha1sum", "md5sum", "test", "[",
    "cd", "seq", "find", "sort", "rg", "date", "tree", "git",
})
_SAFE_GIT = {"status", "diff", "log", "show", "blame", "ls-files", "rev-parse", "grep", "shortlog", "describe"}
# Commands that run other commands or destroy: an "always allow" prefix rule for them would allow anything.
_NO_PREFIX_SUGGESTION = {
    *command_rules.WRAPPERS, "fish", "source", ".", "rm", "dd", "chmod", "chown",
}


@dataclass(frozen=True)
class Guard:
    """What the permission engine enforces besides rules and modes."""

    protect_paths: bool = True  # writes to protected paths ask in every mode (sandbox.protected_paths)
    # Commands run unsandboxed although the user did not turn the sandbox off (bubblewrap is missing,
    # or a repository turned it off): no mode or rule lets a command run unasked.
    unsandboxed_commands_ask: bool = False


@dataclass(frozen=True)
class Decision:
    behavior: Behavior
    reason: str


@dataclass(frozen=True)
class _Rule:
    source: RuleSource
    tool: str
    specifier: str | None  # None: the whole tool

    @property
    def text(self) -> str:
        return self.source.rule

    def describe(self) -> str:
        return f"{self.source.behavior} rule {self.source.rule} from {self.source.source}"


@dataclass
class _Call:
    """What one tool call would do, worked out once per decision."""

    tool: Tool
    kind: ToolKind
    target: str | None
    paths: list[Path]
    git_words: list[str] | None = None  # Git: the `git …` command line it amounts to, for Bash rules
    git_repo: Path | None = None  # Git commit or branch: the work tree it writes
    command: list[bash_parse.SimpleCommand] | None = None  # Bash, when it parsed
    parse_error: str | None = None  # Bash, when it did not
    effects: BashEffects = field(default_factory=BashEffects)  # Bash: what the command line does

    @property
    def is_bash(self) -> bool:
        return self.tool.name == "Bash"

    @property
    def write_targets(self) -> list[Path]:
        """Bash: the files written by redirections, tee and output options (each needs write permission)."""
        return self.effects.writes

    @property
    def dynamic_write(self) -> bool:
        return self.effects.unknown_write is not None

    @property
    def write_paths(self) -> list[Path]:
        if self.is_bash:
            return [*self.effects.writes, *self.effects.program_writes]
        return self.paths if self.kind == ToolKind.WRITE else []

    @property
    def read_paths(self) -> list[Path]:
        return self.paths if self.kind == ToolKind.READ else []


_RULE_RE = re.compile(r"\s*([A-Za-z0-9_.*-]+)\s*(?:\((.*)\))?\s*", re.DOTALL)


def parse_rule(text: str) -> tuple[str, str | None]:
    """`Bash(git diff:*)` → ("Bash", "git diff:*"); raise ValueError for anything else."""
    match = _RULE_RE.fullmatch(text)
    if not match:
        raise ValueError(f"not a permission rule: {text!r} (expected Tool or Tool(specifier))")
    tool, spec = match.group(1), match.group(2)
    if spec is not None:
        spec = spec.strip()
        if spec in ("", "*"):
            spec = None
    return tool, spec


class PermissionEngine:
    def __init__(self, mode: str, rules: list[RuleSource], roots: list[Path], *, guard: Guard | None = None) -> None:
        self.mode = mode
        self.guard = guard or Guard()
        self.mode_before_plan: str | None = None  # set by EnterPlanMode, restored when the plan is approved
        self.roots = [Path(r).resolve() for r in roots]
        self._rules: list[_Rule] = []
        self.problems: list[str] = []  # rules that could not be read, for /permissions and /doctor
        for rule in rules:
            self._add(rule)

    # --- rules ------------------------------------------------------------------------

    def _add(self, source: RuleSource) -> None:
        try:
            tool, spec = parse_rule(source.rule)
        except ValueError as exc:
            self.problems.append(f"{exc} in {source.source}; ignored")
            return
        self._rules.append(_Rule(source, tool, spec))

    def add_rule(self, behavior: Behavior, rule: str, source: str) -> None:
        self._add(RuleSource(behavior, rule, source))

    def replace_rules(self, rules: list[RuleSource], roots: list[Path]) -> None:
        """Rules and roots from settings read again; the rules of this run (flags, the session's) stay."""
        kept = [r.source for r in self._rules if r.source.source in ("flags", "session")]
        self.roots = [Path(r).resolve() for r in roots]
        self._rules, self.problems = [], []
        for rule in [*rules, *kept]:
            self._add(rule)

    def rules_for_display(self) -> list[RuleSource]:
        return [r.source for r in self._rules]

    def allows_local_network(self, host: str) -> bool:
        """Whether the user's own allow rules name `host` for WebFetch (`WebFetch(domain:localhost)`),
        opting it in to addresses on this machine's own network; a repository's rules never do."""
        from claw_tui.config import USER_LAYERS

        for rule in self._rules_for("allow"):
            spec = rule.specifier or ""
            if rule.tool != "WebFetch" or not spec.startswith("domain:") or spec[7:].strip() in ("", "*"):
                continue
            if rule.source.source in (*USER_LAYERS, "session") and fnmatchcase(host.lower(), spec[7:].strip().lower()):
                return True
        return False

    def read_denied_paths(self) -> list[Path]:
        """The existing paths the `Read(…)` deny rules name: the sandbox covers them, so commands
        cannot read what the Read tool may not."""
        root = self.roots[0] if self.roots else Path.cwd()
        paths: list[Path] = []
        for rule in self._rules_for("deny"):
            if rule.tool == "Read" and rule.specifier:
                paths.extend(p for p in _existing_matches(rule.specifier, root) if p not in paths)
        return paths

    # --- deciding ---------------------------------------------------------------------

    def decide(self, tool: Tool, input: BaseModel, ctx: ToolContext, *, sandboxed: bool) -> Decision:
        decision = self._decide(tool, input, ctx, sandboxed=sandboxed)
        if decision.behavior == "allow" and tool.name == "Bash" and not sandboxed and self.guard.unsandboxed_commands_ask:
            return Decision("ask", f"{_unsandboxed_reason()}; it would have been allowed ({decision.reason})")
        return decision

    def _decide(self, tool: Tool, input: BaseModel, ctx: ToolContext, *, sandboxed: bool) -> Decision:
        call = self._call(tool, input, ctx)
        for rule in self._rules_for("deny"):
            if self._matches_any_part(rule, call):
                return Decision("deny", rule.describe())
        if tool.name.startswith("mcp__") and (changed := _changed_mcp_tool(tool)) is not None:
            return Decision("ask", changed)  # a new tool under an old name: no rule or mode approved it
        if call.is_bash and (hidden := self._unjudgeable(call)) is not None:
            return Decision("ask", hidden)
        safe_in_sandbox = sandboxed and call.is_bash and self._read_only_command(call, ctx)
        if (
            self.mode == "plan"
            and tool.name not in ALWAYS_ALLOWED
            and call.kind != ToolKind.READ
            and not safe_in_sandbox
        ):
            return Decision("deny", PLAN_MODE_REASON)
        for rule in self._rules_for("ask"):
            if self._matches_any_part(rule, call):
                return Decision("ask", rule.describe())
        if tool.name in ALWAYS_ALLOWED:
            return Decision("allow", f"{tool.name} only changes claw's own state and is always allowed")
        config = [p for p in call.write_paths if self._is_configuration(p)]
        if config:
            return Decision("ask", f"writes to configuration always ask ({config[0]})")
        if call.git_repo is not None and not self._inside(call.git_repo):
            return Decision("ask", f"{OUTSIDE_WRITE_REASON} (the repository at {call.git_repo})")
        allowed_by = self._allowed_by(call)
        if allowed_by is not None:
            return Decision("allow", allowed_by)
        if call.dynamic_write or any(not self._inside(p) for p in call.write_paths):
            return Decision("ask", OUTSIDE_WRITE_REASON)
        if self.mode == "bypassPermissions":
            return Decision("allow", "mode bypassPermissions: everything but deny rules is allowed")
        if any(not self._inside(p) for p in call.read_paths):
            return Decision("ask", OUTSIDE_READ_REASON)
        mode = self.mode if self.mode in ("default", "acceptEdits", "plan") else "default"
        if call.kind == ToolKind.READ:
            return Decision("allow", f"mode {mode}: reads inside the workspace are allowed")
        if safe_in_sandbox:
            return Decision("allow", f"mode {mode}: read-only command, run in the sandbox")
        if call.kind == ToolKind.WRITE:
            if mode == "acceptEdits" and isinstance(tool, FileEditTool):
                return Decision("allow", "mode acceptEdits: edits inside the workspace are allowed")
            return Decision("ask", f"mode {mode}: writes ask")
        if call.parse_error:
            return Decision("ask", f"mode {mode}: commands ask; this one could not be read ({call.parse_error})")
        if call.is_bash and call.write_targets and mode != "acceptEdits" and self._commands_allowed(call):
            shown = os.path.relpath(call.write_targets[0], ctx.cwd)
            return Decision("ask", f"mode {mode}: the command writes {shown}; a rule allows a command, not its writes")
        return Decision("ask", f"mode {mode}: commands and network access ask")

    def _unjudgeable(self, call: _Call) -> str | None:
        """Why deny rules cannot be checked on this command line: a program whose name is computed at
        run time, or code that runs unnamed (`awk '{system($0)}'`). None without Bash deny rules."""
        denies = [r for r in self._rules if r.tool == "Bash" and r.specifier and r.source.behavior != "allow"]
        if not denies:
            return None
        if call.effects.computed:
            return (f"the program `{call.effects.computed[0]}` is computed at run time, so {denies[0].describe()} "
                    "cannot be checked")
        if call.effects.unknown_code:
            return f"the command runs code that cannot be named in advance, so {denies[0].describe()} cannot be checked"
        return None

    def _commands_allowed(self, call: _Call) -> bool:
        bash_rules = [r for r in self._rules_for("allow") if r.tool == "Bash"]
        return call.command is not None and all(self._cover(c, bash_rules) is not None for c in call.command)

    def _rules_for(self, behavior: Behavior) -> list[_Rule]:
        return [r for r in self._rules if r.source.behavior == behavior]

    def _call(self, tool: Tool, input: BaseModel, ctx: ToolContext) -> _Call:
        kind = tool.kind_for(input)
        try:
            target = tool.rule_target(input, ctx)
        except (ValueError, TypeError):  # a malformed target matches no specifier; the call is still decided
            target = None
        try:
            paths = [Path(p).resolve() for p in tool.touched_paths(input, ctx)]
        except (OSError, ValueError, RuntimeError):
            paths = []
        call = _Call(tool=tool, kind=kind, target=target, paths=paths)
        if tool.name == "Git":  # its module loads with the tool's first call, not with every decision
            from claw_tui.tools.git import Git, repository_root

            if isinstance(tool, Git):
                call.git_words = tool.shell_words(input)  # type: ignore[arg-type]  # validated as the Git tool's input
                if kind == ToolKind.WRITE:
                    call.git_repo = repository_root(ctx.cwd)
        if call.is_bash:
            command = target if target is not None else str(getattr(input, "command", ""))
            call.target = command
            try:
                call.command = bash_parse.parse(command).commands
            except bash_parse.BashParseError as exc:
                call.parse_error = str(exc)
                return call
            call.effects = bash_effects.analyse(call.command, ctx.cwd)
        return call

    # --- matching ---------------------------------------------------------------------

    def _names_match(self, rule: _Rule, call: _Call) -> bool:
        name = call.tool.name
        if rule.tool == name:
            return True
        if rule.tool.startswith("mcp__") and name.startswith("mcp__"):
            if rule.tool.count("__") == 1:  # mcp__server: every tool of the server
                return name.startswith(rule.tool + "__")
            return fnmatchcase(name, rule.tool)
        if rule.tool == "Edit":  # Edit rules cover every tool that edits files
            return isinstance(call.tool, FileEditTool)
        if rule.tool == "Read":  # Read rules cover every tool that reads files
            return call.kind == ToolKind.READ and bool(call.paths)
        return False

    def _matches_any_part(self, rule: _Rule, call: _Call) -> bool:
        """For deny and ask: does the rule hit any part of the call?"""
        if call.is_bash and rule.tool == "Edit" and rule.specifier is not None:
            return any(self._path_matches(rule.specifier, p) for p in call.write_paths)
        if call.is_bash and rule.tool == "Read" and rule.specifier is not None:
            return any(self._path_matches(rule.specifier, p) for p in call.effects.reads)
        if call.git_words is not None and rule.tool == "Bash" and rule.specifier is not None:
            return _bash_matches(rule.specifier, call.git_words)  # `Bash(git commit:*)` decides the Git tool too
        if not self._names_match(rule, call):
            return False
        if rule.specifier is None:
            return True
        if call.is_bash:
            if call.command is None:  # unparseable: match the raw text as best we can
                return _bash_text_matches(rule.specifier, (call.target or "").split())
            return any(_bash_matches(rule.specifier, words) for words in call.effects.views)
        if call.paths:
            return any(self._path_matches(rule.specifier, p) for p in call.paths)
        return self._target_matches(rule.specifier, call)

    def _allowed_by(self, call: _Call) -> str | None:
        """The allow rules that cover the whole call, described; None when something is left out."""
        rules = self._rules_for("allow")
        used: list[_Rule] = []
        outside_writes = [p for p in call.write_paths if not self._inside(p)]
        outside_reads = [p for p in call.read_paths if not self._inside(p)]
        if call.dynamic_write:
            return None
        if call.is_bash:
            edit_rules = [r for r in rules if r.tool == "Edit" and r.specifier]
            for path in outside_writes:  # `> ~/file` needs an Edit rule naming the place
                rule = next((r for r in edit_rules if self._path_matches(r.specifier or "", path)), None)
                if rule is None:
                    return None
                used.append(rule)
            for path in call.write_targets:  # a rule allows a command, never its writes: they need their own
                if not self._inside(path):
                    continue
                rule = next((r for r in edit_rules if self._path_matches(r.specifier or "", path)), None)
                if rule is not None:
                    used.append(rule)
                elif self.mode not in ("acceptEdits", "bypassPermissions"):
                    return None
            bash_rules = [r for r in rules if r.tool == "Bash"]
            if call.command is None:
                rule = next((r for r in bash_rules if r.specifier is None), None)
                if rule is None:
                    return None
                used.append(rule)
            else:
                for cmd in call.command:
                    covered = self._cover(cmd, bash_rules)
                    if covered is None:
                        return None
                    used.extend(covered)
        else:
            outside = outside_writes + outside_reads
            for rule in rules:
                if call.git_words is not None and rule.tool == "Bash" and rule.specifier and not outside:
                    command = bash_parse.SimpleCommand(words=call.git_words)
                    if _allow_matches(rule.specifier, command, None):
                        used.append(rule)
                        break
                if not self._names_match(rule, call):
                    continue
                if rule.specifier is None:
                    if not outside:  # a bare rule never reaches outside the workspace
                        used.append(rule)
                        break
                    continue
                if call.paths:
                    if all(self._path_matches(rule.specifier, p) for p in call.paths):
                        used.append(rule)
                        break
                elif self._target_matches(rule.specifier, call):
                    used.append(rule)
                    break
            if not used:
                return None
        unique = list(dict.fromkeys(used))
        if not unique:  # an empty command: nothing to vouch for, let the mode decide
            return None
        if len(unique) == 1:
            return unique[0].describe()
        return "allow rules " + ", ".join(f"{r.text} from {r.source.source}" for r in unique)

    def _cover(self, cmd: bash_parse.SimpleCommand, rules: list[_Rule], depth: int = 0) -> list[_Rule] | None:
        """The allow rules covering `cmd`: one naming it (a wrapper only with what it runs), or, for a
        wrapper that runs as the same user (`env`, `timeout`, `xargs`, `bash -c`), rules covering every
        command it runs. None when something is left uncovered."""
        unwrapped = command_rules.unwrap(cmd)
        for rule in rules:
            if _allow_matches(rule.specifier, cmd, unwrapped):
                return [rule]
        if (
            unwrapped is None
            or unwrapped.privileged
            or unwrapped.unreadable
            or not unwrapped.commands
            or cmd.name_is_computed
            or cmd.assignments
            or depth >= 6
        ):
            return None
        used: list[_Rule] = []
        for inner in unwrapped.commands:
            covered = self._cover(inner, rules, depth + 1)
            if covered is None:
                return None
            used.extend(covered)
        return used

    def _target_matches(self, spec: str, call: _Call) -> bool:
        target = call.target
        if target is None:
            return False
        if call.tool.name == "WebFetch":
            return spec.startswith("domain:") and fnmatchcase(target.lower(), spec[7:].strip().lower())
        return fnmatchcase(str(target), spec)

    def _path_matches(self, spec: str, path: Path) -> bool:
        regex = _path_regex(spec, self.roots[0] if self.roots else Path.cwd())
        return any(regex.fullmatch(str(p)) for p in (path, *path.parents))

    def _inside(self, path: Path) -> bool:
        return any(path == r or path.is_relative_to(r) for r in self.roots)

    def _is_configuration(self, path: Path) -> bool:
        """A protected path (see tools/protected): git internals, agent configuration, shell start-up."""
        return self.guard.protect_paths and protected.is_protected(path, self.roots)

    # --- sandboxed read-only commands ---------------------------------------------------

    def _read_only_command(self, call: _Call, ctx: ToolContext) -> bool:
        """Every part is a known read-only command whose paths stay inside the workspace."""
        if call.command is None or call.write_targets or call.dynamic_write or not call.command:
            return False
        cwd = ctx.cwd.resolve()
        guarded = [r for r in self._rules if r.tool == "Read" and r.specifier and r.source.behavior != "allow"]

        def readable(path: Path) -> bool:
            inside = self._inside(path)
            return inside and not any(self._path_matches(r.specifier or "", path) for r in guarded)

        if call.effects.program_writes or call.effects.unknown_code:
            return False
        for cmd in call.command:
            if cmd.assignments or not cmd.words or cmd.name_is_computed:
                return False
            name, args = cmd.words[0], cmd.words[1:]
            if name not in _SAFE_COMMANDS or command_rules.effects(cmd).escapes:
                return False
            if name == "git" and (not args or args[0] not in _SAFE_GIT):
                return False
            if name == "cd" and (len(args) != 1 or args[0].startswith("-")):
                return False
            for i, arg in enumerate(args, start=1):
                if i in cmd.dynamic_words and ("$" in arg or "`" in arg):
                    return False
                if arg.startswith("-"):
                    if not (arg.startswith("--") and "=" in arg):
                        continue
                    arg = arg.split("=", 1)[1]
                if not readable(_resolve(arg, cwd)) or not readable(_resolve(arg, ctx.cwd)):
                    return False
            for redirect in cmd.redirects:
                target = redirect.target
                if redirect.op.lstrip("0123456789").startswith("<<") or target.isdigit() or target == "-":
                    continue
                if target in bash_effects.HARMLESS_TARGETS:
                    continue
                if redirect.dynamic or not readable(_resolve(target, cwd)):
                    return False
            if name == "cd":
                cwd = _resolve(args[0], cwd)
        return True

    # --- "always allow for this session" --------------------------------------------------

    def suggest_rule(self, tool: Tool, input: BaseModel, ctx: ToolContext) -> str | None:
        """A narrow allow rule covering this call, or None when no safe one exists."""
        call = self._call(tool, input, ctx)
        if call.is_bash:
            return _suggest_bash(call)
        if call.write_paths and any(self._is_configuration(p) for p in call.write_paths):
            return None
        if call.paths:
            if len(call.paths) != 1 or tool.name not in ("Read", "Edit", "Write", "NotebookEdit", "Glob", "Grep"):
                return tool.name if all(self._inside(p) for p in call.paths) else None
            family = "Edit" if isinstance(tool, FileEditTool) else "Read"
            spec = self._path_spec(call.paths[0], directory=tool.name in ("Glob", "Grep"))
            return f"{family}({spec})" if spec else None
        if tool.name == "WebFetch":
            return f"WebFetch(domain:{call.target})" if call.target else None
        if call.target and tool.name == "Git":
            return f"Git({call.target})"
        return tool.name

    def rule_in_words(self, rule: str) -> str:
        """What allowing `rule` lets through, in a user's words (a leading `/` is this project's folder)."""
        return rule_words.allowing(rule, self.roots[0] if self.roots else Path.cwd())

    def _path_spec(self, path: Path, *, directory: bool) -> str | None:
        folder = path if directory else path.parent
        root = self.roots[0] if self.roots else None
        home = Path.home().resolve()
        if root is not None and folder.is_relative_to(root):
            rel = folder.relative_to(root).as_posix()
            if rel == ".":
                spec = "/**"  # the whole project, as "allow all edits this session" means
            else:
                spec = f"{rel}/**" if "/" in rel else f"/{rel}/**"
        elif folder.is_relative_to(home) and folder != home:
            spec = f"~/{folder.relative_to(home).as_posix()}/**"
        else:
            spec = f"/{folder.as_posix()}/**"
        literal = spec.removesuffix("/**")
        if any(c in literal for c in "*?[]()"):
            return None  # a rule for this place would be read as a pattern
        return spec


_resolve = bash_effects.resolve


def _unsandboxed_reason() -> str:
    from claw_tui.tools.sandbox import detect

    status = detect()
    if status.available:
        return "the sandbox is off by a repository's setting, not yours, so commands run unsandboxed and every one asks"
    return f"the sandbox is unavailable ({status.reason}), so commands run unsandboxed and every one asks"


def _allow_matches(spec: str | None, cmd: bash_parse.SimpleCommand, unwrapped: command_rules.Unwrapped | None) -> bool:
    """Does the allow rule `spec` vouch for `cmd` as it is written? Never for a computed program
    name or an option the rule does not spell out that runs code or writes (command_rules); for a
    wrapper, only when the rule spells out what the wrapper runs (`Bash(timeout 60 npm test:*)`)."""
    if spec is None:
        return True
    if cmd.name_is_computed:  # `$CMD args`, `r''m`: no rule can vouch for what runs
        return False
    words = [*cmd.assignments, *cmd.words]
    if not _bash_matches(spec, words):
        return False
    named = _split(spec.removesuffix(":*"))
    if unwrapped is not None and not _exact(spec):
        literal = _literal_prefix(spec)
        if len(literal) <= len(cmd.assignments) + unwrapped.at:
            return False
    return all(escape in named for escape in command_rules.effects(cmd).escapes)


def _exact(spec: str) -> bool:
    return not spec.endswith(":*") and "*" not in spec


def _literal_prefix(spec: str) -> list[str]:
    """The words a prefix or wildcard rule fixes, before `:*` or the first word with a `*`."""
    words = _split(spec.removesuffix(":*"))
    return words if spec.endswith(":*") else list(itertools.takewhile(lambda w: "*" not in w, words))


def _bash_matches(spec: str, words: list[str]) -> bool:
    if not words:
        return False
    if spec.endswith(":*"):
        prefix = _split(spec[:-2])
        return bool(prefix) and words[: len(prefix)] == prefix
    if _split(spec) == words:  # exactly the command, even one with a quoted `*` (`find -name '*.o'`)
        return True
    return "*" in spec and _bash_text_matches(spec, words)


def _bash_text_matches(spec: str, words: list[str]) -> bool:
    if spec.endswith(":*"):
        spec = spec[:-2] + " *"
    if "*" not in spec:
        return _split(spec) == words
    pattern = re.escape(spec).replace(r"\*", ".*")
    if spec.endswith(" *") and spec.count("*") == 1:  # `ls *` matches `ls` too, never `lsof`
        pattern = pattern[: -len(r"\ .*")] + r"(?: .*)?"
    return re.fullmatch(pattern, " ".join(words), re.DOTALL) is not None


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _suggest_bash(call: _Call) -> str | None:
    if call.command is None or len(call.command) != 1 or call.dynamic_write or call.write_targets:
        return None
    cmd = call.command[0]
    if cmd.assignments or not cmd.words or cmd.name_is_computed:
        return None
    words = cmd.words
    if (words[0] in _NO_PREFIX_SUGGESTION or any("\n" in w for w in words) or command_rules.effects(cmd).escapes
            or "/" in words[0]):
        if cmd.dynamic_words:
            return None
        return f"Bash({shlex.join(words)})"
    prefix = words[:1]
    if len(words) > 1 and 1 not in cmd.dynamic_words and re.fullmatch(r"[A-Za-z][\w:.-]*", words[1]):
        prefix = words[:2]
    return f"Bash({' '.join(prefix)}:*)"


_GLOB_SPECIAL = set("*?[")


def _path_regex(spec: str, root: Path) -> re.Pattern[str]:
    """A rule's path pattern as a regex over resolved absolute paths (gitignore-style):
    `//abs`, `~/home`, `/from-project-root`, and `relative` (any depth when it has no slash)."""
    return re.compile(_glob_to_regex(_path_pattern(spec, root)), re.DOTALL)


_WALK_ENTRIES = 50_000  # a `Read(**/.env)` rule is looked for in this many directory entries at most


def _existing_matches(spec: str, root: Path) -> list[Path]:
    """The existing paths a rule's path pattern names (a directory whole, without what is inside)."""
    pattern = _path_pattern(spec, root)
    parts = pattern.split("/")
    literal = list(itertools.takewhile(lambda p: not any(c in _GLOB_SPECIAL for c in p), parts))
    base = Path("/".join(literal) or "/")
    rest = parts[len(literal) :]
    if not rest or rest == ["**"]:
        return [base] if os.path.lexists(base) else []
    regex = re.compile(_glob_to_regex(pattern), re.DOTALL)
    found: list[Path] = []
    stack, seen = [base], 0
    while stack and seen < _WALK_ENTRIES:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if regex.fullmatch(entry.path):
                found.append(Path(entry.path))
            elif entry.is_dir(follow_symlinks=False) and entry.name != ".git":
                stack.append(Path(entry.path))
    return found


def _path_pattern(spec: str, root: Path) -> str:
    home = str(Path.home().resolve())
    if spec.startswith("//"):
        pattern = spec[1:]
    elif spec == "~" or spec.startswith("~/"):
        pattern = home + spec[1:]
    elif spec.startswith("/"):
        pattern = str(root) + spec
    else:
        rel = spec.removeprefix("./")
        pattern = f"{root}/{rel}" if "/" in rel.rstrip("/") else f"{root}/**/{rel}"
    if pattern.endswith("/"):
        pattern += "**"
    return _resolve_literal_prefix(pattern)


def _resolve_literal_prefix(pattern: str) -> str:
    """Resolve `..` and symlinks in the part of the pattern before its first wildcard."""
    parts = pattern.split("/")
    literal: list[str] = []
    for part in parts:
        if any(c in _GLOB_SPECIAL for c in part):
            break
        literal.append(part)
    rest = parts[len(literal) :]
    base = str(Path("/".join(literal) or "/").resolve())
    return base if not rest else base.rstrip("/") + "/" + "/".join(rest)


def _glob_to_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("/**/", i):
            out.append("(?:/.*)?/")
            i += 4
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def _changed_mcp_tool(tool: Tool) -> str | None:
    """Why an MCP server's tool changed since it was allowed (the MCP client loads only with servers)."""
    from claw_tui.mcp.tools import McpTool

    return tool.changed_since_approval() if isinstance(tool, McpTool) else None
