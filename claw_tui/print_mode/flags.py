"""Claude Code's print-mode command line, so scripts written for `claude -p` run with `claw -p`.

The flags claw honours are parsed here with Claude Code's meanings; those it accepts but cannot
honour yet are listed in NOT_HONOURED, and print mode names each one given on one stderr line
instead of refusing to start. Only argparse is imported: `claw --version` stays fast.
"""

from __future__ import annotations

import argparse

OUTPUT_FORMATS = ("text", "json", "stream-json", "claw-events")
# Claude Code's modes; dontAsk, auto and manual have no mode of their own in claw's engine (see run.py).
PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto", "manual")

# Flag (its argparse dest) → why claw does not act on it yet. Each given one is named on stderr.
NOT_HONOURED = {
    "fallback_model": "--fallback-model: claw does not switch to another model when the main one is overloaded yet",
    "include_hook_events": "--include-hook-events: claw does not report hook events in stream-json yet",
    "betas": "--betas: claw sends no beta headers of the user's choosing",
    "effort": "--effort: claw has no effort setting yet (thinking follows the thinking_budget setting)",
    "agent": "--agent: claw cannot run the main session as a custom agent yet",
    "plugin_dir": "--plugin-dir: claw has no plugins",
    "debug": "--debug: claw writes no debug log (crashes go to crash.log in its data folder)",
    "debug_file": "--debug-file: claw writes no debug log",
    "thinking": "--thinking: claw has no thinking switch yet (it follows the thinking_budget setting)",
    "forward_subagent_text": "--forward-subagent-text: claw keeps subagents' own messages out of the stream",
    "exclude_dynamic_system_prompt_sections": "--exclude-dynamic-system-prompt-sections: claw's prompt has no such sections",
    "system_prompt_snapshot": "--system-prompt-snapshot: claw builds the system prompt for every request",
    "resume_session_at": "--resume-session-at: claw resumes a session at its end only",
    "resume_drops_turn": "--resume-drops-turn: claw resumes a session as it is",
    "session_mirror": "--session-mirror: claw keeps sessions in its own store, with no transcript mirror",
    "task_budget": "--task-budget: claw has no task budget (see --max-budget-usd)",
    "thinking_display": "--thinking-display: claw shows thinking as the provider returns it",
}


def add_print_flags(p: argparse.ArgumentParser) -> None:
    """The print-mode flags beside `claw`'s own (the prompt, -p, --model, --resume… are in cli.py)."""
    g = p.add_argument_group("print mode (-p), as in Claude Code")
    g.add_argument(
        "--output-format",
        choices=OUTPUT_FORMATS,
        default="text",
        help="text: the answer; json: the result as one object; stream-json: Claude Code's message stream "
        "as JSON lines; claw-events: claw's own engine events as JSON lines",
    )
    g.add_argument(
        "--input-format",
        choices=("text", "stream-json"),
        default="text",
        help="stream-json: user messages and control requests as JSON lines on stdin (the Agent SDK's protocol)",
    )
    g.add_argument("--verbose", action="store_true", help="accepted for Claude Code's stream-json (claw needs no switch)")
    g.add_argument("--include-partial-messages", action="store_true", help="stream-json: add stream_event lines")
    g.add_argument("--replay-user-messages", action="store_true", help="stream-json input: echo user messages back")
    g.add_argument("--system-prompt", help="replace claw's instructions (the environment and memory files stay)")
    g.add_argument("--system-prompt-file", metavar="FILE", help="--system-prompt from a file")
    g.add_argument("--append-system-prompt", help="add text to the end of the system prompt")
    g.add_argument("--append-system-prompt-file", metavar="FILE", help="--append-system-prompt from a file")
    g.add_argument("--add-dir", nargs="+", action="extend", default=[], metavar="DIR", help="more workspace roots")
    g.add_argument("--settings", metavar="FILE_OR_JSON", help="one more Claude Code settings file or JSON text")
    g.add_argument("--setting-sources", metavar="SOURCES", help="which settings files to read: user,project,local")
    g.add_argument("--session-id", metavar="UUID", help="the id of the new session (a UUID)")
    g.add_argument("--fork-session", action="store_true", help="with --resume/--continue: continue in a new session")
    g.add_argument("--no-session-persistence", action="store_true", help="keep no session in the store")
    g.add_argument("--max-budget-usd", type=float, metavar="USD", help="stop once the session has cost this much")
    g.add_argument("--json-schema", metavar="SCHEMA", help="JSON Schema the answer must follow (structured output)")
    g.add_argument("--tools", nargs="*", metavar="TOOL", help='built-in tools offered: "" none, "default", or names')
    g.add_argument("--agents", metavar="JSON", help="custom agent types as JSON (or a file holding it)")
    g.add_argument("--bare", action="store_true", help="no hooks, memory files or language servers")
    g.add_argument(
        "--dangerously-skip-permissions", action="store_true", help="--permission-mode bypassPermissions"
    )
    g.add_argument("--allow-dangerously-skip-permissions", action="store_true", help=argparse.SUPPRESS)
    g.add_argument(
        "--permission-prompt-tool",
        metavar="TOOL",
        help='who answers permission asks: "stdio" (the Agent SDK, over the control protocol) or an MCP tool',
    )
    g.add_argument(
        "--permission-prompts", choices=("host", "none"), help='"none": deny whatever would ask'
    )
    g.add_argument("--max-thinking-tokens", type=int, metavar="N", help="thinking budget in tokens")
    g.add_argument("--disable-slash-commands", action="store_true", help='send "/name" prompts as written')
    g.add_argument("-n", "--name", help="the session's title")
    # Accepted so Claude Code's command lines run; each given one is named on stderr (NOT_HONOURED).
    g.add_argument("--fallback-model", help=argparse.SUPPRESS)
    g.add_argument("--include-hook-events", action="store_true", help=argparse.SUPPRESS)
    g.add_argument("--betas", nargs="+", help=argparse.SUPPRESS)
    g.add_argument("--effort", help=argparse.SUPPRESS)
    g.add_argument("--agent", help=argparse.SUPPRESS)
    g.add_argument("--plugin-dir", action="append", help=argparse.SUPPRESS)
    g.add_argument("-d", "--debug", nargs="?", const="all", help=argparse.SUPPRESS)
    g.add_argument("--debug-file", help=argparse.SUPPRESS)
    g.add_argument("--thinking", help=argparse.SUPPRESS)
    g.add_argument("--forward-subagent-text", action="store_true", help=argparse.SUPPRESS)
    g.add_argument("--exclude-dynamic-system-prompt-sections", action="store_true", help=argparse.SUPPRESS)
    g.add_argument("--system-prompt-snapshot", help=argparse.SUPPRESS)
    g.add_argument("--resume-session-at", help=argparse.SUPPRESS)
    g.add_argument("--resume-drops-turn", help=argparse.SUPPRESS)
    g.add_argument("--session-mirror", action="store_true", help=argparse.SUPPRESS)
    g.add_argument("--task-budget", help=argparse.SUPPRESS)
    g.add_argument("--thinking-display", help=argparse.SUPPRESS)


def unhonoured(args: argparse.Namespace) -> list[str]:
    """One line for each flag given that claw accepts but does not act on."""
    return [why for dest, why in NOT_HONOURED.items() if getattr(args, dest, None) not in (None, False, [])]
