"""The built-in tools offered to the model, in Claude Code's order and with its names.

A built-in is offered from its declaration — name, description, input schema, kind — kept as
data in builtin_tools.json, and its module loads when the model first calls it: offering the
whole set costs one small file, not twenty modules and their pydantic models. The classes stay
the truth: `python -m claw_tui.engine.toolset` rewrites the file from them, and
tests/engine/test_toolset.py fails when it is out of date.
"""

from __future__ import annotations

import functools
import importlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from claw_tui.tools.base import Tool, ToolKind

# Where each built-in lives, in the order the model sees them.
BUILTIN = (
    "claw_tui.tools.files:Read",
    "claw_tui.tools.files:Write",
    "claw_tui.tools.files:Edit",
    "claw_tui.tools.search:Glob",
    "claw_tui.tools.search:Grep",
    "claw_tui.tools.shell:Bash",
    "claw_tui.engine.agent_tools:TaskOutput",
    "claw_tui.engine.agent_tools:TaskStop",
    "claw_tui.tools.web:WebFetch",
    "claw_tui.tools.web:WebSearch",
    "claw_tui.tools.notebook:NotebookEdit",
    "claw_tui.tools.tasks:TaskCreate",
    "claw_tui.tools.tasks:TaskGet",
    "claw_tui.tools.tasks:TaskList",
    "claw_tui.tools.tasks:TaskUpdate",
    "claw_tui.tools.ask:AskUserQuestion",
    "claw_tui.tools.plan:EnterPlanMode",
    "claw_tui.tools.plan:ExitPlanMode",
    "claw_tui.tools.lsp:LSP",
    "claw_tui.engine.agent_tools:Skill",
    "claw_tui.engine.agent_tools:Agent",
    "claw_tui.engine.agent_tools:SendMessage",
    "claw_tui.engine.agent_tools:EnterWorktree",
    "claw_tui.engine.agent_tools:ExitWorktree",
    "claw_tui.engine.cron_tools:CronCreate",
    "claw_tui.engine.cron_tools:CronDelete",
    "claw_tui.engine.cron_tools:CronList",
    "claw_tui.tools.git:Git",
)
DECLARATIONS = "builtin_tools.json"


class DeclaredTool(Tool[Any]):
    """A built-in tool as the model sees it, before its module is loaded: one subclass per
    declaration (claw tools keep their name, description and kind on the class)."""

    where: ClassVar[str]  # "module:Class"
    input_schema: ClassVar[dict[str, Any]]

    def __init__(self) -> None:
        self._tool: Tool[Any] | None = None

    @classmethod
    def build(cls, declaration: dict[str, Any]) -> DeclaredTool:
        attrs = {
            "name": declaration["name"],
            "description": declaration["description"],
            "kind": ToolKind(declaration["kind"]),
            "concurrent_safe": declaration["concurrent_safe"],
            "where": declaration["class"],
            "input_schema": declaration["input_schema"],
            "__module__": __name__,
        }
        return type(f"Declared{declaration['name']}", (cls,), attrs)()

    def schema(self) -> dict[str, Any]:
        return self.input_schema

    def loaded(self) -> Tool[Any]:
        if self._tool is None:
            module, _, name = self.where.partition(":")
            self._tool = getattr(importlib.import_module(module), name)()
        return self._tool


@functools.cache
def _declarations() -> list[dict[str, Any]]:
    return json.loads(resources.files(__package__).joinpath(DECLARATIONS).read_text(encoding="utf-8"))


def builtin_tools() -> list[Tool[Any]]:
    """A fresh set of the built-ins, offered from their declarations."""
    return [DeclaredTool.build(declaration) for declaration in _declarations()]


def declarations() -> list[dict[str, Any]]:
    """The declarations as the classes make them now (imports every tool module)."""
    out = []
    for where in BUILTIN:
        module, _, name = where.partition(":")
        tool: Tool[Any] = getattr(importlib.import_module(module), name)()
        out.append(
            {
                "name": tool.name,
                "class": where,
                "kind": tool.kind.value,
                "concurrent_safe": tool.concurrent_safe,
                "description": tool.description,
                "input_schema": tool.schema(),
            }
        )
    return out


def render(declared: list[dict[str, Any]]) -> str:
    return json.dumps(declared, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # rewrite builtin_tools.json after changing a built-in tool
    Path(__file__).with_name(DECLARATIONS).write_text(render(declarations()), encoding="utf-8")
    print(f"wrote {DECLARATIONS}: {len(BUILTIN)} tools")
