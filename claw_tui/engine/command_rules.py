"""What a simple shell command really does, beyond the program its first word names.

A permission rule such as `Bash(sed:*)` is written for what the program usually does. This
module knows, per program, what else it can do: options and script features that run other
code or write files (`sed 'w FILE'`, `awk 'BEGIN{system(…)}'`, `find -exec`, `git --output`,
`sort -o`), the files it writes, and the commands it runs through wrappers (`env`, `timeout`,
`xargs`, `sudo`, `bash -c`). The permission engine judges the inner command by its rules, treats
every written file as a write, and lets a prefix rule vouch only for what it spells out.

Everything here errs on the side of "this runs code": an option it cannot read, a script it
cannot parse, an awk program with a `>` in it all count as escapes and make the command ask.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from claw_tui.engine import bash_parse
from claw_tui.engine.bash_parse import SimpleCommand


@dataclass(frozen=True)
class Wrapper:
    """A program that runs another: its options taking a value, and what comes before the command."""

    value_options: frozenset[str] = frozenset()
    positional: int = 0  # arguments before the command (timeout's DURATION, chroot's NEWROOT)
    string_options: frozenset[str] = frozenset()  # an option whose value is shell code (`su -c '…'`)
    privileged: bool = False  # runs the command as another user: the inner command's rule does not cover it
    takes_assignments: bool = False  # `env A=1 cmd`
    code_is_rest: bool = False  # the rest of the words is shell code (`eval`, `watch`)


def _opts(*names: str) -> frozenset[str]:
    return frozenset(names)


WRAPPERS: dict[str, Wrapper] = {
    "sudo": Wrapper(_opts("-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "-R", "--user", "--group",
                          "--host", "--prompt", "--close-from", "--chdir", "--role", "--type", "--other-user",
                          "--command-timeout", "--chroot"), privileged=True, takes_assignments=True),
    "doas": Wrapper(_opts("-u", "-C"), privileged=True),
    "pkexec": Wrapper(_opts("--user"), privileged=True),
    "runuser": Wrapper(_opts("-u", "-g", "-G", "--user", "--group", "--supp-group", "-s", "--shell", "-w"),
                       string_options=_opts("-c", "--command"), privileged=True),
    "su": Wrapper(_opts("-s", "--shell", "-g", "--group", "-G", "--supp-group", "-w"), positional=1,
                  string_options=_opts("-c", "--command"), privileged=True),
    "sg": Wrapper(positional=1, string_options=_opts("-c"), privileged=True),
    "chroot": Wrapper(_opts("--userspec", "--groups"), positional=1, privileged=True),
    "unshare": Wrapper(_opts("-S", "--setuid", "-G", "--setgid", "--propagation", "-R", "--root", "-w", "--wd"),
                       privileged=True),
    "nsenter": Wrapper(_opts("-t", "--target", "-S", "--setuid", "-G", "--setgid", "-r", "--root", "-w", "--wd"),
                       privileged=True),
    "env": Wrapper(_opts("-u", "--unset", "-C", "--chdir", "-P"), string_options=_opts("-S", "--split-string"),
                   takes_assignments=True),
    "command": Wrapper(),
    "builtin": Wrapper(),
    "exec": Wrapper(_opts("-a")),
    "nohup": Wrapper(),
    "setsid": Wrapper(),
    "nice": Wrapper(_opts("-n", "--adjustment")),
    "ionice": Wrapper(_opts("-c", "-n", "--class", "--classdata")),
    "timeout": Wrapper(_opts("-s", "--signal", "-k", "--kill-after"), positional=1),
    "time": Wrapper(_opts("-f", "--format", "-o", "--output")),
    "stdbuf": Wrapper(_opts("-i", "-o", "-e", "--input", "--output", "--error")),
    "xargs": Wrapper(_opts("-I", "-n", "-P", "-d", "-E", "-L", "-s", "-a", "--arg-file", "--delimiter", "--max-args",
                           "--max-procs", "--replace", "--eof", "--max-lines", "--max-chars", "--process-slot-var")),
    "flock": Wrapper(_opts("-w", "--timeout", "-E", "--conflict-exit-code"), positional=1,
                     string_options=_opts("-c", "--command")),
    "taskset": Wrapper(positional=1),
    "chrt": Wrapper(positional=1),
    "script": Wrapper(_opts("-T", "--log-timing", "-I", "--log-in", "-O", "--log-out", "-B", "--log-io", "-E",
                            "--echo"), string_options=_opts("-c", "--command")),
    "watch": Wrapper(_opts("-n", "--interval", "-d", "--differences", "-q", "--equexit"), code_is_rest=True),
    "strace": Wrapper(_opts("-e", "-o", "-p", "-s", "-u", "-E", "-a", "-b", "-I", "-O", "-P", "-S", "-X")),
    "ltrace": Wrapper(_opts("-e", "-o", "-p", "-s", "-u", "-a", "-n", "-l", "-x", "-F")),
    "valgrind": Wrapper(),
    "busybox": Wrapper(),
    "unbuffer": Wrapper(),
    "caffeinate": Wrapper(_opts("-t", "-w")),
    "eval": Wrapper(code_is_rest=True),
    **{shell: Wrapper(_opts("-o", "+o", "-O", "+O", "--rcfile", "--init-file"), string_options=_opts("-c"))
       for shell in ("bash", "sh", "zsh", "dash", "ksh", "mksh", "yash")},
}
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "mksh", "yash"})


@dataclass
class Unwrapped:
    """What a wrapper runs."""

    commands: list[SimpleCommand]  # the inner commands (several for `bash -c 'a; b'`)
    at: int  # the index of the word where the inner command (or its code) starts
    privileged: bool = False
    unreadable: bool = False  # the inner code could not be read (an unparseable `bash -c` string, `$CODE`)
    chdir: str | None = None  # `env -C DIR`, `sudo -D DIR`: where the inner command runs


def unwrap(cmd: SimpleCommand) -> Unwrapped | None:
    """The command(s) a wrapper runs, or None when `cmd` is no wrapper (or a wrapper running nothing:
    `env` alone prints the environment, `command -v x` only looks x up)."""
    if not cmd.words:
        return None
    name = os.path.basename(cmd.words[0])
    wrapper = WRAPPERS.get(name)
    if wrapper is None:
        return None
    words = cmd.words
    i = 1
    chdir: str | None = None
    code: str | None = None
    code_at = 0
    assignments: list[str] = []  # `env LD_PRELOAD=x cmd` is `LD_PRELOAD=x cmd`
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        if wrapper.takes_assignments and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word, re.DOTALL):
            assignments.append(word)
            i += 1
            continue
        if not word.startswith(("-", "+")) or word in ("-", "+"):
            break
        option, eq, value = word.partition("=")
        if name in SHELLS and not word.startswith("--") and "c" in word[1:] and word.startswith("-"):
            code, code_at = (words[i + 1] if i + 1 < len(words) else ""), i + 1
            i = len(words)
            break
        if option in wrapper.string_options:
            code, code_at = (value, i) if eq else ((words[i + 1] if i + 1 < len(words) else ""), i + 1)
            i = len(words) if name != "env" else i + (1 if eq else 2)
            if name == "env":  # `env -S 'cmd args' more`: the string is split into words, then the rest follows
                code = " ".join([code, *(_quote(w) for w in words[i:])])
                i = len(words)
            break
        if name == "command" and option in ("-v", "-V"):
            return None
        if option in wrapper.value_options:
            if option in ("-C", "--chdir", "-D", "-w", "--wd"):
                chdir = value if eq else (words[i + 1] if i + 1 < len(words) else None)
            i += 1 if eq else 2
            continue
        if name == "nice" and re.fullmatch(r"-\d+", word):
            i += 1
            continue
        if len(option) > 2 and not option.startswith("--") and option[:2] in wrapper.value_options:
            i += 1  # a short option with its value attached: `sudo -uroot`, `xargs -n1`
            continue
        i += 1
    if code is None and wrapper.code_is_rest:
        code, code_at = (" ".join(_quote(w) for w in words[i:]) if i < len(words) else ""), i
        i = len(words)
    if code is not None:
        return _code(cmd, wrapper, code, code_at, chdir)
    if name in SHELLS:  # `bash script.sh`: runs a script, not a command line; it is its own program
        return None
    i += min(wrapper.positional, max(len(words) - i - 1, 0))
    if i + 1 < len(words) and words[i] in wrapper.string_options:  # `flock FILE -c 'cmd'`, `su USER -c 'cmd'`
        return _code(cmd, wrapper, words[i + 1], i + 1, chdir)
    if i >= len(words):
        return None
    inner_cmd = cmd.shifted(i)
    inner_cmd.assignments = assignments
    return Unwrapped([inner_cmd], i, wrapper.privileged, chdir=chdir)


def _code(cmd: SimpleCommand, wrapper: Wrapper, code: str, at: int, chdir: str | None) -> Unwrapped:
    """What a wrapper running shell code (`bash -c CODE`, `eval …`) runs."""
    if any(j in cmd.dynamic_words for j in range(at, len(cmd.words))):
        return Unwrapped([], at, wrapper.privileged, unreadable=True, chdir=chdir)
    try:
        inner = bash_parse.parse(code).commands
    except bash_parse.BashParseError:
        return Unwrapped([], at, wrapper.privileged, unreadable=True, chdir=chdir)
    return Unwrapped([c for c in inner if c.words or c.assignments], at, wrapper.privileged, chdir=chdir)


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


# --- per-program escapes: options and script features that run code or write files -------------


@dataclass
class Effects:
    """What one simple command does besides reading: found per program."""

    escapes: list[str] = field(default_factory=list)  # the words that run code or write files
    writes: list[str] = field(default_factory=list)  # files it writes on purpose (`-o FILE`, `tee FILE`, `w FILE`)
    operand_writes: list[str] = field(default_factory=list)  # files a writing program changes (`cp a DEST`)
    launched: list[SimpleCommand] = field(default_factory=list)  # commands it runs (`find -exec rm {} ;`)
    unknown_code: bool = False  # it runs code nobody can name before it runs (`awk 'system($0)'`)
    chdir: str | None = None  # `git -C DIR`, `tar -C DIR`: where its own relative paths point


def _option_value(words: list[str], i: int, option: str) -> str | None:
    """The value of `option` at words[i]: `--opt=V`, `--opt V`, `-oV` or `-o V`."""
    word = words[i]
    if word.startswith("--"):
        if word.startswith(option + "="):
            return word[len(option) + 1 :]
        return words[i + 1] if word == option and i + 1 < len(words) else None
    if word == option:
        return words[i + 1] if i + 1 < len(words) else None
    return word[len(option) :] if word.startswith(option) else None


def _matches_option(word: str, option: str) -> bool:
    """`word` uses `option`: `--opt`, `--opt=…`, or a short flag alone, bundled or with its value."""
    if option.startswith("--"):
        return word == option or word.startswith(option + "=")
    if len(option) == 2 and option.startswith("-"):
        return word.startswith("-") and not word.startswith("--") and option[1] in word[1:].split("=")[0]
    return word.startswith(option)  # find's single-dash long options (-exec, -fprint0)


def _short_or_long(word: str, short: str, long: str) -> bool:
    return _matches_option(word, short) or _matches_option(word, long)


def _operands(words: list[str], value_options: frozenset[str] = frozenset()) -> list[str]:
    """The non-option arguments (after `--`, everything), skipping the values of `value_options`."""
    out: list[str] = []
    i, dashdash = 1, False
    while i < len(words):
        word = words[i]
        if dashdash or not word.startswith("-") or word == "-":
            out.append(word)
        elif word == "--":
            dashdash = True
        elif word in value_options:
            i += 1
        i += 1
    return out


# find: options that run the command after them (up to `;` or `+`), and those writing files.
_FIND_EXEC = ("-exec", "-execdir", "-ok", "-okdir")
_FIND_WRITES = ("-fprint", "-fprint0", "-fprintf", "-fls")


def _find(words: list[str], e: Effects) -> None:
    for i, word in enumerate(words):
        if word in _FIND_EXEC:
            e.escapes.append(word)
            end = next((j for j in range(i + 1, len(words)) if words[j] in (";", "+")), len(words))
            if i + 1 < end:
                e.launched.append(SimpleCommand(words=words[i + 1 : end]))
        elif word in _FIND_WRITES:
            e.escapes.append(word)
            if i + 1 < len(words):
                e.writes.append(words[i + 1])
        elif word == "-delete":
            e.escapes.append(word)


def _rg(words: list[str], e: Effects) -> None:
    for i, word in enumerate(words):
        for option in ("--pre", "--hostname-bin"):
            if _matches_option(word, option):
                e.escapes.append(word)
                if (program := _option_value(words, i, option)) is not None:
                    e.launched.append(SimpleCommand(words=[program]))


def _sort(words: list[str], e: Effects) -> None:
    for i, word in enumerate(words):
        if _short_or_long(word, "-o", "--output"):
            e.escapes.append(word)
            value = _option_value(words, i, "--output" if word.startswith("--") else "-o")
            if value is None and word.startswith("-") and not word.startswith("--"):  # bundled: -uo FILE
                value = words[i + 1] if i + 1 < len(words) and word.endswith("o") else word.split("o", 1)[1]
            if value:
                e.writes.append(value)
        elif _matches_option(word, "--compress-program"):
            e.escapes.append(word)
            e.unknown_code = True


def _tee(words: list[str], e: Effects) -> None:
    e.writes.extend(w for w in _operands(words) if w != "-")


def _dd(words: list[str], e: Effects) -> None:
    for word in words[1:]:
        if word.startswith("of="):
            e.writes.append(word[3:])


_TAR_CODE = ("--to-command", "--use-compress-program", "-I", "--checkpoint-action", "--info-script", "-F",
             "--new-volume-script", "--rsh-command", "--rmt-command")


def _tar(words: list[str], e: Effects) -> None:
    for i, word in enumerate(words):
        if any(_matches_option(word, option) for option in _TAR_CODE) or (i == 1 and not word.startswith("-")
                                                                         and "I" in word):
            e.escapes.append(word)
            e.unknown_code = True
        if _short_or_long(word, "-C", "--directory"):
            e.chdir = _option_value(words, i, "--directory" if word.startswith("--") else "-C")


_GIT_GLOBAL_VALUE = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--exec-path",
                     "--super-prefix", "--list-cmds", "--attr-source"}
_GIT_GLOBAL_ESCAPES = ("-c", "--config-env", "--exec-path=", "-C", "--git-dir", "--work-tree")
_GIT_CODE_OPTIONS = ("--ext-diff", "--upload-pack", "--receive-pack", "--exec", "--open-files-in-pager",
                     "--extcmd", "--tool", "--sendmail-cmd", "--smtp-server", "--template", "--config",
                     "--run", "--to-command")
_GIT_CODE_COMMANDS = {"difftool", "mergetool", "filter-branch", "filter-repo", "daemon", "instaweb", "send-email",
                      "web--browse", "credential", "upload-pack", "receive-pack", "shell", "archimport", "cvsimport",
                      "svn", "p4", "remote-ext", "remote-fd"}


def _git(words: list[str], e: Effects) -> None:
    i = 1
    while i < len(words) and words[i].startswith("-"):
        word = words[i]
        option = word.split("=", 1)[0]
        if any(word == p or word.startswith(p if p.endswith("=") else p + "=") or (len(p) == 2 and word == p)
               for p in _GIT_GLOBAL_ESCAPES) or option in ("-c", "-C", "--git-dir", "--work-tree", "--config-env"):
            e.escapes.append(word)
            if option == "-C" and i + 1 < len(words):
                e.chdir = words[i + 1]
        i += 2 if (word in _GIT_GLOBAL_VALUE) else 1
    if i >= len(words):
        return
    sub, args = words[i], words[i + 1 :]
    if sub in _GIT_CODE_COMMANDS:
        e.escapes.append(sub)
        e.unknown_code = True
    elif sub == "bisect" and args[:1] == ["run"]:
        e.escapes.append("run")
        if len(args) > 1:
            e.launched.append(SimpleCommand(words=args[1:]))
    elif sub == "submodule" and "foreach" in args:
        e.escapes.append("foreach")
        e.unknown_code = True
    elif sub == "rebase" and any(_short_or_long(a, "-x", "--exec") for a in args):
        e.escapes.append("--exec")
        e.unknown_code = True
    elif sub == "config" and _git_config_writes(args):
        e.escapes.append("config")
        e.operand_writes.append(".git/config")
    elif sub == "help" and any(_short_or_long(a, "-w", "--web") for a in args):
        e.escapes.append("--web")
        e.unknown_code = True
    elif sub == "grep" and any(a == "-O" or a.startswith("-O") for a in args):
        e.escapes.append("-O")
        e.unknown_code = True
    for j, arg in enumerate(args):
        if any(_matches_option(arg, option) for option in _GIT_CODE_OPTIONS):
            e.escapes.append(arg)
            e.unknown_code = True
        elif _matches_option(arg, "--output"):
            e.escapes.append(arg)
            if (value := _option_value(args, j, "--output")) is not None:
                e.writes.append(value)
        elif arg == "-o" and sub in ("archive", "format-patch") and j + 1 < len(args):
            e.escapes.append(arg)
            e.writes.append(args[j + 1])
        elif sub in ("clone", "fetch", "pull", "ls-remote") and arg == "-u":
            e.escapes.append(arg)
            e.unknown_code = True
    if sub == "bundle" and args[:1] == ["create"] and len(args) > 1:
        e.writes.append(args[1])


def _git_config_writes(args: list[str]) -> bool:
    """`git config` that sets or removes something (not `--get`, `--list`, `get`, `list`)."""
    reading = {"--get", "--get-all", "--get-regexp", "--get-urlmatch", "--list", "-l", "get", "list",
               "--get-color", "--get-colorbool", "--show-origin", "--show-scope"}
    if any(a in reading for a in args):
        return False
    values = [a for a in args if not a.startswith("-")]
    return len(values) >= 2 or any(a.startswith(("--unset", "--add", "--replace", "--rename", "--remove", "-e",
                                                  "--edit")) or a in ("set", "unset") for a in args)


def _sed(words: list[str], e: Effects) -> None:
    scripts: list[str] = []
    operands: list[str] = []
    i = 1
    in_place = False
    while i < len(words):
        word = words[i]
        if word == "--":
            operands.extend(words[i + 1 :])
            break
        if word.startswith("--"):
            if _matches_option(word, "--in-place"):
                in_place = True
                e.escapes.append(word)
            elif _matches_option(word, "--expression"):
                value = _option_value(words, i, "--expression")
                scripts.append(value or "")
                i += 0 if "=" in word else 1
            elif _matches_option(word, "--file"):
                e.escapes.append(word)  # a script nobody has seen
                e.unknown_code = True
                i += 0 if "=" in word else 1
            i += 1
            continue
        if word.startswith("-") and word != "-":
            j = 1
            while j < len(word):
                flag = word[j]
                if flag == "i":
                    in_place = True
                    e.escapes.append(word)
                    break  # -i takes an optional suffix: the rest of the word
                if flag in "ef":
                    value = word[j + 1 :] or (words[i + 1] if i + 1 < len(words) else "")
                    if not word[j + 1 :]:
                        i += 1
                    if flag == "e":
                        scripts.append(value)
                    else:
                        e.escapes.append(word)
                        e.unknown_code = True
                    break
                if flag in "l":  # -l N
                    if not word[j + 1 :]:
                        i += 1
                    break
                j += 1
            i += 1
            continue
        operands.append(word)
        i += 1
    if not scripts and operands:
        scripts.append(operands.pop(0))
    for script in scripts:
        problem = sed_script_escapes(script)
        if problem is not None:
            kind, target = problem
            e.escapes.append(script)
            if kind == "write" and target:
                e.writes.append(target)
            elif kind != "write":
                e.unknown_code = True
                if kind == "exec" and target:
                    try:
                        e.launched.extend(bash_parse.parse(target).commands)
                    except bash_parse.BashParseError:
                        pass
    if in_place:
        e.writes.extend(operands)


_SED_ADDRESS = re.compile(r"\s*(?:\d+(?:~\d+)?|\$|/(?:\\.|[^/\\])*/[IM]*|\\(.)(?:\\.|(?!\1).)*\1[IM]*)")


def sed_script_escapes(script: str) -> tuple[str, str] | None:
    """The first feature of a sed script that runs code or writes a file, as (kind, argument):
    ("exec", CMD) for `e CMD`, ("exec", "") for `s///e`, ("write", FILE) for `w`/`W`/`s///w`, or
    ("unknown", "") for anything this reader cannot follow. None when the script only edits text."""
    s = script
    i = 0
    n = len(s)

    def rest_of_line(k: int) -> tuple[str, int]:
        end = s.find("\n", k)
        end = n if end < 0 else end
        return s[k:end].strip(), end

    while i < n:
        while i < n and s[i] in " \t\n;":
            i += 1
        if i >= n:
            break
        if s[i] == "#":
            _, i = rest_of_line(i)
            continue
        for _ in range(2):  # an address, maybe a range `addr1,addr2`
            m = _SED_ADDRESS.match(s, i)
            if m and m.end() > i:
                i = m.end()
            if i < n and s[i] == ",":
                i += 1
                continue
            break
        while i < n and s[i] in " \t!":
            i += 1
        if i >= n:
            return ("unknown", "")
        cmd = s[i]
        i += 1
        if cmd in "{}":
            continue
        if cmd == "e":
            arg, i = rest_of_line(i)
            return ("exec", arg)
        if cmd in "wW":
            arg, i = rest_of_line(i)
            return ("write", arg)
        if cmd in "aic":  # text to the end of the line, continued while a line ends with a backslash
            text, i = rest_of_line(i)
            while text.endswith("\\") and i < n:
                text, i = rest_of_line(i + 1)
            continue
        if cmd in "rRbtT:":
            _, i = rest_of_line(i) if cmd in "rR:" else _label(s, i)
            continue
        if cmd in "=dDgGhHlnNpPqQxzF" or cmd == "v":
            while i < n and s[i] in " \t0123456789":
                i += 1
            continue
        if cmd in "sy":
            if i >= n or s[i] in "\n\\":
                return ("unknown", "")
            delim = s[i]
            i += 1
            for _ in range(2):
                while i < n and s[i] != delim:
                    i += 2 if s[i] == "\\" else 1
                if i >= n:
                    return ("unknown", "")
                i += 1
            if cmd == "y":
                continue
            while i < n and s[i] not in ";\n}":
                if s[i] == "e":
                    return ("exec", "")
                if s[i] == "w":
                    arg, i = rest_of_line(i + 1)
                    return ("write", arg)
                if s[i] not in "gpiImM0123456789 \t":
                    return ("unknown", "")
                i += 1
            continue
        return ("unknown", "")
    return None


def _label(s: str, i: int) -> tuple[str, int]:
    end = i
    while end < len(s) and s[end] not in ";\n}":
        end += 1
    return s[i:end].strip(), end


_AWK_NAMES = {"awk", "gawk", "mawk", "nawk"}
_AWK_VALUE = {"-F", "-v", "--field-separator", "--assign"}
_AWK_CODE_OPTIONS = ("-f", "--file", "-i", "--include", "-l", "--load", "-E", "--exec")


def _awk(words: list[str], e: Effects) -> None:
    programs: list[str] = []
    i = 1
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        if any(word == o or (o.startswith("--") and word.startswith(o + "=")) or (len(o) == 2 and word.startswith(o)
               and len(word) > 2 and o not in ("-l",)) for o in _AWK_CODE_OPTIONS):
            e.escapes.append(word)
            e.unknown_code = True
            i += 1 if "=" in word or (len(word) > 2 and not word.startswith("--")) else 2
            continue
        if word in ("-e", "--source"):
            programs.append(words[i + 1] if i + 1 < len(words) else "")
            i += 2
            continue
        if word.startswith("--source="):
            programs.append(word.split("=", 1)[1])
            i += 1
            continue
        i += 2 if word in _AWK_VALUE else 1
    if not programs and i < len(words):
        programs.append(words[i])
    for program in programs:
        found = awk_program_escapes(program)
        if found is not None:
            e.escapes.append(program)
            e.unknown_code = True
            e.launched.extend(found)


_AWK_STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def awk_program_escapes(program: str) -> list[SimpleCommand] | None:
    """None when an awk program only reads and prints; otherwise the commands it visibly runs
    (`system("rm x")` gives `rm x`), possibly none. Conservative: any `system`, any pipe, any `>`
    after print or printf, gawk's `@load`/`@include` and `close`-free coprocesses (`|&`) count."""
    bare = _AWK_STRING.sub('""', program)
    launched: list[SimpleCommand] = []
    risky = False
    for m in re.finditer(r"\bsystem\s*\(\s*(\"(?:\\.|[^\"\\])*\")?", program):
        risky = True
        if m.group(1):
            try:
                launched.extend(bash_parse.parse(m.group(1)[1:-1].encode().decode("unicode_escape")).commands)
            except (bash_parse.BashParseError, UnicodeDecodeError):
                pass
    if re.search(r"@\s*(load|include)|\|&|\bgetline\b.*<|\|\s*getline", bare):
        risky = True
    if re.search(r"(?<!\|)\|(?!\|)", bare):
        risky = True
    for statement in re.finditer(r"\bprintf?\b([^;}\n]*)", bare):
        depth = 0
        for ch in statement.group(1):
            depth += ch == "("
            depth -= ch == ")"
            if ch == ">" and depth <= 0:
                risky = True
    return launched if risky else None


