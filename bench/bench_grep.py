"""Grep benchmark: claw's Grep tool against raw `rg` on a 50,000-file tree.

Run: `python bench/bench_grep.py [--files N] [--runs N] [--tree DIR]`. Prints the median and
the fastest of several alternating runs of each side, and their ratios (target: claw / rg <
1.2). The tree is a git repository with nested directories, mixed text files and a
.gitignore; both sides use the same rg binary and the same flags that decide which files are
searched (hidden files, never .git), and both read rg's whole output through a pipe. claw's
side also does what the tool does after rg: sorting files newest first, paging, capping. Not
a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from claw_tui.tools.base import ToolContext
from claw_tui.tools.search import Grep, find_rg

RUNS = 9
WORDS = [
    "parser", "config", "loader", "token", "stream", "widget", "theme", "cache", "session", "model",
    "provider", "tool", "sandbox", "permission", "hook", "memory", "budget", "diff", "patch", "commit",
    "branch", "merge", "fixture", "timeout", "retry", "socket", "thread", "queue", "worker", "render",
    "layout", "scroll", "prompt", "error", "warning", "module", "package", "schema",
]
EXTENSIONS = (".py", ".js", ".ts", ".md", ".txt", ".rs", ".go", ".json")
RARE = "xylophone_handler"  # in about 1 file in 500
COMMON = "TODO"  # in about 1 file in 5


def line(rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
    return f"{' ' * 4 * rng.randint(0, 3)}{words}"


def make_tree(root: Path, files: int, rng: random.Random) -> int:
    """`files` files under nested directories (a quarter of them git-ignored); returns the ignored count."""
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".gitignore").write_text("build/\n*.log\nnode_modules/\n")
    ignored = 0
    for i in range(files):
        top, mid = i % 40, (i // 40) % 25
        if i % 4 == 3:  # ignored: build output, logs, vendored modules
            ignored += 1
            kind = i % 3
            if kind == 0:
                path = root / "build" / f"d{top}" / f"gen{i}.py"
            elif kind == 1:
                path = root / f"pkg{top}" / f"run{i}.log"
            else:
                path = root / "node_modules" / f"m{top}" / f"index{i}.js"
        else:
            path = root / f"pkg{top}" / f"sub{mid}" / f"part{i % 7}" / f"file{i}{EXTENSIONS[i % len(EXTENSIONS)]}"
        lines = [line(rng) for _ in range(rng.randint(10, 80))]
        if rng.random() < 0.2:
            lines[rng.randrange(len(lines))] += f"  # {COMMON}: revisit this"
        if rng.random() < 0.002:
            lines[rng.randrange(len(lines))] = f"def {RARE}(event):"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
    return ignored


def raw_rg(root: Path, pattern: str, mode_flags: list[str]) -> int:
    """rg itself, with the flags that choose the files as claw's Grep does; returns output lines."""
    args = [find_rg(), "--no-config", "--hidden", "--glob", "!.git", *mode_flags, "--regexp", pattern]
    # stdin closed as Grep does it: rg searches a piped stdin instead of the tree.
    out = subprocess.run(args, cwd=root, capture_output=True, stdin=subprocess.DEVNULL, check=False).stdout
    return out.count(b"\n")


def cpu_seconds() -> float:
    """CPU used so far by this process (every thread) and its waited-for children (rg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Times:
    """Milliseconds per run: wall clock, and CPU, which other processes' load barely moves."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @contextmanager
    def measure(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), cpu_seconds()
        yield
        self.wall.append((time.perf_counter() - wall) * 1000)
        self.cpu.append((cpu_seconds() - cpu) * 1000)


async def compare(root: Path, pattern: str, mode: str, flags: list[str], runs: int) -> tuple[Times, Times, int]:
    """Raw rg and `Grep().run`, alternating so that load from other processes falls on both alike
    (the event loop's own start-up is not counted)."""
    tool = Grep()
    ctx = ToolContext(cwd=root, roots=[root])
    rg, claw, hits = Times(), Times(), 0
    for _ in range(runs):
        with rg.measure():
            hits = raw_rg(root, pattern, flags)
        with claw.measure():
            await tool.run(tool.Input(pattern=pattern, output_mode=mode), ctx)
    return rg, claw, hits


CASES = [
    ("content, rare pattern", RARE, "content", ["--line-number"]),
    ("content, common pattern", COMMON, "content", ["--line-number"]),
    ("files_with_matches, rare pattern", RARE, "files_with_matches", ["--files-with-matches"]),
    ("files_with_matches, common pattern", COMMON, "files_with_matches", ["--files-with-matches"]),
    ("count, common pattern", COMMON, "count", ["--count", "--with-filename"]),
]


def bench(root: Path, runs: int) -> None:
    raw_rg(root, COMMON, ["-l"])  # warm the page cache for both sides
    print(f"{runs} runs each; wall ms as median (fastest); CPU ms as median; ratios claw / rg (target < 1.2)")
    print(f"{'':<36} {'rg wall':>15} {'claw wall':>15} {'rg CPU':>7} {'claw CPU':>8}   ratio wall (fastest)  CPU")
    for label, pattern, mode, flags in CASES:
        rg, claw, hits = asyncio.run(compare(root, pattern, mode, flags, runs))
        rg_wall, claw_wall = statistics.median(rg.wall), statistics.median(claw.wall)
        rg_cpu, claw_cpu = statistics.median(rg.cpu), statistics.median(claw.cpu)
        print(
            f"{label:<36} {rg_wall:6.0f} ({min(rg.wall):6.0f}) {claw_wall:6.0f} ({min(claw.wall):6.0f}) "
            f"{rg_cpu:7.0f} {claw_cpu:8.0f}   {claw_wall / rg_wall:10.2f} ({min(claw.wall) / min(rg.wall):4.2f})  "
            f"{claw_cpu / rg_cpu:4.2f}   [{hits:,} lines from rg]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--tree", type=Path, help="build the tree here once and reuse it on later runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = (args.tree or Path(tmp)).resolve()
        if not (root / ".gitignore").exists():
            root.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            ignored = make_tree(root, args.files, random.Random(11))
            print(f"setup: {args.files:,} files ({ignored:,} git-ignored) in {time.perf_counter() - start:.1f} s")
        bench(root, args.runs)


if __name__ == "__main__":
    main()
