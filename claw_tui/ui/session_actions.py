"""Stored sessions on the main screen: open, resume, fork, undo and rewind.

Each flow loads a session into the agent (or changes files through its checkpoints) and has the
screen redraw its panes; the screen itself only draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from claw_tui.core.diffs import FileChange
from claw_tui.core.home_paths import short_path
from claw_tui.core.transcript import Message
from claw_tui.engine.sessions import StoreError
from claw_tui.ui.messages import TasksChanged

if TYPE_CHECKING:
    from claw_tui.engine.sessions import SessionStore
    from claw_tui.ui.screens.main import MainScreen


async def open_session(screen: MainScreen, session_id: str) -> bool:
    """Load a stored session into the agent and draw it on fresh panes; False (with a note) when it cannot be read."""
    agent = screen.agent
    assert agent is not None and agent.store is not None
    graph = agent.task_graph
    try:
        agent.load_session(session_id)
        if agent.task_graph is not graph and agent.task_graph is not None:
            agent.task_graph.subscribe(lambda _task: screen.post_message(TasksChanged()))
        screen.status.model = agent.model  # the session's own model
        await screen.fresh_panes()
        await screen.show_session(session_id)
    except StoreError as exc:  # a busy or damaged database, a session open elsewhere: say so, the app goes on
        from claw_tui.ui.screens.sessions import busy_hint

        await screen.conversation.add_note(f"Cannot open the session: {exc} {busy_hint(exc)}".rstrip(), "error")
        return False
    return True


def show_undone(screen: MainScreen, paths: list[Path]) -> None:
    """After /undo: the diff pane shows each file going from claw's version back to what it is now."""
    changes = []
    for path in paths:
        key = str(path.relative_to(screen.cwd)) if path.is_relative_to(screen.cwd) else str(path)
        first, written = screen.session_changes.get(key, (None, ""))
        now = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        changes.append(FileChange(Path(key), written, now or ""))
        if now == first or (now is None and first is None):
            screen.session_changes.pop(key, None)  # back to how the session found it
        else:
            screen.session_changes[key] = (first, now or "")
    screen.diff_view.show_changes(changes, f"Undone ({len(changes)} {'file' if len(changes) == 1 else 'files'})")


async def announce(screen: MainScreen, session_id: str, verb: str) -> None:
    """One line under a session just drawn: which it is, and where it was if not here."""
    assert screen.agent is not None and screen.agent.store is not None
    info = screen.agent.store.get(session_id)
    if info is None:
        return
    title = f"“{info.title}”" if info.title else "an untitled session"
    count = f"{info.message_count} message{'s' if info.message_count != 1 else ''}"
    await screen.conversation.add_note(f"{verb} {title} ({count}) · session {session_id}")
    if Path(info.project) != screen.cwd:
        await screen.conversation.add_note(
            f"This session was recorded in {short_path(Path(info.project))}; claw works in {short_path(screen.cwd)}.",
            "warning",
        )


async def store_for(screen: MainScreen, command: str) -> SessionStore | None:
    """The agent's session store, or None after saying why /command cannot run now."""
    store = screen.agent.store if screen.agent is not None else None
    if store is None:
        await screen.conversation.add_note(f"{command}: sessions are not being saved in this run of claw.", "warning")
    elif screen.turn_running:
        await screen.conversation.add_note(f"{command}: wait for the turn to end, or press Esc to stop it.", "warning")
        return None
    return store


async def open_browser(screen: MainScreen, command: str = "/sessions") -> None:
    """/sessions: the browser over this project's sessions; resume or fork the one chosen."""
    from claw_tui.ui.screens.sessions import BrowserResult, SessionBrowser

    if (store := await store_for(screen, command)) is None:
        return
    assert screen.agent is not None

    async def chosen(result: BrowserResult | None) -> None:
        if result is None:
            return
        if screen.turn_running:  # a turn started from the palette while the browser was open
            await screen.conversation.add_note("A turn is running: open /sessions again once it ends.", "warning")
        elif result.action == "fork" and result.message_index is not None:
            await fork(screen, result.session_id, result.message_index)
        else:
            await resume(screen, result.session_id)

    screen.app.push_screen(SessionBrowser(store, screen.cwd, current_session=screen.agent.session_id), callback=chosen)


