"""Print mode against its peers: one short edit task, start to exit, on the same fake server.

    python bench/bench_print.py [--runs 7] [--codex CMD] [--claude CMD]

The task is four model requests: read script.py, edit it, run it, answer. Each harness gets
the same scripted replies from the fake model server (tests/fake_model), in its own tool
names, so the figures are the harness's own time and memory plus loopback HTTP. claw runs on
the Anthropic and the OpenAI Chat path, each with a language server present (pylsp, as with
`[dev]`) and without one (the Python server's command pointed at a program that does not
exist, as after `pip install .`). Codex CLI (`--codex codex`) and Claude Code (`--claude
claude`) run when their commands are given, and `python -c 'import anthropic'` (and openai) as
references. Every contender runs once per round, in turn, so a busy moment on the machine hits
them all. Prints the median wall time, CPU and peak memory of each and the ratios to the peers,
then the issue's targets as medians of differences within a round: claw beyond its SDK's import,
and what a language server present adds. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_model import FakeModelServer, Reply, Text, ToolCall, isolated_env

RUNS = 7
PROMPT = "Make script.py print 'goodbye' instead of 'hello', run it, and tell me what it printed."
BEFORE = 'print("hello".upper())\n'
AFTER = 'print("goodbye".upper())\n'
RAN = "GOODBYE"  # what only running the edited script prints
ANSWER = "It printed GOODBYE."


@dataclass
class Contender:
    label: str
    command: list[str]
    env: dict[str, str]
    replies: Callable[[Path], list[Reply]] | None  # the task in this harness's tool names; None: a reference
    home: Path
    samples: list[tuple[float, float, int]] = field(default_factory=list)  # wall s, CPU s, peak KiB

    def medians(self) -> tuple[float, float, float]:
        """Wall seconds, CPU seconds and peak MiB, each the median over the runs."""
        walls, cpus, peaks = zip(*self.samples, strict=True)
        return statistics.median(walls), statistics.median(cpus), statistics.median(peaks) / 1024


def claw_replies(project: Path) -> list[Reply]:
    return [
        Reply(parts=[Text("Reading it."), ToolCall("Read", {"file_path": "script.py"})]),
        Reply(parts=[ToolCall("Edit", {"file_path": "script.py", "old_string": "hello", "new_string": "goodbye"})]),
        Reply(parts=[ToolCall("Bash", {"command": "python3 script.py"})]),
        Reply(parts=[Text(ANSWER)]),
    ]


def claude_replies(project: Path) -> list[Reply]:
    path = str(project / "script.py")  # Claude Code's Read and Edit take absolute paths
    return [
        Reply(parts=[Text("Reading it."), ToolCall("Read", {"file_path": path})], when=PROMPT),
        Reply(parts=[ToolCall("Edit", {"file_path": path, "old_string": "hello", "new_string": "goodbye"})], when=PROMPT),
        Reply(parts=[ToolCall("Bash", {"command": "python3 script.py", "description": "Run it"})], when=PROMPT),
        Reply(parts=[Text(ANSWER)], when=PROMPT),
    ]


def codex_replies(project: Path) -> list[Reply]:
    # Codex offers exec_command and runs an `apply_patch` heredoc in it as its own patch tool.
    patch = f"apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: script.py\n-{BEFORE}+{AFTER}*** End Patch\nEOF\n"
    return [
        Reply(parts=[Text("Reading it."), ToolCall("exec_command", {"cmd": "cat script.py"})]),
        Reply(parts=[ToolCall("exec_command", {"cmd": patch})]),
        Reply(parts=[ToolCall("exec_command", {"cmd": "python3 script.py"})]),
        Reply(parts=[Text(ANSWER)]),
    ]


def run_once(contender: Contender, server: FakeModelServer) -> None:
    project = contender.home / "project"
    (project / "script.py").write_text(BEFORE)
    server.requests.clear()
    if contender.replies is not None:
        server.script(*contender.replies(project))
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        start = time.perf_counter()
        process = subprocess.Popen(
            contender.command, cwd=project, env=contender.env, stdin=subprocess.DEVNULL, stdout=out_file, stderr=err_file
        )
        killer = threading.Timer(120, process.kill)  # a harness that hangs fails the bench, not the machine
        killer.start()
        # wait4 gives the child's own peak memory and CPU time (its reaped children's included).
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read().decode(errors="replace"), err_file.read().decode(errors="replace")
    leftover = server.pending
    last = server.requests[-1].body.decode(errors="replace") if server.requests else ""
    try:  # what the harness sent last, without the tool definitions
        last_sent = json.dumps(json.loads(last).get("messages", json.loads(last).get("input"))[-2:])
    except (ValueError, AttributeError, TypeError):
        last_sent = last
    done = (project / "script.py").read_text() == AFTER and RAN in last and ANSWER in out
    if contender.replies is None:  # a reference: it only has to succeed
        done = process.returncode == 0
    if not done:
        raise SystemExit(
            f"{contender.label}: the task did not complete ({leftover} replies unused, exit code "
            f"{process.returncode})\nscript.py: {(project / 'script.py').read_text()!r}\n"
            f"last messages sent: {last_sent[-3000:]}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}"
        )
    contender.samples.append((elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss))


def claw_contenders(python: str, base_url: str, scratch: Path, pythonpath: Path | None = None) -> list[Contender]:
    """claw on both providers, each with and without a language server; from `pythonpath` when given."""
    contenders = []
    for provider, model, keys in (
        ("Anthropic", "anthropic/claude-sonnet-4-6", {"ANTHROPIC_API_KEY": "bench", "ANTHROPIC_BASE_URL": base_url}),
        ("OpenAI Chat", "openai/gpt-5", {"OPENAI_API_KEY": "bench", "OPENAI_BASE_URL": f"{base_url}/v1"}),
    ):
        for server_present in (False, True):
            label = f"claw, {provider}, {'with' if server_present else 'no'} language server"
            home = new_home(scratch)
            env = {**os.environ, **isolated_env(home), **keys}
            # As installed, claw runs from bytecode; a checkout under PYTHONDONTWRITEBYTECODE would
            # compile every module of claw on every start. A cache of the bench's own, filled by the warm-up run:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
            if not server_present:
                config = '[lsp.python]\ncommand = ["pylsp-not-installed"]\nextensions = [".py", ".pyi"]\n'
                (home / "config" / "config.toml").write_text(config)
            if pythonpath is not None:
                label += f" ({pythonpath.name})"
                env["PYTHONPATH"] = str(pythonpath.resolve())
            command = [python, "-m", "claw_tui", "-p", "--model", model, "--permission-mode", "acceptEdits",
                       "--allowed-tools", "Bash(python3 script.py)", "--", PROMPT]
            contenders.append(Contender(label, command, env, claw_replies, home))
    return contenders


def new_home(scratch: Path) -> Path:
    home = Path(tempfile.mkdtemp(dir=scratch))
    (home / "project").mkdir()
    (home / "config").mkdir()
    return home


def claude_contender(command: str, base_url: str, scratch: Path) -> Contender:
    home = new_home(scratch)
    env = {
        **os.environ, "HOME": str(home), "ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_API_KEY": "bench",
        "CLAUDE_CONFIG_DIR": str(home / "config"), "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_ERROR_REPORTING": "1",
    }
    argv = [*shlex.split(command), "-p", "--model", "claude-sonnet-4-6", "--permission-mode", "acceptEdits",
            "--allowedTools", "Bash(python3 script.py)", "--", PROMPT]
    return Contender("Claude Code", argv, env, claude_replies, home)


def codex_contender(command: str, base_url: str, scratch: Path) -> Contender:
    home = new_home(scratch)
    # Codex puts its sandbox helper beside CODEX_HOME and refuses to do so under /tmp.
    codex_home = Path(tempfile.mkdtemp(prefix="claw-bench-codex-", dir=Path.home()))
    atexit.register(shutil.rmtree, codex_home, ignore_errors=True)
    (codex_home / "config.toml").write_text(
        'model = "gpt-5"\nmodel_provider = "fake"\n'
        '[model_providers.fake]\nname = "fake"\n'
        f'base_url = "{base_url}/v1"\nenv_key = "OPENAI_API_KEY"\nwire_api = "responses"\n'
        "request_max_retries = 0\nstream_max_retries = 0\n"
    )
    env = {**os.environ, "HOME": str(home), "CODEX_HOME": str(codex_home), "OPENAI_API_KEY": "bench"}
    argv = [*shlex.split(command), "exec", "--skip-git-repo-check", "-s", "workspace-write", PROMPT]
    return Contender("Codex CLI", argv, env, codex_replies, home)


def sdk_imports(python: str, scratch: Path) -> list[Contender]:
    """References: the interpreter importing each provider's SDK and nothing else."""
    return [
        Contender(f"python -c 'import {sdk}'", [python, "-c", f"import {sdk}"], dict(os.environ), None, new_home(scratch))
        for sdk in ("anthropic", "openai")
    ]


