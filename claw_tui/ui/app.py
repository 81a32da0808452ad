"""ClawApp: themes, commands, screens; the work happens in MainScreen and the engine."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual._compositor import LayoutUpdate
from textual._time import get_time
from textual.app import App, CSSPathType, SystemCommand
from textual.message import Message
from textual.screen import Screen

from claw_tui.config import ConfigError, LoadedConfig, Settings, load_config
from claw_tui.core import background_imports
from claw_tui.ui.gc_policy import IdleCollector
from claw_tui.ui.screens.boot import BootScreen
from claw_tui.ui.theming import (
    CLAW_VARIABLES,
    DEFAULT_THEME,
    register_themes,
    save_theme_choice,
    user_themes_dir,
)
from claw_tui.ui.type_ahead import KeyQuestion, TypeAhead, answers, could_answer
from claw_tui.ui.widgets.prompt import PromptInput
from claw_tui.ui.workers import ReportsWorkerFailures

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.command import CommandPalette, Provider

    from claw_tui.engine.agent_defs import AgentDef
    from claw_tui.engine.frontend import FrontendAgent
    from claw_tui.engine.sessions import SessionStore
    from claw_tui.providers.remote import ProviderHost
    from claw_tui.ui.commands import CommandRegistry
    from claw_tui.ui.screens.main import MainScreen

SCREENS = Path(__file__).parent / "screens"
# Handing the keys held while claw loaded to the main screen: a key's handling is waited for this long
# at most, in at most this many rounds until the screen and the focus it led to hold still.
HELD_KEY_WAIT_S = 0.5
HELD_KEY_ROUNDS = 10
AgentFactory = Callable[["ClawApp"], "FrontendAgent"]


@dataclass(frozen=True)
class SessionFlags:
    """What Claude Code's command-line flags ask of the app's session beyond its config (cli.py reads them)."""

    rules: Sequence[tuple[str, str]] = ()  # --allowed-tools, --disallowed-tools, --tools: (behavior, rule)
    system_prompt: str | None = None  # --system-prompt(-file): in place of claw's own
    append_system_prompt: str = ""  # --append-system-prompt(-file)
    agents: Sequence[AgentDef] = ()  # --agents: subagents for this session
    ignored: Sequence[str] = ()  # a sentence naming the flags given that the app does not act on


LocalDiscovery = Callable[[], Awaitable[list[tuple[str, list[str]]]]]


async def default_discovery() -> list[tuple[str, list[str]]]:
    registry = await background_imports.imported("claw_tui.providers.registry")  # it brings the HTTP stack
    return await registry.discover_local_servers()


def _slash_command_provider() -> type[Provider]:
    from claw_tui.ui.palette import SlashCommandProvider

    return SlashCommandProvider


class BootDone(Message):
    """The session's parts are loaded behind the boot screen: the main screen takes over."""


