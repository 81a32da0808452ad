"""A tool's result as Claude Code hands it to PostToolUse hooks (`tool_response`).

Hook scripts written for Claude Code read fields such as `.tool_response.filePath` or
`.tool_response.stdout`, so claw builds the same shapes from its own results: Bash
`{stdout, stderr, interrupted, isImage}`, Write `{type, filePath, content, structuredPatch,
originalFile}`, Edit `{filePath, oldString, newString, originalFile, structuredPatch,
userModified, replaceAll}`, Read `{type: "text", file: {filePath, content, numLines, startLine,
totalLines}}`, Glob `{filenames, numFiles, truncated, durationMs}`, Grep `{mode, filenames,
numFiles, content, numLines}`, WebFetch `{url, result, code, codeText, bytes, durationMs}`,
WebSearch `{query, results, durationSeconds}`, an MCP tool its content blocks, Agent
`{status, prompt, agentId, content}`; any other tool `{output}`.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from claw_tui.core.diffs import FileChange, split_lines
from claw_tui.tools.base import ToolResult

_NUMBERED = re.compile(r"^\s*\d+[\t→]", re.MULTILINE)


def tool_response(
    name: str, tool_input: dict[str, Any], result: ToolResult, *, changes: list[FileChange] | None = None,
    duration_ms: float = 0.0,
) -> Any:
    text = result.output
    if name == "Bash":
        interrupted = "Command timed out after" in text
        return {"stdout": text, "stderr": "", "interrupted": interrupted, "isImage": False}
    if name in ("Write", "Edit", "MultiEdit", "NotebookEdit") and changes:
        return _file_change(name, tool_input, changes[0])
    if name == "Read":
        content = _NUMBERED.sub("", text) if _NUMBERED.search(text) else text
        lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
        start = int(tool_input.get("offset") or 1)
        return {"type": "text", "file": {"filePath": tool_input.get("file_path", ""), "content": content,
                                         "numLines": lines, "startLine": start, "totalLines": lines + start - 1}}
    if name == "Glob":
        names = [] if text == "No files found" else [line for line in text.splitlines() if not line.startswith("(")]
        return {"filenames": names, "numFiles": len(names), "truncated": "(results truncated" in text,
                "durationMs": round(duration_ms)}
    if name == "Grep":
        mode = tool_input.get("output_mode") or "files_with_matches"
        found = [] if text == "No matches found" else text.splitlines()
        if mode == "files_with_matches":
            files = [line for line in found[1:] if line.strip()]
            return {"mode": mode, "filenames": files, "numFiles": len(files)}
        return {"mode": mode, "filenames": [], "numFiles": 0, "content": text, "numLines": len(found)}
    if name == "WebFetch":
        ok = not result.is_error
        return {"url": result.metadata.get("url", tool_input.get("url", "")), "result": text,
                "code": 200 if ok else 0, "codeText": "OK" if ok else "error", "bytes": len(text.encode()),
                "durationMs": round(duration_ms)}
    if name == "WebSearch":
        return {"query": tool_input.get("query", ""), "results": result.metadata.get("results", [text]),
                "durationSeconds": round(duration_ms / 1000, 3)}
    if name.startswith("mcp__"):
        return [{"type": "text", "text": text}] if text else []
    if name in ("Agent", "Task"):
        return {"status": result.metadata.get("status", "completed"), "prompt": tool_input.get("prompt", ""),
                "agentId": result.metadata.get("agent_id", ""), "content": [{"type": "text", "text": text}]}
    return {"output": text}


def _file_change(name: str, tool_input: dict[str, Any], change: FileChange) -> dict[str, Any]:
    patch = structured_patch(change.before, change.after)
    if name == "Write":
        return {"type": "update" if change.before is not None else "create", "filePath": str(change.path),
                "content": change.after, "structuredPatch": patch, "originalFile": change.before}
    return {
        "filePath": str(change.path),
        "oldString": tool_input.get("old_string", ""),
        "newString": tool_input.get("new_string", ""),
        "originalFile": change.before or "",
        "structuredPatch": patch,
        "userModified": False,
        "replaceAll": bool(tool_input.get("replace_all", False)),
    }


def structured_patch(before: str | None, after: str, context: int = 3) -> list[dict[str, Any]]:
    """Hunks as Claude Code writes them: {oldStart, oldLines, newStart, newLines, lines: [" a", "-b", "+c"]}."""
    a = [line.rstrip("\n") for line in split_lines(before)]
    b = [line.rstrip("\n") for line in split_lines(after)]
    hunks: list[dict[str, Any]] = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        lines: list[str] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [f" {line}" for line in a[i1:i2]]
                continue
            lines += [f"-{line}" for line in a[i1:i2]]
            lines += [f"+{line}" for line in b[j1:j2]]
        hunks.append({
            "oldStart": first[1] + 1, "oldLines": last[2] - first[1],
            "newStart": first[3] + 1, "newLines": last[4] - first[3],
            "lines": lines,
        })
    return hunks
