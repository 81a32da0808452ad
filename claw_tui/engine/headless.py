"""An agent set up as `claw -p` sets one up: from the folder's config and trust, the flags, and a
session to continue; shared by a cold run and a run through the warm engine (`claw -p --attach`),
so both behave the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SetupError(Exception):
    """A one-line reason the run cannot start; `warnings` are the lines said before it."""

    def __init__(self, message: str, warnings: list[str]) -> None:
        super().__init__(message)
        self.warnings = warnings


@dataclass
class HeadlessOptions:
    """The flags of `claw -p` that shape the agent (plain data: it travels to the warm engine as JSON)."""

    model: str | None = None
    max_turns: int | None = None
    permission_mode: str | None = None
    rules: list[tuple[str, str]] = field(default_factory=list)  # ("allow" | "deny", rule)
    answers: dict[str, str] = field(default_factory=dict)  # AskUserQuestion answers
    continue_: bool = False
    resume: str | None = None
    mcp_config: list[str] = field(default_factory=list)
    strict_mcp_config: bool = False

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "rules": [list(r) for r in self.rules]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeadlessOptions:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["rules"] = [(str(b), str(r)) for b, r in known.get("rules", [])]
        return cls(**known)


@dataclass
class HeadlessRun:
    agent: Any  # Agent
    store: Any  # SessionStore
    warnings: list[str]  # lines for standard error, in the order a cold run says them

    async def aclose(self) -> None:
        try:
            await self.agent.aclose()
        finally:
            self.store.close()


async def open_headless(options: HeadlessOptions, cwd: Path) -> HeadlessRun:
    """The agent for one headless run in `cwd`; raises SetupError with what to tell the user."""
    from claw_tui.config import ConfigError, load_config
    from claw_tui.engine.agent import Agent
    from claw_tui.engine.sessions import SessionStore, StoreError
    from claw_tui.mcp.config import McpConfigError
    from claw_tui.tools.ask import AnswersFromFlags

    warnings: list[str] = []
    flags: dict[str, Any] = {}
    if options.max_turns is not None:
        flags["max_turns"] = options.max_turns
    if options.model:
        flags["model"] = options.model
    try:
        config = load_config(cwd, flags=flags or None)
    except ConfigError as exc:
        raise SetupError(f"bad configuration: {exc}", warnings) from None
    if config.withheld:
        warnings.append(
            f"this folder is not trusted yet; ignored {', '.join(config.withheld)} (`claw trust` allows them)"
        )
    try:
        store = SessionStore.open()
    except StoreError as exc:
        raise SetupError(str(exc), warnings) from None
    try:
        session_id = _session_to_resume(options, store, cwd, warnings)
        agent = Agent.create(
            cwd,
            asker=AnswersFromFlags(options.answers),
            model=options.model,
            permission_mode=options.permission_mode,
            config=config,
            extra_rules=options.rules,
            store=store,
        )
    except BaseException:
        store.close()
        raise
    run = HeadlessRun(agent, store, warnings)
    try:
        if session_id:
            agent.load_session(session_id)
        try:
            manager = await agent.start_mcp(options.mcp_config, strict=options.strict_mcp_config)
        except McpConfigError as exc:
            raise SetupError(str(exc), warnings) from None
        for status in manager.statuses():
            if status.status not in ("connected", "disabled"):
                detail = f": {status.last_error}" if status.last_error else ""
                warnings.append(f"MCP server {status.name} is {status.status}{detail}")
    except BaseException:
        await run.aclose()
        raise
    return run


def _session_to_resume(options: HeadlessOptions, store: Any, cwd: Path, warnings: list[str]) -> str | None:
    from claw_tui.engine.sessions import StoreError

    if options.resume:
        try:
            return store.resolve_id(options.resume)
        except StoreError as exc:
            raise SetupError(str(exc), warnings) from None
    if options.resume == "":
        raise SetupError("--resume needs a session id in headless mode (see `claw sessions list`)", warnings)
    if options.continue_:
        latest = store.latest(cwd)
        if latest is None:
            raise SetupError(f"no session to continue in {cwd}", warnings)
        return latest.id
    return None
