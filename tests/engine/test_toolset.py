"""The built-ins are offered from data; their modules load on their first call."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent_harness import make_agent, of_type, run
from fake_model import Reply, Text, ToolCall

from claw_tui.core import events as ev
from claw_tui.engine import toolset


def test_the_declarations_file_matches_the_tool_classes():
    """Edited a built-in tool? `python -m claw_tui.engine.toolset` rewrites builtin_tools.json."""
    declared = Path(toolset.__file__).with_name(toolset.DECLARATIONS).read_text(encoding="utf-8")
    assert declared == toolset.render(toolset.declarations()), "run: python -m claw_tui.engine.toolset"


def test_offering_the_built_ins_loads_none_of_their_modules():
    code = (
        "import json, sys\n"
        "from claw_tui.engine.toolset import BUILTIN, builtin_tools\n"
        "specs = [(t.name, t.description, t.schema()) for t in builtin_tools()]\n"
        "modules = sorted({w.split(':')[0] for w in BUILTIN} & set(sys.modules))\n"
        "print(json.dumps([len(specs), modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [len(toolset.BUILTIN), []]


async def test_a_declared_tool_loads_on_its_first_call_and_runs(tmp_path, fake_model):
    (tmp_path / "notes.txt").write_text("alpha\n")
    fake_model.script(
        Reply(parts=[ToolCall("Grep", {"pattern": "alpha", "output_mode": "content"})]),
        Reply(parts=[ToolCall("Grep", {"pattern": "[", "output_mode": "nonsense"})]),
        Reply(parts=[Text("Found it.")]),
    )
    agent = make_agent(tmp_path, fake_model.base_url)
    offered = agent.tools["Grep"]
    assert isinstance(offered, toolset.DeclaredTool)
    events = await run(agent, "find alpha")
    found, refused = of_type(events, ev.ToolCallFinished)
    assert found.status == "done" and "notes.txt:1:alpha" in found.output
    assert refused.status == "failed" and "output_mode" in refused.output  # validated by the real Input model
    assert agent.tools["Grep"] is offered  # the model keeps seeing the declaration
    assert offered.loaded() is offered.loaded() and not isinstance(offered.loaded(), toolset.DeclaredTool)
    assert agent.tool_summary("Grep", {"pattern": "alpha"}).startswith("Grep")
