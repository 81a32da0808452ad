"""Jupyter notebooks: how Read shows them, and NotebookEdit.

NotebookEdit proposes the whole new notebook JSON (written by nbformat) as an ordinary file
change, so the diff review and per-hunk approval work as for any other edit; `apply` checks
that what was accepted is still a valid notebook before writing it.

nbformat (with jsonschema, ~80 ms) is imported inside the functions that need it, so building
an Agent does not load it; the first notebook read or edited does.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from claw_tui.core.transcript import ImageBlock, TextBlock
from claw_tui.tools.base import (
    FileChange,
    FileEditTool,
    ToolContext,
    ToolError,
    ToolResult,
)
from claw_tui.tools.textfiles import (
    encode,
    missing_file_message,
    read_text,
    require_fresh,
    shown,
    write_change,
)

if TYPE_CHECKING:
    from nbformat import NotebookNode

MAX_OUTPUT_CHARS = 10_000  # per cell output
MAX_RENDER_CHARS = 80_000  # the whole rendering
MAX_IMAGES = 8
MAX_IMAGE_BYTES = 3_750_000  # decoded, over all images of one notebook
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def parse_notebook(text: str) -> NotebookNode:
    """A notebook (converted to format 4); ValueError when the text is not one.

    Not `nbformat.reads`: it logs schema problems through `logging`, which would land on the
    terminal under the TUI. Validation happens where it matters, before writing.
    """
    import nbformat

    try:
        return nbformat.convert(nbformat.reader.reads(text), 4)
    except Exception as exc:  # noqa: BLE001 - JSON, reader, schema and conversion errors alike
        raise ValueError(f"not a valid Jupyter notebook ({type(exc).__name__}: {exc})") from None


def render_notebook(nb: NotebookNode) -> list[TextBlock | ImageBlock]:
    """Cell by cell: index, id, type and source, then each code cell's outputs."""
    language = nb.metadata.get("language_info", {}).get("name") or nb.metadata.get("kernelspec", {}).get("language")
    parts = [f"Jupyter notebook: {len(nb.cells)} cells" + (f", language {language}" if language else "")]
    images: list[ImageBlock] = []
    image_bytes = 0
    for index, cell in enumerate(nb.cells):
        attrs = f'index="{index}"' + (f' id="{cell["id"]}"' if cell.get("id") else "") + f' type="{cell.cell_type}"'
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            attrs += f' execution_count="{cell.execution_count}"'
        parts.append(f"<cell {attrs}>\n{cell.source}\n</cell>")
        for output in cell.get("outputs", []):
            text, image = _output(output)
            text = text.rstrip("\n")
            if image is not None:
                size = len(image.data) * 3 // 4
                if len(images) < MAX_IMAGES and image_bytes + size <= MAX_IMAGE_BYTES:
                    images.append(image)
                    image_bytes += size
                    text = (text + "\n" if text else "") + f"[{image.media_type} image {len(images)}, attached]"
                else:
                    text = (
                        text + "\n" if text else ""
                    ) + f"[{image.media_type} image not attached: too many or too large]"
            if text:
                if len(text) > MAX_OUTPUT_CHARS:
                    text = text[:MAX_OUTPUT_CHARS] + f"\n… [output cut: {len(text) - MAX_OUTPUT_CHARS} more characters]"
                parts.append(f'<output cell="{index}">\n{text}\n</output>')
    rendered = "\n".join(parts)
    if len(rendered) > MAX_RENDER_CHARS:
        rendered = rendered[:MAX_RENDER_CHARS] + (
            f"\n… [notebook cut: {len(rendered) - MAX_RENDER_CHARS} more characters; use Grep on the file to find the rest]"
        )
    return [TextBlock(text=rendered), *images]


def _output(output: NotebookNode) -> tuple[str, ImageBlock | None]:
    kind = output.get("output_type")
    if kind == "stream":
        return _joined(output.get("text", "")), None
    if kind == "error":
        # A traceback ends with "ename: evalue" already.
        trace = _ANSI.sub("", "\n".join(output.get("traceback", [])))
        return trace or f"{output.get('ename', 'Error')}: {output.get('evalue', '')}", None
    data = output.get("data", {})
    text = _joined(data.get("text/plain", ""))
    if not text and "text/html" in data:
        text = "[HTML output]"
    image = next(
        (ImageBlock(media_type=t, data=re.sub(r"\s", "", _joined(data[t]))) for t in _IMAGE_TYPES if t in data), None
    )
    return text, image


