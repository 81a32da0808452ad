"""Theme files (TOML) → Textual `Theme` objects.

Shipped themes live in the repository's `themes/` folder (an editable install) or inside
the wheel at `claw_tui/themes`; user themes in `<user config>/themes/*.toml` override
shipped ones of the same name. A bad file never stops the app: its failure is collected
and shown as a notification.

A theme file:

    name = "claw-dark"
    dark = true
    [colors]          # Textual's base colours
    primary = "#E07A5F"
    ...
    [variables]       # claw's own CSS variables (see CLAW_VARIABLES)
    diff-added = "#8CC97A"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from claw_tui.config import save_user_file, user_config_dir

if TYPE_CHECKING:
    from textual.app import App

DEFAULT_THEME = "claw-dark"

COLOR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "success",
    "warning",
    "error",
)

# claw's own variables, with the fallback used when a theme (e.g. a Textual built-in) lacks one.
CLAW_VARIABLES: dict[str, str] = {
    "diff-added": "#8CC97A",
    "diff-removed": "#F2837B",
    "diff-added-bg": "#1E3323",
    "diff-removed-bg": "#3A1E20",
    "pane-border": "#3B414D",
    "pane-border-focus": "#E07A5F",
}


class ThemeFileError(Exception):
    """A theme file that cannot be used; the message names the file and the field."""


@dataclass
class ThemeFailure:
    path: Path
    message: str


@dataclass
class LoadedThemes:
    themes: list[Theme] = field(default_factory=list)
    failures: list[ThemeFailure] = field(default_factory=list)


def _check_color(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{where}: expected a colour string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{where}: {value!r} is not a colour") from None
    return value


def parse_theme(data: dict[str, Any], source: str) -> Theme:
    """Build a Theme from a theme file's table; raise ThemeFileError on bad input."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{source}: `name` is missing")
    colors = data.get("colors", {})
    if not isinstance(colors, dict):
        raise ThemeFileError(f"{source}: [colors] must be a table")
    unknown = set(colors) - set(COLOR_FIELDS)
    if unknown:
        raise ThemeFileError(f"{source}: unknown colour {min(unknown)!r} (known: {', '.join(COLOR_FIELDS)})")
    if "primary" not in colors:
        raise ThemeFileError(f"{source}: colors.primary is required")
    checked = {key: _check_color(value, f"{source}: colors.{key}") for key, value in colors.items()}
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{source}: [variables] must be a table")
    for key, value in variables.items():
        if key in CLAW_VARIABLES:
            _check_color(value, f"{source}: variables.{key}")
        elif not isinstance(value, str):
            raise ThemeFileError(f"{source}: variables.{key} must be a string")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"{source}: `dark` must be true or false")
    return Theme(name=name.strip(), dark=dark, variables=dict(variables), **checked)  # type: ignore[arg-type]  # colours only


def load_theme_file(path: Path) -> Theme:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path}: {exc}") from None
    return parse_theme(data, str(path))


def shipped_theme_dirs() -> list[Path]:
    """The repository's `themes/` (editable install) and the wheel's `claw_tui/themes`."""
    package = Path(__file__).resolve().parents[1]
    candidates = [package.parent / "themes", package / "themes"]
    return [d for d in candidates if d.is_dir()]


def user_themes_dir() -> Path:
    return user_config_dir() / "themes"


def load_themes_from(directories: list[Path]) -> LoadedThemes:
    """Every `*.toml` theme in the directories; later directories win on a name clash."""
    by_name: dict[str, Theme] = {}
    loaded = LoadedThemes()
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as exc:
                loaded.failures.append(ThemeFailure(path, str(exc)))
                continue
            by_name[theme.name] = theme
    loaded.themes = list(by_name.values())
    return loaded


def load_all_themes() -> LoadedThemes:
    return load_themes_from([*shipped_theme_dirs(), user_themes_dir()])


def register_themes(app: App[Any]) -> LoadedThemes:
    """Register shipped and user themes on the app (before or after it runs).

    The failures are returned, not shown: the caller notifies once the app is running.
    """
    loaded = load_all_themes()
    for theme in loaded.themes:
        app.register_theme(theme)
    return loaded


def save_theme_choice(name: str) -> Path:
    """Write `theme = name` to the user config, keeping every other key."""
    import tomli_w

    path = user_config_dir() / "config.toml"
    data: dict[str, Any] = {}
    if path.is_file():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["theme"] = name
    save_user_file(path, tomli_w.dumps(data))
    return path
