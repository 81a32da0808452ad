"""What building an Agent costs at start-up, and which tool libraries it loads.

    python bench/bench_imports.py [--runs N] [--pythonpath DIR]

Times `Agent.create` in a fresh interpreter (median and fastest of several runs, wall and CPU),
lists the biggest imports under `-X importtime`, and says which of the libraries the tools
load on first use were imported anyway. `--pythonpath` measures another copy of claw (e.g.
`git archive HEAD claw_tui | tar -x -C /tmp/before`) for a before/after comparison. Nothing
is asserted; the project and config directories are empty temporary ones.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_model import isolated_env

RUNS = 9
CREATE = "from pathlib import Path\nfrom claw_tui.engine.agent import Agent\nAgent.create(Path('.'))\n"
LAZY = ("bs4", "markdownify", "soupsieve", "nbformat", "jsonschema", "git", "httpx2")
REPORT_LAZY = (
    "import sys\n" + CREATE + f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(LAZY)!r})))\n"
)


def run(code: str, env: dict[str, str], cwd: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, *flags, "-c", code]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)


def timed(code: str, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU milliseconds of one interpreter running `code`, start to exit."""
    before = os.times()
    start = time.perf_counter()
    run(code, env, cwd).check_returncode()
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall * 1000, cpu * 1000


def importtime(env: dict[str, str], cwd: Path) -> list[tuple[int, str]]:
    """(cumulative µs, module) for every import of one Agent.create, biggest first."""
    rows = []
    for line in run(CREATE, env, cwd, "-X", "importtime").stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if cumulative.strip().isdigit():
            rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--pythonpath", type=Path, help="a checkout of claw to measure instead of the installed one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        project = home / "project"
        project.mkdir()
        env = {**os.environ, **isolated_env(home)}
        if args.pythonpath:
            env["PYTHONPATH"] = str(args.pythonpath.resolve())
        where = run("import claw_tui; print(claw_tui.__file__)", env, project).stdout.strip()
        print(f"claw from {where}")
        run("pass", env, project)  # warm the page cache
        for label, code in (("python -c pass", "pass"), ("Agent.create", CREATE)):
            samples = [timed(code, env, project) for _ in range(args.runs)]
            walls, cpus = [w for w, _ in samples], [c for _, c in samples]
            print(
                f"{label:<16} wall median {statistics.median(walls):5.0f} ms (fastest {min(walls):4.0f})"
                f"   CPU median {statistics.median(cpus):5.0f} ms"
            )
        print("biggest imports of one Agent.create (cumulative ms):")
        for micros, name in importtime(env, project)[:12]:
            print(f"  {micros / 1000:7.1f}  {name}")
        loaded = run(REPORT_LAZY, env, project).stdout.strip()
        print(f"tool libraries loaded by Agent.create: {loaded or 'none'}")


if __name__ == "__main__":
    main()
