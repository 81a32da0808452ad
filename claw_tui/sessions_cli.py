"""`claw sessions list|show|search|export|import|delete`: the session store from the shell.

A bare `claw sessions` returns OPEN_BROWSER when a terminal is attached, and cli.py opens
the TUI's session browser; without a terminal it prints how to use the subcommands and
returns 2. Everything else prints a table (or JSON with --json) and returns 0, or one line
on stderr and 1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Final

from claw_tui.engine.sessions import SearchHit, SessionInfo, SessionStore, StoreError

# What sessions_main returns for a bare `claw sessions` in a terminal: cli.py opens the browser.
OPEN_BROWSER: Final = -1


class _ArgError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so sessions_main always returns a code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="claw sessions",
        description="Browse, search, export and import claw's sessions. Without a subcommand, "
        "opens the session browser.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def project_opt(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--project", type=Path, default=None, help="the project folder (default: here)")

    ls = sub.add_parser("list", help="list sessions, newest first")
    ls.add_argument("--all", action="store_true", help="sessions of every project")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    project_opt(ls)

    show = sub.add_parser("show", help="print one session as Markdown")
    show.add_argument("id", help="a session id or a unique prefix of one")
    show.add_argument("--json", action="store_true", help="print the session's details and messages as JSON")

    search = sub.add_parser("search", help="full-text search over messages")
    search.add_argument("query", nargs="+", help="words to find (plain words, not a query language)")
    search.add_argument("--all", action="store_true", help="search every project")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.add_argument("--limit", type=int, default=20, help="at most this many hits (default 20)")
    project_opt(search)

    export = sub.add_parser("export", help="write a session as Markdown or JSONL")
    export.add_argument("id", help="a session id or a unique prefix of one")
    export.add_argument(
        "--format", choices=("markdown", "jsonl"), help="default: from -o's suffix, else markdown"
    )
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")

    imp = sub.add_parser("import", help="import a claw JSONL export or a Claude Code transcript")
    imp.add_argument("file", type=Path)
    imp.add_argument("--project", type=Path, default=None, help="file it under this project instead")

    sub.add_parser(
        "recover",
        help="copy what can still be read of a damaged session database into a new one (the damaged file is kept)",
    )

    delete = sub.add_parser("delete", help="delete sessions (asks first)")
    delete.add_argument("ids", nargs="+", metavar="id", help="session ids or unique prefixes")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask")
    return p


def sessions_main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except _ArgError as exc:
        print(f"claw sessions: {exc} (see `claw sessions --help`)", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if args.command is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            return OPEN_BROWSER
        print(
            "claw sessions: the session browser needs a terminal; use `claw sessions list|show|search|export|"
            "import|delete` (see --help).",
            file=sys.stderr,
        )
        return 2
    try:
        if args.command == "recover":  # the one command that must not open the damaged database first
            return _recover()
        with SessionStore.open() as store:
            try:
                return _COMMANDS[args.command](store, args)
            finally:
                for notice in store.take_notices():  # damaged records skipped on the way
                    print(f"claw sessions: {notice}", file=sys.stderr)
    except StoreError as exc:
        print(f"claw sessions: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `claw sessions list | head`
        return 0


def _recover() -> int:
    from claw_tui.config import user_data_dir
    from claw_tui.engine.session_recovery import recover

    path = user_data_dir() / "sessions.db"
    print(recover(path).summary(path))
    return 0


def _project(args: argparse.Namespace) -> Path:
    project = (args.project or Path.cwd()).expanduser()
    if not project.is_dir():
        raise StoreError(f"No such folder: {project}")
    return project.resolve()


def _list(store: SessionStore, args: argparse.Namespace) -> int:
    sessions = store.list(None if args.all else _project(args), limit=args.limit)
    if args.json:
        print(json.dumps([asdict(s) for s in sessions], indent=2))
        return 0
    if not sessions:
        where = "" if args.all else f" for {_project(args)} (use --all for every project)"
        print(f"No sessions{where}.")
        return 0
    rows = [
        [s.id, _when(s.updated), str(s.message_count), _cost(s), _model(s)]
        + ([_home(s.project)] if args.all else [])
        for s in sessions
    ]
    headers = ["ID", "UPDATED", "MSGS", "COST", "MODEL"] + (["PROJECT"] if args.all else [])
    titles = [s.title or "(untitled)" for s in sessions]
    _table(headers + ["TITLE"], rows, titles)
    return 0


def _show(store: SessionStore, args: argparse.Namespace) -> int:
    from claw_tui.engine.session_io import export_markdown

    session_id = store.resolve_id(args.id)
    if args.json:
        info = store.get(session_id)
        messages = [m.model_dump(mode="json") for m in store.messages(session_id)]
        print(json.dumps({"session": asdict(info) if info else None, "messages": messages}, indent=2))
    else:
        print(export_markdown(store, session_id), end="")
    return 0


def _search(store: SessionStore, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    hits = store.search(query, None if args.all else _project(args), limit=args.limit)
    if args.json:
        print(json.dumps([asdict(h) for h in hits], indent=2))
        return 0
    if not hits:
        print(
            f"No messages match {query!r}"
            + ("." if args.all else " in this project (use --all for every project).")
        )
        return 0
    rows = [
        [h.session_id, str(h.message_index), h.role] + ([_home(h.project)] if args.all else []) for h in hits
    ]
    headers = ["SESSION", "MSG", "ROLE"] + (["PROJECT"] if args.all else [])
    _table(headers + ["MATCH"], rows, [_one_line(h) for h in hits])
    return 0


def _export(store: SessionStore, args: argparse.Namespace) -> int:
    from claw_tui.engine.session_io import export_jsonl, export_markdown

    session_id = store.resolve_id(args.id)
    fmt = args.format or (
        "jsonl" if args.output and args.output.suffix in (".jsonl", ".json") else "markdown"
    )
    text = export_jsonl(store, session_id) if fmt == "jsonl" else export_markdown(store, session_id)
    if args.output is None:
        print(text, end="")
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"Cannot write {args.output}: {exc.strerror or exc}.") from None
    print(f"Exported session {session_id} to {args.output} ({fmt}).")
    return 0


def _import(store: SessionStore, args: argparse.Namespace) -> int:
    from claw_tui.engine.session_io import import_jsonl

    project = _project(args) if args.project else None
    session_id = import_jsonl(store, args.file, project)
    info = store.get(session_id)
    where = f": {info.message_count} messages in {info.project}" if info else ""
    print(f"Imported {args.file} as session {session_id}{where}.")
    return 0


def _delete(store: SessionStore, args: argparse.Namespace) -> int:
    ids = [store.resolve_id(prefix) for prefix in args.ids]
    if not args.yes:
        if not sys.stdin.isatty():
            raise StoreError("Deleting needs a confirmation; pass --yes when not at a terminal.")
        for session_id in ids:
            info = store.get(session_id)
            if info:
                title = info.title or "(untitled)"
                print(f"  {info.id}  {title}  ({info.message_count} messages, {_home(info.project)})")
        try:
            answer = input(f"Delete {len(ids)} session(s)? This cannot be undone. [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return 1
    from claw_tui.engine.session_lock import SessionLock, lock_path

    for session_id in ids:
        lock = SessionLock.acquire(store.path.parent, session_id)  # not one another claw is writing
        try:
            store.delete(session_id)
            lock_path(store.path.parent, session_id).unlink(missing_ok=True)  # no session left to lock
        finally:
            lock.release()
        print(f"Deleted session {session_id}.")
    return 0


_COMMANDS = {
    "list": _list,
    "show": _show,
    "search": _search,
    "export": _export,
    "import": _import,
    "delete": _delete,
}


# --- formatting -----------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[str]], last: list[str]) -> None:
    """Aligned columns; the last (free text) column is cut to the terminal width."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers[:-1])]
    width = shutil.get_terminal_size((120, 24)).columns
    room = max(20, width - sum(widths) - 2 * len(widths))
    print("  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths, strict=True)) + "  " + headers[-1])
    for row, text in zip(rows, last, strict=True):
        text = text if len(text) <= room else text[: room - 1] + "…"
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + "  " + text)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def _cost(s: SessionInfo) -> str:
    return f"${s.cost_usd:.2f}" + ("+" if s.cost_partial else "")


def _model(s: SessionInfo) -> str:
    if not s.models:
        return "-"
    return s.models[-1] + (f" +{len(s.models) - 1}" if len(s.models) > 1 else "")


def _home(project: str) -> str:
    home = str(Path.home())
    return "~" + project[len(home) :] if project == home or project.startswith(home + "/") else project


def _one_line(hit: SearchHit) -> str:
    return " ".join(hit.snippet.split())
