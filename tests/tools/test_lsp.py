from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest
from pydantic import ValidationError

from claw_tui.tools.base import Services, ToolContext, ToolError
from claw_tui.tools.lsp import LSP, LspError, LspManager, default_config

LIB = 'import json\n\n\ndef greet(name):\n    """Say hello to someone."""\n    return "hi " + name\n'
MAIN = 'from lib import greet\n\nprint(greet("x"))\nprint(greet("y"))\n'


@pytest.fixture
async def project(tmp_path):
    (tmp_path / "lib.py").write_text(LIB)
    (tmp_path / "main.py").write_text(MAIN)
    manager = LspManager(tmp_path)
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
    ctx.services.lsp = manager
    yield ctx
    await manager.close()


async def lsp(ctx, **args):
    tool = LSP()
    return (await tool.run(tool.Input.model_validate(args), ctx)).output


def test_default_config_finds_pylsp_beside_the_interpreter():
    command = default_config()["python"]["command"][0]
    assert command.endswith("pylsp") and command != "pylsp"


async def test_navigation_through_the_tool(project):
    text = await lsp(
        project, operation="definition", file_path="main.py", line=3, character=8
    )
    assert text.splitlines()[1] == "lib.py:4:5: def greet(name):"

    text = await lsp(
        project, operation="references", file_path="main.py", line=3, character=8
    )
    assert text.startswith("4 reference(s) to the symbol at main.py:3:8:")
    for place in (
        "lib.py:4:5: def greet(name):",
        "main.py:1:17: from lib import greet",
        'main.py:4:7: print(greet("y"))',
    ):
        assert place in text

    text = await lsp(
        project, operation="hover", file_path="main.py", line=3, character=8
    )
    assert "greet(name)" in text and "Say hello to someone." in text

    text = await lsp(project, operation="documentSymbol", file_path="lib.py")
    assert "Function greet" in text and "(line 4)" in text

    text = await lsp(
        project, operation="findReferences", file_path="lib.py", line=4, character=5
    )
    assert "main.py:3:7" in text

    text = await lsp(project, operation="diagnostics", file_path="lib.py")
    assert "lib.py:1:1: warning: 'json' imported but unused [pyflakes]" in text


async def test_undefined_name_and_new_diagnostics_after_edit(project):
    manager: LspManager = project.services.lsp
    manager.edit_wait = 10.0  # the server is ready: give it all the time it needs to publish
    main = project.cwd / "main.py"
    assert (
        await lsp(project, operation="diagnostics", file_path="main.py")
        == "No diagnostics in main.py."
    )

    main.write_text(MAIN + "print(missing_name)\n")
    report = await manager.after_edit([main], owner=project)
    assert report.splitlines() == [
        "New diagnostics in main.py after this edit:",
        "main.py:5:7: error: undefined name 'missing_name' [pyflakes]",
    ]
    # The same problem, moved down a line by an unrelated edit, is not new.
    main.write_text("import os\n" + MAIN + "print(missing_name)\n")
    report = await manager.after_edit([main], owner=project)
    assert "missing_name" not in report
    assert "'os' imported but unused" in report

    main.write_text(MAIN)
    assert await manager.after_edit([main], owner=project) == ""
    text = await lsp(project, operation="diagnostics", file_path="main.py")
    assert text == "No diagnostics in main.py."


async def test_an_edit_never_waits_for_a_starting_server_its_diagnostics_come_later(tmp_path):
    (tmp_path / "main.py").write_text(MAIN + "print(missing_name)\n")
    manager = LspManager(tmp_path)
    agent, other_agent = object(), object()
    try:
        # The server is not even started: the edit's result goes back without waiting for it.
        assert await manager.after_edit([tmp_path / "main.py"], owner=agent) == ""
        assert manager.late_diagnostics(owner=agent) == ""
        # Once the server is up and has published, the report is due to the agent that edited.
        await manager.diagnostics(tmp_path / "main.py")
        assert manager.late_diagnostics(owner=other_agent) == ""
        assert manager.late_diagnostics(owner=agent).splitlines() == [
            "Diagnostics in main.py after an earlier edit:",
            "main.py:5:7: error: undefined name 'missing_name' [pyflakes]",
        ]
        assert manager.late_diagnostics(owner=agent) == ""  # delivered once
    finally:
        await manager.close()


# A server that starts, says where it is, and never answers.
SILENT_SERVER = [sys.executable, "-c", "import os, time; open('pid', 'w').write(str(os.getpid())); time.sleep(600)"]


async def test_a_server_that_never_answers_slows_no_edit_and_is_killed_at_close(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    manager = LspManager(tmp_path, {"python": {"command": SILENT_SERVER, "extensions": [".py"]}})
    manager.touch([tmp_path / "a.py"])
    # Waiting for this server would take its whole start-up timeout and end in an error.
    assert await manager.after_edit([tmp_path / "a.py"], owner=manager) == ""
    while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text():
        await asyncio.sleep(0.02)
    assert not manager._starts["python"].done()  # still waiting for its answer to initialize
    pid = int((tmp_path / "pid").read_text())
    await manager.close()  # not the polite shutdown, which it would never answer
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_missing_server_is_a_clear_error(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    manager = LspManager(
        tmp_path,
        {"python": {"command": ["no-such-language-server"], "extensions": [".py"]}},
    )
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path], services=Services(lsp=manager))
    with pytest.raises(LspError, match="'no-such-language-server' is not installed"):
        await lsp(ctx, operation="diagnostics", file_path="a.py")
    await manager.close()


