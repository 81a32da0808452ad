"""`claw` (the TUI), `claw -p` (headless) and `claw sessions …`.

Imports are lazy: `claw --help` and `claw -p` never load Textual.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claw_tui import __version__

if TYPE_CHECKING:
    from claw_tui.engine.frontend import FrontendAgent

PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")


class CliError(Exception):
    """A one-line error for the user; exit code 1."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="claw",
        description="A terminal coding agent. Without -p, opens the full-screen app.",
        epilog="Sessions: `claw sessions --help`. Trust a folder's own hooks and servers: `claw trust [DIR]`.",
    )
    p.add_argument("prompt", nargs="?", help="the prompt (with -p); read from standard input when omitted")
    p.add_argument("--version", action="version", version=f"claw {__version__}")
    p.add_argument("-p", "--print", action="store_true", dest="headless", help="run one prompt headless and exit")
    p.add_argument(
        "--output-format",
        choices=("text", "json", "stream-json"),
        default="text",
        help="headless output: the answer, one JSON result, or every engine event as a JSON line",
    )
    p.add_argument("--model", "-m", help="provider/model, e.g. anthropic/claude-sonnet-4-6, openai/gpt-5, local/llama3")
    p.add_argument("--max-turns", type=int, help="stop after this many model calls in one turn")
    p.add_argument("--permission-mode", choices=PERMISSION_MODES, help="how tool calls are approved")
    p.add_argument(
        "--allowed-tools",
        "--allowedTools",
        nargs="+",
        default=[],
        metavar="RULE",
        help='allow rules, e.g. "Read" "Bash(git status:*)" "Edit(src/**)"',
    )
    p.add_argument(
        "--disallowed-tools", "--disallowedTools", nargs="+", default=[], metavar="RULE", help="deny rules"
    )
    p.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="QUESTION=ANSWER",
        help="headless answer to an AskUserQuestion question",
    )
    p.add_argument("-c", "--continue", action="store_true", dest="continue_", help="continue this directory's latest session")
    p.add_argument(
        "-r",
        "--resume",
        nargs="?",
        const="",
        default=None,
        metavar="ID",
        help="resume a session by id (or id prefix); without an id the app opens the session browser",
    )
    p.add_argument("--cwd", type=Path, default=None, help=argparse.SUPPRESS)
    from claw_tui.mcp.config import add_mcp_config_flag

    add_mcp_config_flag(p)
    return p


