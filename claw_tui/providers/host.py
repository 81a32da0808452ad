"""The provider host: a process of claw's own that holds the model SDKs and makes claw's model calls.

Importing the `anthropic` SDK costs about a second of CPU, `openai` about half that, and in claw's
own process that second comes after the app's start-up, on the same core: a prompt typed at once
waited for it. `claw` starts this process first thing instead (remote.py), and the SDK loads on the
machine's other core while the app draws. It runs claw's own providers (anthropic.py, openai.py)
and sends back their events.

It speaks JSON lines over a socket it is handed (`--fd`), one client, one loop:
  → {"op": "preload", "model": M}: start loading M's SDK (claw sends it once it has read its config)
  → {"op": "make", "call": N, "spec": {...}, "model": M}           ← {"call": N, "result": {"web_search": bool}}
  → {"op": "stream", "call": N, "spec": {...}, "request": {...}}   ← {"call": N, "event": {...}} …, {"call": N, "end": true}
  → {"op": "cancel", "call": N}                                    ← {"call": N, "cut_short": usage | null}
  → {"op": "list_models" | "web_search", "call": N, "spec": {...}, ...}  ← {"call": N, "result": ...}
and for a call that fails, ← {"call": N, "error": {"message", "kind", "status", "retry_after", "partial"}}.
A spec names its provider; the first call that names one builds it. The host ends when the socket
closes: claw ended.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import socket
from contextlib import aclosing
from typing import Any

from claw_tui.core import background_imports

REGISTRY = "claw_tui.providers.registry"


class Host:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._providers: dict[str, asyncio.Future[Any]] = {}  # spec as JSON → its provider, built or being built
        self._calls: dict[int, asyncio.Task[None]] = {}

    async def serve(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if message["op"] == "preload":
                preload(message["model"])
                continue
            call = message["call"]
            if message["op"] == "cancel":  # answered once, by the call's own task if it still runs
                if (task := self._calls.get(call)) is not None and not task.done():
                    task.cancel()
                else:
                    self._send(call, cut_short=None)
                continue
            self._calls[call] = asyncio.create_task(self._run(call, message))
        for task in list(self._calls.values()):
            task.cancel()

    async def _run(self, call: int, message: dict[str, Any]) -> None:
        from claw_tui.providers.base import ProviderError

        provider = None
        try:
            provider = await self._provider(message["spec"], message.get("model", ""))
            op = message["op"]
            if op == "stream":
                await self._stream(call, provider, message["request"])
            elif op == "make":
                self._send(call, result={"web_search": provider.web_searcher is not None})
            elif op == "list_models":
                self._send(call, result=await provider.list_models())
            elif op == "web_search":
                found = await provider.web_searcher.web_search(**message["args"])
                self._send(call, result=found.model_dump(mode="json"))
        except asyncio.CancelledError:
            usage = provider.take_cut_short_usage() if provider is not None else None
            self._send(call, cut_short=usage.model_dump(mode="json") if usage is not None else None)
        except ProviderError as err:
            self._send(call, error=_error(err))
        except Exception as exc:  # noqa: BLE001 - whatever went wrong reaches claw as this call's error
            self._send(call, error={"message": f"claw's provider process failed: {exc!r}", "kind": "server"})
        finally:  # nothing awaited from here on: a cancel that reaches this task meets the handler above
            self._calls.pop(call, None)

    async def _stream(self, call: int, provider: Any, request: dict[str, Any]) -> None:
        from claw_tui.providers.base import ModelRequest

        async with aclosing(provider.stream(ModelRequest.model_validate(request))) as events:
            async for event in events:
                self._send(call, event=event.model_dump(mode="json"))
                await self._writer.drain()
        self._send(call, end=True)

    async def _provider(self, spec: dict[str, Any], model: str) -> Any:
        key = json.dumps(spec, sort_keys=True)
        built = self._providers.get(key)
        if built is None or (built.done() and built.exception() is not None):  # a failed build is tried again
            built = self._providers[key] = asyncio.wrap_future(background_imports.run(lambda: _build(spec, model)))
        return await asyncio.shield(built)

    def _send(self, call: int, **fields: Any) -> None:
        if not self._writer.is_closing():
            self._writer.write(json.dumps({"call": call, **fields}).encode() + b"\n")


def _build(spec: dict[str, Any], model: str) -> Any:
    """On the import thread: the provider, its first request already loaded."""
    registry = importlib.import_module(REGISTRY)
    return registry.ready(registry.build_provider(registry.ProviderSpec(**spec)), spec["name"], model)


def _error(err: Any) -> dict[str, Any]:
    return {"message": err.message, "kind": err.kind, "status": err.status, "retry_after": err.retry_after,
            "partial": err.partial}  # fmt: skip


def preload(model: str) -> None:
    """Start loading the SDK of the model claw will most likely ask for, before it asks."""

    def load() -> None:
        registry = importlib.import_module(REGISTRY)
        name, _ = registry.parse_model_id(model)
        importlib.import_module(f"claw_tui.providers.{'anthropic' if name == 'anthropic' else 'openai'}")

    background_imports.run(load)


async def _main(fd: int) -> None:
    background_imports.start(REGISTRY)  # whichever the model: while claw reads its config
    from claw_tui.providers.remote import LINE_LIMIT

    reader, writer = await asyncio.open_connection(sock=socket.socket(fileno=fd), limit=LINE_LIMIT)
    try:
        await Host(writer).serve(reader)
    finally:
        writer.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m claw_tui.providers.host")
    parser.add_argument("--fd", type=int, required=True, help="the socket to claw")
    args = parser.parse_args(argv)
    asyncio.run(_main(args.fd))


if __name__ == "__main__":
    main()
