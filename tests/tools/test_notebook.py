from __future__ import annotations

import base64
import json

import nbformat
import pytest

from claw_tui.core.diffs import FileChange
from claw_tui.core.transcript import ImageBlock
from claw_tui.tools.base import ToolContext, ToolError, ToolKind
from claw_tui.tools.files import Read
from claw_tui.tools.notebook import NotebookEdit

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(cwd=tmp_path, roots=[tmp_path])


def make_notebook(path, *, minor=5):
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.nbformat_minor = minor
    nb.metadata["language_info"] = {"name": "python"}
    cells = [
        v4.new_markdown_cell("# Analysis", id="intro"),
        v4.new_code_cell(
            "print('hi')\n1 + 1",
            id="calc",
            execution_count=3,
            outputs=[
                v4.new_output("stream", name="stdout", text="hi\n"),
                v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=3),
            ],
        ),
        v4.new_code_cell(
            "plot()",
            id="plot",
            outputs=[v4.new_output("display_data", data={"image/png": PNG_B64, "text/plain": "<Figure>"})],
        ),
        v4.new_code_cell(
            "1/0",
            id="boom",
            outputs=[
                v4.new_output(
                    "error",
                    ename="ZeroDivisionError",
                    evalue="division by zero",
                    traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
                )
            ],
        ),
    ]
    if minor < 5:
        for cell in cells:
            del cell["id"]
    nb.cells = cells
    path.write_text(nbformat.writes(nb) + "\n")
    return path


async def read(ctx, path):
    tool = Read()
    return await tool.run(tool.Input(file_path=str(path)), ctx)


async def notebook_edit(ctx, **args):
    tool = NotebookEdit()
    return await tool.run(tool.Input(**args), ctx)


def cells_of(path):
    return nbformat.read(str(path), as_version=4).cells


async def test_read_renders_cells_and_outputs(ctx, tmp_path):
    path = make_notebook(tmp_path / "a.ipynb")
    result = await read(ctx, path)
    text = result.output
    assert text.startswith("Jupyter notebook: 4 cells, language python")
    assert '<cell index="0" id="intro" type="markdown">\n# Analysis\n</cell>' in text
    assert '<cell index="1" id="calc" type="code" execution_count="3">\nprint(\'hi\')\n1 + 1\n</cell>' in text
    assert '<output cell="1">\nhi\n</output>' in text and '<output cell="1">\n2\n</output>' in text
    assert "ZeroDivisionError: division by zero" in text and "\x1b" not in text
    assert "[image/png image 1, attached]" in text
    images = [b for b in result.content if isinstance(b, ImageBlock)]
    assert [i.media_type for i in images] == ["image/png"] and images[0].data == PNG_B64
    assert path in ctx.read_files


