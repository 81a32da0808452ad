"""`claw -p`: a prompt (or, with --input-format stream-json, a conversation) run headless.

The command line is Claude Code's (flags.py). Output: `text` prints the answer (what happens on
the way goes to stderr); `json` prints Claude Code's result object; `stream-json` Claude Code's
message stream (protocol.py); `claw-events` claw's own engine events, one JSON line each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from claw_tui.core import background_imports
from claw_tui.core.transcript import INTERRUPTED
from claw_tui.print_mode.flags import unhonoured
from claw_tui.print_mode.protocol import ClaudeStream, protocol_model
from claw_tui.print_mode.session_flags import (
    CliError,
    config_from_flags,
    parse_agents,
    permission_mode,
    rules_from_flags,
    text_or_file,
)

if TYPE_CHECKING:
    from claw_tui.core import events as ev
    from claw_tui.core.approval import Approver
    from claw_tui.core.transcript import Message
    from claw_tui.engine.frontend import FrontendAgent
    from claw_tui.engine.sessions import SessionStore
    from claw_tui.engine.user_commands import CommandPrompt
    from claw_tui.print_mode.control import ControlChannel

# Claude Code's permission modes that claw's engine has under another name: dontAsk denies what
# would ask (its approver does that), manual is Claude Code's newer name for default, and auto
# (a classifier deciding asks) has no counterpart, so its asks go where default's go.
ENGINE_MODE = {"dontAsk": "default", "manual": "default", "auto": "default"}
STRUCTURED_RETRIES = 2


def run(args: argparse.Namespace) -> int:
    """Run print mode; a CliError is one line on stderr and exit code 1."""
    try:
        return asyncio.run(main(args))
    except CliError as exc:
        print(f"claw: {exc}", file=sys.stderr)
        return 1


def note(text: str) -> None:
    print(f"claw: {text}", file=sys.stderr, flush=True)


async def main(args: argparse.Namespace) -> int:
    for line in unhonoured(args):
        note(f"{line}; ignored")
    stream_input = args.input_format == "stream-json"
    if stream_input and args.output_format != "stream-json":
        raise CliError("--input-format stream-json needs --output-format stream-json")
    if args.permission_prompt_tool == "stdio" and not stream_input:
        raise CliError("--permission-prompt-tool stdio needs --input-format stream-json (the Agent SDK's protocol)")
    if args.model:
        args.model = _model(args.model)  # an unknown name is said before anything waits on stdin
    prompt = None if stream_input else read_prompt(args)
    session = await PrintSession.open(args)
    background_imports.start_up_done()
    try:
        if stream_input:
            from claw_tui.print_mode.control import StreamInput

            assert session.channel is not None
            return await StreamInput(session, session.channel).serve()
        assert prompt is not None
        await session.turn(await session.expand(prompt))
        return session.finish_turn()
    finally:
        await session.close()


def read_prompt(args: argparse.Namespace) -> str:
    """The prompt argument with what is piped after it, as Claude Code reads them."""
    from claw_tui.print_mode.prompts import STDIN_WAIT, read_piped, with_piped

    piped, silent = read_piped()
    if silent:
        note(f"no input on standard input in {STDIN_WAIT:g} s, going on without it "
             "(close it, or redirect it from /dev/null, to skip the wait)")
    prompt = with_piped(args.prompt, piped)
    if not prompt.strip():
        raise CliError('no prompt: pass it as an argument (claw -p "…") or on standard input')
    return prompt


# --- the session ------------------------------------------------------------------------------


class Output(Protocol):
    """Where a turn's events go, by --output-format."""

    def begin(self, session: PrintSession) -> None: ...

    def event(self, event: ev.EngineEvent) -> None: ...

    def interrupted(self, marker: str) -> None: ...

    def end(self, session: PrintSession) -> int: ...


