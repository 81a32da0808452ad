"""The approval screen: what a tool wants to do, why it asks, and the user's answer.

Writes show the diff of every proposed change with per-hunk accept / reject; approving
applies only the accepted hunks (`apply_hunks`) and tells the model which were rejected.
Bash shows the command, its directory and whether the sandbox holds it. Anything else shows
the tool's input. Escape denies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.core.diffs import FileChange, apply_hunks
from claw_tui.core.home_paths import short_path
from claw_tui.ui.short_terminal import fit_rows
from claw_tui.ui.type_ahead import KeyQuestion
from claw_tui.ui.widgets.diff_view import FileDiff, HunkView, file_diff, file_header
from claw_tui.ui.widgets.footer import HintFooter

INPUT_PREVIEW_CHARS = 4_000
HUNK_KEYS = "j/k move · space accept/reject · a accept all · r reject all · s split"
HUNK_KEYS_SHORT = "j/k hunk · space accept/reject · a/r all"


@dataclass(frozen=True)
class HunkRef:
    file: int  # index into request.changes
    hunk: int  # Hunk.index


def narrow_changes(
    changes: list[FileChange], diffs: list[FileDiff], accepted: dict[int, set[int]]
) -> tuple[list[FileChange], list[str]]:
    """The changes cut down to the accepted hunks, and one sentence per rejected hunk."""
    narrowed: list[FileChange] = []
    rejected: list[str] = []
    for index, (change, diff) in enumerate(zip(changes, diffs, strict=True)):
        keep = accepted.get(index, set())
        every = {h.index for h in diff.hunks}
        for hunk in diff.hunks:
            if hunk.index not in keep:
                rejected.append(
                    f"The user rejected hunk {hunk.index + 1} of {diff.path} ({hunk.where()}); "
                    "those lines were not changed."
                )
        if keep >= every:
            narrowed.append(change)
        elif keep & every:
            narrowed.append(FileChange(change.path, change.before, apply_hunks(change.before, change.after, keep)))
        # A file with every hunk rejected is left as it is (not even created).
    return narrowed, rejected


class ApprovalScreen(KeyQuestion, ModalScreen[ApprovalResponse]):
    """Approve, narrow or deny one tool call."""

    CSS_PATH = "approval.tcss"
    AUTO_FOCUS = None  # keys go to the screen's bindings until the note box opens

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "approve", "approve", tooltip="Allow this call (only the accepted hunks)"),
        Binding("A", "always", "always allow", tooltip="Allow, and allow calls like it for the rest of the session"),
        Binding("n,d", "deny", "deny", tooltip="Deny this call"),
        Binding("N", "deny_with_note", "deny + note", tooltip="Deny and tell the model why"),
        Binding("escape", "escape", "deny", show=False),
        # The hunk keys are listed in the dialog (HUNK_KEYS), so the footer keeps to the answers at 80 columns.
        Binding("j,down", "move(1)", "next hunk", show=False, tooltip="Next hunk"),
        Binding("k,up", "move(-1)", "previous", show=False, tooltip="Previous hunk"),
        Binding("space", "toggle_hunk", "accept/reject", show=False, tooltip="Accept or reject the selected hunk"),
        Binding("a", "set_all(True)", "accept all", show=False, tooltip="Accept every hunk"),
        Binding("r", "set_all(False)", "reject all", show=False, tooltip="Reject every hunk"),
        Binding("s", "toggle_split", "split", show=False, tooltip="Side by side or unified"),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request
        self.diffs = [file_diff(display_path(c.path, request.cwd), c.before, c.after) for c in request.changes]
        self.refs = [HunkRef(f, h.index) for f, diff in enumerate(self.diffs) for h in diff.hunks[: len(diff.rows)]]
        self.accepted: dict[int, set[int]] = {f: {h.index for h in diff.hunks} for f, diff in enumerate(self.diffs)}
        self.selected = 0
        self.split: bool | None = None  # None: by width
        self._dismissed = False
        self.noting = False  # the deny-with-note box is open
        # Called with None if the screen goes away unanswered (the app is closing).
        self.on_gone: Callable[[ApprovalResponse | None], None] | None = None
        if self.is_write:  # its dialog covers the screen: nothing behind it is drawn (or dimmed) for nothing
            self.add_class("-covers")

    @property
    def is_write(self) -> bool:
        return bool(self.request.changes)

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(id="approval-dialog", classes="-write" if self.is_write else "") as dialog:
            dialog.border_title = f"{request.tool_name} needs your approval"
            yield Static(Content.assemble(("Why: ", "bold"), request.reason or "a rule asks for this tool"), id="approval-reason")
            if request.command is None:  # a command is shown whole, highlighted, below
                yield Static(Content.styled(request.summary or request.tool_name, "bold"), id="approval-summary")
            if self.is_write:
                yield from self._compose_write()
            elif request.command is not None:
                yield from self._compose_bash()
            else:
                yield from self._compose_generic()
            if request.suggested_rule:  # what the rule covers in words, then the rule itself
                allows = request.suggested_rule_words or "calls like this one"
                yield Static(
                    Content.assemble(
                        ("A", "bold $accent"), f" allows {allows} for this session (",
                        (request.suggested_rule, "bold"), ")",
                    ),
                    id="approval-rule",
                )
        yield HintFooter(compact=True)

    def _compose_write(self) -> ComposeResult:
        with VerticalScroll(id="approval-body", can_focus=False):
            for f, diff in enumerate(self.diffs):
                yield Static(file_header(diff), classes="approval-file")
                if diff.binary:
                    yield Static("Binary file; its contents are not shown.", classes="approval-note")
                for rows in diff.rows:
                    yield HunkView(rows, id=f"hunk-{f}-{rows.hunk.index}")
                if len(diff.hunks) > len(diff.rows):
                    hidden = len(diff.hunks) - len(diff.rows)
                    yield Static(f"… {hidden} more hunks not shown; they follow accept all / reject all.", classes="approval-note")
        yield Static(HUNK_KEYS, id="approval-keys")
        yield Static(HUNK_KEYS_SHORT, id="approval-keys-short")  # in its place on a short screen

    def _compose_bash(self) -> ComposeResult:
        from textual.highlight import highlight  # Pygments: on the first approval, not at start

        request = self.request
        with VerticalScroll(id="approval-body", can_focus=False):
            yield Static(highlight(request.command or "", language="bash"), id="approval-command")
        where = short_path(Path(request.cwd)) if request.cwd else "(the workspace)"  # ~/project, as the status bar
        yield Static(Content.assemble(("Directory: ", "bold"), where), id="approval-cwd")
        if request.sandboxed:
            sandbox = Content.styled("on: the workspace is writable, the rest read-only", "$success")
        elif request.sandboxed is None:
            sandbox = Content.styled("unknown", "$warning")
        else:
            sandbox = Content.styled("off: the command runs with your full permissions", "bold $warning")
        yield Static(Content.assemble(("Sandbox: ", "bold"), sandbox), id="approval-sandbox")

    def _compose_generic(self) -> ComposeResult:
        plan = self.request.input.get("plan") if self.request.tool_name == "ExitPlanMode" else None
        if isinstance(plan, str):  # a plan is Markdown: shown as a document, not as JSON with its \n
            from textual.widgets import Markdown

            with VerticalScroll(id="approval-body", can_focus=False):
                yield Markdown(plan, id="approval-plan")
            return
        from textual.highlight import highlight

        text = json.dumps(self.request.input, indent=2, ensure_ascii=False, default=str)
        if len(text) > INPUT_PREVIEW_CHARS:
            text = text[:INPUT_PREVIEW_CHARS] + "\n…"
        with VerticalScroll(id="approval-body", can_focus=False):
            yield Static(highlight(text, language="json"), id="approval-input")

    def on_mount(self) -> None:
        self._redraw_hunks()

    def on_unmount(self) -> None:
        if not self._dismissed and self.on_gone is not None:
            self.on_gone(None)

    def on_resize(self) -> None:
        self._apply_split()
        fit_rows(self, self.size.height)

    # --- hunks ----------------------------------------------------------------------------

    def hunk_view(self, ref: HunkRef) -> HunkView:
        return self.query_one(f"#hunk-{ref.file}-{ref.hunk}", HunkView)

    def _redraw_hunks(self) -> None:
        for number, ref in enumerate(self.refs):
            view = self.hunk_view(ref)
            accepted = ref.hunk in self.accepted[ref.file]
            total = len(self.diffs[ref.file].hunks)
            marker = "▶" if number == self.selected else " "
            verdict = "✓ accept" if accepted else "✗ reject"
            view.label = f"{marker} {verdict} · hunk {ref.hunk + 1}/{total}"
            view.set_class(number == self.selected, "-selected")
            view.set_class(not accepted, "-rejected")
        self._apply_split()

    def _apply_split(self) -> None:
        split = self.split if self.split is not None else self.size.width >= 120
        for view in self.query(HunkView):
            view.split = split

    def action_move(self, step: int) -> None:
        if not self.refs:
            return
        self.selected = (self.selected + step) % len(self.refs)
        self._redraw_hunks()
        self.hunk_view(self.refs[self.selected]).scroll_visible(animate=False)

    def action_toggle_hunk(self) -> None:
        if not self.refs:
            return
        ref = self.refs[self.selected]
        self.accepted[ref.file] ^= {ref.hunk}
        self._redraw_hunks()

    def action_set_all(self, accept: bool) -> None:
        for f, diff in enumerate(self.diffs):
            self.accepted[f] = {h.index for h in diff.hunks} if accept else set()
        self._redraw_hunks()

    def action_toggle_split(self) -> None:
        self.split = not (self.split if self.split is not None else self.size.width >= 120)
        self._apply_split()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("move", "toggle_hunk", "set_all", "toggle_split"):
            return self.is_write and not self.noting
        if action == "always":
            return bool(self.request.suggested_rule) and not self.noting
        if action in ("approve", "deny", "deny_with_note"):
            return not self.noting
        return True

    # --- answers --------------------------------------------------------------------------

    def build_response(self, *, remember: bool = False) -> ApprovalResponse:
        """Allow with the accepted hunks; deny when every hunk was rejected."""
        if not self.is_write:
            return ApprovalResponse("allow", remember=remember)
        narrowed, rejected = narrow_changes(self.request.changes, self.diffs, self.accepted)
        if not rejected:
            return ApprovalResponse("allow", remember=remember)
        if not narrowed:
            return ApprovalResponse("deny", note="The user rejected every change in this edit; no file was changed.")
        return ApprovalResponse("allow", changes=narrowed, note=" ".join(rejected), remember=remember)

    def _finish(self, response: ApprovalResponse) -> None:
        if not self._dismissed:
            self._dismissed = True
            self.dismiss(response)

    def action_approve(self) -> None:
        self._finish(self.build_response())

    def action_always(self) -> None:
        self._finish(self.build_response(remember=True))

    def action_deny(self) -> None:
        self._finish(ApprovalResponse("deny"))

    def action_deny_with_note(self) -> None:
        self.noting = True
        note = Input(placeholder="Why deny? The model reads this. Enter sends, Esc goes back.", id="approval-note")
        self.query_one("#approval-dialog").mount(note)
        note.focus()
        self.refresh_bindings()

    def action_escape(self) -> None:
        if self.noting:
            self.noting = False
            self.query_one("#approval-note", Input).remove()
            self.refresh_bindings()
            return
        self.action_deny()

    @on(Input.Submitted, "#approval-note")
    def _note_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._finish(ApprovalResponse("deny", note=event.value.strip()))


def display_path(path: Path, cwd: str | None) -> str:
    """The path relative to the call's directory when it lies inside it."""
    if cwd:
        try:
            return str(Path(path).relative_to(cwd))
        except ValueError:
            pass
    return str(path)
