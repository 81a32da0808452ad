"""Front matter read by a YAML parser, with the slips Claude Code accepts repaired."""

from __future__ import annotations

import pytest

from claw_tui.engine.frontmatter import FrontmatterError, as_hint, parse_frontmatter


def test_valid_yaml_as_yaml_reads_it():
    meta, body = parse_frontmatter(
        "---\nname: review\ndescription: >-\n  Reviews code,\n  carefully.\ntools: [Read, Grep]\n"
        "hooks:\n  PreToolUse:\n    - matcher: Bash\nversion: 2\n---\n# Body\n"
    )
    assert meta == {"name": "review", "description": "Reviews code, carefully.", "tools": ["Read", "Grep"],
                    "hooks": {"PreToolUse": [{"matcher": "Bash"}]}, "version": 2}
    assert body == "# Body\n"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # A description wrapped onto a line that is not indented.
        ("description: Use this skill when\nthe user asks for a release", {"description": "Use this skill when the user asks for a release"}),
        # ": " inside a plain value, then a wrapped, indented line.
        ("description: Use when: the user says deploy\n  or ship", {"description": "Use when: the user says deploy or ship"}),
        # Claude Code's own documented argument hints.
        ("argument-hint: [pr-number] [priority]", {"argument-hint": "[pr-number] [priority]"}),
        ("description: @mentions are fine", {"description": "@mentions are fine"}),
        ("description: see `make ci`", {"description": "see `make ci`"}),
    ],
)
def test_sloppy_headers_are_repaired(header, expected):
    meta, _ = parse_frontmatter(f"---\n{header}\n---\nbody\n")
    assert meta == expected


def test_what_cannot_be_repaired_says_where():
    with pytest.raises(FrontmatterError, match="no closing"):
        parse_frontmatter("---\nname: x\n")
    with pytest.raises(FrontmatterError, match=r"line 4: found character '\\t'"):
        parse_frontmatter("---\nname: x\ntools:\n\t- Read\n---\n")
    with pytest.raises(FrontmatterError, match="key: value"):
        parse_frontmatter("---\njust a sentence\n---\n")
    assert parse_frontmatter("no header\n") == ({}, "no header\n")


def test_argument_hints_read_as_lists_show_as_written():
    assert as_hint(["issue description"]) == "[issue description]"
    assert as_hint("<path>") == "<path>"