class PrintSession:
    """The agent, its stored session and its output for one `claw -p` run."""

    def __init__(self, args: argparse.Namespace, agent: FrontendAgent, output: Output) -> None:
        self.args = args
        self.agent = agent
        self.output = output
        self.mode = args.permission_mode or agent.permissions.mode
        self.schema_given = bool(args.json_schema)
        self.channel: ControlChannel | None = None
        self.store: SessionStore | None = agent.store
        self._commands: dict[str, Any] | None = None

    @classmethod
    async def open(cls, args: argparse.Namespace) -> PrintSession:
        from claw_tui.engine.agent import Agent
        from claw_tui.tools.ask import AnswersFromFlags

        cwd = (args.cwd or Path.cwd()).resolve()
        args.permission_mode = permission_mode(args)
        config = config_from_flags(args, cwd, args.model)
        if config.withheld:
            note(f"this folder is not trusted yet; ignored {', '.join(config.withheld)} (`claw trust` allows them)")
        if config.refused:
            note(f"ignored {', '.join(config.refused)}: only your own config may set it")
        extra_tools = [_structured_output(args.json_schema)] if args.json_schema else []
        output = _output(args)
        approver = _approver(args, output)
        store = None if args.no_session_persistence else _open_store()
        try:
            resumed = _session_to_resume(args, store, cwd)
            agent = Agent.create(
                cwd,
                approver=approver,
                asker=AnswersFromFlags(_answers(args)),
                model=args.model,
                permission_mode=ENGINE_MODE.get(args.permission_mode, args.permission_mode),
                config=config,
                extra_rules=rules_from_flags(args),
                store=store,
                bare=args.bare,
                extra_tools=extra_tools,
            )
        except BaseException:
            if store is not None:
                store.close()
            raise
        session = cls(args, agent, output)
        try:
            session_id = _attach_session(args, agent, store, resumed)
            if resumed is not None and args.model:  # a model named on the command line wins over the session's
                agent.set_model(args.model)
            if warning := agent.sandbox_warning:
                note(f"{warning} (-p cannot ask, so such commands are denied)")
            for line in agent.startup_notes:  # what of the user's setup claw does not honour, named once
                note(line)
            agent.system_prompt = text_or_file(args.system_prompt, args.system_prompt_file, "--system-prompt")
            agent.append_system_prompt = text_or_file(
                args.append_system_prompt, args.append_system_prompt_file, "--append-system-prompt") or ""
            if args.agents:
                agent.session_agents = parse_agents(args.agents)
                agent.refresh_agent_types()
            if isinstance(output, ClaudeOutput):
                session.channel = output.channel
                output.stream.session_id = session_id
                if resumed is not None and store is not None:
                    output.stream.restore_usage(store.usage(resumed))
            _bind(approver, session)
            await _start_mcp(agent, args)
        except BaseException:
            await session.close()
            raise
        return session

    def note(self, text: str) -> None:
        note(text)

    async def close(self) -> None:
        try:
            await self.agent.aclose()
        finally:
            if self.store is not None:
                if self.args.name and self.agent.session_id:
                    self.store.rename(self.agent.session_id, self.args.name)
                self.store.close()

    # --- turns ----------------------------------------------------------------------------

    async def expand(self, prompt: str) -> str | Message | CommandPrompt:
        """`/name args` as the user command, skill or MCP prompt it names (unless --disable-slash-commands),
        in Claude Code's format; `@server:uri` resources attached."""
        if self.args.disable_slash_commands:
            return prompt
        from claw_tui.engine.prompt_input import PromptError, prepare_prompt
        from claw_tui.print_mode.prompts import as_claude_code_sends

        try:
            prepared = await prepare_prompt(self.agent, prompt)
        except PromptError as exc:
            raise CliError(str(exc)) from None
        for notice in prepared.notices:
            note(notice)
        return as_claude_code_sends(prepared.prompt)

    def commands(self) -> dict[str, Any]:
        if self._commands is None:
            from claw_tui.engine.user_commands import load_user_commands

            self._commands = load_user_commands(self.agent.cwd).commands
        return self._commands

    async def turn(self, prompt: str | Message | CommandPrompt) -> None:
        """One prompt through the agent, its events to the output; a --json-schema run is reminded to
        answer through StructuredOutput when a turn ends without it."""
        self.output.begin(self)
        await self._run(prompt)
        if self.schema_given and isinstance(self.output, ClaudeOutput):
            from claw_tui.print_mode.structured import REMINDER

            for _ in range(STRUCTURED_RETRIES):
                turn = self.output.stream.turn
                if turn.structured_output is not None or turn.errors or (
                        turn.finished is not None and turn.finished.stop_reason != "end_turn"):
                    break
                await self._run(REMINDER)

    async def _run(self, prompt: str | Message | CommandPrompt) -> None:
        async for event in self.agent.run_turn(prompt):
            self.output.event(event)

    def interrupted(self) -> None:
        """The host interrupted the turn: count what the cut call cost and say so with the marker the
        engine left for the model (`[Request interrupted by user]`, or `… for tool use`)."""
        usage = self.agent.take_cut_short_usage()
        if usage is not None:
            self.output.event(usage)
        last = self.agent.transcript[-1] if self.agent.transcript else None
        self.output.interrupted(last.text if last is not None and last.is_interruption else INTERRUPTED)

    def finish_turn(self) -> int:
        """End the turn's output; the exit code it calls for (1 when the turn failed)."""
        return self.output.end(self)

    # --- Claude Code's control requests (stream-json input) -------------------------------

    async def initialize(self, request: dict[str, Any]) -> dict[str, Any]:
        """What the Agent SDK learns at start: commands, agent types, models, output styles."""
        from claw_tui import __version__
        from claw_tui.providers import catalog

        if request.get("agents"):
            self.agent.session_agents = parse_agents(json.dumps(request["agents"]))
            self.agent.refresh_agent_types()
        for key, what in (("hooks", "hook callbacks"), ("skills", "a skill filter"),
                          ("excludeDynamicSections", "excludeDynamicSections"),
                          ("systemPromptSnapshot", "systemPromptSnapshot")):
            if request.get(key):
                note(f"the Agent SDK's {what} are not supported by claw yet; ignored")
        commands = [{"name": name, "description": "", "argumentHint": ""} for name in sorted(self.commands())]
        return {
            "commands": commands,
            "agents": [{"name": a.name, "description": a.description, **({"model": a.model} if a.model else {})}
                       for a in self.agent.agent_types()],
            "output_style": "default",
            "available_output_styles": ["default"],
            "models": [{"value": protocol_model(m.full_id), "displayName": m.id,
                        "description": f"${m.input_price:g}/${m.output_price:g} per Mtok" if m.priced else ""}
                       for m in catalog.all_models()],
            "account": {},
            "pid": os.getpid(),
            "claude_code_version": __version__,
            "current_permission_mode": self.mode,
        }

    async def set_permission_mode(self, request: dict[str, Any]) -> dict[str, Any]:
        from claw_tui.print_mode.flags import PERMISSION_MODES

        mode = str(request.get("mode"))
        if mode not in PERMISSION_MODES:
            raise ValueError(f"Unknown permission mode {mode!r}; claw takes {', '.join(PERMISSION_MODES)}")
        self.mode = mode
        self.agent.permissions.mode = ENGINE_MODE.get(mode, mode)
        if isinstance(self.output, ClaudeOutput):
            self.output.write(self.output.stream.system("status", status=None, permissionMode=mode))
        return {"mode": mode}

    async def set_model(self, request: dict[str, Any]) -> dict[str, Any]:
        requested = request.get("model")
        full = self.agent.settings.model if requested in (None, "default") else _model(str(requested), ValueError)
        self.agent.set_model(full)
        return {"model": requested}

    async def mcp_status(self, request: dict[str, Any]) -> dict[str, Any]:
        manager = self.agent.mcp
        statuses = manager.statuses() if manager is not None else []
        return {"mcpServers": [mcp_server_status(s, manager) for s in statuses]}

    async def mcp_reconnect(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.agent.mcp is None:
            raise ValueError("no MCP servers are configured")
        await self.agent.mcp.reconnect(str(request.get("serverName")))
        return {}

    async def mcp_toggle(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.agent.mcp is None:
            raise ValueError("no MCP servers are configured")
        await self.agent.mcp.enable(str(request.get("serverName")), bool(request.get("enabled")))
        return {}

    def apply_permission_update(self, update: dict[str, Any]) -> None:
        """A permission update the host sent with its answer: session rules, or a mode."""
        kind = update.get("type")
        if kind == "addRules" and update.get("behavior") in ("allow", "deny", "ask"):
            for rule in update.get("rules") or []:
                content = rule.get("ruleContent")
                text = f"{rule.get('toolName')}({content})" if content else str(rule.get("toolName"))
                self.agent.permissions.add_rule(update["behavior"], text, "the Agent SDK")
        elif kind == "setMode" and update.get("mode"):
            self.mode = str(update["mode"])
            self.agent.permissions.mode = ENGINE_MODE.get(self.mode, self.mode)
        else:
            note(f"a permission update of type {kind!r} is not supported by claw yet; ignored")

    # --- the system/init line ---------------------------------------------------------------

    def init_fields(self) -> dict[str, Any]:
        from claw_tui import __version__

        agent = self.agent
        manager = agent.mcp
        return {
            "cwd": str(agent.cwd),
            "tools": agent.tool_names(),
            "mcp_servers": [{"name": s.name, "status": mcp_server_status(s, manager)["status"]}
                            for s in (manager.statuses() if manager is not None else [])],
            "model": protocol_model(agent.model),
            "permissionMode": self.mode,
            "slash_commands": sorted(self.commands()),
            "apiKeySource": _key_source(agent.model),
            "claude_code_version": __version__,
            "output_style": "default",
            "agents": [a.name for a in agent.agent_types()],
            "skills": _skill_names(agent.cwd),
            "plugins": [],
            "original_cwd": str(agent.cwd),
            "additional_directories": [str(r) for r in agent.permissions.roots[1:]],
            "sandbox_enabled": agent.sandbox_status == "on",
        }


def mcp_server_status(status: Any, manager: Any) -> dict[str, Any]:
    """An MCP server's status as the Agent SDK's McpServerStatus."""
    names = {"connecting": "pending", "needs-trust": "disabled"}
    out: dict[str, Any] = {"name": status.name, "status": names.get(status.status, status.status),
                           "scope": status.scope}
    if status.status == "needs-trust":
        out["error"] = "the project's server waits for `claw trust`"
    elif status.last_error:
        out["error"] = status.last_error
    if status.server_info:
        name, _, version = status.server_info.partition(" ")
        out["serverInfo"] = {"name": name, "version": version}
    if status.status == "connected" and manager is not None:
        prefix = f"mcp__{status.name}__"
        out["tools"] = [{"name": t.name.removeprefix(prefix)} for t in manager.tools() if t.name.startswith(prefix)]
    return out


# --- outputs ----------------------------------------------------------------------------------


class TextOutput:
    """`--output-format text`: the last answer on stdout; what happens on the way on stderr."""

    def __init__(self, events_as_json: bool = False) -> None:
        self.events_as_json = events_as_json  # claw-events: every event as a JSON line instead
        self.begin(None)

    def begin(self, session: PrintSession | None) -> None:

        self.errors: list[ev.Error] = []
        self.finished: ev.TurnFinished | None = None
        self.last_text = ""
        self.names: dict[str, str] = {}  # call id → tool name, to say which call a denial stopped
        self.interrupted_ = False

    def say(self, line: str) -> None:
        if not self.events_as_json:
            note(line)

    def event(self, event: ev.EngineEvent) -> None:
        from claw_tui.core import events as ev

        if self.events_as_json:
            sys.stdout.write(event.model_dump_json() + "\n")
            sys.stdout.flush()
        if event.agent_id is not None:
            return  # a subagent's own events: its report reaches the main agent as a tool result
        if isinstance(event, ev.Error) and event.fatal:
            self.errors.append(event)
        elif isinstance(event, ev.Error):
            self.say(event.message)
        elif isinstance(event, ev.Notice):
            self.say(event.text)
        elif isinstance(event, ev.Retrying):  # a long silence would look like a hang
            self.say(f"{event.reason} Retrying in {event.delay_s:.1f} s (retry {event.attempt} of {event.max_attempts}).")
        elif isinstance(event, ev.ToolCallStarted):
            self.names[event.call_id] = event.name
        elif isinstance(event, ev.PermissionDecided) and event.behavior == "deny":
            self.say(f"{self.names.get(event.call_id, 'a tool call')} was denied ({event.decided_by}).")
        elif isinstance(event, ev.MessageCompleted) and event.message.role == "assistant":
            if event.message.text:
                self.last_text = event.message.text
        elif isinstance(event, ev.TurnFinished):
            self.finished = event

    def interrupted(self, marker: str) -> None:
        self.interrupted_ = True

    def end(self, session: PrintSession) -> int:
        if not self.events_as_json and self.last_text:
            text = self.last_text
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        if self.errors:
            note(self.errors[-1].message)
            return 1
        finished = self.finished
        if finished is not None and finished.stop_reason != "end_turn":
            if not (finished.stop_reason == "max_turns" and not self.events_as_json):  # its notice said why
                note(f"the turn stopped early ({finished.stop_reason})")
            return 1
        return 1 if self.interrupted_ else 0


class ClaudeOutput:
    """`json` and `stream-json`: Claude Code's messages (protocol.py); json prints only the result."""

    def __init__(self, stream: ClaudeStream, lines: bool) -> None:
        from claw_tui.print_mode.control import ControlChannel

        self.stream = stream
        self.lines = lines  # stream-json: every message; json: the result alone
        self.channel = ControlChannel(self.write)  # control requests to the host share stdout

    def write(self, message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def begin(self, session: PrintSession) -> None:
        self.stream.start_turn()
        if self.lines:
            self.write(self.stream.system("init", **session.init_fields()))

    def event(self, event: ev.EngineEvent) -> None:
        from claw_tui.core import events as ev

        for message in self.stream.feed(event):
            if self.lines:
                self.write(message)
        if event.agent_id is not None:
            return
        # What the messages do not carry goes to stderr, as in text mode: notices (a hook's
        # message, the sandbox being off), errors the turn goes on after, and, for json, retries.
        if isinstance(event, ev.Notice):
            note(event.text)
        elif isinstance(event, ev.Error) and not event.fatal:
            note(event.message)
        elif isinstance(event, ev.Retrying) and not self.lines:
            note(f"{event.reason} Retrying in {event.delay_s:.1f} s (retry {event.attempt} of {event.max_attempts}).")

    def interrupted(self, marker: str) -> None:
        for message in self.stream.interrupted(marker):
            if self.lines:
                self.write(message)

    def end(self, session: PrintSession) -> int:
        agent = session.agent
        result = self.stream.result(total_cost_usd=agent.total_cost_usd, max_turns=agent.settings.max_turns,
                                    budget_usd=agent.settings.budget.session_usd, structured=session.schema_given)
        self.write(result)
        return 1 if result["is_error"] else 0


def _output(args: argparse.Namespace) -> TextOutput | ClaudeOutput:
    if args.output_format in ("json", "stream-json"):
        # The session id is set once the session is known (PrintSession.open).
        stream = ClaudeStream("", partial=args.include_partial_messages, replay_user=args.replay_user_messages)
        return ClaudeOutput(stream, lines=args.output_format == "stream-json")
    return TextOutput(events_as_json=args.output_format == "claw-events")


# --- setup ------------------------------------------------------------------------------------


def _model(name: str, error: type[Exception] = CliError) -> str:
    from claw_tui.providers.catalog import UnknownModel, resolve

    try:
        return resolve(name)
    except UnknownModel as exc:
        raise error(str(exc)) from None


def _structured_output(schema: str) -> Any:
    from claw_tui.print_mode.structured import SchemaError, StructuredOutput, load_schema

    try:
        return StructuredOutput(load_schema(schema))
    except SchemaError as exc:
        raise CliError(str(exc)) from None


def _approver(args: argparse.Namespace, output: TextOutput | ClaudeOutput) -> Approver | None:
    """Who answers permission asks: the host over stdio, an MCP tool, or (None) nobody."""
    if not args.permission_prompt_tool or _denies_asks(args):
        return None
    if args.permission_prompt_tool == "stdio" and isinstance(output, ClaudeOutput):
        from claw_tui.print_mode.control import StdioApprover

        return StdioApprover(output.channel)
    from claw_tui.print_mode.mcp_approver import McpApprover

    return McpApprover(args.permission_prompt_tool)


def _bind(approver: Approver | None, session: PrintSession) -> None:
    """Give an approver what it needs of the session, which exists only after the agent."""
    from claw_tui.print_mode.control import StdioApprover
    from claw_tui.print_mode.mcp_approver import McpApprover

    if isinstance(approver, StdioApprover):
        approver.on_update = session.apply_permission_update
    elif isinstance(approver, McpApprover):
        approver.agent = session.agent


def _denies_asks(args: argparse.Namespace) -> bool:
    """dontAsk and --permission-prompts none: what would ask is denied, nobody is asked."""
    return args.permission_mode == "dontAsk" or args.permission_prompts == "none"


def _answers(args: argparse.Namespace) -> dict[str, str]:
    answers = {}
    for item in args.answer:
        question, sep, answer = item.partition("=")
        if not sep:
            raise CliError(f"--answer takes QUESTION=ANSWER, got {item!r}")
        answers[question.strip()] = answer.strip()
    return answers


def _open_store() -> SessionStore:
    from claw_tui.engine.sessions import SessionStore, StoreError

    try:
        return SessionStore.open()
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _session_to_resume(args: argparse.Namespace, store: SessionStore | None, cwd: Path) -> str | None:
    from claw_tui.engine.sessions import StoreError

    if args.resume == "":
        raise CliError("--resume needs a session id in print mode (see `claw sessions list`)")
    if (args.resume or args.continue_) and store is None:
        raise CliError("--resume and --continue need the session store; drop --no-session-persistence")
    if args.session_id is not None:
        try:
            args.session_id = str(uuid.UUID(args.session_id))
        except ValueError:
            raise CliError(f"--session-id must be a UUID, not {args.session_id!r}") from None
        if (args.resume or args.continue_) and not args.fork_session:
            raise CliError("--session-id goes with --resume or --continue only together with --fork-session")
        if store is not None and store.get(args.session_id) is not None:
            raise CliError(f"Session id {args.session_id} is already in use.")
    if store is None:
        return None
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


def _attach_session(args: argparse.Namespace, agent: FrontendAgent, store: SessionStore | None,
                    resumed: str | None) -> str:
    """Load the resumed session (or a fork of it), or name the new one; its id for the output."""
    from claw_tui.engine.sessions import new_session_id

    if resumed is not None and store is not None:
        from claw_tui.engine.session_lock import SessionBusy
        from claw_tui.engine.sessions import StoreError

        try:
            if args.fork_session:
                info = store.get(resumed)
                count = info.message_count if info is not None else 0
                resumed = store.fork(resumed, count - 1, new_id=args.session_id) if count else resumed
            agent.load_session(resumed)
        except SessionBusy as exc:
            raise CliError(
                f"{exc} Read it with `claw sessions show {resumed}`, or go on in a copy of it with "
                f"`claw -p --resume {resumed} --fork-session`."
            ) from None
        except StoreError as exc:
            raise CliError(str(exc)) from None
        finally:
            for notice in store.take_notices():
                note(notice)
        session_id = resumed
    else:
        session_id = args.session_id or new_session_id()
        agent.new_session_id = session_id
    return session_id


def _without_sdk_servers(values: list[str]) -> list[str]:
    """--mcp-config JSON without the Agent SDK's in-process servers (`"type": "sdk"`), which
    claw cannot reach yet: each one left out is named on stderr."""
    kept = []
    for value in values:
        try:
            data = json.loads(value) if value.lstrip().startswith("{") else None
        except ValueError:
            data = None  # the MCP configuration reader says what is wrong with it
        servers = data.get("mcpServers") if isinstance(data, dict) else None
        if isinstance(servers, dict):
            sdk = [name for name, spec in servers.items() if isinstance(spec, dict) and spec.get("type") == "sdk"]
            for name in sdk:
                note(f"MCP server {name} runs inside the Agent SDK program (type sdk), which claw cannot "
                     "reach yet; its tools are not offered")
                del servers[name]
            value = json.dumps(data) if sdk else value
        kept.append(value)
    return kept


async def _start_mcp(agent: FrontendAgent, args: argparse.Namespace) -> None:
    from claw_tui.mcp.config import McpConfigError

    try:
        manager = await agent.start_mcp(_without_sdk_servers(args.mcp_config), strict=args.strict_mcp_config)
    except McpConfigError as exc:
        raise CliError(str(exc)) from None
    if manager is None:  # no server is declared
        return
    from claw_tui.mcp.manager import STATUS_WORDS

    for status in manager.statuses():
        if status.status not in ("connected", "disabled"):
            detail = f": {status.last_error}" if status.last_error else ""
            note(f"MCP server {status.name} {STATUS_WORDS[status.status]}{detail}")
    for warning in manager.warnings():
        note(warning)


def _key_source(model: str) -> str:
    provider = model.partition("/")[0]
    variable = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}.get(provider)
    return variable if variable and os.environ.get(variable) else "none"


def _skill_names(cwd: Path) -> list[str]:
    from claw_tui.engine.skills import list_skills

    return [s.name for s in list_skills(cwd)]
