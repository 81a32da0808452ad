"""The prompt: a TextArea that sends on Enter, walks history, completes `/commands` and `@files`.

`@` also completes MCP resources as `@server:uri`, listed before the files that match.

Typing here never re-renders the conversation: the prompt is its own widget and only
posts `PromptInput.Submitted` when the user sends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker

from claw_tui.core.private_files import open_private, write_private
from claw_tui.ui.workers import ReportsWorkerFailures

# The empty prompt's hints, most needed first: as many whole ones as the width holds (never a cut one).
PLACEHOLDER = ("Ask claw…", "/ commands", "@ files", "! shell", "Shift+Enter or Ctrl+J new line")


def placeholder_for(width: int) -> str:
    shown = PLACEHOLDER[0]
    for hint in PLACEHOLDER[1:]:
        longer = f"{shown}{'  ' if shown == PLACEHOLDER[0] else ' · '}{hint}"
        if len(longer) > width:
            break
        shown = longer
    return shown


PASTE_COLLAPSE_CHARS = 800
PASTE_COLLAPSE_LINES = 15
MENU_SIZE = 8


class PromptHistory:
    """Sent prompts, newest last, kept in a bounded JSON-lines file."""

    def __init__(self, path: Path | None, limit: int = 500) -> None:
        self.path = path
        self.limit = limit
        self.entries: list[str] = []
        if path is not None and path.is_file():
            try:
                lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
            except (OSError, UnicodeDecodeError):
                lines = []
            for line in lines:
                try:
                    text = json.loads(line).get("text")
                except (ValueError, AttributeError):
                    continue  # a damaged line loses one entry, not the history
                if isinstance(text, str):
                    self.entries.append(text)

    def add(self, text: str) -> None:
        if not text.strip() or (self.entries and self.entries[-1] == text):
            return
        self.entries.append(text)
        if len(self.entries) > self.limit:
            del self.entries[: len(self.entries) - self.limit]
        if self.path is None:
            return
        try:
            # Rewrite only when the file has grown to twice the bound; append otherwise.
            if len(self.entries) == self.limit:
                existing = self.path.read_text(encoding="utf-8").count("\n") if self.path.is_file() else 0
                if existing >= 2 * self.limit:
                    body = "".join(json.dumps({"text": e}) + "\n" for e in self.entries)
                    write_private(self.path, body)
                    return
            with open_private(self.path, "a") as f:
                f.write(json.dumps({"text": text}) + "\n")
        except OSError:
            pass  # history is a convenience; a read-only disk must not break sending


def _rg_binary() -> str | None:
    found = shutil.which("rg")
    if found:
        return found
    beside = Path(sys.executable).parent / "rg"
    return str(beside) if beside.exists() else None


class FileIndex:
    """The project's files for `@` mentions, honouring .gitignore, and the folders that hold them
    ("src/": choosing one narrows the menu to what is in it); listed once, then cached."""

    MAX_FILES = 50_000

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[str] | None = None
        self.folders: list[str] = []

    def invalidate(self) -> None:
        self.files = None

    async def load(self) -> list[str]:
        if self.files is None:
            files = await self._list()
            self.folders = await asyncio.to_thread(_folders_of, files)  # 50,000 paths: ~25 ms
            self.files = files
        return self.files

    async def _list(self) -> list[str]:
        rg = _rg_binary()
        commands = []
        if rg:
            commands.append([rg, "--files", "--hidden", "--no-require-git", "--glob", "!.git"])
        commands.append(["git", "ls-files", "--cached", "--others", "--exclude-standard"])
        for command in commands:
            try:
                env = None
                if command[0] == "git":  # ls-files may run the repository's fsmonitor otherwise
                    from claw_tui.tools.git_env import safe_git_env

                    env = await asyncio.to_thread(safe_git_env, self.root)
                proc = await asyncio.create_subprocess_exec(
                    *command,
                    cwd=self.root,
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                out, _ = await proc.communicate()
            except OSError:
                continue
            if proc.returncode in (0, 1):  # rg exits 1 when there is nothing to list
                files = sorted(out.decode("utf-8", "replace").splitlines())
                return files[: self.MAX_FILES]
        return []

    def search(self, query: str, limit: int = MENU_SIZE) -> list[str]:
        """Fuzzy: name prefix, then name, then path contains, then subsequence; shorter first. A folder
        ends in "/"."""
        q = query.lower()
        scored: list[tuple[int, int, str]] = []
        for path in itertools.chain(self.files or [], self.folders):  # no copy of 50,000 paths a key
            low = path.lower()
            if low == q and low.endswith("/"):
                continue  # the folder chosen already: what is in it follows
            base = low.rstrip("/").rsplit("/", 1)[-1]
            if base.startswith(q):
                rank = 0
            elif q in base:
                rank = 1
            elif q in low:
                rank = 2
            elif is_subsequence(q, low):
                rank = 3
            else:
                continue
            scored.append((rank, len(path), path))
        scored.sort()
        return [path for _, _, path in scored[:limit]]


def _folders_of(files: list[str]) -> list[str]:
    """Every folder holding one of `files` ("src/", "src/ui/"), each walked up to once."""
    folders: set[str] = set()
    for path in files:
        end = path.rfind("/")
        while end > 0 and (folder := path[: end + 1]) not in folders:
            folders.add(folder)
            end = path.rfind("/", 0, end)
    return sorted(folders)


def is_subsequence(needle: str, text: str) -> bool:
    """Whether needle's characters appear in text in order (the fuzzy match of last resort)."""
    chars = iter(text)
    return all(c in chars for c in needle)


