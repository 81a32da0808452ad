"""`claw` (the TUI), `claw -p` (headless) and `claw sessions …`.

Imports are lazy: `claw --help` and `claw -p` never load Textual.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from claw_tui import __version__
from claw_tui.print_mode.flags import PERMISSION_MODES as PRINT_PERMISSION_MODES
from claw_tui.print_mode.flags import add_print_flags
from claw_tui.print_mode.session_flags import CliError

if TYPE_CHECKING:
    from claw_tui.config import LoadedConfig
    from claw_tui.providers.remote import ProviderHost
    from claw_tui.ui.app import SessionFlags

# The modes the app has; print mode takes Claude Code's others too (print_mode/flags.py).
PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions")


@functools.cache  # once a process: parsing the command line and naming the flags the app ignores both read it
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
    p.add_argument("-v", "--version", action="version", version=f"claw {__version__}")
    p.add_argument("-p", "--print", action="store_true", dest="headless", help="run one prompt headless and exit")
    p.add_argument(
        "--model",
        "-m",
        help="provider/model (anthropic/claude-opus-5-5, openai/gpt-5.6-sol, local/llama3), a listed model's "
        "bare id, or sonnet, opus, haiku, fable (default: sonnet, unless your config names a model)",
    )
    p.add_argument("--max-turns", type=int, help="stop after this many model calls in one turn")
    p.add_argument("--permission-mode", choices=PRINT_PERMISSION_MODES, help="how tool calls are approved")
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
        help="run through the warm engine (`claw serve`) instead of starting claw afresh",
    )
    p.add_argument("--cwd", type=Path, default=None, help=argparse.SUPPRESS)
    from claw_tui.mcp.config import add_mcp_config_flag

    add_mcp_config_flag(p)
    add_print_flags(p)
    return p


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["--version"], ["-v"]):  # answered before anything else loads
        print(f"claw {__version__}")
        return
    from claw_tui.core import background_imports

    # Until the app's first frame, print mode's session, or the end here: no garbage collection.
    background_imports.hold_start_up()
    try:
        _main(argv)
    finally:
        background_imports.start_up_done()


def _main(argv: list[str]) -> None:
    from claw_tui.config import secure_claw_dirs

    secure_claw_dirs()
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
        from claw_tui.core import background_imports

        background_imports.start_up_done()  # they serve for hours

        sys.exit(acp_main(argv[1:]) if argv[0] == "acp" else serve_main(argv[1:], run_cli=exit_code))
    args = build_parser().parse_args(argv)
    try:
        # As Claude Code: print mode also when stdout is not a terminal, or for the Agent SDK's
        # protocol, which it starts without -p.
        if args.attach:
            code = attached_run(args, argv)
        elif args.headless or args.input_format == "stream-json" or not sys.stdout.isatty():
            from claw_tui.print_mode.run import run

            code = run(args)
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
        where = f" (details in {log})" if log else " (no crash log: it could not be written)"
        print(f"claw: internal error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        code = 1
    sys.exit(code)


def exit_code(argv: list[str] | None = None) -> int:
    """`main` as the exit code its end says (a `sys.exit("message")` prints the message: code 1)."""
    try:
        main(argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0


def entry() -> None:
    """The `claw` command: `main`, then out of the process without tearing the interpreter down.
    Everything claw must finish it finishes before `main` returns (the session stored and closed,
    tools and servers stopped); what remains is unloading the SDKs' thousands of modules, 50 ms
    after the anthropic SDK even with the heap frozen, which nobody waits for."""
    try:
        code = exit_code()
    except BrokenPipeError:  # the reader of the output went away (`claw … | head -1`): nothing to say it to
        code = 1
    except KeyboardInterrupt:  # Ctrl+C before claw's own handling of it began (its first tenth of a second)
        print("claw: interrupted", file=sys.stderr)
        code = 130
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away, or a stream already closed
            code = code or 1
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    os._exit(code)


def attached_run(args: argparse.Namespace, argv: list[str]) -> int:
    """`claw --attach …`: the same command line (print mode or the app), run by a worker of the warm
    engine (`claw serve`) on this terminal or these pipes."""
    from claw_tui.acp.attach import AttachError, run_attached, without_attach

    try:
        return run_attached(without_attach(argv))
    except AttachError as exc:
        raise CliError(str(exc)) from None


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


def _log_crash() -> Path | None:
    """Append the traceback to crash.log in the data folder, else in the temporary folder; the
    path written, or None when neither could be (a full disk)."""
    import tempfile
    import traceback

    from claw_tui.config import user_data_dir
    from claw_tui.core.private_files import open_private

    for path in (user_data_dir() / "crash.log", Path(tempfile.gettempdir()) / f"claw-crash-{os.getuid()}.log"):
        try:
            with open_private(path, "a") as f:
                traceback.print_exc(file=f)
            return path
        except OSError:
            continue
    return None


# The flags the app acts on (their argparse dests); any other one given is named at start.
APP_FLAGS = frozenset({
    "prompt", "model", "max_turns", "permission_mode", "allowed_tools", "disallowed_tools", "tools", "continue_",
    "resume", "fork_session", "cwd", "mcp_config", "strict_mcp_config", "add_dir", "settings", "setting_sources",
    "max_budget_usd", "max_thinking_tokens", "system_prompt", "system_prompt_file", "append_system_prompt",
    "append_system_prompt_file", "agents", "dangerously_skip_permissions", "allow_dangerously_skip_permissions",
})


def _load(args: argparse.Namespace) -> tuple[Path, LoadedConfig, SessionFlags]:
    """The app's folder, config and SessionFlags from Claude Code's flags, read as print mode reads them."""
    from claw_tui.print_mode import session_flags as read
    from claw_tui.print_mode.flags import NOT_HONOURED
    from claw_tui.ui.app import SessionFlags

    cwd = (args.cwd or Path.cwd()).resolve()
    args.permission_mode = read.permission_mode(args)
    config = read.config_from_flags(args, cwd, args.model)
    flags = SessionFlags(
        rules=read.rules_from_flags(args),
        system_prompt=read.text_or_file(args.system_prompt, args.system_prompt_file, "--system-prompt"),
        append_system_prompt=read.text_or_file(
            args.append_system_prompt, args.append_system_prompt_file, "--append-system-prompt") or "",
        agents=read.parse_agents(args.agents) if args.agents else (),
        ignored=_ignored_flags(args, NOT_HONOURED),
    )
    return cwd, config, flags


def _ignored_flags(args: argparse.Namespace, not_honoured: dict[str, str]) -> list[str]:
    """A sentence for the flags given that the app does not act on: print mode's own, and those claw
    does not honour anywhere yet (each with its reason)."""
    given = [a for a in build_parser()._actions if a.dest not in APP_FLAGS and getattr(args, a.dest, a.default) != a.default]
    print_only = [a.option_strings[-1] for a in given if a.option_strings and a.dest not in not_honoured]
    lines = [f"claw ignored {', '.join(print_only)}: print mode (-p) only."] if print_only else []
    return lines + [f"claw ignored {not_honoured[a.dest]}." for a in given if a.dest in not_honoured]


def _fork_to_resume(args: argparse.Namespace, cwd: Path) -> str:
    """--fork-session in the app: the id of a new copy of the session --resume or --continue names."""
    from claw_tui.engine.sessions import SessionStore, StoreError

    try:
        with SessionStore.open() as store:
            if args.resume:
                session_id = store.resolve_id(args.resume)
            elif args.continue_ and (latest := store.latest(cwd)) is not None:
                session_id = latest.id
            else:
                raise CliError("--fork-session goes with --resume ID or --continue (and a session to continue)")
            info = store.get(session_id)
            return store.fork(session_id, info.message_count - 1) if info and info.message_count else session_id
    except StoreError as exc:
        raise CliError(str(exc)) from None


def run_tui(args: argparse.Namespace) -> int:
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        raise CliError('the full-screen app needs a terminal; for scripts use claw -p "prompt"')
    if args.permission_mode not in (None, *PERMISSION_MODES):
        raise CliError(f"--permission-mode {args.permission_mode} works with -p; the app has {', '.join(PERMISSION_MODES)}")
    if args.model:
        from claw_tui.providers.catalog import UnknownModel, resolve

        try:
            args.model = resolve(args.model)
        except UnknownModel as exc:
            raise CliError(str(exc)) from None
    from claw_tui.providers.remote import ProviderHost

    # First: the provider host loads the model's SDK on the other core while the app starts here
    # (not in the warm engine's worker, `claw --attach`: it has the SDKs loaded already).
    host = ProviderHost.start() if "anthropic" not in sys.modules else None
    try:
        cwd, config, flags = _load(args)
        if host is not None:
            host.preload(args.model or config.settings.model)
        return _run_app(args, cwd, config, flags, host)
    finally:
        if host is not None:
            host.close()


def _run_app(
    args: argparse.Namespace, cwd: Path, config: LoadedConfig, flags: SessionFlags, host: ProviderHost | None
) -> int:
    resume, continue_ = args.resume or None, args.continue_
    if args.fork_session:  # the app resumes a fresh copy, made here
        resume, continue_ = _fork_to_resume(args, cwd), False
    from claw_tui.ui.app import ClawApp

    app = ClawApp(
        cwd,
        config=config,
        model=args.model,
        permission_mode=args.permission_mode,
        resume=resume,
        continue_=continue_,
        open_browser=args.resume == "",  # bare --resume, and `claw sessions` with no subcommand
        mcp_config=args.mcp_config or (),
        strict_mcp_config=args.strict_mcp_config,
        flags=flags,
        prompt=args.prompt,
        boot=True,
        provider_host=host,
    )
    app.run()
    if app.boot_failure is not None:
        raise app.boot_failure
    if app.agent is not None and (session_id := app.agent.session_id):
        print(f"Session saved: `claw -c` continues it, as does `claw --resume {session_id}`.")
    return int(app.return_code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
