"""The cost meter: tokens, money, the context window and cost per turn.

Updated from `Usage` and `TurnFinished` events only (never polled). The money line turns
to the warning colour at 80% of the session budget and to the error colour past it, with a
notification at each of those two steps. The context gauge knows the current model's window
from the catalog before the first call, so a fresh session already shows "0 / 200k".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label, ProgressBar, Static

from claw_tui.core import events as ev

BUDGET_WARN = 0.8
MAX_TURNS_DRAWN = 200
BARS = "▁▂▃▄▅▆▇█"


@dataclass
class UsageTotals:
    """Tokens and money added up over model calls: per model here, for the session on the main screen."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0
    calls: int = 0

    def add(self, usage: ev.Usage) -> None:
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        self.calls += 1
        if usage.cost_usd is None:
            self.unpriced_calls += 1
        else:
            self.cost_usd += usage.cost_usd


def format_tokens(count: int) -> str:
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.2f}M"


def format_usd(usd: float) -> str:
    return f"${usd:.4f}" if usd < 1 else f"${usd:,.2f}"


def short_model(model: str) -> str:
    return model.split("/", 1)[-1]


def catalog_window(model: str) -> int | None:
    """The model's context window from the catalog; None for a model claw does not know."""
    from claw_tui.providers import catalog

    info = catalog.lookup(model)
    return info.context_window if info else None


def turn_bars(costs: list[float], width: int, *, last_priced: bool = True) -> Content:
    """One bar per turn (the newest that fit in `width`), scaled to the dearest of them, then the last cost."""
    if not costs:
        return Content.styled("no turns yet", "$text-muted")
    last = Content.styled(f" last {format_usd(costs[-1]) if last_priced else 'price unknown'}", "$text-muted")
    shown = costs[-max(width - last.cell_length, 1) :]
    peak = max(shown)
    bars = "".join(BARS[round(c / peak * (len(BARS) - 1))] if peak > 0 else BARS[0] for c in shown)
    return Content.assemble((bars, "$primary"), last)