def search_resources(
    resources: list[tuple[str, str]], query: str, limit: int = MENU_SIZE
) -> list[tuple[str, str]]:
    """MCP resources for `@query`: mention prefix, then mention or label contains, then subsequence."""
    q = query.lower()
    scored: list[tuple[int, int, tuple[str, str]]] = []
    for mention, label in resources:
        low = mention.lower()
        if low.startswith(q):
            rank = 0
        elif q in low or q in label.lower():
            rank = 1
        elif is_subsequence(q, low):
            rank = 2
        else:
            continue
        scored.append((rank, len(mention), (mention, label)))
    scored.sort()
    return [item for _, _, item in scored[:limit]]


@dataclass(frozen=True)
class Completion:
    label: Content
    # Replace the text between `start` and the cursor with `insert`.
    start: tuple[int, int]
    insert: str
    # Enter on a command runs it at once (Tab only completes) unless it needs an argument;
    # Enter on a mention only completes.
    runs_on_enter: bool = False


class CompletionMenu(OptionList, can_focus=False):
    """The dropdown above the prompt; the prompt drives it, focus never leaves the prompt."""

    DEFAULT_CSS = """
    CompletionMenu {
        display: none;
        height: auto;
        max-height: 10;
        border: round $primary;
        background: $surface;
        padding: 0 1;
        &.-open { display: block; }
    }
    """

    def show(self, completions: list[Completion]) -> None:
        self.completions = completions
        self.clear_options()
        self.add_options([Option(c.label) for c in completions])
        self.set_class(bool(completions), "-open")
        if completions:
            self.highlighted = 0

    def close(self) -> None:
        self.completions = []
        self.clear_options()
        self.remove_class("-open")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def chosen(self) -> Completion | None:
        if not self.is_open or self.highlighted is None:
            return None
        return self.completions[self.highlighted]


_MENTION = re.compile(r"(?:^|\s)@(\S*)$")


def lf_line_ends(pasted: str) -> str:
    """Terminals paste with CR line ends (what Enter sends); the prompt and the model get LF."""
    return pasted.replace("\r\n", "\n").replace("\r", "\n")