def split_rules(values: list[str]) -> list[str]:
    """Accept rules space- or comma-separated, keeping commas inside parentheses."""
    rules: list[str] = []
    for value in values:
        depth, current = 0, ""
        for ch in value:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
            if ch in ", " and depth == 0:
                if current:
                    rules.append(current)
                current = ""
            else:
                current += ch
        if current:
            rules.append(current)
    return rules


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--version"]:  # answered before anything else loads
        print(f"claw {__version__}")
        return
    if argv[:1] == ["sessions"]:
        from claw_tui.sessions_cli import OPEN_BROWSER, sessions_main

        code = sessions_main(argv[1:])
        if code != OPEN_BROWSER:
            sys.exit(code)
        argv = ["--resume"]
    if argv[:1] == ["trust"]:
        sys.exit(trust_main(argv[1:]))
    args = build_parser().parse_args(argv)
    try:
        if args.headless:
            import asyncio

            code = asyncio.run(run_headless(args))
        else:
            code = run_tui(args)
    except CliError as exc:
        print(f"claw: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("claw: interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user; the details go to a log file
        log = _log_crash()
        print(f"claw: internal error: {type(exc).__name__}: {exc} (details in {log})", file=sys.stderr)
        code = 1
    # The heap is about to go: the interpreter's final collections need not walk it (after the
    # anthropic SDK's 3,300 modules they took about a third of a second).
    gc.freeze()
    sys.exit(code)


def trust_main(argv: list[str]) -> int:
    """`claw trust [DIR]`: let a folder's own hooks, language servers and base URLs take effect."""
    from claw_tui.config import trust_folder

    if argv and argv[0] in ("-h", "--help"):
        print("usage: claw trust [DIR]\n\nTrust a folder's own configuration (hooks, language servers, provider URLs).")
        return 0
    folder = Path(argv[0] if argv else ".").resolve()
    if not folder.is_dir():
        print(f"claw: {folder} is not a directory", file=sys.stderr)
        return 1
    withheld = trust_folder(folder)
    print(f"Trusted {folder}" + (f": {', '.join(withheld)} now take effect." if withheld else "."))
    return 0


def _log_crash() -> Path:
    import traceback

    from claw_tui.config import user_data_dir

    path = user_data_dir() / "crash.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            traceback.print_exc(file=f)
    except OSError:
        pass
    return path


def _load(args: argparse.Namespace) -> tuple[Path, Any]:
    from claw_tui.config import ConfigError, load_config

    cwd = (args.cwd or Path.cwd()).resolve()
    flags: dict[str, Any] = {}
    if args.max_turns is not None:
        flags["max_turns"] = args.max_turns
    if args.model:
        flags["model"] = args.model
    try:
        config = load_config(cwd, flags=flags or None)
    except ConfigError as exc:
        raise CliError(f"bad configuration: {exc}") from None
    return cwd, config


def _rules(args: argparse.Namespace) -> list[tuple[str, str]]:
    return [("allow", r) for r in split_rules(args.allowed_tools)] + [
        ("deny", r) for r in split_rules(args.disallowed_tools)
    ]


def _answers(args: argparse.Namespace) -> dict[str, str]:
    answers = {}
    for item in args.answer:
        question, sep, answer = item.partition("=")
        if not sep:
            raise CliError(f"--answer takes QUESTION=ANSWER, got {item!r}")
        answers[question.strip()] = answer.strip()
    return answers


async def run_headless(args: argparse.Namespace) -> int:
    prompt = args.prompt
    if prompt is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise CliError('no prompt: pass it as an argument (claw -p "…") or on standard input')
        prompt = sys.stdin.read()
    if not prompt.strip():
        raise CliError("the prompt is empty")
    cwd, config = _load(args)
    if config.withheld:
        print(
            f"claw: this folder is not trusted yet; ignored {', '.join(config.withheld)} (`claw trust` allows them)",
            file=sys.stderr,
        )

    from claw_tui.engine.agent import Agent
    from claw_tui.tools.ask import AnswersFromFlags

    store = _open_store()
    session_id = _session_to_resume(args, store, cwd)
    if args.resume == "":
        raise CliError("--resume needs a session id in headless mode (see `claw sessions list`)")
    agent = Agent.create(
        cwd,
        asker=AnswersFromFlags(_answers(args)),
        model=args.model,
        permission_mode=args.permission_mode,
        config=config,
        extra_rules=_rules(args),
        store=store,
    )
    if session_id:
        agent.load_session(session_id)
    try:
        await _start_mcp(agent, args)
        return await _headless_turn(args, agent, prompt)
    finally:
        await agent.aclose()
        store.close()


async def _start_mcp(agent: FrontendAgent, args: argparse.Namespace) -> None:
    from claw_tui.mcp.config import McpConfigError

    try:
        manager = await agent.start_mcp(args.mcp_config or (), strict=args.strict_mcp_config)
    except McpConfigError as exc:
        raise CliError(str(exc)) from None
    for status in manager.statuses() if manager is not None else ():  # None: no server is declared
        if status.status not in ("connected", "disabled"):
            detail = f": {status.last_error}" if status.last_error else ""
            print(f"claw: MCP server {status.name} is {status.status}{detail}", file=sys.stderr)


def _open_store() -> Any:
    from claw_tui.engine.sessions import SessionStore, StoreError

    try:
        return SessionStore.open()
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _session_to_resume(args: argparse.Namespace, store: Any, cwd: Path) -> str | None:
    from claw_tui.engine.sessions import StoreError

    if args.resume:
        try:
            return store.resolve_id(args.resume)
        except StoreError as exc:
            raise CliError(str(exc)) from None
    if args.continue_:
        latest = store.latest(cwd)
        if latest is None:
            raise CliError(f"no session to continue in {cwd}")
        return latest.id
    return None


async def _headless_turn(args: argparse.Namespace, agent: FrontendAgent, prompt: str) -> int:
    from claw_tui.core import events as ev

    out = sys.stdout
    errors: list[ev.Error] = []
    finished: ev.TurnFinished | None = None
    last_text = ""
    names: dict[str, str] = {}  # call id → tool name, to say which call a denial stopped

    def say(line: str) -> None:  # text mode keeps stdout for the answer; what happens on the way goes to stderr
        if args.output_format == "text":
            print(f"claw: {line}", file=sys.stderr)

    async for event in agent.run_turn(prompt):
        if args.output_format == "stream-json":
            out.write(event.model_dump_json() + "\n")
            out.flush()
        if event.agent_id is not None:
            continue  # a subagent's own events: its report reaches the main agent as a tool result
        if isinstance(event, ev.Error) and event.fatal:
            errors.append(event)
        elif isinstance(event, ev.Error):
            say(event.message)
        elif isinstance(event, ev.Notice):
            say(event.text)
        elif isinstance(event, ev.Retrying):  # a long silence would look like a hang
            say(f"{event.reason} Retrying in {event.delay_s:.1f} s (retry {event.attempt} of {event.max_attempts}).")
        elif isinstance(event, ev.ToolCallStarted):
            names[event.call_id] = event.name
        elif isinstance(event, ev.PermissionDecided) and event.behavior == "deny":
            say(f"{names.get(event.call_id, 'a tool call')} was denied ({event.decided_by}).")
        elif isinstance(event, ev.MessageCompleted) and event.message.role == "assistant":
            if event.message.text:
                last_text = event.message.text
        elif isinstance(event, ev.TurnFinished):
            finished = event
    ok = not errors and finished is not None and finished.stop_reason == "end_turn"
    if args.output_format == "text":
        if last_text:
            out.write(last_text if last_text.endswith("\n") else last_text + "\n")
    elif args.output_format == "json":
        out.write(
            json.dumps(
                {
                    "type": "result",
                    "subtype": "success" if ok else f"error_{finished.stop_reason if finished else 'error'}",
                    "is_error": not ok,
                    "result": last_text,
                    "session_id": agent.session_id,
                    "model": agent.model,
                    "num_turns": finished.turns if finished else 0,
                    "total_cost_usd": round(agent.total_cost_usd, 6),
                    "errors": [e.message for e in errors],
                }
            )
            + "\n"
        )
    out.flush()
    if errors:
        print(f"claw: {errors[-1].message}", file=sys.stderr)
        return 1
    if finished is not None and finished.stop_reason != "end_turn":
        if not (finished.stop_reason == "max_turns" and args.output_format == "text"):  # its notice said why
            print(f"claw: the turn stopped early ({finished.stop_reason})", file=sys.stderr)
        return 1
    return 0


def run_tui(args: argparse.Namespace) -> int:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise CliError('the full-screen app needs a terminal; for scripts use claw -p "prompt"')
    cwd, config = _load(args)
    from claw_tui.ui.app import ClawApp

    app = ClawApp(
        cwd,
        config=config,
        model=args.model,
        permission_mode=args.permission_mode,
        resume=args.resume or None,
        continue_=args.continue_,
        open_browser=args.resume == "",  # bare --resume, and `claw sessions` with no subcommand
        mcp_config=args.mcp_config or (),
        strict_mcp_config=args.strict_mcp_config,
    )
    app.run()
    if app.agent is not None and (session_id := app.agent.session_id):
        print(f"Session saved: `claw -c` continues it, as does `claw --resume {session_id}`.")
    return int(app.return_code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
