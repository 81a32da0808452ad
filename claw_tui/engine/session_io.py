"""Sessions in and out of the store: Markdown to read, JSONL to move between machines or tools.

claw's JSONL starts with a header line (`"type": "claw_session"`), then one line per message,
event and usage record, so an export imported elsewhere is the same session. Claude Code
transcripts (`~/.claude/projects/<dir>/<uuid>.jsonl`: `user` / `assistant` lines carrying an
Anthropic `message`, plus title and bookkeeping lines) import as a session in their `cwd`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from claw_tui.core.transcript import (
    ImageBlock,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from claw_tui.engine.sessions import SessionInfo, SessionStore, StoreError, UsageRecord

FORMAT_VERSION = 1
_HEADER_TYPE = "claw_session"


# --- Markdown -------------------------------------------------------------------------------


def export_markdown(store: SessionStore, session_id: str) -> str:
    """A readable transcript; tool calls, results and thinking fold into <details> blocks."""
    info = _info(store, session_id)
    out = [f"# {info.title or 'Untitled session'}", ""]
    out += [
        f"- Session: `{info.id}`" + (f" (forked from `{info.parent_id}`)" if info.parent_id else ""),
        f"- Project: `{info.project}`",
        f"- Models: {', '.join(info.models) or 'none'}",
        f"- Created: {_when(info.created)}; updated: {_when(info.updated)}",
        (
            f"- Tokens: {info.input_tokens:,} in, {info.output_tokens:,} out, "
            f"{info.cache_read_tokens:,} cache read, {info.cache_write_tokens:,} cache write"
        ),
        f"- Cost: ${info.cost_usd:.4f}" + (" (some usage had no known price)" if info.cost_partial else ""),
        "",
    ]
    for message in store.messages(session_id):
        out += ["---", ""]
        out += _message_markdown(message)
    for record in store.damaged_messages(session_id):
        out += ["---", "", f"## Damaged message {record.index + 1} (not readable: {record.problem})", ""]
        out += _details("The stored record, as it is", record.data, "text")
    return "\n".join(out).rstrip() + "\n"


def _message_markdown(message: Message) -> list[str]:
    if message.is_compaction_summary:
        heading = "## Summary of the earlier conversation"
    elif message.role == "assistant":
        heading = "## Assistant" + (f" · {message.model}" if message.model else "")
    elif all(isinstance(b, ToolResultBlock) for b in message.content):
        heading = "## Tool results"
    else:
        heading = "## User"
    out = [heading, ""]
    for block in message.content:
        if isinstance(block, TextBlock):
            out += [block.text, ""]
        elif isinstance(block, ImageBlock):
            out += [f"*[image: {block.media_type}]*", ""]
        elif isinstance(block, ThinkingBlock):
            out += _details("Thinking", block.thinking or "(redacted)", "text")
        elif isinstance(block, ToolUseBlock):
            hint = _call_hint(block.input)
            summary = f"Tool call: {block.name}" + (f" — {hint}" if hint else "")
            out += _details(summary, json.dumps(block.input, indent=2, ensure_ascii=False), "json")
        elif isinstance(block, ToolResultBlock):
            label = "Result (error)" if block.is_error else "Result"
            images = sum(isinstance(b, ImageBlock) for b in block.content)
            body = block.text + (f"\n[{images} image(s)]" if images else "")
            out += _details(f"{label} of `{block.tool_use_id}`", body, "text")
    return out


def _details(summary: str, body: str, lang: str) -> list[str]:
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [
        "<details>",
        f"<summary>{_html(summary)}</summary>",
        "",
        f"{fence}{lang}",
        body,
        fence,
        "",
        "</details>",
        "",
    ]


def _call_hint(data: dict[str, Any]) -> str:
    for key in ("command", "file_path", "path", "pattern", "url", "query", "description"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            line = value.strip().splitlines()[0]
            return line if len(line) <= 80 else line[:79] + "…"
    return ""


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z")


# --- JSONL export ---------------------------------------------------------------------------


def export_jsonl(store: SessionStore, session_id: str) -> str:
    info = _info(store, session_id)
    header = {
        "type": _HEADER_TYPE,
        "version": FORMAT_VERSION,
        "id": info.id,
        "project": info.project,
        "title": info.title,
        "models": info.models,
        "created": info.created,
        "updated": info.updated,
        "parent_id": info.parent_id,
    }
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [
        json.dumps({"type": "message", "message": m.model_dump(mode="json")}, ensure_ascii=False)
        for m in store.messages(session_id)
    ]
    lines += [
        json.dumps({"type": "event", "at_message": at, "event": e}, ensure_ascii=False)
        for at, e in store.event_records(session_id)
    ]
    lines += [json.dumps({"type": "usage", **vars(u)}) for u in store.usage(session_id)]
    # Kept aside, raw: a later claw (or a person) may still make something of them.
    lines += [
        json.dumps(
            {"type": "damaged_message", "index": d.index, "id": d.message_id, "problem": d.problem, "data": d.data},
            ensure_ascii=False,
        )
        for d in store.damaged_messages(session_id)
    ]
    return "\n".join(lines) + "\n"


# --- import ---------------------------------------------------------------------------------


def import_jsonl(store: SessionStore, path: Path, project: Path | None = None) -> str:
    """Import claw's own export or a Claude Code transcript; returns the new session's id.

    project overrides where the session belongs (a Claude Code transcript names its cwd).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}.") from None
    records: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash; the rest still imports
        if isinstance(record, dict):
            records.append(record)
    if not records:
        raise StoreError(f"{path} holds no JSON lines; it is not a session transcript.")
    if records[0].get("type") == _HEADER_TYPE:
        return _import_claw(store, path, records, project)
    if any(r.get("type") in ("user", "assistant") and isinstance(r.get("message"), dict) for r in records):
        return _import_claude_code(store, path, records, project)
    raise StoreError(f"{path} is neither a claw export nor a Claude Code transcript.")


