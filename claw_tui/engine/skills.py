"""Skills: folders of instructions the model loads when a task calls for them.

A skill is a directory with a `SKILL.md` (frontmatter `name` and `description`, then the
instructions) and any other files it refers to. Only names and descriptions go into the
system prompt; the body and the list of the other files come back from the Skill tool when
the model asks for the skill, so a hundred skills cost a hundred lines, not a hundred files.
Claude Code's folders are read too; later folders override earlier ones by name. As in Claude
Code, a skill is known by its folder's name as well as by the `name` in its front matter, and the
user runs it as `/name` (see user_commands.py); `disable-model-invocation: true` keeps it from
the model, `user-invocable: false` from the user's `/` list. Front-matter fields Claude Code has
and claw does not honour are kept in `ignored`, so the session names them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from claw_tui.engine.command_arguments import fill_arguments
from claw_tui.engine.frontmatter import FrontmatterError, as_bool, as_hint, as_text, parse_frontmatter

SKILL_FILE = "SKILL.md"
MAX_LISTED_FILES = 200
# Claude Code's skill fields that change behaviour and that claw does not honour (yet).
UNHONOURED_FIELDS = ("allowed-tools", "model", "context", "agent", "hooks", "effort", "paths", "shell")


class SkillError(ValueError):
    """A skill claw cannot load or find; the message says why."""


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    directory: Path
    source: str  # "user", "project (.claude/skills)", "project (.claw/skills)"
    argument_hint: str = ""
    model_invocable: bool = True  # false: `disable-model-invocation: true`, only the user runs it
    user_invocable: bool = True  # false: `user-invocable: false`, only the model loads it
    ignored: tuple[str, ...] = ()  # Claude Code fields claw does not honour, e.g. ("allowed-tools",)

    @property
    def path(self) -> Path:
        return self.directory / SKILL_FILE

    @property
    def folder(self) -> str:
        """The folder's name: Claude Code's name for the skill when the front matter gives none."""
        return self.directory.name

    def answers_to(self, name: str) -> bool:
        return name in (self.name, self.folder)

    def body(self) -> str:
        """The instructions after the frontmatter, read now (the file may have changed)."""
        try:
            _, body = parse_frontmatter(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, FrontmatterError) as exc:
            raise SkillError(f"Skill {self.name!r} cannot be read from {self.path}: {exc}") from None
        return body.strip()

    def files(self) -> list[Path]:
        """The skill's other files (scripts, references, templates), relative to its folder."""
        out: list[Path] = []
        for path in sorted(self.directory.rglob("*")):
            rel = path.relative_to(self.directory)
            if path.is_file() and rel != Path(SKILL_FILE) and not any(p.startswith(".") for p in rel.parts):
                out.append(rel)
                if len(out) >= MAX_LISTED_FILES:
                    break
        return out


def skill_dirs(cwd: Path, user_dir: Path | None = None) -> list[tuple[str, Path]]:
    """Folders holding skill folders, lowest priority first."""
    if user_dir is None:
        from claw_tui.config import user_config_dir

        user_dir = user_config_dir()
    return [
        ("user", Path.home() / ".claude" / "skills"),
        ("user", user_dir / "skills"),
        ("project (.claude/skills)", cwd / ".claude" / "skills"),
        ("project (.claw/skills)", cwd / ".claw" / "skills"),
    ]


def load_skill(directory: Path, source: str = "project (.claw/skills)") -> Skill:
    path = directory / SKILL_FILE
    try:
        meta, body = parse_frontmatter(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillError(f"{path}: cannot be read ({exc})") from None
    except FrontmatterError as exc:
        raise SkillError(f"{path}: {exc}") from None
    name = as_text(meta.get("name")) or directory.name
    description = as_text(meta.get("description"))
    if not description:  # Claude Code requires one; the first line of the body is the next best thing
        description = next((line.strip("# ").strip() for line in body.splitlines() if line.strip()), "")
    if not description:
        raise SkillError(f"{path}: no description in the frontmatter and an empty body")
    ignored = [f for f in UNHONOURED_FIELDS if meta.get(f) not in (None, "", [], {})]
    if "!`" in body:
        ignored.append("!`command` lines")
    return Skill(
        name=name,
        description=" ".join(description.split()),
        directory=directory,
        source=source,
        argument_hint=as_hint(meta.get("argument-hint")),
        model_invocable=not as_bool(meta.get("disable-model-invocation"), False),
        user_invocable=as_bool(meta.get("user-invocable"), True),
        ignored=tuple(ignored),
    )


def scan_skills(cwd: Path, user_dir: Path | None = None) -> tuple[list[Skill], list[str]]:
    """Every skill by name (later folders win), and the skills that could not be loaded."""
    found: dict[str, Skill] = {}
    problems: list[str] = []
    for source, root in skill_dirs(cwd, user_dir):
        if not root.is_dir():
            continue
        for directory in sorted(p for p in root.iterdir() if (p / SKILL_FILE).is_file()):
            try:
                skill = load_skill(directory, source)
            except SkillError as exc:
                problems.append(str(exc))
                continue
            found[skill.name] = skill
    return sorted(found.values(), key=lambda s: s.name), problems


def list_skills(cwd: Path, user_dir: Path | None = None) -> list[Skill]:
    return scan_skills(cwd, user_dir)[0]


def find_skill(skills: list[Skill], name: str, *, by_model: bool = False) -> Skill:
    """The skill called `name` or kept in a folder of that name (a leading '/' and case are ignored);
    SkillError listing the known ones. `by_model` leaves out the skills only the user may run."""
    wanted = name.strip().lstrip("/")
    offered = [s for s in skills if s.model_invocable or not by_model]
    for skill in offered:
        if skill.answers_to(wanted):
            return skill
    for skill in offered:
        if wanted.lower() in (skill.name.lower(), skill.folder.lower()):
            return skill
    if by_model and any(s.answers_to(wanted) for s in skills):
        raise SkillError(f"The skill {wanted!r} is for the user to run (/{wanted}); it cannot be loaded by the model.")
    known = ", ".join(s.name for s in offered) or "none are installed"
    raise SkillError(f"No skill named {wanted!r}. Available skills: {known}.")


def skills_prompt(skills: list[Skill]) -> str:
    """The system prompt's list of skills the model may load: names and descriptions only."""
    skills = [s for s in skills if s.model_invocable]
    if not skills:
        return ""
    lines = [
        "<skills>",
        "Skills are instructions for particular tasks. When a task matches a skill's description,",
        "call the Skill tool with its name first; it returns the instructions and the skill's files.",
    ]
    lines += [f"- {s.name}: {s.description}" for s in skills]
    lines.append("</skills>")
    return "\n".join(lines)


def render_skill(skill: Skill, args: str = "", *, session_id: str = "") -> str:
    """What the Skill tool (and `/name`) gives the model: the body with its arguments filled in, and
    the other files."""
    body = fill_arguments(skill.body(), args, skill_dir=skill.directory, session_id=session_id)
    parts = [f"Skill {skill.name!r} (from {skill.path}):", "", body]
    files = skill.files()
    if files:
        parts += ["", f"Files in this skill (under {skill.directory}; Read them when the instructions need them):"]
        parts += [f"- {rel}" for rel in files]
    return "\n".join(parts)
