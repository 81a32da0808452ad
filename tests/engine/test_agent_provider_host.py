"""An agent whose model calls the provider host makes (remote.py): its turn, and the host's life.

`claw` gives its agent a host so that claw's own process never imports a model SDK: these check
that from outside, in a process of their own, as the app runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from agent_harness import make_agent, run
from fake_model import Reply, Text, ToolCall

from claw_tui.core import events as ev
from claw_tui.providers.remote import ProviderHost

AGENT_RUN = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from pathlib import Path
    from agent_harness import make_agent, run
    from claw_tui.core import events as ev
    from claw_tui.providers.remote import ProviderHost

    async def main():
        agent = make_agent(Path(sys.argv[1]), sys.argv[2])
        agent.provider_host = ProviderHost.start()
        print(json.dumps({"host": agent.provider_host._process.pid}), flush=True)
        events = await run(agent, "write it")
        await agent.aclose()
        written = Path(sys.argv[1], "hello.py")
        written = written.read_text() if written.exists() else None
        print(json.dumps({"written": written, "errors": [e.message for e in events if isinstance(e, ev.Error)],
                          "sdk_here": "anthropic" in sys.modules}))
        if len(sys.argv) > 3:
            os.kill(os.getpid(), 9)  # ends without a word to the host
        agent.provider_host.close()

    asyncio.run(main())
    """
)


def run_agent(tmp_path: Path, base_url: str, *extra: str) -> list[dict]:
    script = tmp_path / "agent_run.py"
    script.write_text(AGENT_RUN)
    project = tmp_path / "project"
    project.mkdir()
    tests = Path(__file__).parents[1]  # fake_model, and agent_harness beside this file
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(tests), str(tests / "engine"), *sys.path])}
    done = subprocess.run(
        [sys.executable, str(script), str(project), base_url, *extra],
        check=False, capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_an_agent_with_a_host_runs_a_turn_without_the_sdk_in_its_own_process(fake_model, tmp_path):
    fake_model.script(
        Reply(parts=[ToolCall("Write", {"file_path": "hello.py", "content": "print('hello')\n"})]),
        Reply(parts=[Text("Done.")]),
    )
    _, result = run_agent(tmp_path, fake_model.base_url)
    assert result == {"written": "print('hello')\n", "errors": [], "sdk_here": False}


def test_the_host_ends_with_claw_however_claw_ends(fake_model, tmp_path):
    fake_model.script(Reply(parts=[Text("hi")]))
    started, _ = run_agent(tmp_path, fake_model.base_url, "killed")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(started["host"]):
        time.sleep(0.05)
    assert not _alive(started["host"])


async def test_an_agent_whose_host_cannot_start_calls_the_model_itself(fake_model, tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "asyncio.py").write_text("raise SystemExit('no asyncio here')\n")  # what the host needs first
    monkeypatch.setenv("PYTHONPATH", str(broken))
    fake_model.script(Reply(parts=[Text("answered all the same")]))
    agent = make_agent(tmp_path, fake_model.base_url)
    agent.provider_host = host = ProviderHost.start()
    try:
        events = await run(agent, "hello")
    finally:
        await agent.aclose()
        assert host is not None
        host.close()
    assert [e.message for e in events if isinstance(e, ev.Error)] == []
    assert "".join(e.text for e in events if isinstance(e, ev.TextDelta)) == "answered all the same"
    assert agent.provider_host is None and host._process is not None and host._process.returncode == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has ended; only its parent (gone) would have reaped it.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"
