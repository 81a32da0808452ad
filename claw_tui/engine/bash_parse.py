"""Split a shell command line into the simple commands it would run, and see its redirections.

Permission rules name simple commands (`Bash(git status:*)`), so a compound command is
allowed only when every part is: `git status; rm -rf ~` must never pass as `git status`.
This is a small tokenizer for the parts of bash that decide *what runs*: quotes, escapes,
operators (`;` `&&` `||` `|` `|&` `&` newlines), subshells and groups, command and process
substitution (`$(…)`, backticks, `<(…)`, `>(…)`), here-documents and redirections. Anything
it cannot read with certainty raises `BashParseError`, and an unparseable command never
matches an allow rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Redirection operators, longest first so `>>` is not read as `>`.
_REDIRECT_OPS = ("&>>", "<<<", "<<-", "&>", ">>", ">|", "<>", ">&", "<&", "<<", ">", "<")
_WRITE_OPS = {">", ">>", ">|", "&>", "&>>", "<>"}
_CONTROL_OPS = ("&&", "||", "|&", ";;", ";", "|", "&", "\n")
# Words that open or close a compound command; they are not commands themselves.
_RESERVED_LEADING = {"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"}
_RESERVED_ALONE = {"fi", "done", "esac", "}"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")
_GLOB_CHARS = set("*?[")


class BashParseError(ValueError):
    """The command cannot be read with certainty (unbalanced quotes, unknown syntax)."""


@dataclass
class Redirect:
    op: str  # ">", ">>", "<", "2>", "&>", "<<<", …
    target: str  # the file (unquoted), or an fd number for `2>&1`
    dynamic: bool = False  # the target contains an expansion ($VAR, $(…), a glob)

    @property
    def writes_file(self) -> bool:
        op = self.op.lstrip("0123456789")
        if op == ">&":  # `>&2` duplicates a descriptor; `>& file` writes the file
            return not (self.target.isdigit() or self.target == "-")
        return op in _WRITE_OPS


@dataclass
class SimpleCommand:
    words: list[str]  # the argv, unquoted, without leading VAR=value assignments
    assignments: list[str] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    dynamic_words: set[int] = field(default_factory=set)  # indexes of words with expansions or globs
    quoted_words: set[int] = field(default_factory=set)  # indexes of words with quotes or backslashes in them

    @property
    def text(self) -> str:
        return " ".join([*self.assignments, *self.words])

    @property
    def name_is_dynamic(self) -> bool:
        """The program to run is decided at run time (`$CMD args`): no rule can vouch for it."""
        return 0 in self.dynamic_words

    @property
    def name_is_computed(self) -> bool:
        """The program's name is dynamic or spelled with quotes or backslashes (`r''m`, `\\rm`): a
        spelling made to look like something else, which no allow rule vouches for."""
        return 0 in self.dynamic_words or 0 in self.quoted_words

    def shifted(self, start: int) -> SimpleCommand:
        """The command from word `start` on (what a wrapper such as `env` or `timeout` runs)."""
        return SimpleCommand(
            words=self.words[start:],
            dynamic_words={i - start for i in self.dynamic_words if i >= start},
            quoted_words={i - start for i in self.quoted_words if i >= start},
        )


@dataclass
class ParsedCommand:
    commands: list[SimpleCommand]

    @property
    def redirects(self) -> list[Redirect]:
        return [r for c in self.commands for r in c.redirects]


@dataclass
class _Word:
    value: str = ""
    dynamic: bool = False
    started: bool = False
    quoted: bool = False


class _Parser:
    def __init__(self, text: str, depth: int) -> None:
        if depth > 20:
            raise BashParseError("command substitutions nested too deeply")
        self.s = text
        self.i = 0
        self.depth = depth
        self.commands: list[SimpleCommand] = []
        self.nested: list[SimpleCommand] = []  # commands inside substitutions
        self.pending_heredocs: list[tuple[str, bool]] = []  # (delimiter, expands)
        self.parens = 0  # open subshells

    # --- driver -----------------------------------------------------------------------

    def parse(self) -> list[SimpleCommand]:
        current = SimpleCommand(words=[])
        while True:
            self._skip_blanks()
            if self.i >= len(self.s):
                break
            ch = self.s[self.i]
            if ch == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
                continue
            op = self._control_op()
            if op is not None:
                self._finish(current)
                current = SimpleCommand(words=[])
                if op == "\n" and self.pending_heredocs:
                    self._read_heredocs()
                continue
            if ch in "()":
                if ch == "(" and (current.words or current.assignments):
                    raise BashParseError("unexpected '(' (function definitions are not supported)")
                self.parens += 1 if ch == "(" else -1
                if self.parens < 0:
                    raise BashParseError("unbalanced ')'")
                self.i += 1
                self._finish(current)
                current = SimpleCommand(words=[])
                continue
            redirect = self._redirect_op()
            if redirect is not None:
                if redirect.startswith("<<") and not redirect.startswith("<<<"):
                    word = self._word()
                    if not word.started:
                        raise BashParseError("here-document without a delimiter")
                    self.pending_heredocs.append((word.value, not word.quoted))
                    current.redirects.append(Redirect(redirect, word.value))
                    continue
                self._skip_blanks()
                if redirect[-1] in "<>" and self.s.startswith("(", self.i):  # `> (` is a syntax error
                    raise BashParseError("unexpected '(' after a redirection")
                word = self._word()
                if not word.started:
                    raise BashParseError(f"redirection {redirect!r} without a target")
                current.redirects.append(Redirect(redirect, word.value, word.dynamic))
                continue
            word = self._word()
            if not word.started:
                raise BashParseError(f"unexpected character {ch!r}")
            if not current.words and not word.quoted and _ASSIGNMENT.match(word.value):
                current.assignments.append(word.value)
                continue
            if word.dynamic:
                current.dynamic_words.add(len(current.words))
            if word.quoted:
                current.quoted_words.add(len(current.words))
            current.words.append(word.value)
        self._finish(current)
        if self.parens:
            raise BashParseError("unbalanced '('")
        if self.pending_heredocs:
            raise BashParseError("here-document without its body")
        return self.commands + self.nested

    def _finish(self, command: SimpleCommand) -> None:
        while command.words and command.words[0] in _RESERVED_LEADING and not command.name_is_computed:
            dropped = 2 if command.words[:2] == ["time", "-p"] else 1  # the `time` keyword takes -p
            del command.words[:dropped]
            command.dynamic_words = {i - dropped for i in command.dynamic_words if i >= dropped}
            command.quoted_words = {i - dropped for i in command.quoted_words if i >= dropped}
        if len(command.words) == 1 and command.words[0] in _RESERVED_ALONE:
            command.words = []
        if command.words or command.assignments or command.redirects:
            self.commands.append(command)

    # --- lexing -----------------------------------------------------------------------

    def _skip_blanks(self) -> None:
        while self.i < len(self.s):
            if self.s[self.i] in " \t":
                self.i += 1
            elif self.s.startswith("\\\n", self.i):
                self.i += 2
            else:
                break

    def _control_op(self) -> str | None:
        for op in _CONTROL_OPS:
            if self.s.startswith(op, self.i):
                if op == "&" and self.s.startswith("&>", self.i):
                    return None
                self.i += len(op)
                return op
        return None

    def _redirect_op(self) -> str | None:
        start = j = self.i
        while j < len(self.s) and self.s[j].isdigit():
            j += 1
        for op in _REDIRECT_OPS:
            if self.s.startswith(op, j):
                if op in ("<", ">") and self.s.startswith("(", j + 1):
                    return None  # process substitution, read as a word
                if j > start and op.startswith("&"):
                    return None
                self.i = j + len(op)
                return self.s[start:j] + op
        return None

    def _word(self) -> _Word:
        word = _Word()
        s = self.s
        while self.i < len(s):
            ch = s[self.i]
            if ch in " \t\n;&|()":
                if ch == "(" and word.started and word.value.endswith(("@", "!", "+", "*", "?")):
                    raise BashParseError("extended globs are not supported")
                break
            if ch in "<>" and not self._is_process_sub():
                break
            word.started = True
            if ch == "\\":
                if self.i + 1 >= len(s):
                    raise BashParseError("a backslash ends the command")
                if s[self.i + 1] != "\n":
                    word.value += s[self.i + 1]
                self.i += 2
                word.quoted = True
            elif ch == "'":
                end = s.find("'", self.i + 1)
                if end < 0:
                    raise BashParseError("unbalanced single quote")
                word.value += s[self.i + 1 : end]
                word.quoted = True
                self.i = end + 1
            elif ch == '"':
                self._double_quoted(word)
            elif ch == "$":
                self._dollar(word)
            elif ch == "`":
                self._backtick(word)
            elif ch in "<>":  # process substitution <(…) / >(…)
                self.i += 1
                self._substitution(word, "(", ")")
            else:
                if ch in _GLOB_CHARS or (ch == "~" and not word.value) or (ch == "}" and "{" in word.value):
                    word.dynamic = True
                word.value += ch
                self.i += 1
        return word

    def _is_process_sub(self) -> bool:
        return self.s[self.i] in "<>" and self.s.startswith("(", self.i + 1)

    def _double_quoted(self, word: _Word) -> None:
        s = self.s
        self.i += 1
        word.quoted = True
        while True:
            if self.i >= len(s):
                raise BashParseError("unbalanced double quote")
            ch = s[self.i]
            if ch == '"':
                self.i += 1
                return
            if ch == "\\" and self.i + 1 < len(s):
                nxt = s[self.i + 1]
                word.value += nxt if nxt in '"\\$`' else ("" if nxt == "\n" else ch + nxt)
                self.i += 2
            elif ch == "$":
                self._dollar(word)
            elif ch == "`":
                self._backtick(word)
            else:
                word.value += ch
                self.i += 1

    def _dollar(self, word: _Word) -> None:
        s = self.s
        nxt = s[self.i + 1] if self.i + 1 < len(s) else ""
        if s.startswith("$((", self.i):
            end = _matching(s, self.i + 1, "(", ")")
            inner = s[self.i + 3 : end - 1]
            if "$(" in inner or "`" in inner:
                raise BashParseError("command substitution inside arithmetic")
            word.value += s[self.i : end + 1]
            word.dynamic = True
            self.i = end + 1
        elif nxt == "(":
            self.i += 1
            self._substitution(word, "(", ")")
        elif nxt == "{":
            end = _matching(s, self.i + 1, "{", "}")
            inner = s[self.i + 2 : end]
            if "$(" in inner or "`" in inner or "<(" in inner or ">(" in inner:
                raise BashParseError("command substitution inside ${…}")
            word.value += s[self.i : end + 1]
            word.dynamic = True
            self.i = end + 1
        elif nxt == "'":  # $'…' ANSI-C quoting
            j = self.i + 2
            while j < len(s) and s[j] != "'":
                j += 2 if s[j] == "\\" else 1
            if j >= len(s):
                raise BashParseError("unbalanced $'…' quote")
            word.value += s[self.i + 2 : j].encode("latin-1", "backslashreplace").decode("unicode_escape")
            word.quoted = True
            self.i = j + 1
        elif nxt and (nxt.isalnum() or nxt in "_@*#?$!-"):
            j = self.i + 1
            if nxt.isalpha() or nxt == "_":
                while j < len(s) and (s[j].isalnum() or s[j] == "_"):
                    j += 1
            else:
                j += 1
            word.value += s[self.i : j]
            word.dynamic = True
            self.i = j
        else:
            word.value += "$"
            self.i += 1

    def _backtick(self, word: _Word) -> None:
        s = self.s
        j = self.i + 1
        inner = ""
        while True:
            if j >= len(s):
                raise BashParseError("unbalanced backtick")
            if s[j] == "\\" and j + 1 < len(s):
                inner += s[j + 1] if s[j + 1] in "`\\$" else s[j : j + 2]
                j += 2
                continue
            if s[j] == "`":
                break
            inner += s[j]
            j += 1
        self.nested.extend(_Parser(inner, self.depth + 1).parse())
        word.value += s[self.i : j + 1]
        word.dynamic = True
        self.i = j + 1

    def _substitution(self, word: _Word, open_: str, close: str) -> None:
        """`self.i` is at the opening paren of $(…), <(…) or >(…): parse what runs inside."""
        end = _matching(self.s, self.i, open_, close)
        self.nested.extend(_Parser(self.s[self.i + 1 : end], self.depth + 1).parse())
        word.value += self.s[self.i - 1 : end + 1]
        word.dynamic = True
        self.i = end + 1

    def _read_heredocs(self) -> None:
        for delimiter, expands in self.pending_heredocs:
            lines_start = self.i
            while True:
                if self.i >= len(self.s):
                    raise BashParseError(f"here-document not ended by {delimiter!r}")
                end = self.s.find("\n", self.i)
                end = len(self.s) if end < 0 else end
                line = self.s[self.i : end]
                self.i = min(end + 1, len(self.s))
                if line.lstrip("\t") == delimiter:
                    break
            body = self.s[lines_start : self.i]
            if expands and ("$(" in body or "`" in body):
                raise BashParseError("command substitution inside a here-document")
        self.pending_heredocs = []


def _matching(s: str, start: int, open_: str, close: str) -> int:
    """Index of the bracket closing the one at `start`, skipping quotes and nested pairs."""
    depth = 0
    i = start
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'":
            end = s.find("'", i + 1)
            if end < 0:
                raise BashParseError("unbalanced single quote")
            i = end + 1
            continue
        if ch == '"':
            i += 1
            while i < len(s) and s[i] != '"':
                i += 2 if s[i] == "\\" else 1
            if i >= len(s):
                raise BashParseError("unbalanced double quote")
            i += 1
            continue
        if ch == "`":
            end = s.find("`", i + 1)
            if end < 0:
                raise BashParseError("unbalanced backtick")
            i = end + 1
            continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise BashParseError(f"unbalanced {open_!r}")


def parse(command: str) -> ParsedCommand:
    """Every simple command that would run, with its redirections; raises BashParseError."""
    if "\x00" in command:
        raise BashParseError("NUL byte in command")
    return ParsedCommand(_Parser(command, 0).parse())


def split_command(command: str) -> list[str]:
    """The text of every simple command in a compound command (raises BashParseError)."""
    return [c.text for c in parse(command).commands if c.words or c.assignments]

