"""The /cost, /status, /permissions, /memory and /config reports, as the pure functions they are."""

from __future__ import annotations

from ui.recorded_turns import RecordedAgent

from claw_tui.config import RuleSource
from claw_tui.core import events as ev
from claw_tui.engine.permissions import PermissionEngine
from claw_tui.ui import reports
from claw_tui.ui.widgets.cost_meter import UsageTotals


def test_cost_report_adds_up_calls_and_names_unpriced_ones():
    totals = UsageTotals()
    totals.add(ev.Usage(model="a/b", input_tokens=1200, output_tokens=80, cache_read_tokens=5000, cost_usd=0.01))
    totals.add(ev.Usage(model="local/x", input_tokens=300, output_tokens=20, cost_usd=None))
    text = reports.cost_report(totals)
    assert "**Cost of this session: $0.0100 (+ 1 calls at unknown prices)**" in text
    assert "- Model calls: 2" in text and "- Input tokens: 1,500" in text and "Cache reads: 5,000 tokens" in text


def test_status_report_names_branch_model_mode_and_session(tmp_path):
    agent = RecordedAgent(tmp_path)
    agent.permissions.mode = "acceptEdits"
    where = reports.Workspace(cwd=tmp_path, branch="main", dirty=True, sandbox="on")
    text = reports.status_report(where, agent)
    assert "- Git branch: `main` (uncommitted changes)" in text
    assert f"- Model: `{agent.model}`" in text and "- Permission mode: `acceptEdits`" in text
    assert "- Sandbox: on" in text and "- Session: `not stored`" in text
    assert "Model:" not in reports.status_report(where, None)


def test_permissions_report_lists_rules_with_their_source_and_the_unreadable_ones(tmp_path):
    agent = RecordedAgent(tmp_path)
    assert "No rules: every tool follows the mode." in reports.permissions_report(agent)
    agent.permissions = PermissionEngine(
        "default", [RuleSource("allow", "Bash(git status:*)", "project settings"), RuleSource("deny", "Bash(", "user settings")],
        [tmp_path],
    )
    text = reports.permissions_report(agent)
    assert "| allow | `Bash(git status:*)` | project settings |" in text
    assert "**Rules that could not be read**" in text


def test_memory_and_config_reports_name_the_files(tmp_path):
    assert "None found." in reports.memory_report(tmp_path)
    (tmp_path / "AGENTS.md").write_text("Run the tests with pytest.\n")
    assert "AGENTS.md`" in reports.memory_report(tmp_path)
    (tmp_path / ".claw").mkdir()
    (tmp_path / ".claw" / "config.toml").write_text('model = "openai/gpt-5"\n')
    text = reports.config_report(tmp_path)
    assert "config.toml` (present)" in text and "config.local.toml` (not present)" in text
