from __future__ import annotations

import base64
import codecs
import os
from pathlib import Path

import pytest

from claw_tui.core.diffs import FileChange, apply_hunks, hunks
from claw_tui.core.transcript import ImageBlock
from claw_tui.tools import files
from claw_tui.tools.base import ToolContext, ToolError, ToolKind
from claw_tui.tools.files import Edit, Read, Write

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(cwd=tmp_path, roots=[tmp_path])


async def read(ctx, **args):
    tool = Read()
    return await tool.run(tool.Input(**args), ctx)


async def write(ctx, **args):
    tool = Write()
    return await tool.run(tool.Input(**args), ctx)


async def edit(ctx, **args):
    tool = Edit()
    return await tool.run(tool.Input(**args), ctx)


def bump_mtime(path):
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


# --- Read ---------------------------------------------------------------------------------


async def test_read_numbers_lines_like_cat_n_and_remembers_the_read(ctx, tmp_path):
    f = tmp_path / "app.py"
    f.write_text("import os\n\tprint(os.getcwd())\n")
    result = await read(ctx, file_path=str(f))
    assert result.output == "     1\timport os\n     2\t\tprint(os.getcwd())"
    assert not result.is_error
    assert ctx.read_files[f].size == f.stat().st_size


async def test_read_relative_path_resolves_from_cwd(ctx, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("alpha\n")
    assert "alpha" in (await read(ctx, file_path="src/a.txt")).output
    assert Read().summary(Read.Input(file_path="src/a.txt")) == "Read src/a.txt"


async def test_read_defaults_to_2000_lines_and_says_how_to_go_on(ctx, tmp_path):
    f = tmp_path / "long.txt"
    f.write_text("".join(f"line {i}\n" for i in range(1, 2501)))
    out = (await read(ctx, file_path=str(f))).output
    assert "  2000\tline 2000" in out
    assert "line 2001" not in out
    assert "500 more lines; continue with offset=2001" in out


async def test_read_offset_and_limit(ctx, tmp_path):
    f = tmp_path / "n.txt"
    f.write_text("".join(f"n{i}\n" for i in range(1, 11)))
    out = (await read(ctx, file_path=str(f), offset=4, limit=3)).output
    assert out.splitlines()[:3] == ["     4\tn4", "     5\tn5", "     6\tn6"]
    assert "continue with offset=7" in out
    past = await read(ctx, file_path=str(f), offset=50)
    assert "past the end" in past.output and "10 lines" in past.output


async def test_read_cuts_very_long_lines(ctx, tmp_path):
    f = tmp_path / "min.js"
    f.write_text("x" * 5000 + "\nshort\n")
    out = (await read(ctx, file_path=str(f))).output
    first = out.splitlines()[0]
    assert first.startswith("     1\t" + "x" * 2000 + "…")
    assert "3000 more characters" in first
    assert "     2\tshort" in out


async def test_read_empty_file_says_so(ctx, tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("")
    result = await read(ctx, file_path=str(f))
    assert "empty" in result.output and not result.is_error
    assert f in ctx.read_files


async def test_read_image_returns_an_image_block(ctx, tmp_path):
    f = tmp_path / "dot.png"
    f.write_bytes(PNG)
    result = await read(ctx, file_path=str(f))
    images = [b for b in result.content if isinstance(b, ImageBlock)]
    assert len(images) == 1
    assert images[0].media_type == "image/png"
    assert base64.b64decode(images[0].data) == PNG


async def test_read_image_media_type_comes_from_content_and_size_is_capped(ctx, tmp_path, monkeypatch):
    fake = tmp_path / "fake.jpg"
    fake.write_bytes(b"not an image at all")
    with pytest.raises(ToolError, match="not a PNG, JPEG, GIF or WEBP"):
        await read(ctx, file_path=str(fake))
    big = tmp_path / "big.png"
    big.write_bytes(PNG + b"\0" * 200)
    monkeypatch.setattr(files, "MAX_IMAGE_BYTES", 100)
    with pytest.raises(ToolError, match="cannot be sent to the model"):
        await read(ctx, file_path=str(big))


async def test_read_refuses_binary_files(ctx, tmp_path):
    blob = tmp_path / "data.dat"
    blob.write_bytes(b"ELF\x00\x01\x02\x03" * 10)
    with pytest.raises(ToolError, match="binary file"):
        await read(ctx, file_path=str(blob))
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(b"%PDF-1.4 text-looking header")
    with pytest.raises(ToolError, match=r"binary file \(\.pdf\)"):
        await read(ctx, file_path=str(pdf))
    noise = tmp_path / "noise.bin2"
    noise.write_bytes(bytes([1, 2, 3, 4, 5, 6, 0xFF, 0xFE]) * 100)
    with pytest.raises(ToolError, match="binary"):
        await read(ctx, file_path=str(noise))
    assert blob not in ctx.read_files


async def test_read_huge_file_needs_paging(ctx, tmp_path):
    f = tmp_path / "huge.log"
    f.write_text("".join(f"entry {i:06d} " + "." * 40 + "\n" for i in range(6000)))
    with pytest.raises(ToolError, match="offset and limit"):
        await read(ctx, file_path=str(f))
    out = (await read(ctx, file_path=str(f), offset=5001, limit=2)).output
    assert out.splitlines()[:2] == [f"  5001\tentry 005000 {'.' * 40}", f"  5002\tentry 005001 {'.' * 40}"]


async def test_read_streams_files_too_big_to_load(ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_WHOLE_FILE_BYTES", 1000)
    f = tmp_path / "stream.txt"
    f.write_bytes("".join(f"row {i}\r\n" for i in range(1, 501)).encode())
    out = (await read(ctx, file_path=str(f), offset=499, limit=5)).output
    assert out.splitlines() == ["   499\trow 499", "   500\trow 500"]
    assert "more lines" in (await read(ctx, file_path=str(f), offset=1, limit=2)).output


async def test_read_caps_output_at_a_whole_line(ctx, tmp_path):
    f = tmp_path / "wide.txt"
    f.write_text("".join(f"{i:04d}" + "w" * 1500 + "\n" for i in range(150)))
    out = (await read(ctx, file_path=str(f))).output
    assert len(out) < files.MAX_READ_CHARS + 200
    last_full = out.splitlines()[-2]
    assert last_full.endswith("w" * 1500)
    assert "continue with offset=" in out.splitlines()[-1]


async def test_read_directory_and_missing_file_errors(ctx, tmp_path):
    (tmp_path / "pkg").mkdir()
    with pytest.raises(ToolError, match="is a directory"):
        await read(ctx, file_path=str(tmp_path / "pkg"))
    (tmp_path / "config.toml").write_text("a = 1\n")
    with pytest.raises(ToolError, match=r"does not exist.*Did you mean: config\.toml"):
        await read(ctx, file_path=str(tmp_path / "config.yaml"))
    with pytest.raises(ToolError, match="directory .* does not exist either"):
        await read(ctx, file_path=str(tmp_path / "nope" / "x.py"))


async def test_read_decodes_legacy_and_bom_encodings(ctx, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café – naïve\n".encode("cp1252"))
    assert "café – naïve" in (await read(ctx, file_path=str(latin))).output
    utf16 = tmp_path / "wide.txt"
    utf16.write_bytes(codecs.BOM_UTF16_LE + "hello\r\nworld\r\n".encode("utf-16-le"))
    assert (await read(ctx, file_path=str(utf16))).output == "     1\thello\n     2\tworld"


async def test_read_targets(ctx, tmp_path):
    tool = Read()
    args = tool.Input(file_path="~/notes.txt")
    assert tool.kind is ToolKind.READ and tool.concurrent_safe
    assert tool.rule_target(args, ctx) == str(Path(os.environ["HOME"]).resolve() / "notes.txt")
    assert tool.touched_paths(tool.Input(file_path="a/../b.txt"), ctx) == [tmp_path.resolve() / "b.txt"]


# --- Write --------------------------------------------------------------------------------


async def test_write_creates_file_and_parent_dirs(ctx, tmp_path):
    result = await write(ctx, file_path=str(tmp_path / "new" / "deep" / "m.py"), content="a = 1\nb = 2\n")
    target = tmp_path / "new" / "deep" / "m.py"
    assert target.read_text() == "a = 1\nb = 2\n"
    assert result.output == "Created new/deep/m.py (2 lines)."
    # remembered, so an Edit may follow without a Read
    await edit(ctx, file_path=str(target), old_string="b = 2", new_string="b = 3")
    assert target.read_text() == "a = 1\nb = 3\n"


async def test_write_refuses_unread_and_stale_files(ctx, tmp_path):
    f = tmp_path / "keep.txt"
    f.write_text("precious\n")
    with pytest.raises(ToolError, match="has not been read yet"):
        await write(ctx, file_path=str(f), content="oops\n")
    await read(ctx, file_path=str(f))
    f.write_text("changed by the user\n")
    bump_mtime(f)
    with pytest.raises(ToolError, match="modified since read"):
        await write(ctx, file_path=str(f), content="oops\n")
    assert f.read_text() == "changed by the user\n"


async def test_write_keeps_crlf_and_bom_and_reports_update(ctx, tmp_path):
    f = tmp_path / "win.txt"
    f.write_bytes(codecs.BOM_UTF8 + b"one\r\ntwo\r\n")
    await read(ctx, file_path=str(f))
    seen = []
    ctx.before_write = lambda path, old: seen.append((path, old))
    tool = Write()
    changes = await tool.propose(tool.Input(file_path=str(f), content="one\nTWO\nthree\n"), ctx)
    assert changes[0].before == "one\ntwo\n"
    result = await tool.apply(changes, ctx)
    assert f.read_bytes() == codecs.BOM_UTF8 + b"one\r\nTWO\r\nthree\r\n"
    assert result.output == "Updated win.txt (3 lines)."
    assert seen == [(f, codecs.BOM_UTF8 + b"one\r\ntwo\r\n")]


async def test_write_refuses_characters_the_encoding_cannot_hold(ctx, tmp_path):
    f = tmp_path / "old.txt"
    f.write_bytes("résumé\n".encode("latin-1"))
    await read(ctx, file_path=str(f))
    with pytest.raises(ToolError, match="cannot hold"):
        await write(ctx, file_path=str(f), content="emoji 🙂\n")
    await write(ctx, file_path=str(f), content="déjà vu\n")
    assert f.read_bytes() == "déjà vu\n".encode("cp1252")


async def test_write_before_write_gets_none_for_new_file(ctx, tmp_path):
    seen = []
    ctx.before_write = lambda path, old: seen.append((path, old))
    await write(ctx, file_path=str(tmp_path / "n.txt"), content="x")
    assert seen == [(tmp_path / "n.txt", None)]


# --- Edit ---------------------------------------------------------------------------------


async def test_edit_replaces_once_and_shows_the_region(ctx, tmp_path):
    f = tmp_path / "calc.py"
    f.write_text("".join(f"line{i}\n" for i in range(1, 21)))
    await read(ctx, file_path=str(f))
    result = await edit(ctx, file_path=str(f), old_string="line10\n", new_string="ten\n")
    assert "line10" not in f.read_text() and "ten\n" in f.read_text()
    assert "    10\tten" in result.output
    assert "     6\tline6" in result.output and "     5\tline5" not in result.output
    assert "    15\tline15" not in result.output


async def test_edit_requires_a_fresh_read(ctx, tmp_path):
    f = tmp_path / "s.py"
    f.write_text("x = 1\n")
    with pytest.raises(ToolError, match="has not been read yet"):
        await edit(ctx, file_path=str(f), old_string="1", new_string="2")
    await read(ctx, file_path=str(f))
    f.write_text("x = 10\n")
    with pytest.raises(ToolError, match="File has been modified since read.*Read it again"):
        await edit(ctx, file_path=str(f), old_string="1", new_string="2")
    await read(ctx, file_path=str(f))
    await edit(ctx, file_path=str(f), old_string="10", new_string="2")
    assert f.read_text() == "x = 2\n"


async def test_edit_multiple_matches_need_context_or_replace_all(ctx, tmp_path):
    f = tmp_path / "r.py"
    f.write_text("foo(1)\nfoo(2)\nfoo(3)\n")
    await read(ctx, file_path=str(f))
    with pytest.raises(ToolError, match="Found 3 matches.*replace_all"):
        await edit(ctx, file_path=str(f), old_string="foo", new_string="bar")
    assert f.read_text() == "foo(1)\nfoo(2)\nfoo(3)\n"
    await edit(ctx, file_path=str(f), old_string="foo", new_string="bar", replace_all=True)
    assert f.read_text() == "bar(1)\nbar(2)\nbar(3)\n"


async def test_edit_not_found_hints(ctx, tmp_path):
    f = tmp_path / "h.py"
    f.write_text("def f():\n\treturn 1\n")
    await read(ctx, file_path=str(f))
    with pytest.raises(ToolError, match="matches only when whitespace is ignored"):
        await edit(ctx, file_path=str(f), old_string="def f():\n    return 1", new_string="x")
    with pytest.raises(ToolError, match="line-number prefixes"):
        await edit(ctx, file_path=str(f), old_string="     2\t\treturn 1", new_string="x")
    with pytest.raises(ToolError, match="String to replace not found"):
        await edit(ctx, file_path=str(f), old_string="return 2", new_string="x")
    with pytest.raises(ToolError, match="exactly the same"):
        await edit(ctx, file_path=str(f), old_string="return 1", new_string="return 1")


async def test_edit_keeps_crlf_and_utf8_bom(ctx, tmp_path):
    f = tmp_path / "w.cs"
    f.write_bytes(codecs.BOM_UTF8 + b"class A {\r\n  int x;\r\n}\r\n")
    await read(ctx, file_path=str(f))
    await edit(ctx, file_path=str(f), old_string="class A {\n  int x;", new_string="class A {\n  int x;\n  int y;")
    assert f.read_bytes() == codecs.BOM_UTF8 + b"class A {\r\n  int x;\r\n  int y;\r\n}\r\n"


async def test_edit_keeps_utf16(ctx, tmp_path):
    f = tmp_path / "u.txt"
    f.write_bytes(codecs.BOM_UTF16_BE + "ä = 1\n".encode("utf-16-be"))
    await read(ctx, file_path=str(f))
    await edit(ctx, file_path=str(f), old_string="1", new_string="2")
    assert f.read_bytes() == codecs.BOM_UTF16_BE + "ä = 2\n".encode("utf-16-be")


async def test_edit_with_empty_old_string_creates_a_file(ctx, tmp_path):
    target = tmp_path / "pkg" / "__init__.py"
    result = await edit(ctx, file_path=str(target), old_string="", new_string="VERSION = '1'\n")
    assert target.read_text() == "VERSION = '1'\n"
    assert "Created" in result.output
    with pytest.raises(ToolError, match="already exists and is not empty"):
        await edit(ctx, file_path=str(target), old_string="", new_string="other")
    with pytest.raises(ToolError, match="does not exist"):
        await edit(ctx, file_path=str(tmp_path / "none.py"), old_string="a", new_string="b")


async def test_apply_writes_exactly_the_narrowed_after(ctx, tmp_path):
    f = tmp_path / "two.py"
    f.write_text("a = 1\nkeep\nb = 1\n")
    await read(ctx, file_path=str(f))
    tool = Edit()
    [change] = await tool.propose(tool.Input(file_path=str(f), old_string="1", new_string="2", replace_all=True), ctx)
    assert change.after == "a = 2\nkeep\nb = 2\n"
    assert f.read_text() == "a = 1\nkeep\nb = 1\n"  # propose writes nothing
    assert len(hunks(change.before, change.after)) == 2
    narrowed = FileChange(change.path, change.before, apply_hunks(change.before, change.after, {1}))
    result = await tool.apply([narrowed], ctx)
    assert f.read_text() == "a = 1\nkeep\nb = 2\n"
    assert "     3\tb = 2" in result.output


async def test_apply_refuses_when_file_changed_during_approval(ctx, tmp_path):
    f = tmp_path / "race.txt"
    f.write_text("v1\n")
    await read(ctx, file_path=str(f))
    tool = Edit()
    changes = await tool.propose(tool.Input(file_path=str(f), old_string="v1", new_string="v2"), ctx)
    f.write_text("user's v3\n")
    with pytest.raises(ToolError, match="changed after the change was proposed"):
        await tool.apply(changes, ctx)
    assert f.read_text() == "user's v3\n"


async def test_symlink_resolves_to_its_real_target(ctx, tmp_path, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("s = 1\n")
    link = tmp_path / "link.txt"
    link.symlink_to(outside)
    for tool, args in (
        (Read(), {"file_path": "link.txt"}),
        (Write(), {"file_path": "link.txt", "content": "x"}),
        (Edit(), {"file_path": str(link), "old_string": "1", "new_string": "2"}),
    ):
        parsed = tool.Input(**args)
        assert tool.rule_target(parsed, ctx) == str(outside.resolve())
        assert tool.touched_paths(parsed, ctx) == [outside.resolve()]
    await read(ctx, file_path="link.txt")
    assert outside.resolve() in ctx.read_files
    tool = Edit()
    [change] = await tool.propose(tool.Input(file_path="link.txt", old_string="1", new_string="2"), ctx)
    assert change.path == outside.resolve()
    await tool.apply([change], ctx)
    assert link.is_symlink() and outside.read_text() == "s = 2\n"


def test_summaries_and_kinds():
    assert Edit().summary(Edit.Input(file_path="src/app.py", old_string="a", new_string="b")) == "Edit src/app.py"
    assert Write().summary(Write.Input(file_path="x.md", content="")) == "Write x.md"
    assert Edit.kind is ToolKind.WRITE and Write.kind is ToolKind.WRITE
    assert set(Edit().schema()["properties"]) == {"file_path", "old_string", "new_string", "replace_all"}
    assert set(Read().schema()["properties"]) == {"file_path", "offset", "limit"}
