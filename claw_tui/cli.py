"""`claw` (the TUI), `claw -p` (headless) and `claw sessions …`.

Imports are lazy: `claw --help` and `claw -p` never load Textual.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from claw_tui import __version__

PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")


class CliError(Exception):
    """A one-line error for the user; exit code 1."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="claw",
        description="A terminal coding agent. Without -p, opens the full-screen app.",
        epilog=(
            "Sessions: `claw sessions --help`. Trust a folder's own hooks and servers: `claw trust [DIR]`. "
            "Editors (Agent Client Protocol): `claw acp`. The warm engine: `claw serve`, then `claw -p --attach`."
        ),
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
    p.add_argument(
        "--attach",
        action="store_true",
        help="with -p: run through the warm engine (`claw serve`) instead of starting one",
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
    if argv[:1] in (["acp"], ["serve"]):  # the ACP side loads only for these
        from claw_tui.acp.commands import acp_main, serve_main

        sys.exit(acp_main(argv[1:]) if argv[0] == "acp" else serve_main(argv[1:]))
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


def headless_options(args: argparse.Namespace) -> Any:
    from claw_tui.engine.headless import HeadlessOptions

    return HeadlessOptions(
        model=args.model,
        max_turns=args.max_turns,
        permission_mode=args.permission_mode,
        rules=_rules(args),
        answers=_answers(args),
        continue_=args.continue_,
        resume=args.resume,
        mcp_config=list(args.mcp_config or ()),
        strict_mcp_config=args.strict_mcp_config,
    )


def read_prompt(args: argparse.Namespace) -> str:
    prompt = args.prompt
    if prompt is None:
        if sys.stdin is None or sys.stdin.isatty():
            raise CliError('no prompt: pass it as an argument (claw -p "…") or on standard input')
        prompt = sys.stdin.read()
    if not prompt.strip():
        raise CliError("the prompt is empty")
    return prompt


def warn(lines: list[str]) -> None:
    for line in lines:
        print(f"claw: {line}", file=sys.stderr)


async def run_headless(args: argparse.Namespace) -> int:
    prompt = read_prompt(args)
    options = headless_options(args)
    if args.attach:
        return await run_attached(args, options, prompt)
    from claw_tui.engine.headless import SetupError, open_headless

    try:
        run = await open_headless(options, (args.cwd or Path.cwd()).resolve())
    except SetupError as exc:
        warn(exc.warnings)
        raise CliError(str(exc)) from None
    warn(run.warnings)
    try:
        return await print_turn(args, run.agent.run_turn(prompt), run.agent)
    finally:
        await run.aclose()


async def run_attached(args: argparse.Namespace, options: Any, prompt: str) -> int:
    """The run through the warm engine (`claw serve`): the same set-up there, the same printing here."""
    from claw_tui.acp.attach import AttachError, AttachSetupError, attach

    try:
        async with attach(options, (args.cwd or Path.cwd()).resolve()) as run:
            warn(run.warnings)
            return await print_turn(args, run.events(prompt), run.info)
    except AttachSetupError as exc:
        warn(exc.warnings)
        raise CliError(str(exc)) from None
    except AttachError as exc:
        raise CliError(str(exc)) from None


async def print_turn(args: argparse.Namespace, events: Any, agent: Any) -> int:
    """Print a turn's engine events as `claw -p` does and return its exit code; `agent` (or what
    stands for it in an attached run) gives session_id, model and total_cost_usd at the end."""
    from claw_tui.core import events as ev

    out = sys.stdout
    errors: list[ev.Error] = []
    finished: ev.TurnFinished | None = None
    last_text = ""
    names: dict[str, str] = {}  # call id → tool name, to say which call a denial stopped

    def say(line: str) -> None:  # text mode keeps stdout for the answer; what happens on the way goes to stderr
        if args.output_format == "text":
            print(f"claw: {line}", file=sys.stderr)

    async for event in events:
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
    if args.attach:
        raise CliError('--attach runs a headless prompt through the warm engine: claw -p --attach "prompt"')
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
    if session_id := getattr(app.agent, "session_id", None):
        print(f"Session saved: `claw -c` continues it, as does `claw --resume {session_id}`.")
    return int(app.return_code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
