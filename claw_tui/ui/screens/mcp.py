"""The /mcp screen: every configured MCP server, how it is doing, and the keys to fix it.

One row per server (transport, scope, coloured status, tool / resource / prompt counts, last
error); the details pane below shows the highlighted server in full: where it is declared, what
it runs, its whole last error and its tools (whole descriptions, invisible characters escaped,
suspicious ones and changed definitions flagged), resources and prompts. The manager lives in the
agent and keeps its servers connected on its own, so the screen reads its statuses once a second
and redraws only when they changed. Reconnect, enable / disable, trust and sign-in run as workers
on the app's event loop (the manager's asyncio tasks live there) and report on the status line.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from claw_tui.core.home_paths import short_path
from claw_tui.ui.widgets.footer import HintFooter
from claw_tui.ui.workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from claw_tui.mcp import McpManager, ServerConfig, ServerStatus

POLL_INTERVAL = 1.0  # seconds between reads of the manager's statuses
SETTLE_MARGIN = 5.0  # seconds an action waits beyond the manager's connect timeout for the outcome

# (glyph, style) per status: the colour says how the server is doing at a glance.
STATUS_LOOK: dict[str, tuple[str, str]] = {
    "connected": ("●", "$text-success"),
    "connecting": ("◌", "$text-warning"),
    "failed": ("✗", "$text-error"),
    "disabled": ("○", "dim"),
    "needs-trust": ("!", "$text-warning"),
    "needs-auth": ("!", "$text-accent"),
}

# What to do about a server in each status, under its details.
STATUS_HINT: dict[str, str] = {
    "connecting": "Connecting…",
    "failed": "r tries again now; claw also retries on its own a few times, waiting longer each time.",
    "disabled": "Disabled for this session: e enables it.",
    "needs-trust": "Declared by the project, so it runs only once you trust it: t shows what it runs.",
    "needs-auth": "The server wants you to sign in: a opens the sign-in page in your browser.",
}


def status_content(status: str) -> Content:
    glyph, style = STATUS_LOOK.get(status, ("?", ""))
    return Content.styled(f"{glyph} {status}", style)


def launch_line(config: ServerConfig) -> str:
    """What starting the server does: the command line for stdio, the address otherwise."""
    if config.transport == "stdio":
        return shlex.join([config.command or "", *config.args])
    return config.url or ""


def empty_help() -> Content:
    """What to write where, for a user who has no server yet."""
    from claw_tui.config import user_config_dir

    example = (
        "{\n"
        '  "mcpServers": {\n'
        '    "time": {"command": "uvx", "args": ["mcp-server-time"]},\n'
        '    "docs": {"type": "http", "url": "https://example.com/mcp"}\n'
        "  }\n"
        "}"
    )
    user_file = short_path(user_config_dir() / "mcp.json")
    return Content.assemble(
        ("No MCP servers are configured.", "bold"),
        "\n\nMCP servers give the model more tools. Declare them in ",
        (".mcp.json", "bold"),
        " at the project's root (Claude Code's format; claw asks you to trust project servers once):\n\n",
        (example, "$text-accent"),
        "\n\nFor every project, put the same in ",
        (user_file, "bold"),
        ", or use ",
        ("[mcp.servers.NAME]", "bold"),
        " tables in claw's config.toml. Start claw again to load them.\nFor one headless run: ",
        ('claw -p --mcp-config servers.json "your prompt"', "bold"),
    )


class ServerTable(DataTable[str | Content]):
    """The server list; the highlighted row is the server the keys act on."""


class ConfirmTrust(ModalScreen[bool]):
    """Trusting a project server runs its command, so the user sees that command first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "trust"),
        Binding("n,escape", "answer(False)", "cancel"),
    ]

    def __init__(self, config: ServerConfig, project: str) -> None:
        super().__init__()
        self.config = config
        self.project = project

    def compose(self) -> ComposeResult:
        c = self.config
        stdio = c.transport == "stdio"
        what = "runs this command" if stdio else f"connects claw to this {c.transport} server"
        lines: list[str | tuple[str, str]] = [
            "Declared in ",
            (short_path(c.source), "bold"),
            f". Trusting it {what} now and whenever claw starts in {self.project}:\n\n",
            (launch_line(c), "bold $text-accent"),
        ]
        if stdio and c.cwd:
            lines += ["\n", (f"in {c.cwd}", "dim")]
        names = sorted(c.env if stdio else c.headers)
        if names:  # names only: the values are often secrets
            lines += ["\n", (f"{'environment' if stdio else 'headers'}: {', '.join(names)}", "dim")]
        lines.append("\n\nTrust only servers you know; a changed definition asks again.")
        with Vertical(id="trust-dialog") as dialog:
            dialog.border_title = f"Trust “{c.name}”?"
            yield Static(Content.assemble(*lines), id="trust-text")
            yield Static(
                Content.assemble(
                    ("y", "bold $text-warning"), " trust and start   ", ("n", "bold"), " cancel"
                ),
                id="trust-keys",
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class McpScreen(ReportsWorkerFailures, Screen[None]):
    """The MCP servers: status at a glance, details, reconnect / enable / disable / trust / sign in."""

    CSS_PATH = "mcp.tcss"
    AUTO_FOCUS = "#mcp-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reconnect", "reconnect", tooltip="Connect to the server again now"),
        Binding("e", "disable", "disable", tooltip="Stop the server for this session"),
        Binding("e", "enable", "enable", tooltip="Start the server again"),
        Binding("t", "trust", "trust", tooltip="Trust this project server (shows what it runs first)"),
        Binding("a", "authenticate", "sign in", tooltip="Sign in to the server in your browser"),
        Binding("escape", "close", "close"),
    ]

    def __init__(self, manager: McpManager | None, *, poll_interval: float = POLL_INTERVAL) -> None:
        super().__init__()
        self.manager = manager
        self.poll_interval = poll_interval
        self.selected: str | None = None  # the highlighted server, which the keys act on
        self._shown: tuple[object, ...] | None = None  # what the table and details were drawn from
        self._table_width = 0

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="mcp-top"):
            yield Static(id="mcp-title")
            yield Static(id="mcp-summary")
        yield Static(empty_help(), id="mcp-empty")
        yield ServerTable(id="mcp-table", cursor_type="row", cursor_foreground_priority="css")
        with VerticalScroll(id="mcp-details"):
            yield Static(id="mcp-details-text")
        yield Static(id="mcp-status")
        yield HintFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#mcp-title", Static).update(Content.styled("MCP servers", "bold"))
        self.call_after_refresh(self.refresh_servers)
        self.set_interval(self.poll_interval, self._poll)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.query_one(ServerTable).size.width != self._table_width:
            self.refresh_servers(force=True)

    def statuses(self) -> list[ServerStatus]:
        return self.manager.statuses() if self.manager is not None else []

    def _state(self) -> tuple[object, ...]:
        """Everything the screen draws from: redraw when (and only when) this changes."""
        if self.manager is None:
            return ()
        tools = tuple((t.server, t.remote_name, t.definition_hash, self.manager.changed(t)) for t in self.manager.tools())
        return (tuple(self.statuses()), tools)

    def _poll(self) -> None:
        if self._state() != self._shown:
            self.refresh_servers()

    def refresh_servers(self, *, force: bool = False) -> None:
        """Read the manager and redraw the table, the summary and the details if anything changed."""
        state = self._state()
        if state == self._shown and not force:
            return
        self._shown = state
        servers = self.statuses()
        self.set_class(not servers, "-empty")
        self._show_summary(servers)
        self._fill_table(servers)
        self._show_details()
        self.refresh_bindings()

    def _show_summary(self, servers: list[ServerStatus]) -> None:
        counts: dict[str, int] = {}
        for s in servers:
            counts[s.status] = counts.get(s.status, 0) + 1
        parts: list[str | tuple[str, str]] = []
        for status in STATUS_LOOK:
            if counts.get(status):
                parts += ["  " if parts else "", (f"{counts[status]} {status}", STATUS_LOOK[status][1])]
        self.query_one("#mcp-summary", Static).update(Content.assemble(*parts))

    def _fill_table(self, servers: list[ServerStatus]) -> None:
        table = self.query_one(ServerTable)
        names = [s.name for s in servers]
        if self.selected not in names:
            self.selected = names[0] if names else None
        # (label, least width, most width, right-aligned, one text per server)
        columns = [
            ("server", 6, 24, False, [s.name for s in servers]),
            ("transport", 9, 9, False, [s.transport for s in servers]),
            ("scope", 5, 7, False, [s.scope for s in servers]),
            ("status", 6, 13, False, [f"● {s.status}" for s in servers]),
            ("tools", 5, 5, True, [str(s.tools) for s in servers]),
            ("res", 3, 4, True, [str(s.resources) for s in servers]),
            ("prompts", 7, 7, True, [str(s.prompts) for s in servers]),
        ]
        widths = [min(most, max([least, *map(len, texts)])) for _, least, most, _, texts in columns]
        self._table_width = table.size.width
        # One cell of padding each side of every column, and two for the scrollbar; the error gets the rest.
        error_w = max(10, self._table_width - sum(widths) - 2 * (len(columns) + 1) - 2)
        table.clear(columns=True)
        for (label, *_), width in zip(columns, widths, strict=True):
            table.add_column(label, width=width, key=label)
        table.add_column("last error", width=error_w, key="error")
        for s in servers:
            error = " ".join((s.last_error or "").split())
            cells: list[str | Content] = [
                _clip(s.name, widths[0]),
                s.transport,
                s.scope,
                status_content(s.status),
                *(_count(n, w) for n, w in zip((s.tools, s.resources, s.prompts), widths[4:], strict=True)),
                Content.styled(_clip(error, error_w), "$text-error") if error else Content.styled("—", "dim"),
            ]
            table.add_row(*cells, key=s.name)
        if self.selected is not None:
            table.move_cursor(row=names.index(self.selected), animate=False)

    @on(DataTable.RowHighlighted, "#mcp-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value
        if name != self.selected:
            self.selected = name
            self._show_details()
            self.refresh_bindings()

    def _show_details(self) -> None:
        pane = self.query_one("#mcp-details", VerticalScroll)
        text = self.query_one("#mcp-details-text", Static)
        status = self._status(self.selected)
        if status is None or self.manager is None:
            pane.border_title = pane.border_subtitle = ""
            text.update("")
            return
        config = self.manager.config(status.name)
        pane.border_title = status.name
        pane.border_subtitle = status.server_info or ""
        parts: list[str | tuple[str, str] | Content] = [
            status_content(status.status),
            (
                f"   {status.transport} · {status.scope} scope · declared in {short_path(status.source)}",
                "dim",
            ),
            "\n",
            ("runs " if config.transport == "stdio" else "url ", "dim"),
            launch_line(config) if config.error is None else Content.styled("—", "dim"),
        ]
        if status.last_error:
            parts += ["\n\n", ("Last error", "bold $text-error"), "\n", (status.last_error, "$text-error")]
        if status.status in STATUS_HINT:
            parts += ["\n\n", (STATUS_HINT[status.status], "italic dim")]
        parts += self._offers(status)
        text.update(Content.assemble(*parts))

    def _offers(self, status: ServerStatus) -> list[str | tuple[str, str] | Content]:
        """The server's tools with their whole descriptions (invisible characters escaped, anything
        suspicious flagged), resources and prompts."""
        if self.manager is None or status.status != "connected":
            return []
        from claw_tui.mcp.pins import escape_invisible

        tools = [t for t in self.manager.tools() if t.server == status.name]
        parts: list[str | tuple[str, str] | Content] = ["\n\n", (f"Tools ({len(tools)})", "bold")]
        for tool in tools:
            parts += ["\n  ", (tool.remote_name, "$text-accent")]
            problems = [*tool.flags]
            if self.manager.changed(tool):
                problems.insert(0, "changed since you approved it: its next call asks")
            for problem in problems:
                parts += ["\n    ", (f"⚠ {problem}", "bold $text-warning")]
            description = escape_invisible(tool.raw_description.strip())
            if description and description != tool.remote_name:
                parts += ["\n", ("\n".join("    " + line for line in description.splitlines()), "dim")]
        if not tools:
            parts += ["\n  ", ("none", "dim")]
        resources = [r.mention for r in self.manager.resources() if r.server == status.name]
        prompts = [f"/{p.command}" for p in self.manager.list_prompts() if p.server == status.name]
        for label, items in (
            (f"Resources ({len(resources)})", resources),
            (f"Prompts ({len(prompts)})", prompts),
        ):
            if items:
                parts += ["\n\n", (label, "bold"), "\n  ", "  ".join(items)]
        return parts

    def _status(self, name: str | None) -> ServerStatus | None:
        return next((s for s in self.statuses() if s.name == name), None)

    # --- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self._status(self.selected)
        current = status.status if status is not None else None
        if current is None and action != "close":
            return False  # no server: nothing to act on, no keys to show
        if action == "enable":
            return current == "disabled"
        if action == "disable":
            return current != "disabled"
        needs = {
            "reconnect": current not in ("disabled", "needs-trust"),
            "trust": current == "needs-trust",
            "authenticate": current == "needs-auth",
        }
        if action in needs:
            return True if needs[action] else None  # shown dimmed when it does not apply
        return True

    def action_reconnect(self) -> None:
        if (name := self.selected) is not None and self.manager is not None:
            manager = self.manager
            self._act(name, f"Reconnecting to {name}…", lambda: manager.reconnect(name))

    def action_enable(self) -> None:
        if (name := self.selected) is not None and self.manager is not None:
            manager = self.manager
            self._act(name, f"Enabling {name}…", lambda: manager.enable(name, True))

    def action_disable(self) -> None:
        if (name := self.selected) is not None and self.manager is not None:
            manager = self.manager
            self._act(name, f"Disabling {name}…", lambda: manager.enable(name, False))

    def action_trust(self) -> None:
        if (name := self.selected) is None or self.manager is None:
            return
        manager = self.manager

        def answered(yes: bool | None) -> None:
            if yes:
                self._act(name, f"Trusting {name} and starting it…", lambda: manager.trust(name))
            else:
                self.status(f"{name} is still not trusted; it does not run.")

        self.app.push_screen(
            ConfirmTrust(manager.config(name), short_path(manager.project)), callback=answered
        )

    def action_authenticate(self) -> None:
        if (name := self.selected) is not None and self.manager is not None:
            manager = self.manager
            self._act(
                name,
                f"Signing in to {name}: finish in the browser window that opens…",
                lambda: manager.authenticate(name),
            )

    def action_close(self) -> None:
        self.dismiss(None)

    @work(group="mcp-actions", name="change the MCP server", exit_on_error=False)
    async def _act(self, name: str, doing: str, action: Callable[[], Awaitable[object]]) -> None:
        """Run one manager call, then wait for where the server settles and say so on the status line."""
        manager = self.manager
        if manager is None:
            return
        self.status(doing)
        try:
            await action()
            outcome = await self._settle(manager, name)
        except TimeoutError:
            self.status(f"{name} is still connecting; its status updates here when it is done.", error=True)
        except Exception as exc:  # noqa: BLE001 - any failure is shown on the status line, never raised
            self.status(f"{name}: {exc}", error=True)
        else:
            self.status(*outcome)
        if self.is_attached:
            self.refresh_servers()

    async def _settle(self, manager: McpManager, name: str) -> tuple[str, bool]:
        """Wait until a started server is up or has failed: the status line's text, and whether it is an error."""
        config = manager.config(name)
        now = manager.status(name)
        blocked = not manager.trust_store.is_trusted(manager.project, config)
        if config.error is not None:
            return f"{name} cannot start: {config.error}", True
        if now.status == "disabled" and not config.enabled:
            return f"{name} is disabled for this session; e enables it again.", False
        if now.status == "needs-trust" and blocked:
            return f"{name} needs your trust before it runs: t shows what it runs.", True
        final = await manager.wait_for(
            name, "connected", "failed", "needs-auth", timeout=manager.connect_timeout + SETTLE_MARGIN
        )
        if final.status == "connected":
            counts = f"{_plural(final.tools, 'tool')}, {_plural(final.resources, 'resource')}, "
            return f"{name} connected: {counts}{_plural(final.prompts, 'prompt')}.", False
        if final.status == "needs-auth":
            return f"{name} still needs you to sign in: a opens the sign-in page.", True
        return f"{name} failed: {final.last_error or 'no reason given'}", True

    def status(self, text: str, error: bool = False) -> None:
        if self.is_attached:
            line = self.query_one("#mcp-status", Static)
            line.update(Content.styled(" ".join(text.split()), "$text-error" if error else ""))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _count(count: int, width: int) -> Content:
    """A count right-aligned in its column; a zero dimmed so the numbers that matter stand out."""
    return Content.styled(str(count).rjust(width), "" if count else "dim")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