class ClawApp(ReportsWorkerFailures, App[int]):
    TITLE = "claw"
    COMMANDS = App.COMMANDS | {_slash_command_provider}
    # Read with the app's own CSS at start: a screen whose CSS is new when it is first pushed has Textual
    # parse every style sheet again and restyle every widget on screen (~50 ms on the first edit's approval).
    # Whole paths: Textual reads a relative one beside the module of the app's class, a subclass's too.
    CSS_PATH: ClassVar[CSSPathType | None] = [SCREENS / "main.tcss", SCREENS / "approval.tcss"]

    def __init__(
        self,
        cwd: Path,
        *,
        config: LoadedConfig | None = None,
        model: str | None = None,
        permission_mode: str | None = None,
        agent_factory: AgentFactory | None = None,
        discover_local: LocalDiscovery | None = None,
        resume: str | None = None,
        continue_: bool = False,
        open_browser: bool = False,
        mcp_config: Sequence[str] = (),
        strict_mcp_config: bool = False,
        flags: SessionFlags | None = None,
        prompt: str | None = None,
        boot: bool = False,
        provider_host: ProviderHost | None = None,
    ) -> None:
        """`resume` is a session id or prefix, `continue_` this folder's latest session;
        `open_browser` starts with the session browser over the main screen; `prompt` is sent once the
        app is up (`claw "fix the test"`, as `claude "…"` starts). `boot` (the `claw` command's) draws
        the boot screen first and loads the session's parts behind it: the prompt shows sooner. The agent
        makes its model calls through `provider_host` where there is one (the `claw` command starts it)."""
        super().__init__()
        self.cwd = cwd.resolve()
        self.startup_problems: list[str] = []
        if config is None:
            try:
                config = load_config(self.cwd)
            except ConfigError as exc:
                self.startup_problems.append(f"Bad configuration, using defaults: {exc}")
                config = LoadedConfig(settings=Settings(), rules=[], files=[])
        self.config = config
        # --mcp-config files and --strict-mcp-config, for when the main screen starts the servers
        self.mcp_config, self.strict_mcp_config = tuple(mcp_config), strict_mcp_config
        if config.refused:
            self.startup_problems.append(f"claw ignored {', '.join(config.refused)}: only your own config may set it.")
        flags = flags or SessionFlags()
        self.startup_problems += flags.ignored
        self.discover_local = discover_local or default_discovery
        loaded = register_themes(self)
        self._theme_failures = [f.message for f in loaded.failures]
        self.claw_theme_names = {t.name for t in loaded.themes}
        wanted = config.settings.theme
        if wanted not in self.available_themes:
            self.startup_problems.append(f"Theme {wanted!r} is not installed; using {DEFAULT_THEME}.")
            wanted = DEFAULT_THEME
        self.theme = wanted
        self.agent: FrontendAgent | None = None
        self.agent_error = ""
        self.store: SessionStore | None = None
        self.open_browser = open_browser
        self.first_prompt = prompt
        self.provider_host = provider_host
        self.model_flag = model  # named on the command line: it wins over a resumed session's own
        self.resumed: str | None = None  # the stored session loaded at start, drawn once the screen is up
        self.resume_problem: tuple[str, str] | None = None  # (note, level) when --resume/--continue could not
        self._theme_before_preview: str | None = None
        # Set on exit: the watcher's thread checks it, so quitting does not wait for its timeout.
        self._stop_watching = asyncio.Event()
        self._collector = IdleCollector(busy=lambda: self.main_screen.turn_running)
        self._first_frame_at: float | None = None  # when the first whole frame was written
        self._started_background_work = False
        self._type_ahead = TypeAhead()
        factory = agent_factory or default_agent_factory(model, permission_mode, flags)
        self._assemble = lambda: self._load_session_parts(factory, resume, continue_)
        # With `boot`, the boot screen shows first and holds the keys typed (`_held`) while the rest loads.
        self._boot: BootScreen | None = BootScreen(self.cwd) if boot else None
        self._held: list[events.Key | events.Paste] | None = [] if boot else None
        self._replaying: events.Key | events.Paste | None = None  # a held key handed on, not to be held again
        self.boot_failure: BaseException | None = None  # what stopped the loading behind the boot screen
        if not boot:
            self._assemble()

    def _load_session_parts(self, factory: AgentFactory, resume: str | None, continue_: bool) -> None:
        """The command registry, the session store, the agent (and the session it resumes), the main screen."""
        from claw_tui.engine.sessions import SessionStore, StoreError
        from claw_tui.ui.commands import CommandRegistry
        from claw_tui.ui.screens.main import MainScreen

        self.registry: CommandRegistry = CommandRegistry.build(self.cwd)
        try:
            self.store = SessionStore.open()
        except StoreError as exc:
            self.startup_problems.append(f"Sessions are not saved this time: {exc}")
        try:
            self.agent = factory(self)
        except Exception as exc:  # noqa: BLE001 - shown on the main screen; the app still opens
            self.agent_error = f"{type(exc).__name__}: {exc}"
        if self.agent is not None and (resume or continue_):
            self._load_requested_session(resume, continue_)
        self.main_screen: MainScreen = MainScreen(
            agent=self.agent, cwd=self.cwd, registry=self.registry, agent_error=self.agent_error
        )

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(CLAW_VARIABLES)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # /theme replaces Textual's theme command: it previews and remembers the choice.
        for command in super().get_system_commands(screen):
            if command.title != "Theme":
                yield command

    async def on_mount(self) -> None:
        if self._boot is not None:
            await self.push_screen(self._boot)
        else:
            await self._show_main_screen()

    async def _show_main_screen(self) -> None:
        if self._boot is not None:
            await self.switch_screen(self.main_screen)
        else:
            await self.push_screen(self.main_screen)
        await self._show_requested_session()
        for failure in self._theme_failures:
            self.notify(failure, title="Theme not loaded", severity="warning", timeout=10)
        for problem in self.startup_problems:
            self.notify(problem, severity="warning", timeout=10)
        self._check_first_run()
        if self.first_prompt:
            screen = self.main_screen
            screen.post_message(PromptInput.Submitted(screen.prompt, self.first_prompt))
        if user_themes_dir().is_dir():
            self._watch_user_themes()
        self._collector.start()
        self.set_interval(1.0, self._collector.tick)

    @work(group="boot", name="load the session behind the boot screen", exit_on_error=False)
    async def _load_behind_boot(self) -> None:
        """The heavy part of start-up, after the boot screen's first frame; between its steps the app
        shows the keys typed meanwhile."""
        try:
            from claw_tui.ui.screens import main  # noqa: F401 - the panes' and the engine's modules

            await self._show_typing()
            self._assemble()
        except Exception as exc:  # noqa: BLE001 - `claw` reports it as any start-up failure (cli.py)
            self.boot_failure = exc
            self.exit(1)
            return
        await self._show_typing()
        self.post_message(BootDone())

    async def _show_typing(self) -> None:
        """Between two steps of the loading: the keys typed meanwhile are taken, and if there were any,
        the boot screen gets a frame's time to show them."""
        held = len(self._held or ())
        await asyncio.sleep(0.001)
        if len(self._held or ()) > held:
            await asyncio.sleep(1 / 60)

    async def on_boot_done(self, _message: BootDone) -> None:
        # The main screen is drawn once the keys held for it are in: its prompt never shows empty in between.
        self._begin_batch()
        try:
            await self._show_main_screen()
        except BaseException:
            self._end_batch()
            raise
        self._take_held_keys()

    @work(group="boot", name="hand the keys typed while claw loaded to the main screen", exit_on_error=False)
    async def _take_held_keys(self) -> None:
        """Each held key as if typed now, once the app has done with the one before, as with a fast typist:
        a key that opens a screen or moves the focus has done so before the next key comes (sent all at
        once, Ctrl+P's palette or F4's pane would not yet have the keys typed after it)."""
        held = self._held if self._held is not None else []  # keys typed meanwhile still join it, at its end
        try:
            try:
                for _ in range(len(held)):  # typed before the main screen came: in its first frame
                    await self._hand_on(held.pop(0))
            finally:
                self._draw_again()
            while held:  # typed since
                await self._hand_on(held.pop(0))
        finally:
            self._held = None  # no await since the last look at the list: no key is left behind in it

    async def _hand_on(self, held: events.Key | events.Paste) -> None:
        """A held key to the app as if typed now, and its handling waited for."""
        again = events.Key(held.key, held.character) if isinstance(held, events.Key) else events.Paste(held.text)
        again.time = held.time
        self._replaying = again
        self.post_message(again)
        await self._settle()

    def _draw_again(self) -> None:
        """The end of the batch begun as the main screen came: the screen on top is drawn whole (what
        changed meanwhile was not drawn, and would be only once something changed again)."""
        self._end_batch()
        self.screen.refresh(layout=True)

    async def _settle(self) -> None:
        """Until the app, the screen and the focused widget have handled what is in their queues, and the
        screen and the focus stay as they are (a screen opened by the last key is up, and focused)."""
        for round_ in range(HELD_KEY_ROUNDS):
            now = (self.screen, self.focused)
            for pump in (self, self.focused or self.screen, self.screen, self):
                done = asyncio.Event()
                pump.call_later(done.set)  # after what is in its queue now
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), HELD_KEY_WAIT_S)
            # Two rounds at least: a key no widget takes goes up to the app, whose bindings act on it then.
            if round_ and (self.screen, self.focused) == now:
                return

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        if isinstance(screen, KeyQuestion) and screen.drawn_at is None and renderable is not None and not self._batch_count:
            screen.drawn_at = get_time()  # from now on a key can answer it (type_ahead.py)
        if not isinstance(renderable, LayoutUpdate) or self._batch_count:
            return
        if self._first_frame_at is None:
            self._first_frame_at = get_time()
            if screen is self._boot:
                self.call_later(self._load_behind_boot)
                return
        # The first whole frame with the session loaded is on its way to the terminal: the start-up's
        # background work may begin. Started sooner it would slow the frame down, competing for the
        # interpreter. (Textual's first layout is drawn inside a batch and never written, so "after the
        # first refresh" is too soon.)
        if not self._started_background_work and screen is not self._boot:
            self._started_background_work = True
            background_imports.start_up_done()
            self.call_later(self.main_screen.start_background_work)

    def on_unmount(self) -> None:
        self._stop_watching.set()
        self._collector.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._collector.touch()  # the user is here: no full garbage collection just now
        if isinstance(event, events.Key) and event.key == "ctrl+j" and self._typed_before_anything_showed(event):
            # Typed before claw took the terminal, in its line mode, whose Enter is a line feed (Ctrl+J,
            # the prompt's new line): "claw⏎ fix the test⏎" sends the prompt, as the user meant.
            enter = events.Key("enter", "\r")
            enter.time = event.time
            event = enter
        if self._held is not None and isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if event is self._replaying:  # handed on from the held keys (_take_held_keys): taken now
                self._replaying = None
            else:
                self._held.append(event)  # for the main screen, once it is up
                if self._boot is not None and self.screen is self._boot:
                    await self._boot.echo(event)
                return
        if isinstance(event, events.Key):
            began = self._type_ahead.burst_began(event.time)
            question = self.screen if isinstance(self.screen, KeyQuestion) else None
            if question is not None and could_answer(event.key, event.is_printable) and not answers(question, began):
                await self._keep_typing(event)  # not an answer: it goes on into the prompt
                return
        await super().on_event(event)

    def _typed_before_anything_showed(self, key: events.Key) -> bool:
        return self._first_frame_at is None or key.time < self._first_frame_at

    async def _keep_typing(self, key: events.Key) -> None:
        """A key of typing begun before a question came: into the prompt, as if the question were not
        there. Enter only sends nothing: the user sees the question before anything more happens."""
        prompt = self.main_screen.prompt
        if key.is_printable and key.character:
            prompt.insert(key.character)
        elif key.key != "enter":
            await prompt.run_own_binding(key.key)  # Backspace, the arrows

    # --- sessions ------------------------------------------------------------------------------

    def _load_requested_session(self, resume: str | None, continue_: bool) -> None:
        """`--resume ID` / `--continue`: load the session into the agent now; it is drawn on mount."""
        from claw_tui.engine.sessions import StoreError
        from claw_tui.ui.screens.sessions import busy_hint

        assert self.agent is not None
        store = self.agent.store
        if store is None:
            self.resume_problem = ("Cannot resume: sessions are not being saved (see the notice).", "error")
            return
        try:
            if resume:
                session_id = store.resolve_id(resume)
            elif (latest := store.latest(self.cwd)) is not None:
                session_id = latest.id
            else:
                self.resume_problem = (f"No earlier session in {self.cwd} to continue; this is a new one.", "warning")
                return
            self.agent.load_session(session_id)
        except StoreError as exc:
            hint = busy_hint(exc) or "/sessions lists the others."
            self.resume_problem = (f"Cannot resume: {exc} This is a new session; {hint}", "error")
            return
        if self.model_flag:
            self.agent.set_model(self.model_flag)
        self.resumed = session_id

    async def _show_requested_session(self) -> None:
        from claw_tui.engine.sessions import StoreError
        from claw_tui.ui import session_actions

        screen = self.main_screen
        if self.resume_problem is not None:
            await screen.conversation.add_note(*self.resume_problem)
        elif self.resumed is not None:
            try:
                await screen.show_session(self.resumed)
                await session_actions.announce(screen, self.resumed, "Resumed")
            except StoreError as exc:  # read a moment ago; a busy database now is a note, not a crash
                await screen.conversation.add_note(f"Cannot show the session: {exc}", "error")
        if self.open_browser:
            await session_actions.open_browser(screen)

    # --- first run ----------------------------------------------------------------------------

    def has_credentials(self) -> bool:
        providers = self.config.settings.providers
        if os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("OPENAI_API_KEY"):
            return True
        if providers.anthropic.api_key or providers.openai.api_key:
            return True
        local_configured = bool(os.environ.get("CLAW_LOCAL_BASE_URL") or providers.local.base_url)
        model = self.agent.model if self.agent is not None else ""
        return local_configured and model.startswith("local/")

    @work(exclusive=True, group="first-run", name="look for credentials and local model servers", exit_on_error=False)
    async def _check_first_run(self) -> None:
        if self.has_credentials():
            return
        servers = await self.discover_local()
        serving = [(url, models) for url, models in servers if models]
        if serving and self.agent is not None:
            base_url, models = serving[0]
            self.agent.use_local_server(base_url)
            if not self.agent.model.startswith("local/"):  # a local model the user named is kept
                await self.main_screen.switch_model(f"local/{models[0]}")
            await self.main_screen.conversation.add_note(f"No API key set; using the local server at {base_url}.")
            return
        from claw_tui.ui.screens.welcome import WelcomeScreen

        if not await self.push_screen_wait(WelcomeScreen()):
            self.exit(0)

    # --- themes --------------------------------------------------------------------------------

    def open_theme_picker(self) -> None:
        from textual.command import CommandPalette

        from claw_tui.ui.palette import ClawThemeProvider

        self._theme_before_preview = self.theme
        self.push_screen(CommandPalette(providers=[ClawThemeProvider], placeholder="Search for themes…"))

    def on_command_palette_option_highlighted(self, event: CommandPalette.OptionHighlighted) -> None:
        if self._theme_before_preview is None:
            return
        name = getattr(getattr(event.highlighted_event.option, "hit", None), "text", None)
        if name in self.available_themes:
            self.theme = name

    def on_command_palette_closed(self, event: CommandPalette.Closed) -> None:
        if self._theme_before_preview is not None and not event.option_selected:
            self.theme = self._theme_before_preview
        self._theme_before_preview = None

    def apply_theme_choice(self, name: str) -> None:
        """Switch to `name` and remember it in the user config."""
        self._theme_before_preview = None
        if name not in self.available_themes:
            self.notify(f"No theme named {name!r}. /theme lists them.", severity="error")
            return
        self.theme = name
        try:
            path = save_theme_choice(name)
        except Exception as exc:  # noqa: BLE001 - a broken config file must not lose the switch itself
            self.notify(f"Theme switched, but not saved: {exc}", severity="warning")
            return
        self.notify(f"Theme {name} (saved to {path.name}).")

    @work(exclusive=True, group="theme-watcher", name="watch the theme files", exit_on_error=False)
    async def _watch_user_themes(self) -> None:
        """Re-register user themes whenever their files change, and redraw with the new colours."""
        from watchfiles import awatch

        async for _changes in awatch(user_themes_dir(), stop_event=self._stop_watching, debounce=200):
            loaded = register_themes(self)
            for failure in loaded.failures:
                self.notify(failure.message, title="Theme not loaded", severity="warning", timeout=10)
            self.claw_theme_names = {t.name for t in loaded.themes}
            self.refresh_css()


def default_agent_factory(model: str | None, permission_mode: str | None, flags: SessionFlags) -> AgentFactory:
    def create(app: ClawApp) -> FrontendAgent:
        from claw_tui.engine.agent import Agent
        from claw_tui.engine.scheduler import Scheduler
        from claw_tui.ui.approver import TuiApprover
        from claw_tui.ui.asker import TuiAsker

        agent = Agent.create(
            app.cwd,
            approver=TuiApprover(app, diff_pane=lambda: app.main_screen.diff_view),
            asker=TuiAsker(app),
            model=model,
            permission_mode=permission_mode,
            config=app.config,
            extra_rules=list(flags.rules),
            store=app.store,
            scheduler=Scheduler(),  # the main screen fires the scheduled prompts
        )
        agent.provider_host = app.provider_host
        agent.system_prompt = flags.system_prompt
        agent.append_system_prompt = flags.append_system_prompt
        if flags.agents:
            agent.session_agents = list(flags.agents)
            agent.refresh_agent_types()
        return agent

    return create