def per_round(a: Contender, b: Contender) -> float:
    """The median over rounds of the difference of wall times, a minus b, in the same round."""
    return statistics.median(x[0] - y[0] for x, y in zip(a.samples, b.samples, strict=True))


def print_targets(contenders: list[Contender], references: list[Contender]) -> None:
    """The issue's targets, from differences within each round (a busy moment hits both sides)."""
    claw = {c.label: c for c in contenders if not c.label.endswith(")")}
    sdk = {r.label.split("import ")[1].rstrip("'"): r for r in references}
    for provider, module in (("Anthropic", "anthropic"), ("OpenAI Chat", "openai")):
        without, present = claw.get(f"claw, {provider}, no language server"), claw.get(f"claw, {provider}, with language server")
        if without is None or present is None:
            continue
        print(f"{provider}: claw beyond `import {module}` {per_round(without, sdk[module]):+.2f} s; "
              f"a language server present {per_round(present, without):+.2f} s")


def print_table(contenders: list[Contender], peers: list[Contender], runs: int) -> None:
    print(f"edit task (Read, Edit, run it, answer: 4 model requests), median of {runs} alternating rounds")
    print("CPU: user + system of the process and the commands it ran; × peer: wall and memory as a share of the peer's")
    header = f"{'':<48} {'wall':>6} {'CPU':>6} {'memory':>8}"
    header += "".join(f"  {'× ' + p.label:>15}" for p in peers)
    print(header)
    for contender in contenders:
        wall, cpu, memory = contender.medians()
        row = f"{contender.label:<48} {wall:5.2f}s {cpu:5.2f}s {memory:4.0f} MiB"
        for peer in peers:
            peer_wall, _, peer_memory = peer.medians()
            row += f"  {wall / peer_wall:6.2f} {memory / peer_memory:5.2f}m"
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="rounds; each runs every contender once")
    parser.add_argument("--codex", metavar="CMD", help="the Codex CLI command, e.g. codex")
    parser.add_argument("--claude", metavar="CMD", help="the Claude Code command, e.g. claude")
    parser.add_argument(
        "--also", type=Path, metavar="DIR", action="append", default=[],
        help="another checkout of claw to run in the same rounds (e.g. a `git worktree` of main), for before/after",
    )
    parser.add_argument("--only", metavar="TEXT", help="run only the claw rows whose label contains TEXT")
    args = parser.parse_args()
    if not shutil.which("python3"):
        raise SystemExit("the task runs `python3 script.py`: python3 must be on PATH")
    with tempfile.TemporaryDirectory() as tmp, FakeModelServer() as server:
        scratch = Path(tmp)
        contenders = claw_contenders(sys.executable, server.base_url, scratch)
        for checkout in args.also:
            contenders += claw_contenders(sys.executable, server.base_url, scratch, checkout)
        if args.only:
            contenders = [c for c in contenders if args.only in c.label]
        peers = []
        if args.codex:
            peers.append(codex_contender(args.codex, server.base_url, scratch))
        if args.claude:
            peers.append(claude_contender(args.claude, server.base_url, scratch))
        references = sdk_imports(sys.executable, scratch)
        everyone = contenders + peers + references
        for contender in everyone:  # a warm-up run each (page cache, bytecode), not counted
            run_once(contender, server)
            contender.samples.clear()
        for _ in range(args.runs):
            for contender in everyone:
                run_once(contender, server)
    print_table(everyone, peers, args.runs)
    print_targets(contenders, references)


if __name__ == "__main__":
    main()