async def test_a_server_that_dies_is_explained(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    crash = [
        sys.executable,
        "-c",
        "import sys; sys.stderr.write('boom: no licence\\n'); sys.exit(3)",
    ]
    manager = LspManager(
        tmp_path, {"python": {"command": crash, "extensions": [".py"]}}
    )
    with pytest.raises(LspError, match="(?s)stopped.*boom: no licence"):
        await manager.diagnostics(tmp_path / "a.py")
    await manager.close()


async def test_unconfigured_files_missing_files_and_no_manager(tmp_path):
    (tmp_path / "x.rs").write_text("fn main() {}\n")
    manager = LspManager(tmp_path, {})
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path], services=Services(lsp=manager))
    with pytest.raises(
        LspError, match="No language server is configured for .rs files"
    ):
        await lsp(ctx, operation="diagnostics", file_path="x.rs")
    assert await manager.after_edit([tmp_path / "x.rs"], owner=manager) == ""
    with pytest.raises(ToolError, match="File does not exist"):
        await lsp(ctx, operation="hover", file_path="nope.py", line=1, character=1)
    with pytest.raises(ToolError, match="not available"):
        await lsp(
            ToolContext(cwd=tmp_path, roots=[tmp_path]),
            operation="diagnostics",
            file_path="x.rs",
        )


def test_input_needs_a_position_for_navigation(tmp_path):
    tool = LSP()
    with pytest.raises(ValidationError, match="needs line and character"):
        tool.Input.model_validate({"operation": "hover", "file_path": "a.py"})
    with pytest.raises(ValidationError):
        tool.Input.model_validate(
            {"operation": "hover", "file_path": "a.py", "line": 0, "character": 1}
        )
    parsed = tool.Input.model_validate(
        {"operation": "definition", "file_path": "a.py", "line": 2, "character": 3}
    )
    assert tool.summary(parsed) == "LSP definition: a.py:2:3"
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path])
    assert tool.rule_target(parsed, ctx) == str(tmp_path.resolve() / "a.py")
    with pytest.raises(ValueError, match="Bad language server config"):
        LspManager(tmp_path, {"go": {"command": []}})


# A server scripted message by message: it asks claw things before answering initialize (as real
# servers do), sends a frame that is not JSON, and answers in the shapes pylsp never uses.
SCRIPTED_SERVER = r'''
import json, sys
out, seen = sys.stdout.buffer, open("seen.jsonl", "w")
def send(message):
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    out.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body)); out.flush()
def read():
    length = None
    while (line := sys.stdin.buffer.readline().strip()):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length": length = int(value)
    return json.loads(sys.stdin.buffer.read(length)) if length is not None else None
start = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 9}}
while (message := read()) is not None:
    method = message.get("method")
    if method is None:
        seen.write(json.dumps(message) + "\n"); seen.flush()
    elif method == "initialize":
        send({"id": "s1", "method": "workspace/configuration", "params": {"items": [{"section": "x"}]}})
        send({"id": "s2", "method": "client/registerCapability", "params": {"registrations": []}})
        send({"id": "s3", "method": "x/somethingNew", "params": {}})
        out.write(b"Content-Length: 5\r\n\r\nnot {"); out.flush()
        send({"id": message["id"], "result": {"capabilities": {}}})
    elif method == "textDocument/definition":
        send({"id": message["id"], "result": [{"targetUri": message["params"]["textDocument"]["uri"],
                                               "targetRange": start, "targetSelectionRange": start}]})
    elif method == "textDocument/hover":
        send({"id": message["id"], "result": {"contents": ["A greeting.", {"language": "python", "value": "def greet()"}]}})
    elif method == "textDocument/documentSymbol":
        uri = message["params"]["textDocument"]["uri"]
        send({"id": message["id"], "result": [{"name": "greet", "kind": 12, "containerName": "lib",
                                               "location": {"uri": uri, "range": start}}]})
    elif method == "textDocument/references":
        send({"id": message["id"], "error": {"code": -32603, "message": "index not ready"}})
    elif method == "shutdown":
        send({"id": message["id"], "result": None})
    elif method == "exit":
        break
'''


async def test_a_server_is_answered_and_understood_in_every_shape_the_protocol_allows(tmp_path):
    (tmp_path / "lib.py").write_text("# lib\ndef greet(): pass\n")
    server = tmp_path / "server.py"
    server.write_text(SCRIPTED_SERVER)
    manager = LspManager(tmp_path, {"python": {"command": [sys.executable, str(server)], "extensions": [".py"]}})
    ctx = ToolContext(cwd=tmp_path, roots=[tmp_path], services=Services(lsp=manager))
    try:
        # A LocationLink is a location; a list of MarkedStrings is one hover; a SymbolInformation a symbol.
        definition = await lsp(ctx, operation="definition", file_path="lib.py", line=2, character=5)
        assert definition.splitlines()[1] == "lib.py:2:5: def greet(): pass"
        hover = await lsp(ctx, operation="hover", file_path="lib.py", line=2, character=5)
        assert hover == "A greeting.\n\n```python\ndef greet()\n```"
        symbols = await lsp(ctx, operation="documentSymbol", file_path="lib.py")
        assert symbols.splitlines()[1] == "Function greet in lib (line 2)"
        with pytest.raises(LspError, match="refused references: index not ready"):
            await lsp(ctx, operation="references", file_path="lib.py", line=2, character=5)
    finally:
        await manager.close()
    # Every request of the server's was answered, what claw does not offer with "method not found".
    answers = {m["id"]: m for m in map(json.loads, (tmp_path / "seen.jsonl").read_text().splitlines())}
    assert answers["s1"]["result"] == [None] and answers["s2"]["result"] is None
    assert answers["s3"]["error"]["code"] == -32601
