"""Skills: folders of instructions the model loads when a task calls for them.

A skill is a directory with a `SKILL.md` (frontmatter `name` and `description`, then the
instructions) and any other files it refers to. Only names and descriptions go into the
system prompt; the body and the list of the other files come back from the Skill tool when
the model asks for the skill, so a hundred skills cost a hundred lines, not a hundred files.
Claude Code's folders are read too; later folders override earlier ones by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from claw_tui.engine.agent_defs import parse_frontmatter

SKILL_FILE = "SKILL.md"
MAX_LISTED_FILES = 200


class SkillError(ValueError):
    """A skill claw cannot load or find; the message says why."""


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    directory: Path
    source: str  # "user", "project (.claude/skills)", "project (.claw/skills)"

    @property
    def path(self) -> Path:
        return self.directory / SKILL_FILE

    def body(self) -> str:
        """The instructions after the frontmatter, read now (the file may have changed)."""
        try:
            _, body = parse_frontmatter(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
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
    except ValueError as exc:
        raise SkillError(f"{path}: {exc}") from None
    name = str(meta.get("name") or "").strip() or directory.name
    description = str(meta.get("description") or "").strip()
    if not description:  # Claude Code requires one; the first line of the body is the next best thing
        description = next((line.strip("# ").strip() for line in body.splitlines() if line.strip()), "")
    if not description:
        raise SkillError(f"{path}: no description in the frontmatter and an empty body")
    return Skill(name=name, description=" ".join(description.split()), directory=directory, source=source)


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


def find_skill(skills: list[Skill], name: str) -> Skill:
    """The skill called `name` (a leading '/' and case are ignored); SkillError listing the known ones."""
    wanted = name.strip().lstrip("/")
    for skill in skills:
        if skill.name == wanted:
            return skill
    for skill in skills:
        if skill.name.lower() == wanted.lower():
            return skill
    known = ", ".join(s.name for s in skills) or "none are installed"
    raise SkillError(f"No skill named {wanted!r}. Available skills: {known}.")


def skills_prompt(skills: list[Skill]) -> str:
    """The system prompt's list of skills: names and descriptions only."""
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


def render_skill(skill: Skill, args: str = "") -> str:
    """What the Skill tool returns: the body (with `$ARGUMENTS` filled in) and the other files."""
    body = skill.body()
    if "$ARGUMENTS" in body:
        body = body.replace("$ARGUMENTS", args)
    elif args:
        body = f"{body}\n\nArguments: {args}"
    parts = [f"Skill {skill.name!r} (from {skill.path}):", "", body]
    files = skill.files()
    if files:
        parts += ["", f"Files in this skill (under {skill.directory}; Read them when the instructions need them):"]
        parts += [f"- {rel}" for rel in files]
    return "\n".join(parts)