async def test_read_broken_notebook_falls_back_to_text(ctx, tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [\n')
    out = (await read(ctx, path)).output
    assert "not a valid Jupyter notebook" in out and '     1\t{"cells": [' in out


async def test_replace_clears_outputs_and_keeps_the_rest(ctx, tmp_path):
    path = make_notebook(tmp_path / "a.ipynb")
    await read(ctx, path)
    result = await notebook_edit(ctx, notebook_path=str(path), cell_id="calc", new_source="print('bye')")
    cells = cells_of(path)
    assert cells[1].source == "print('bye')" and cells[1].outputs == [] and cells[1].execution_count is None
    assert cells[1].id == "calc" and len(cells) == 4
    assert cells[2].outputs  # other cells keep their outputs
    assert "changed cell 1 (code, id calc)" in result.output
    nbformat.validate(nbformat.read(str(path), as_version=4))


async def test_insert_after_a_cell_and_at_the_start(ctx, tmp_path):
    path = make_notebook(tmp_path / "a.ipynb")
    await read(ctx, path)
    result = await notebook_edit(
        ctx, notebook_path=str(path), cell_id="intro", new_source="## Setup", cell_type="markdown", edit_mode="insert"
    )
    cells = cells_of(path)
    assert [c.source for c in cells[:3]] == ["# Analysis", "## Setup", "print('hi')\n1 + 1"]
    assert cells[1].cell_type == "markdown" and cells[1].id
    assert "inserted cell 1 (markdown" in result.output
    await notebook_edit(ctx, notebook_path=str(path), new_source="import os", cell_type="code", edit_mode="insert")
    cells = cells_of(path)
    assert cells[0].source == "import os" and cells[0].outputs == [] and len(cells) == 6
    with pytest.raises(ToolError, match="cell_type is required"):
        await notebook_edit(ctx, notebook_path=str(path), new_source="x", edit_mode="insert")


async def test_delete_and_index_ids(ctx, tmp_path):
    path = make_notebook(tmp_path / "a.ipynb")
    await read(ctx, path)
    result = await notebook_edit(ctx, notebook_path=str(path), cell_id="boom", new_source="", edit_mode="delete")
    assert [c.id for c in cells_of(path)] == ["intro", "calc", "plot"]
    assert "deleted cell 3 (code, id boom)" in result.output
    await notebook_edit(ctx, notebook_path=str(path), cell_id="0", new_source="# Title", edit_mode="replace")
    assert cells_of(path)[0].source == "# Title"
    with pytest.raises(ToolError, match="has 3 cells"):
        await notebook_edit(ctx, notebook_path=str(path), cell_id="7", new_source="x", edit_mode="delete")
    with pytest.raises(ToolError, match="no cell with id 'nope'. Cell ids: intro, calc, plot"):
        await notebook_edit(ctx, notebook_path=str(path), cell_id="nope", new_source="x")


async def test_replace_can_change_the_cell_type(ctx, tmp_path):
    path = make_notebook(tmp_path / "a.ipynb")
    await read(ctx, path)
    await notebook_edit(ctx, notebook_path=str(path), cell_id="plot", new_source="Just text", cell_type="markdown")
    cell = cells_of(path)[2]
    assert cell.cell_type == "markdown" and cell.id == "plot" and "outputs" not in cell


async def test_old_format_notebooks_get_no_cell_ids(ctx, tmp_path):
    path = make_notebook(tmp_path / "old.ipynb", minor=4)
    await read(ctx, path)
    await notebook_edit(
        ctx, notebook_path=str(path), cell_id="1", new_source="x = 1", cell_type="code", edit_mode="insert"
    )
    raw = json.loads(path.read_text())
    assert raw["nbformat_minor"] == 4
    assert all("id" not in c for c in raw["cells"])
    assert "".join(raw["cells"][2]["source"]) == "x = 1"


async def test_refuses_unread_stale_and_non_notebooks(ctx, tmp_path):
    path = make_notebook(tmp_path / "a.ipynb")
    with pytest.raises(ToolError, match="has not been read yet"):
        await notebook_edit(ctx, notebook_path=str(path), cell_id="calc", new_source="x")
    await read(ctx, path)
    make_notebook(path)
    path.write_text(path.read_text().replace("Analysis", "Changed analysis"))
    with pytest.raises(ToolError, match="modified since read"):
        await notebook_edit(ctx, notebook_path=str(path), cell_id="calc", new_source="x")
    other = tmp_path / "a.py"
    other.write_text("x = 1\n")
    with pytest.raises(ToolError, match="not a Jupyter notebook"):
        await notebook_edit(ctx, notebook_path=str(other), cell_id="0", new_source="x")


async def test_propose_shows_json_and_narrowed_invalid_notebook_is_not_written(ctx, tmp_path):
    path = make_notebook(tmp_path / "a.ipynb")
    await read(ctx, path)
    tool = NotebookEdit()
    [change] = await tool.propose(tool.Input(notebook_path=str(path), cell_id="intro", new_source="# New title"), ctx)
    assert change.before == path.read_text()
    assert '"# New title"' in change.after and change.after.endswith("}\n")
    original = path.read_text()
    broken = FileChange(change.path, change.before, change.after[: len(change.after) // 2])
    with pytest.raises(ToolError, match="do not form a valid notebook"):
        await tool.apply([broken], ctx)
    assert path.read_text() == original
    await tool.apply([change], ctx)
    assert cells_of(path)[0].source == "# New title"


def test_targets_and_schema(ctx, tmp_path):
    tool = NotebookEdit()
    args = tool.Input(notebook_path="nb/x.ipynb", cell_id="a", new_source="s")
    assert tool.kind is ToolKind.WRITE
    assert tool.rule_target(args, ctx) == str(tmp_path.resolve() / "nb" / "x.ipynb")
    assert tool.touched_paths(args, ctx) == [tmp_path.resolve() / "nb" / "x.ipynb"]
    props = tool.schema()["properties"]
    assert set(props) == {"notebook_path", "cell_id", "new_source", "cell_type", "edit_mode"}
    assert props["edit_mode"]["enum"] == ["replace", "insert", "delete"]
    assert base64.b64decode(PNG_B64).startswith(b"\x89PNG")