async def resume(screen: MainScreen, id_or_prefix: str) -> None:
    """/resume ID: load that session in place of the current one (which stays stored)."""
    if (store := await store_for(screen, "/resume")) is None:
        return
    try:
        session_id = store.resolve_id(id_or_prefix)
    except StoreError as exc:
        await screen.conversation.add_note(f"/resume: {exc} /sessions lists them.", "error")
        return
    if await open_session(screen, session_id):
        await announce(screen, session_id, "Resumed")


async def fork(screen: MainScreen, session_id: str, message_index: int) -> None:
    """A new session with messages 0..message_index of `session_id`, loaded in its place."""
    assert screen.agent is not None and screen.agent.store is not None  # the browser opens only with a store
    try:
        fork = screen.agent.store.fork(session_id, message_index)
    except StoreError as exc:
        await screen.conversation.add_note(f"Cannot fork: {exc}", "error")
        return
    if await open_session(screen, fork):
        await announce(screen, fork, f"Forked at message {message_index + 1}:")


async def undo_last_turn(screen: MainScreen) -> None:
    """/undo: the files of the last turn that changed any go back; a file the user changed since stays."""
    if (await store_for(screen, "/undo")) is None:
        return
    assert screen.agent is not None and screen.agent.checkpoints is not None  # kept wherever a store is
    if not screen.agent.session_id:
        await screen.conversation.add_note("/undo: no file has changed in this session.")
        return
    report = screen.agent.checkpoints.undo_last_turn(screen.agent.session_id)
    lines = report.lines(screen.cwd)
    await screen.conversation.add_note("Undo: " + "\n".join(lines), "warning" if report.skipped else "info")
    if report.restored or report.deleted:
        show_undone(screen, report.restored + report.deleted)
        screen.agent.tell_model(  # its history still shows the edits
            "The user undid the file changes of the last turn (" + "; ".join(lines) + "). "
            "Those files are back as they were before it; read them again before editing."
        )


async def open_rewind_picker(screen: MainScreen) -> None:
    """/rewind: pick a prompt; the conversation goes back to just before it, and so do the files."""
    from claw_tui.ui.screens.rewind import RewindPicker

    if (store := await store_for(screen, "/rewind")) is None:
        return
    assert screen.agent is not None
    messages = store.messages(screen.agent.session_id) if screen.agent.session_id else []

    async def chosen(index: int | None) -> None:
        if index is not None:
            await rewind_to(screen, index, messages[index])

    screen.app.push_screen(RewindPicker(messages), callback=chosen)


async def rewind_to(screen: MainScreen, index: int, prompt: Message) -> None:
    """Restore files to before message `index`, keep messages 0..index-1, and put the prompt back in the box."""
    agent = screen.agent
    assert agent is not None and agent.session_id is not None
    assert agent.store is not None and agent.checkpoints is not None  # /rewind opens only with a store
    if screen.turn_running:
        await screen.conversation.add_note("/rewind: wait for the turn to end, or press Esc to stop it.", "warning")
        return
    session_id = agent.session_id
    try:
        report = agent.checkpoints.rewind(session_id, index)
        agent.store.truncate_after(session_id, index - 1)
    except StoreError as exc:
        await screen.conversation.add_note(f"/rewind: {exc}", "error")
        return
    if not await open_session(screen, session_id):
        return
    files = report.lines(screen.cwd) if not report.empty else ["No file had changed since then."]
    await screen.conversation.add_note("Rewound to before that prompt.\n" + "\n".join(files))
    screen.prompt.load_text(prompt.text)
    screen.prompt.move_cursor(screen.prompt.document.end)