_DATE_ESCAPES = ("-s", "--set")


def _simple_escapes(options: tuple[str, ...], *, code: bool = False, output: bool = False) -> Callable[..., None]:
    """A program whose escape is one of `options` (writing its value when `output`)."""

    def inspect(words: list[str], e: Effects) -> None:
        for i, word in enumerate(words[1:], start=1):
            for option in options:
                if _matches_option(word, option):
                    e.escapes.append(word)
                    e.unknown_code = e.unknown_code or code
                    if output and (value := _option_value(words, i, option)) is not None:
                        e.writes.append(value)

    return inspect


def _writes_all_operands(skip_first: bool = False, value_options: frozenset[str] = frozenset()) -> Callable[..., None]:
    def inspect(words: list[str], e: Effects) -> None:
        operands = _operands(words, value_options)
        e.operand_writes.extend(operands[1:] if skip_first else operands)

    return inspect


def _writes_destination(words: list[str], e: Effects) -> None:
    """cp, install, ln: the last operand, or the `-t DIR` target."""
    for i, word in enumerate(words):
        option = "--target-directory" if word.startswith("--") else "-t"
        if _short_or_long(word, "-t", "--target-directory") and (value := _option_value(words, i, option)):
            e.operand_writes.append(value)
            return
    operands = _operands(words, frozenset({"-S", "--suffix", "-m", "--mode", "-o", "--owner", "-g", "--group"}))
    if operands:
        e.operand_writes.append(operands[-1])


