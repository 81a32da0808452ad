"""The /agents screen: the agent types a subagent can be, their prompts, and new or edited custom ones.

The list holds the built-ins and every custom agent file (Claude Code's format, so `.claude/agents`
works as it is), later sources overriding earlier ones by name; files claw cannot use are listed
under it with their problem, so a typo in a frontmatter does not make an agent silently vanish.
`n` writes a new agent into `.claw/agents/`; Enter or `e` edits a custom agent's file as text.
Both check what they are about to save by loading it exactly as the Agent tool will, so a file
saved here always loads.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Static, TextArea

from claw_tui.config import save_user_file
from claw_tui.core.home_paths import short_path
from claw_tui.engine.agent_defs import (
    AgentDef,
    AgentDefError,
    as_list,
    load_agent_file,
    render_agent_file,
    save_agent,
    scan_agents,
)
from claw_tui.ui.widgets.footer import HintFooter

NEW_AGENT_SOURCE = "project (.claw/agents)"
DESCRIPTION_LEAST = 16  # the description column keeps at least this many cells
SOURCE_LABELS = {
    "project (.claw/agents)": ".claw/agents",
    "project (.claude/agents)": ".claude/agents",
}


def source_label(agent: AgentDef) -> str:
    return SOURCE_LABELS.get(agent.source, agent.source)


def tools_label(agent: AgentDef) -> str:
    if agent.tools is None:
        return "all"
    return ", ".join(agent.tools) if agent.tools else "none"


def check_agent_text(text: str, path: Path, source: str) -> AgentDef:
    """The agent `text` defines, loaded as the Agent tool will load it from `path`.

    Raises AgentDefError with the problem (without a path: the form or editor shows which file).
    """
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "agent.md"
        probe.write_text(text, encoding="utf-8")
        try:
            agent = load_agent_file(probe, source)
        except AgentDefError as exc:
            raise AgentDefError(str(exc).replace(f"{probe}: ", "", 1)) from None
    return replace(agent, path=path)


def problem_content(problem: str) -> Content:
    """A broken file's problem, its path shortened (the message is `path: what is wrong`)."""
    path, sep, why = problem.partition(": ")
    if not sep:
        return Content.styled(problem, "$text-error")
    return Content.assemble(("✗ ", "$text-error"), (short_path(path), "bold"), ": ", (why, "$text-error"))