def _import_claw(store: SessionStore, path: Path, records: list[dict[str, Any]], project: Path | None) -> str:
    header = records[0]
    if not isinstance(header.get("version"), int):
        raise StoreError(f"{path} has a claw header without a format version; it is not a valid export.")
    if header["version"] > FORMAT_VERSION:
        raise StoreError(
            f"{path} was exported by a newer claw (format v{header.get('version')}); upgrade claw."
        )
    messages: list[Message] = []
    events: list[tuple[int, dict[str, Any]]] = []
    usage: list[UsageRecord] = []
    line = 1
    try:
        for record in records[1:]:
            line += 1
            kind = record.get("type")
            if kind == "message":
                messages.append(Message.model_validate(record["message"]))
            elif kind == "event":
                events.append((int(record["at_message"]), dict(record["event"])))
            elif kind == "usage":
                fields = {k: v for k, v in record.items() if k != "type"}
                usage.append(UsageRecord(**fields))
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise StoreError(f"{path}: record {line} is not valid ({first}).") from None
    if project is None and not header.get("project"):
        raise StoreError(f"{path} does not say which project it belongs to; pass a project.")
    return store.import_session(
        project or header["project"],
        messages,
        title=str(header.get("title") or ""),
        models=list(header.get("models") or []),
        session_id=header.get("id"),
        parent_id=header.get("parent_id"),
        created=header.get("created"),
        updated=header.get("updated"),
        events=events,
        usage=usage,
    )


