"""The engine side never imports Textual, Rich or claw_tui.ui (DESIGN.md's one rule)."""

import json
import os
import subprocess
import sys

import pytest

ENGINE_PACKAGES = ("claw_tui.core", "claw_tui.engine", "claw_tui.providers", "claw_tui.tools", "claw_tui.mcp", "claw_tui.acp")


def test_engine_modules_do_not_load_ui_libraries():
    """Every module of the engine-side packages, imported together, loads no UI library."""
    code = (
        "import sys, importlib, pkgutil\n"
        "names = []\n"
        f"for pkg in {ENGINE_PACKAGES!r}:\n"
        "    module = importlib.import_module(pkg)\n"
        "    names += [pkg] + [i.name for i in pkgutil.walk_packages(module.__path__, pkg + '.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('claw_tui.ui'))\n"
        "print(len(names), ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, bad = out.stdout.split(" ", 1)
    assert int(count) > 40  # the walk found the packages' modules
    assert bad.strip() == ""


def test_no_module_imports_itself_back_at_run_time():
    """No import loop at run time, function-local imports included (grimp, import-linter's graph).

    Imports for type checkers only (under TYPE_CHECKING) may name each other: they never run.
    """
    import grimp

    graph = grimp.build_graph("claw_tui", exclude_type_checking_imports=True)
    loops = [
        (module, other)
        for module in graph.modules
        for other in graph.find_modules_directly_imported_by(module)
        if module != other and graph.chain_exists(importer=other, imported=module)
    ]
    assert loops == []


def test_import_linter_contract_holds():
    out = subprocess.run([sys.executable, "-m", "importlinter.cli", "--no-cache"], capture_output=True, text=True, check=False)
    if out.returncode != 0 and "No module named" in out.stderr:
        out = subprocess.run(["lint-imports", "--no-cache"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


# Libraries a tool needs only when it runs; building an Agent (before the TUI's first frame) must not load them.
LAZY_LIBRARIES = ("bs4", "markdownify", "soupsieve", "nbformat", "jsonschema", "git", "httpx2")


def test_creating_an_agent_leaves_tool_libraries_unimported(tmp_path):
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from claw_tui.engine.agent import Agent\n"
        "agent = Agent.create(Path('.'))\n"
        "assert {'LSP', 'WebFetch', 'NotebookEdit', 'Git', 'Read'} <= set(agent.tools)\n"
        "for tool in agent.tools.values(): tool.schema()\n"
        f"bad = sorted({{m for m in sys.modules if m.split('.')[0] in {LAZY_LIBRARIES!r}}})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert out.stdout.strip() == ""


# Loaded after the TUI's first frame (Markdown: in a thread, before the first answer; MCP: when servers start).
NOT_BEFORE_FIRST_FRAME = ("markdown_it", "rich.markdown", "mcp", "claw_tui.mcp.manager", "claw_tui.mcp.tools")


def test_the_tuis_start_leaves_markdown_and_mcp_unimported():
    code = (
        "import sys\n"
        "from claw_tui.cli import build_parser\n"
        "build_parser()\n"
        "import claw_tui.ui.app\n"
        f"bad = sorted(m for m in sys.modules if m in {NOT_BEFORE_FIRST_FRAME!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_print_mode_and_version_leave_the_acp_side_unimported(tmp_path):
    """`claw acp` and `claw serve` load the ACP SDK; `claw --version` and `claw -p` never pay for it."""
    code = (
        "import sys\n"
        "from claw_tui import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('loaded:' + ','.join(sorted(m for m in sys.modules if m == 'acp' or m.startswith(('acp.', 'claw_tui.acp')))))\n"
    )
    for argv in (["--version"], ["-p", "hello"]):
        out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=tmp_path, check=True)
        assert out.stdout.splitlines()[-1] == "loaded:", argv


# `claw -p` through its real entry point, writing the modules it loaded when it exits.
PRINT_RUN = (
    "import atexit, json, sys\n"
    "out = sys.argv.pop(1)\n"
    "atexit.register(lambda: open(out, 'w').write(json.dumps(sorted(sys.modules))))\n"
    "from claw_tui.cli import main\n"
    "main(sys.argv[1:])\n"
)
# Tool modules a print run loads for what they hold besides a tool: the session's shell (the agent
# builds its ShellManager) and print mode's answers to AskUserQuestion from --answer flags.
SERVICE_MODULES = {"claw_tui.tools.shell", "claw_tui.tools.ask"}


def answer(output_format: str, stdout: str) -> str:
    if output_format == "text":
        return stdout
    last = json.loads(stdout.splitlines()[-1])  # json: the result object; stream-json: the result line
    return last["result"] + "\n"


# Each provider with one of the output formats: Claude Code's protocol (json, stream-json) prints
# without the app's libraries too.
@pytest.mark.parametrize(
    ("model", "sdk", "other_sdk", "output_format"),
    [("anthropic/claude-sonnet-4-6", "anthropic", "openai", "stream-json"), ("openai/gpt-5", "openai", "anthropic", "text"),
     ("local/llama3", "openai", "anthropic", "json")],
)
def test_print_mode_loads_only_what_the_run_uses(tmp_path, fake_model, model, sdk, other_sdk, output_format):
    from fake_model import Reply, Text, ToolCall

    from claw_tui.engine.toolset import BUILTIN

    (tmp_path / "app.py").write_text("print('alpha')\n")
    fake_model.script(Reply(parts=[ToolCall("Read", {"file_path": "app.py"})]), Reply(parts=[Text("It prints alpha.")]))
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_model.base_url,
        "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": f"{fake_model.base_url}/v1",
        "CLAW_LOCAL_BASE_URL": f"{fake_model.base_url}/v1",
        # A Python server configured but not installed: nothing of LSP may load, though app.py is read.
        "CLAW_LSP": json.dumps({"python": {"command": ["claw-no-such-server"], "extensions": [".py"]}}),
    }
    out = tmp_path / "modules.json"
    run = subprocess.run(
        [sys.executable, "-c", PRINT_RUN, str(out), "-p", "--model", model, "--output-format", output_format,
         "--verbose", "what does app.py print?"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
    )
    assert run.returncode == 0 and answer(output_format, run.stdout) == "It prints alpha.\n", run.stderr
    loaded = set(json.loads(out.read_text()))
    roots = {m.split(".")[0] for m in loaded}
    assert sdk in roots and "claw_tui.tools.files" in loaded  # the run's own: its SDK, the tool it called
    unused = {"textual", "rich", "markdown_it", "mcp", "mcp_types", "jsonschema", other_sdk}
    assert roots & unused == set()
    claws = {m for m in loaded if m.startswith("claw_tui.")}
    assert {m for m in claws if m.startswith(("claw_tui.ui", "claw_tui.mcp.", "claw_tui.tools.lsp"))} == {
        "claw_tui.mcp.config",  # reads the declarations, to find that no server is declared
        "claw_tui.tools.lsp_config",  # reads the configuration, to find that no server is installed
    }
    tool_modules = {where.split(":")[0] for where in BUILTIN}
    assert claws & tool_modules == {"claw_tui.tools.files"} | SERVICE_MODULES