PROGRAMS: dict[str, Callable[[list[str], Effects], None]] = {
    "find": _find,
    "rg": _rg,
    "sort": _sort,
    "tee": _tee,
    "dd": _dd,
    "tar": _tar,
    "git": _git,
    "sed": _sed,
    "gsed": _sed,
    **{name: _awk for name in _AWK_NAMES},
    "date": _simple_escapes(_DATE_ESCAPES),
    "tree": _simple_escapes(("-o",), output=True),
    "man": _simple_escapes(("-P", "--pager", "-H", "--html"), code=True),
    "zip": _simple_escapes(("-TT", "--unzip-command"), code=True),
    "rsync": _simple_escapes(("-e", "--rsh", "--rsync-path"), code=True),
    "ssh": _simple_escapes(("-o", "-F"), code=True),
    "scp": _simple_escapes(("-S", "-o", "-F"), code=True),
    "curl": _simple_escapes(("-o", "--output", "-D", "--dump-header", "-c", "--cookie-jar", "--trace",
                             "--trace-ascii", "--stderr", "--libcurl", "--etag-save", "--hsts", "--alt-svc"),
                            output=True),
    "wget": _simple_escapes(("-O", "--output-document", "-o", "--output-file", "-a", "--append-output"),
                            output=True),
    "npm": _simple_escapes(("--script-shell",), code=True),
    "yq": _simple_escapes(("-i", "--inplace"), output=False),
    "cp": _writes_destination,
    "install": _writes_destination,
    "ln": _writes_destination,
    "mv": _writes_all_operands(value_options=frozenset({"-S", "--suffix", "-t", "--target-directory"})),
    **{name: _writes_all_operands() for name in ("touch", "mkdir", "rm", "rmdir", "truncate", "shred", "unlink")},
    **{name: _writes_all_operands(skip_first=True) for name in ("chmod", "chown", "chgrp")},
}
# `time -o FILE` and `strace -o FILE` write a file before running what they wrap.
_WRAPPER_OUTPUTS = {"time": ("-o", "--output"), "strace": ("-o",), "ltrace": ("-o",), "script": ()}


