"""Theme files: shipped themes are complete, bad files are reported, the choice is saved."""

from __future__ import annotations

import tomllib

from textual.app import App
from textual.color import Color

from claw_tui.config import user_config_dir
from claw_tui.ui.theming import (
    CLAW_VARIABLES,
    load_all_themes,
    load_themes_from,
    register_themes,
    save_theme_choice,
    shipped_theme_dirs,
    user_themes_dir,
)

SHIPPED = {"claw-dark", "claw-light", "high-contrast", "gruvbox-dark"}


def test_shipped_themes_load_and_define_every_claw_variable():
    loaded = load_themes_from(shipped_theme_dirs())
    assert loaded.failures == []
    themes = {t.name: t for t in loaded.themes}
    assert SHIPPED <= set(themes)
    for theme in themes.values():
        assert set(CLAW_VARIABLES) <= set(theme.variables), theme.name
        for value in theme.variables.values():
            Color.parse(value)
    assert themes["claw-light"].dark is False
    assert themes["gruvbox-dark"].background == "#282828", "gruvbox's published bg0"


def test_a_bad_theme_file_is_reported_with_its_field_and_the_rest_still_load():
    themes = user_themes_dir()
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\n[colors]\nprimary = "not-a-colour"\n')
    (themes / "garbled.toml").write_text("name = ")
    (themes / "mine.toml").write_text('name = "mine"\n[colors]\nprimary = "#123456"\n[variables]\ndiff-added = "#00ff00"\n')
    loaded = load_all_themes()
    names = {t.name for t in loaded.themes}
    assert "mine" in names and SHIPPED <= names
    messages = sorted(f.message for f in loaded.failures)
    assert len(messages) == 2
    assert "broken.toml: colors.primary: 'not-a-colour' is not a colour" in messages[0]
    assert "garbled.toml" in messages[1]


def test_a_user_theme_overrides_a_shipped_one_of_the_same_name():
    themes = user_themes_dir()
    themes.mkdir(parents=True)
    (themes / "dark.toml").write_text('name = "claw-dark"\n[colors]\nprimary = "#010203"\n')
    loaded = load_all_themes()
    assert [t.primary for t in loaded.themes if t.name == "claw-dark"] == ["#010203"]


def test_register_themes_makes_them_selectable():
    app = App()
    register_themes(app)
    assert SHIPPED <= set(app.available_themes)


def test_saving_the_choice_keeps_the_other_keys():
    path = user_config_dir() / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('model = "openai/gpt-5"\ntheme = "claw-dark"\n[permissions]\nallow = ["Read"]\n')
    save_theme_choice("gruvbox-dark")
    data = tomllib.loads(path.read_text())
    assert data == {"model": "openai/gpt-5", "theme": "gruvbox-dark", "permissions": {"allow": ["Read"]}}