def _joined(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


class NotebookEditInput(BaseModel):
    notebook_path: str = Field(
        description="The absolute path to the Jupyter notebook file to edit (must be absolute, not relative)"
    )
    cell_id: str | None = Field(
        default=None,
        description=(
            'The ID of the cell to edit (as Read shows it; a 0-based cell index such as "3" also works). '
            "When inserting a new cell, the new cell will be inserted after the cell with this ID, "
            "or at the beginning if not specified."
        ),
    )
    new_source: str = Field(description="The new source for the cell")
    cell_type: Literal["code", "markdown"] | None = Field(
        default=None,
        description=(
            "The type of the cell (code or markdown). If not specified, it defaults to the current cell type. "
            "If using edit_mode=insert, this is required."
        ),
    )
    edit_mode: Literal["replace", "insert", "delete"] = Field(
        default="replace", description="The type of edit to make (replace, insert, delete). Defaults to replace."
    )


class NotebookEdit(FileEditTool[NotebookEditInput]):
    name: ClassVar[str] = "NotebookEdit"
    description: ClassVar[str] = (
        "Completely replaces the contents of a specific cell in a Jupyter notebook (.ipynb file) with new source. "
        "Jupyter notebooks are interactive documents that combine code, text, and visualizations, commonly used "
        "for data analysis and scientific computing.\n\n"
        "- The notebook_path parameter must be an absolute path, not a relative path.\n"
        "- You must Read the notebook first; the edit is refused if the notebook changed since you read it.\n"
        "- cell_id is the cell's id as Read shows it (a 0-based index also works).\n"
        "- Use edit_mode=insert to add a new cell after the cell with cell_id (at the beginning when cell_id is "
        "omitted); cell_type is required then.\n"
        "- Use edit_mode=delete to delete the cell with cell_id.\n"
        "- Replacing a code cell clears its outputs and execution count.\n"
        "- Use this tool, not Edit or Write, for .ipynb files."
    )
    Input = NotebookEditInput

    def summary(self, input: NotebookEditInput) -> str:
        cell = f" cell {input.cell_id}" if input.cell_id is not None else ""
        return f"NotebookEdit {input.notebook_path} ({input.edit_mode}{cell})"

    def rule_target(self, input: NotebookEditInput, ctx: ToolContext) -> str | None:
        return str(ctx.resolve(input.notebook_path))

    def touched_paths(self, input: NotebookEditInput, ctx: ToolContext) -> list[Path]:
        return [ctx.resolve(input.notebook_path)]

    async def propose(self, input: NotebookEditInput, ctx: ToolContext) -> list[FileChange]:
        path = ctx.resolve(input.notebook_path)
        label = shown(path, ctx)
        if path.suffix != ".ipynb":
            raise ToolError(f"{label} is not a Jupyter notebook (.ipynb); use Edit for other files.")
        if not path.exists():
            raise ToolError(missing_file_message(path, ctx))
        if not path.is_file():
            raise ToolError(f"{label} is not a regular file.")
        require_fresh(path, ctx)
        before, fmt = read_text(path, ctx)
        try:
            nb = parse_notebook(before)
        except ValueError as exc:
            raise ToolError(f"{label} is {exc}; fix it with Edit or Write instead.") from None
        _edit(nb, input, label)
        after = _serialised(nb, label)
        if before.endswith("\n") and not after.endswith("\n"):
            after += "\n"
        encode(path, after, fmt, ctx)
        return [FileChange(path=path, before=before, after=after)]

    async def apply(self, changes: list[FileChange], ctx: ToolContext) -> ToolResult:
        import nbformat

        lines = []
        for change in changes:
            label = shown(change.path, ctx)
            try:
                after = parse_notebook(change.after)
                nbformat.validate(after)
            except (ValueError, nbformat.ValidationError) as exc:
                raise ToolError(
                    f"The accepted parts of the change do not form a valid notebook ({exc}); "
                    f"{label} was not written. Accept the whole change or ask for a different edit."
                ) from None
            write_change(change, ctx)
            before = parse_notebook(change.before) if change.before is not None else nbformat.v4.new_notebook()
            lines.append(f"Updated notebook {label}: {_describe(before, after)}.")
        return ToolResult.text("\n".join(lines))


def _edit(nb: NotebookNode, input: NotebookEditInput, label: str) -> None:
    cells = nb.cells
    if input.edit_mode == "insert":
        position = 0 if input.cell_id is None else _cell_index(nb, input.cell_id, label, allow_end=False) + 1
        if input.cell_type is None:
            raise ToolError('cell_type is required when inserting a cell: give "code" or "markdown".')
        cells.insert(position, _new_cell(nb, input.cell_type, input.new_source))
        return
    if input.cell_id is None:
        raise ToolError(f"cell_id is required to {input.edit_mode} a cell: give the id Read shows, or its index.")
    index = _cell_index(nb, input.cell_id, label, allow_end=input.edit_mode == "replace")
    if input.edit_mode == "delete":
        del cells[index]
        return
    if index == len(cells):  # replacing one past the last cell appends, as Claude Code does
        cells.append(_new_cell(nb, input.cell_type or "code", input.new_source))
        return
    cell = cells[index]
    if input.cell_type is not None and input.cell_type != cell.cell_type:
        replacement = _new_cell(nb, input.cell_type, input.new_source)
        for kept in ("id", "metadata"):
            if kept in cell:
                replacement[kept] = cell[kept]
        cells[index] = replacement
        return
    cell.source = input.new_source
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None


def _cell_index(nb: NotebookNode, cell_id: str, label: str, *, allow_end: bool) -> int:
    for index, cell in enumerate(nb.cells):
        if cell.get("id") == cell_id:
            return index
    match = re.fullmatch(r"\s*(?:cell-)?(\d+)\s*", cell_id)
    if match:
        index = int(match.group(1))
        if index < len(nb.cells) or (allow_end and index == len(nb.cells)):
            return index
        count = len(nb.cells)
        valid = f"indexes 0 to {count - 1}" if count else "insert one with edit_mode=insert"
        raise ToolError(f"{label} has {count} cells ({valid}); there is no cell {index}.")
    ids = [c["id"] for c in nb.cells if c.get("id")][:30]
    known = f" Cell ids: {', '.join(ids)}." if ids else " Its cells have no ids: use a 0-based index."
    raise ToolError(f"{label} has no cell with id {cell_id!r}.{known}")


def _new_cell(nb: NotebookNode, cell_type: str, source: str) -> NotebookNode:
    import nbformat

    cell = nbformat.v4.new_code_cell(source) if cell_type == "code" else nbformat.v4.new_markdown_cell(source)
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        del cell["id"]  # cell ids arrived in format 4.5; older notebooks must not have them
    return cell


def _serialised(nb: NotebookNode, label: str) -> str:
    import nbformat

    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
        for cell in nb.cells:
            cell.setdefault("id", nbformat.v4.nbbase.random_cell_id())
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise ToolError(f"The edit would leave {label} an invalid notebook: {exc.message}") from None
    return nbformat.writes(nb)


def _describe(before: NotebookNode, after: NotebookNode) -> str:
    """What changed, cell by cell, from the notebooks themselves (the change may have been narrowed)."""
    a = [json.dumps(c, sort_keys=True) for c in before.cells]
    b = [json.dumps(c, sort_keys=True) for c in after.cells]
    done: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        done += [f"changed cell {j}{_label(after.cells[j])}" for j in range(j1, j1 + paired)]
        done += [f"inserted cell {j}{_label(after.cells[j])}" for j in range(j1 + paired, j2)]
        done += [f"deleted cell {i}{_label(before.cells[i])}" for i in range(i1 + paired, i2)]
    return ", ".join(done) if done else "no cell changed"


def _label(cell: Any) -> str:
    return f" ({cell.cell_type}" + (f", id {cell['id']})" if cell.get("id") else ")")