class TurnBars(Widget):
    """The cost of each turn as a bar, one cell per turn, drawn to the width it gets."""

    DEFAULT_CSS = """
    TurnBars { height: 1; width: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.costs: list[float] = []
        self.last_priced = True

    def render(self) -> Content:
        return turn_bars(self.costs, self.size.width, last_priced=self.last_priced)


class CostMeter(Vertical, can_focus=True):
    """This session's spend and tokens, today's spend, and how full the context window is.

    Focusable, so F6 lands on it and F8 / F11 can hide or zoom it like the other panes.
    """

    DEFAULT_CSS = """
    CostMeter {
        height: auto;
    }
    CostMeter Static, CostMeter Label {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    CostMeter #cost-money {
        text-style: bold;
    }
    CostMeter.-warn #cost-money {
        color: $warning;
    }
    CostMeter.-over #cost-money {
        color: $error;
    }
    CostMeter #cost-tokens, CostMeter .cost-caption, CostMeter #cost-context-label {
        color: $text-muted;
    }
    CostMeter Horizontal {
        height: 1;
    }
    CostMeter .cost-caption {
        width: 9;
    }
    CostMeter ProgressBar {
        width: 1fr;
    }
    CostMeter ProgressBar Bar {
        width: 1fr;
    }
    CostMeter #cost-context-label {
        width: auto;
        padding-left: 1;
    }
    CostMeter.-context-full ProgressBar Bar > .bar--bar {
        color: $warning;
    }
    CostMeter #cost-models {
        display: none;
        height: auto;
    }
    CostMeter.-many-models #cost-models {
        display: block;
    }
    """

    cost_usd: reactive[float] = reactive(0.0, init=False)
    input_tokens: reactive[int] = reactive(0, init=False)
    output_tokens: reactive[int] = reactive(0, init=False)
    cache_read_tokens: reactive[int] = reactive(0, init=False)
    cache_write_tokens: reactive[int] = reactive(0, init=False)
    unpriced_calls: reactive[int] = reactive(0, init=False)
    today_before_usd: reactive[float | None] = reactive(None, init=False)
    budget_usd: reactive[float | None] = reactive(None, init=False)
    context_tokens: reactive[int] = reactive(0, init=False)
    context_window: reactive[int | None] = reactive(None, init=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.models: dict[str, UsageTotals] = {}
        self.turn_costs: list[float] = []
        self._turn_cost = 0.0
        self._turn_unpriced = False  # a call of the running turn had no known price
        self._last_turn_priced = True
        self._composed = False  # the children exist (on_mount ran); earlier changes are drawn then
        self._budget_level = 0  # 0 below 80% of the budget, 1 past 80%, 2 past it: notify once per step

    def compose(self) -> ComposeResult:
        yield Static(id="cost-money")
        yield Static(id="cost-tokens")
        with Horizontal(id="cost-context"):
            yield Label("context", classes="cost-caption")
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="cost-context-bar")
            yield Label("", id="cost-context-label")
        with Horizontal(id="cost-turns"):
            yield Label("per turn", classes="cost-caption")
            yield TurnBars(id="cost-turn-bars")
        yield Static(id="cost-models")

    def on_mount(self) -> None:
        for name in (
            "cost_usd", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
            "unpriced_calls", "today_before_usd", "budget_usd", "context_tokens", "context_window",
        ):  # fmt: skip
            self.watch(self, name, self._redraw, init=False)
        self._composed = True
        self._redraw()
        self._redraw_models()
        self._redraw_turns()

    # --- public API -----------------------------------------------------------------------

    def handle_event(self, event: Any) -> None:
        if isinstance(event, ev.Usage):
            self._add_usage(event)
        elif isinstance(event, ev.TurnFinished) and event.agent_id is None:
            self.turn_costs = [*self.turn_costs, self._turn_cost][-MAX_TURNS_DRAWN:]
            self._last_turn_priced = not self._turn_unpriced
            self._turn_cost, self._turn_unpriced = 0.0, False
            self._redraw_turns()

    def set_model(self, model: str) -> None:
        """The model of the next turns: the gauge switches to its window (the history is kept)."""
        self.context_window = catalog_window(model)

    def set_today(self, usd: float) -> None:
        """What was spent today before this session; the meter adds this session's spend to it."""
        self.today_before_usd = usd

    def set_budget(self, usd: float | None) -> None:
        """The session budget to warn about (at 80%), or None for no budget."""
        self.budget_usd = usd if usd and usd > 0 else None

    @property
    def today_usd(self) -> float | None:
        return None if self.today_before_usd is None else self.today_before_usd + self.cost_usd

    # --- internals ------------------------------------------------------------------------

    def _add_usage(self, usage: ev.Usage) -> None:
        self.models.setdefault(usage.model, UsageTotals()).add(usage)
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        if usage.cost_usd is None:
            self.unpriced_calls += 1
            self._turn_unpriced = True
        else:
            self._turn_cost += usage.cost_usd
            self.cost_usd += usage.cost_usd
        if usage.agent_id is None:  # a subagent's context is its own
            self.context_window = usage.context_window or catalog_window(usage.model)
            self.context_tokens = usage.context_tokens or (
                usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens + usage.output_tokens
            )
        self._redraw_models()

    def money_text(self) -> Content:
        priced = any(m.calls > m.unpriced_calls for m in self.models.values())
        if self.models and not priced:
            session: Content = Content.styled("price unknown", "$warning")
        else:
            session = Content(format_usd(self.cost_usd))
            if self.unpriced_calls:
                unknown = sorted(short_model(name) for name, m in self.models.items() if m.unpriced_calls)
                session += Content.styled(f" + price unknown ({', '.join(unknown)})", "$warning")
        parts: list[Content | str | tuple[str, str]] = [session, " this session"]
        if (today := self.today_usd) is not None:
            parts.append(f" · {format_usd(today)} today")
        if self.budget_usd is not None:
            share = self.cost_usd / self.budget_usd
            parts.append(f" · budget {format_usd(self.budget_usd)} ({share:.0%})")
        return Content.assemble(*parts)

    def tokens_text(self) -> str:
        return (
            f"in {format_tokens(self.input_tokens)} · out {format_tokens(self.output_tokens)}"
            f" · cache read {format_tokens(self.cache_read_tokens)} · write {format_tokens(self.cache_write_tokens)}"
        )

    def _redraw(self) -> None:
        if not self._composed:
            return
        self.query_one("#cost-money", Static).update(self.money_text())
        self.query_one("#cost-tokens", Static).update(self.tokens_text())
        share = self.cost_usd / self.budget_usd if self.budget_usd else 0.0
        self.set_class(BUDGET_WARN <= share < 1, "-warn")
        self.set_class(share >= 1, "-over")
        self._warn_budget(share)
        bar = self.query_one("#cost-context-bar", ProgressBar)
        label = self.query_one("#cost-context-label", Label)
        if self.context_window:
            bar.update(total=self.context_window, progress=min(self.context_tokens, self.context_window))
            share_used = self.context_tokens / self.context_window
            percent = "<1%" if 0 < share_used < 0.01 else f"{share_used:.0%}"
            label.update(f"{format_tokens(self.context_tokens)} / {format_tokens(self.context_window)} ({percent})")
            self.set_class(share_used >= BUDGET_WARN, "-context-full")
        else:
            label.update(f"{format_tokens(self.context_tokens)} / window unknown")
            self.set_class(False, "-context-full")
        bar.display = bool(self.context_window)  # an unknown total would animate forever

    def _warn_budget(self, share: float) -> None:
        level = 2 if share >= 1 else 1 if share >= BUDGET_WARN else 0
        if level > self._budget_level and self.budget_usd is not None:
            spent = f"{format_usd(self.cost_usd)} of the {format_usd(self.budget_usd)} session budget"
            if level == 2:
                self.notify(f"Budget reached: {spent}.", title="Cost", severity="error", timeout=10)
            else:
                self.notify(f"Near the budget: {spent} spent.", title="Cost", severity="warning", timeout=10)
        self._budget_level = level

    def _redraw_turns(self) -> None:
        if not self._composed:
            return
        bars = self.query_one(TurnBars)
        bars.costs, bars.last_priced = self.turn_costs, self._last_turn_priced
        bars.refresh()

    def _redraw_models(self) -> None:
        if not self._composed:
            return
        self.set_class(len(self.models) > 1, "-many-models")
        if len(self.models) < 2:
            return
        lines = []
        for name, m in self.models.items():
            cost = format_usd(m.cost_usd) if m.calls > m.unpriced_calls else "price unknown"
            lines.append(
                Content.assemble(
                    (short_model(name), "bold"),
                    f"  {cost}",
                    (f"  {format_tokens(m.input_tokens)} in / {format_tokens(m.output_tokens)} out", "$text-muted"),
                )
            )
        self.query_one("#cost-models", Static).update(Content("\n").join(lines))