class PromptInput(ReportsWorkerFailures, TextArea):
    """Enter sends; Shift+Enter or Ctrl+J adds a line; Up/Down at the edges walk history."""

    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: round $pane-border;
        padding: 0 1;
        &:focus { border: round $pane-border-focus; }
    }
    """

    class Submitted(Message):
        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    def __init__(
        self,
        *,
        history: PromptHistory,
        files: FileIndex,
        commands: Callable[[str], list[tuple[str, str, str]]],
        id: str | None = None,
    ) -> None:
        """`commands(typed)` gives (name, argument hint, help) for `/typed`."""
        super().__init__(
            id=id,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=placeholder_for(1000),
        )
        self.prompt_history = history
        self.file_index = files
        self.command_source = commands
        # (mention without the @, label) of every MCP resource; set once MCP servers start.
        self.resource_source: Callable[[], list[tuple[str, str]]] | None = None
        self._history_index: int | None = None
        self._draft = ""
        self._pastes: dict[str, str] = {}
        self._menu: CompletionMenu | None = None
        self._completed_for: tuple[str, tuple[int, int]] | None = None  # the text and cursor the menu shows
        self._indexing: Worker[None] | None = None  # the walk of the project's files for @-mentions

    def on_resize(self) -> None:
        self.placeholder = placeholder_for(self.content_size.width - 1)  # the cursor takes the last column

    def attach_menu(self, menu: CompletionMenu) -> None:
        self._menu = menu

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # TextArea binds F6 / F7 to line / all selection; the screen uses them to move between panes.
        if action in ("select_line", "select_all"):
            return False
        if action == "copy" and self.selection.is_empty:
            return False  # Ctrl+C with nothing selected cancels or quits (the screen's binding)
        return super().check_action(action, parameters)

    # --- keys ---------------------------------------------------------------------------

    # Textual calls `_on_key` / `_on_paste` of every class in the MRO unless a handler
    # prevents the default, so these only intercept; TextArea's own handlers do the rest.
    async def _on_key(self, event: events.Key) -> None:
        if self._handle_menu_key(event.key) or self._handle_prompt_key(event.key) or await self.run_own_binding(event.key):
            event.stop()
            event.prevent_default()

    async def run_own_binding(self, key: str) -> bool:
        """A key the prompt itself binds (Backspace, the arrows, Ctrl+W…) acts here, in the order the keys
        came. Left to Textual, it would act only once it had gone up to the app and back, after letters
        typed behind it had gone in: "hx⌫i" typed fast, or held while claw starts, became "hxi"."""
        for binding in self._bindings.key_to_bindings.get(key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                return True
        return False

    def _handle_menu_key(self, key: str) -> bool:
        menu = self._menu
        if menu is None or not menu.is_open:
            return False
        if key in ("enter", "tab") and self._completed_for != (self.text, self.cursor_location):
            # Keys typed fast arrive before the menu caught up with them: choose from a fresh menu.
            self.refresh_completions()
            if not menu.is_open:
                return False
        if key in ("up", "down"):
            menu.action_cursor_up() if key == "up" else menu.action_cursor_down()
        elif key in ("enter", "tab"):
            choice = menu.chosen()
            menu.close()
            if choice is not None:
                self._apply(choice)
                if key == "enter" and choice.runs_on_enter:
                    self.submit()
        elif key == "escape":
            menu.close()
        else:
            return False
        return True

    def _handle_prompt_key(self, key: str) -> bool:
        if key == "enter":
            self.submit()
        elif key in ("shift+enter", "ctrl+j"):
            self.insert("\n")
        elif key == "ctrl+d" and not self.text:  # as in a shell: Ctrl+D on an empty prompt quits
            self.app.exit()
        elif key == "up" and self.cursor_location[0] == 0 and self.prompt_history.entries:
            self._walk_history(-1)
        elif key == "down" and self.cursor_location[0] == self.document.line_count - 1 and self._history_index is not None:
            self._walk_history(+1)
        else:
            return False
        return True

    def submit(self) -> None:
        raw = self.text
        if not raw.strip():
            return
        self.prompt_history.add(raw)
        text = self.expand_pastes(raw)
        self._history_index = None
        self._pastes.clear()
        self.clear()
        if self._menu is not None:
            self._menu.close()
        self.post_message(self.Submitted(self, text))

    def _walk_history(self, step: int) -> None:
        entries = self.prompt_history.entries
        if self._history_index is None:
            if step > 0:
                return
            self._draft = self.text
            index = len(entries) - 1
        else:
            index = self._history_index + step
        if index >= len(entries):
            self._history_index = None
            self._set_text(self._draft, at_end=True)
            return
        self._history_index = max(0, index)
        self._set_text(entries[self._history_index], at_end=step > 0)

    def _set_text(self, text: str, *, at_end: bool) -> None:
        self.load_text(text)
        if at_end:
            self.move_cursor(self.document.end)
        else:
            self.move_cursor((0, len(self.document.get_line(0))))

    # --- pastes ---------------------------------------------------------------------------

    async def _on_paste(self, event: events.Paste) -> None:
        text = lf_line_ends(event.text)
        event.stop()
        event.prevent_default()
        if self.read_only:
            return
        lines = text.count("\n") + 1
        if len(text) > PASTE_COLLAPSE_CHARS or lines > PASTE_COLLAPSE_LINES:
            placeholder = f"[Pasted text #{len(self._pastes) + 1} +{lines} lines]"
            self._pastes[placeholder] = text
            text = placeholder
        if result := self._replace_via_keyboard(text, *self.selection):
            self.move_cursor(result.end_location)
        self.focus()

    def expand_pastes(self, text: str) -> str:
        for placeholder, pasted in self._pastes.items():
            text = text.replace(placeholder, pasted)
        return text

    # --- completion -------------------------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area is self:
            self.refresh_completions()

    def refresh_completions(self) -> None:
        menu = self._menu
        if menu is None:
            return
        text = self.text
        self._completed_for = (text, self.cursor_location)
        row, col = self.cursor_location
        if text.startswith("/") and not any(ch.isspace() for ch in text):
            menu.show(
                [
                    Completion(
                        Content.assemble((f"/{name}", "bold"), f" {hint}" if hint else "", ("  " + help, "dim")),
                        (0, 0),
                        f"/{name} ",
                        runs_on_enter=not hint.startswith("<"),  # one that needs an argument waits for it
                    )
                    for name, hint, help in self.command_source(text[1:])
                ][:MENU_SIZE]
            )
            return
        line = self.document.get_line(row)[:col]
        match = _MENTION.search(line)
        if match is None:
            menu.close()
            return
        start = (row, match.start(1) - 1)
        known = self.resource_source() if self.resource_source is not None else []
        resources = [
            Completion(Content.assemble(f"@{mention}", ("  " + label, "dim") if label else ""), start, f"@{mention} ")
            for mention, label in search_resources(known, match.group(1))
        ]
        if self.file_index.files is None:
            # Once: each key typed while the project is indexed must not start the walk again.
            if self._indexing is None or self._indexing.is_finished:
                self._indexing = self.run_worker(
                    self._index_files(), group="file-index", name="index the project's files", exit_on_error=False
                )
            menu.show(resources)
            return
        files = [  # a folder is completed without the space: the menu goes on with what is in it
            Completion(Content(f"@{path}"), start, f"@{path}" if path.endswith("/") else f"@{path} ")
            for path in self.file_index.search(match.group(1))
        ]
        # Resources first, but never more than half the menu while files match too.
        resources = resources[: MENU_SIZE - min(len(files), MENU_SIZE // 2)]
        menu.show((resources + files)[:MENU_SIZE])

    async def _index_files(self) -> None:
        await self.file_index.load()
        self.refresh_completions()

    def _apply(self, completion: Completion) -> None:
        self.replace(completion.insert, completion.start, self.cursor_location)


class PromptBar(Vertical):
    """The completion menu stacked above the prompt."""

    DEFAULT_CSS = """
    PromptBar { height: auto; }
    """

    def __init__(self, prompt: PromptInput) -> None:
        super().__init__()
        self.prompt = prompt
        self.menu = CompletionMenu()
        prompt.attach_menu(self.menu)

    def compose(self):  # type: ignore[override]
        yield self.menu
        yield self.prompt
