"""claw's own layers: user < project < local < environment < flags, and CLAW_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from claw_tui.config import ConfigError, env_layer, load_config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "p"
    (project / ".claw").mkdir(parents=True)
    (project / ".claw" / "config.toml").write_text('model = "from-project"\n[sandbox]\nnetwork = false\n')
    (project / ".claw" / "config.local.toml").write_text('max_turns = 7\n')
    return project


def test_the_environment_overrides_files_and_flags_override_both(project, isolated_home, monkeypatch):
    (isolated_home / "config").mkdir()
    (isolated_home / "config" / "config.toml").write_text('model = "from-user"\ntheme = "claw-light"\n')
    monkeypatch.setenv("CLAW_MODEL", "from-env")
    monkeypatch.setenv("CLAW_SANDBOX__ENABLED", "false")
    settings = load_config(project, trusted=True).settings
    assert settings.model == "from-env"
    assert settings.sandbox.enabled is False and settings.sandbox.network is False, "a nested variable sets one field"
    assert settings.theme == "claw-light" and settings.max_turns == 7, "what the environment does not name stays"
    assert load_config(project, {"model": "from-flag"}, trusted=True).settings.model == "from-flag"


def test_env_values_are_converted_and_json_lists_are_rules_named_by_their_source(project, monkeypatch):
    monkeypatch.setenv("CLAW_MAX_TOKENS", "2048")
    monkeypatch.setenv("CLAW_PERMISSIONS__ALLOW", '["Bash(ls:*)"]')
    config = load_config(project, trusted=True)
    assert config.settings.max_tokens == 2048
    assert [(r.behavior, r.rule, r.source) for r in config.rules] == [("allow", "Bash(ls:*)", "environment")]


def test_variables_that_name_no_setting_are_left_out():
    layer = env_layer({"CLAW_CONFIG_DIR": "/x", "CLAW_DATA_DIR": "/y", "CLAW_NO_LOCAL_DISCOVERY": "1",
                       "CLAW_SANDBOX__": "odd", "OTHER": "z", "claw_theme": "gruvbox-dark"})
    assert layer == {"theme": "gruvbox-dark"}


def test_a_bad_env_value_is_a_clear_error(project, monkeypatch):
    monkeypatch.setenv("CLAW_MAX_TOKENS", "lots")
    with pytest.raises(ConfigError, match=r"environment: max_tokens: .*integer"):
        load_config(project, trusted=True)


def test_the_default_model_is_the_catalogs_current_sonnet(tmp_path, isolated_home):
    """Nothing configured: the session's model is the one Claude Code's `sonnet` names in the catalog, as the
    README says."""
    from claw_tui.config import DEFAULT_MODEL
    from claw_tui.providers import catalog

    assert load_config(tmp_path).settings.model == DEFAULT_MODEL == catalog.family_aliases()["sonnet"]
    assert catalog.lookup(DEFAULT_MODEL) is not None, "priced, with its context window"
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert f"claw uses `{DEFAULT_MODEL}`" in " ".join(readme.split())