def _import_claude_code(
    store: SessionStore, path: Path, records: list[dict[str, Any]], project: Path | None
) -> str:
    titles: dict[str, str] = {}
    messages: list[Message] = []
    usage: list[UsageRecord] = []
    models: list[str] = []
    cwd = project
    source_id = None
    last_assistant_id: str | None = None
    for record in records:
        kind = record.get("type")
        for title_kind, key in (
            ("custom-title", "customTitle"),
            ("ai-title", "aiTitle"),
            ("summary", "summary"),
        ):
            if kind == title_kind and isinstance(record.get(key), str):
                titles[title_kind] = record[key]  # the last one wins
        if kind not in ("user", "assistant") or record.get("isSidechain") or record.get("isMeta"):
            continue
        raw = record.get("message")
        if not isinstance(raw, dict):
            continue
        cwd = cwd or (Path(record["cwd"]) if isinstance(record.get("cwd"), str) else None)
        source_id = source_id or record.get("sessionId")
        created = _timestamp(record.get("timestamp"))
        blocks = _claude_blocks(raw.get("content"))
        if kind == "assistant":
            model = raw.get("model")
            model = (
                f"anthropic/{model}"
                if isinstance(model, str) and model and not model.startswith("<")
                else None
            )
            if model and model not in models:
                models.append(model)
            msg_id = raw.get("id")
            if msg_id and msg_id == last_assistant_id and messages and messages[-1].role == "assistant":
                # Claude Code writes one line per content block of the same API message.
                messages[-1].content.extend(blocks)
                continue
            last_assistant_id = msg_id
            if isinstance(raw.get("usage"), dict) and model:
                usage.append(_claude_usage(model, raw["usage"], created))
            if blocks:
                messages.append(Message(role="assistant", content=blocks, model=model, created_at=created))
            continue
        last_assistant_id = None
        if not blocks:
            continue
        only_results = all(isinstance(b, ToolResultBlock) for b in blocks)
        prev = messages[-1] if messages else None
        if (
            only_results
            and prev
            and prev.role == "user"
            and all(isinstance(b, ToolResultBlock) for b in prev.content)
        ):
            prev.content.extend(blocks)  # parallel calls' results arrive one line each
        else:
            messages.append(Message(role="user", content=blocks, created_at=created))
    if not messages:
        raise StoreError(f"{path} holds no user or assistant messages to import.")
    if cwd is None:
        raise StoreError(f"{path} does not say which project it belongs to; pass a project.")
    title = titles.get("custom-title") or titles.get("ai-title") or titles.get("summary") or ""
    provenance = {
        "type": "imported",
        "source": "claude-code",
        "file": str(path),
        "source_session_id": source_id,
    }
    return store.import_session(
        cwd, messages, title=title, models=models, events=[(0, provenance)], usage=usage
    )


def _claude_blocks(content: Any) -> list[Any]:
    if isinstance(content, str):
        return [TextBlock(text=content)] if content.strip() else []
    blocks: list[Any] = []
    for raw in content if isinstance(content, list) else []:
        if not isinstance(raw, dict):
            continue
        kind = raw.get("type")
        if kind == "text" and raw.get("text"):
            blocks.append(TextBlock(text=raw["text"]))
        elif kind == "thinking":
            blocks.append(
                ThinkingBlock(
                    thinking=raw.get("thinking", ""), signature=raw.get("signature"), provider="anthropic"
                )
            )
        elif kind == "redacted_thinking":
            blocks.append(ThinkingBlock(thinking="", redacted_data=raw.get("data"), provider="anthropic"))
        elif kind == "tool_use":
            blocks.append(
                ToolUseBlock(id=str(raw.get("id")), name=str(raw.get("name")), input=raw.get("input") or {})
            )
        elif kind == "tool_result":
            inner = [b for b in _claude_blocks(raw.get("content")) if isinstance(b, TextBlock | ImageBlock)]
            blocks.append(
                ToolResultBlock(
                    tool_use_id=str(raw.get("tool_use_id")), content=inner, is_error=bool(raw.get("is_error"))
                )
            )
        elif (
            kind == "image" and isinstance(raw.get("source"), dict) and raw["source"].get("type") == "base64"
        ):
            blocks.append(
                ImageBlock(media_type=raw["source"].get("media_type", ""), data=raw["source"].get("data", ""))
            )
    return blocks


def _claude_usage(model: str, raw: dict[str, Any], ts: float) -> UsageRecord:
    """Tokens as Claude Code logged them, priced from claw's catalog when the model is in it."""
    from claw_tui.providers import catalog
    from claw_tui.providers.base import TokenUsage

    def n(key: str) -> int:
        value = raw.get(key)
        return value if isinstance(value, int) else 0

    tokens = TokenUsage(
        input_tokens=n("input_tokens"),
        output_tokens=n("output_tokens"),
        cache_read_tokens=n("cache_read_input_tokens"),
        cache_write_tokens=n("cache_creation_input_tokens"),
    )
    return UsageRecord(model=model, **tokens.model_dump(), cost_usd=catalog.cost_usd(model, tokens), ts=ts)


def _timestamp(value: Any) -> float:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            pass
    return datetime.now().timestamp()


def _info(store: SessionStore, session_id: str) -> SessionInfo:
    info = store.get(session_id)
    if info is None:
        raise StoreError(f"No session {session_id!r}.")
    return info