def effects(cmd: SimpleCommand) -> Effects:
    """What `cmd` (one simple command, not unwrapped) does besides reading."""
    e = Effects()
    if not cmd.words:
        return e
    name = os.path.basename(cmd.words[0])
    inspect = PROGRAMS.get(name)
    if inspect is not None:
        inspect(cmd.words, e)
    for option in _WRAPPER_OUTPUTS.get(name, ()):
        for i, word in enumerate(cmd.words[1:], start=1):
            if _matches_option(word, option) and (value := _option_value(cmd.words, i, option)):
                e.writes.append(value)
    return e


# --- the program a computed name probably is, for deny rules ----------------------------------------


def static_value(word: str, variables: dict[str, str]) -> str | None:
    """`word` with the expansions a script could use to hide a name worked out: `${IFS}` (a space),
    variables assigned a literal earlier on the command line, and `$(echo …)`; None if anything else
    is left."""
    out = word
    out = re.sub(r"\$\{IFS(:[^}]*)?\}|\$IFS\b", lambda m: "" if m.group(1) else " ", out)

    def var(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name in variables:
            return variables[name]
        raise KeyError(name)

    def echoed(m: re.Match[str]) -> str:
        try:
            inner = bash_parse.parse(m.group(1) or m.group(2) or "").commands
        except bash_parse.BashParseError:
            raise KeyError(m.group(0)) from None
        if len(inner) == 1 and inner[0].words[:1] in (["echo"], ["printf"]) and not inner[0].dynamic_words:
            args = [a for a in inner[0].words[1:] if a not in ("-n", "-e")]
            if inner[0].words[0] == "printf" and any("%" in a for a in args[:1]):
                raise KeyError(m.group(0))
            return " ".join(args)
        raise KeyError(m.group(0))

    try:
        out = re.sub(r"\$\(([^()]*)\)|`([^`]*)`", echoed, out)
        out = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", var, out)
    except KeyError:
        return None
    return None if "$" in out or "`" in out else out