class AgentTable(DataTable[str | Content]):
    """The agent list; Enter edits the highlighted agent."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "edit", show=False)]


class AgentForm(ModalScreen[Path | None]):
    """A new custom agent: the frontmatter fields and the system prompt, saved into `directory`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "save", priority=True),
        Binding("escape", "cancel", "cancel"),
    ]

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory

    def compose(self) -> ComposeResult:
        with Vertical(id="agent-form") as form:
            form.border_title = "New agent"
            form.border_subtitle = f"saved in {short_path(self.directory)}"
            with Horizontal(classes="form-row"):
                yield Label("Name", classes="form-label")
                yield Input(placeholder="code-reviewer", id="form-name", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Description", classes="form-label")
                yield Input(
                    placeholder="When the main agent should use it", id="form-description", compact=True
                )
            with Horizontal(classes="form-row"):
                yield Label("Tools", classes="form-label")
                yield Input(placeholder="Read, Grep, Glob (empty: every tool)", id="form-tools", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Model", classes="form-label")
                yield Input(placeholder="inherit, sonnet, opus or a model id", id="form-model", compact=True)
            yield Label("System prompt", classes="form-label")
            yield TextArea(id="form-body", soft_wrap=True)
            yield Static(id="form-error")
            yield Static(
                Content.assemble(
                    ("ctrl+s", "bold"),
                    " save   ",
                    ("esc", "bold"),
                    " cancel   ",
                    ("tab", "bold"),
                    " next field",
                ),
                id="form-keys",
            )

    def value(self, field: str) -> str:
        return self.query_one(f"#form-{field}", Input).value.strip()

    def action_save(self) -> None:
        model = self.value("model")
        tools = self.value("tools")
        agent = AgentDef(
            name=self.value("name"),
            description=self.value("description"),
            system_prompt=self.query_one("#form-body", TextArea).text,
            tools=tuple(as_list(tools)) if tools else None,
            model=None if model in ("", "inherit") else model,
            source=NEW_AGENT_SOURCE,
        )
        if not agent.name:
            self.error("Give the agent a name: letters, digits, '-', '_' and '.'.")
            return
        try:
            checked = check_agent_text(
                render_agent_file(agent), self.directory / f"{agent.name}.md", NEW_AGENT_SOURCE
            )
        except AgentDefError as exc:
            self.error(str(exc))
            return
        assert checked.path is not None
        if checked.path.exists():
            self.error(
                f"{short_path(checked.path)} exists already: pick it in the list and press e to edit it."
            )
            return
        try:
            path = save_agent(replace(checked, path=None), self.directory)
        except OSError as exc:
            self.error(f"Cannot write {short_path(checked.path)}: {exc.strerror or exc}.")
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(Content.styled(text, "$text-error"))


class AgentEditor(ModalScreen[Path | None]):
    """A custom agent's file as text: frontmatter and prompt, checked before it is written."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "save", priority=True),
        Binding("escape", "cancel", "cancel"),
    ]

    def __init__(self, agent: AgentDef, text: str) -> None:
        super().__init__()
        assert agent.path is not None
        self.agent = agent
        self.path = agent.path
        self.original = text
        self.warned = False  # Esc with unsaved changes warns once, then discards

    def compose(self) -> ComposeResult:
        with Vertical(id="agent-editor") as box:
            box.border_title = f"Edit {self.agent.name}"
            box.border_subtitle = short_path(self.path)
            yield TextArea(self.original, id="editor-text", soft_wrap=True)
            yield Static(id="editor-error")
            yield Static(
                Content.assemble(("ctrl+s", "bold"), " save   ", ("esc", "bold"), " cancel"), id="editor-keys"
            )

    def action_save(self) -> None:
        text = self.query_one("#editor-text", TextArea).text
        try:
            check_agent_text(text, self.path, self.agent.source)
        except AgentDefError as exc:
            self.error(f"Not saved: {exc}")
            return
        try:
            save_user_file(self.path, text if text.endswith("\n") else text + "\n")
        except OSError as exc:
            self.error(f"Cannot write {short_path(self.path)}: {exc.strerror or exc}.")
            return
        self.dismiss(self.path)

    def action_cancel(self) -> None:
        if self.query_one("#editor-text", TextArea).text != self.original and not self.warned:
            self.warned = True
            self.error("Unsaved changes: esc again discards them, ctrl+s saves.")
            return
        self.dismiss(None)

    def error(self, text: str) -> None:
        self.query_one("#editor-error", Static).update(Content.styled(text, "$text-error"))


class AgentsScreen(Screen[None]):
    """List the agent types with a preview of their prompts; add and edit custom agents."""

    CSS_PATH = "agents.tcss"
    AUTO_FOCUS = "#agents-table"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]  # noqa: RUF012 (Textual types it per instance)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "new agent", tooltip="Write a new agent into .claw/agents/"),
        Binding("e", "edit", "edit", tooltip="Edit the agent's file (custom agents only)"),
        Binding("escape", "close", "close"),
    ]

    def __init__(self, cwd: Path, *, user_dir: Path | None = None) -> None:
        super().__init__()
        self.cwd = Path(cwd)
        self.user_dir = user_dir
        self.agents: list[AgentDef] = []
        self.problems: list[str] = []
        self.selected: str | None = None  # the highlighted agent's name
        self._table_width = 0

    @property
    def new_agent_dir(self) -> Path:
        return self.cwd / ".claw" / "agents"

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="agents-top"):
            yield Static(id="agents-title")
            yield Static(id="agents-count")
        with Horizontal(id="agents-body"):
            with Vertical(id="agents-list"):
                yield AgentTable(
                    id="agents-table", cursor_type="row", cursor_foreground_priority="css"
                )
                yield Static(id="agents-problems")
            with VerticalScroll(id="agents-preview"):
                yield Static(id="agents-preview-text")
        yield Static(id="agents-status")
        yield HintFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#agents-title", Static).update(
            Content.assemble(("Agents", "bold"), "  ", (short_path(self.cwd), "dim"))
        )
        self.call_after_refresh(self.reload)

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.query_one(AgentTable).size.width != self._table_width:
            self._fill_table()

    def reload(self, select: str | None = None) -> None:
        """Read every agent directory again; keep (or move to) the selection by name."""
        self.agents, self.problems = scan_agents(self.cwd, self.user_dir)
        if select is not None:
            self.selected = select
        custom = sum(a.editable for a in self.agents)
        self.query_one("#agents-count", Static).update(
            Content.styled(f"{len(self.agents) - custom} built-in · {custom} custom", "dim")
        )
        self._fill_table()
        self._show_problems()

    def _fill_table(self) -> None:
        table = self.query_one(AgentTable)
        names = [a.name for a in self.agents]
        if self.selected not in names:
            self.selected = names[0] if names else None
        # (label, least width, most width, one text per agent)
        columns = [
            ("name", 6, 22, names),
            ("source", 6, 14, [source_label(a) for a in self.agents]),
            ("model", 5, 16, [a.model or "inherit" for a in self.agents]),
            ("tools", 5, 24, [tools_label(a) for a in self.agents]),
        ]
        widths = [min(most, max([least, *map(len, texts)])) for _, least, most, texts in columns]
        self._table_width = table.size.width
        # One cell of padding each side of every column, and two for the scrollbar.
        room = self._table_width - 2 * (len(columns) + 1) - 2 - DESCRIPTION_LEAST
        while sum(widths) > room:  # too narrow: take a cell from the column with the most to spare
            spare = [width - least for width, (_, least, *_) in zip(widths, columns, strict=True)]
            if max(spare) <= 0:
                break
            widths[spare.index(max(spare))] -= 1
        description_w = max(DESCRIPTION_LEAST, room + DESCRIPTION_LEAST - sum(widths))
        table.clear(columns=True)
        for (label, *_), width in zip(columns, widths, strict=True):
            table.add_column(label, width=width, key=label)
        table.add_column("description", width=description_w, key="description")
        for agent in self.agents:
            dim = "" if agent.editable else "dim"
            table.add_row(
                Content.styled(_clip(agent.name, widths[0]), "bold"),
                Content.styled(source_label(agent), dim),
                Content.styled(agent.model or "inherit", "" if agent.model else "dim"),
                _clip(tools_label(agent), widths[3]),
                _clip(" ".join(agent.description.split()), description_w),
                key=agent.name,
            )
        if self.selected is not None:
            table.move_cursor(row=names.index(self.selected), animate=False)
        self._show_preview()

    def _show_problems(self) -> None:
        box = self.query_one("#agents-problems", Static)
        box.display = bool(self.problems)
        if not self.problems:
            return
        many = len(self.problems) != 1
        head = f"{len(self.problems)} agent file{'s' if many else ''} could not be used:"
        lines: list[str | tuple[str, str] | Content] = [(head, "bold $text-error")]
        for problem in self.problems:
            lines += ["\n", problem_content(problem)]
        box.update(Content.assemble(*lines))

    @on(DataTable.RowHighlighted, "#agents-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value != self.selected:
            self.selected = event.row_key.value
            self._show_preview()

    @on(DataTable.RowSelected, "#agents-table")
    def _row_selected(self) -> None:
        self.action_edit()

    def agent(self, name: str | None) -> AgentDef | None:
        return next((a for a in self.agents if a.name == name), None)

    def _show_preview(self) -> None:
        pane = self.query_one("#agents-preview", VerticalScroll)
        text = self.query_one("#agents-preview-text", Static)
        agent = self.agent(self.selected)
        if agent is None:
            pane.border_title = pane.border_subtitle = ""
            text.update("")
            return
        pane.border_title = agent.name
        pane.border_subtitle = short_path(agent.path) if agent.path else "built-in · read-only"
        tools = (
            ", ".join(agent.tools) or "none" if agent.tools is not None else "every tool a subagent may have"
        )
        text.update(
            Content.assemble(
                " ".join(agent.description.split()),
                "\n\n",
                ("tools  ", "dim"),
                tools,
                "\n",
                ("model  ", "dim"),
                agent.model or "inherits the main agent's model",
                "\n\n",
                ("System prompt", "bold"),
                "\n",
                agent.system_prompt,
            )
        )
        pane.scroll_home(animate=False)

    # --- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit":
            agent = self.agent(self.selected)
            return True if agent is not None and agent.editable else None
        return True

    def action_new(self) -> None:
        def saved(path: Path | None) -> None:
            if path is None:
                return
            try:
                name = load_agent_file(path, NEW_AGENT_SOURCE).name
            except AgentDefError as exc:  # changed on disk meanwhile: show what is wrong now
                self.status(str(exc), error=True)
                name = None
            self.reload(select=name)
            self.query_one(AgentTable).focus()
            if name is not None:
                self.status(f"Saved {short_path(path)}; the Agent tool can use “{name}” now.")

        self.app.push_screen(AgentForm(self.new_agent_dir), callback=saved)

    def action_edit(self) -> None:
        agent = self.agent(self.selected)
        if agent is None:
            return
        if agent.path is None:
            self.status(
                f"“{agent.name}” is built in and read-only. A custom agent with the same name "
                "(n) replaces it.",
                error=True,
            )
            return
        try:
            text = agent.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.status(f"Cannot read {short_path(agent.path)}: {exc}", error=True)
            return

        def saved(path: Path | None) -> None:
            if path is None:
                return
            self.reload()
            edited = next((a for a in self.agents if a.path == path), None)
            if edited is not None and edited.name != self.selected:  # the name in the file changed
                self.selected = edited.name
                self._fill_table()
            self.status(f"Saved {short_path(path)}.")

        self.app.push_screen(AgentEditor(agent, text), callback=saved)

    def action_close(self) -> None:
        self.dismiss(None)

    def status(self, text: str, *, error: bool = False) -> None:
        self.query_one("#agents-status", Static).update(Content.styled(text, "$text-error" if error else ""))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
