"""The status bar: where you are (cwd, git branch), what answers (model), how it may act (mode, sandbox)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
LEFT_MIN = 24  # cells of the left side kept before the right side gives anything up

MODE_LABELS = {
    "default": ("ask before edits", "$text-muted"),
    "acceptEdits": ("accept edits", "$success"),
    "plan": ("plan mode", "$secondary"),
    "bypassPermissions": ("bypass permissions", "$error"),
}




async def git_state(cwd: Path) -> tuple[str, bool] | None:
    """(branch, dirty) of the repository holding cwd; None outside a repository or without git."""

    from claw_tui.tools.git_env import safe_git_env

    async def git(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            "git", *args, cwd=cwd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode("utf-8", "replace").strip()

    try:
        env = await asyncio.to_thread(safe_git_env, cwd)  # a repository's fsmonitor or filters never run
        code, branch = await git("symbolic-ref", "--short", "-q", "HEAD")
        if code != 0:
            code, branch = await git("rev-parse", "--short", "HEAD")  # detached
            if code != 0:
                return None
            branch = f"({branch})"
        code, changes = await git("status", "--porcelain", "--untracked-files=normal")
    except OSError:
        return None
    return branch, code == 0 and bool(changes)


class StatusBar(Widget):
    """One line: cwd, branch and activity on the left; model, mode and sandbox on the right."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    cwd = reactive("")
    branch = reactive("")
    dirty = reactive(False)
    model = reactive("")
    mode = reactive("default")
    sandbox = reactive("")
    working = reactive("")  # what runs now ("working…"); empty when idle
    queued = reactive(0)
    frame = reactive(0)

    def on_mount(self) -> None:
        self._spinner = self.set_interval(0.1, self._tick, pause=not self.working)

    def _tick(self) -> None:
        self.frame = (self.frame + 1) % len(SPINNER)

    def watch_working(self, working: str) -> None:
        if self.is_mounted:
            self._spinner.resume() if working else self._spinner.pause()

    def render(self) -> Content:
        left = Content(self.cwd)
        if self.branch:
            left += Content.assemble(("  ⎇ ", "$text-muted"), (self.branch + ("*" if self.dirty else ""), "$accent"))
        if self.working:  # first, so the narrowest terminal still shows that a turn runs
            left = Content.assemble((f"{SPINNER[self.frame]} {self.working}", "$primary"), "  ", left)
        if self.queued:
            left += Content.assemble((f"  {self.queued} queued", "$secondary"))
        width = self.content_region.width or self.size.width
        right = self._right_side(room_for=width - min(left.cell_length, LEFT_MIN) - 1)
        room = width - right.cell_length - 1
        if left.cell_length > room:
            left = left.truncate(max(room, 0), ellipsis=True)
        return left.pad_right(max(width - left.cell_length - right.cell_length, 1)) + right

    def _right_side(self, room_for: int) -> Content:
        """Model, mode and sandbox; when they do not fit beside the left side, the model's provider
        prefix goes first, then the sandbox (the mode always stays: it says how claw may act)."""
        label, style = MODE_LABELS.get(self.mode, (self.mode, "$text"))
        sandbox = Content.styled("  sandbox " + self.sandbox, "$text-muted") if self.sandbox else Content("")
        # Commands running unsandboxed without the user's say-so: a marker that never folds away.
        off = Content.styled("  sandbox OFF", "bold $warning") if self.sandbox == "off" else None
        short_model = self.model.split("/", 1)[-1]
        variants = [
            Content.assemble((self.model, "bold"), "  ", (label, style), off or sandbox),
            Content.assemble((short_model, "bold"), "  ", (label, style), off or sandbox),
            Content.assemble((short_model, "bold"), "  ", (label, style), off or ""),
        ]
        return next((v for v in variants if v.cell_length <= room_for), variants[-1])

    async def refresh_git(self, cwd: Path) -> None:
        state = await git_state(cwd)
        self.branch, self.dirty = state if state is not None else ("", False)
