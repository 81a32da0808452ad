"""Ctrl+C at any moment of claw's start: "claw: interrupted" and exit code 130, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from claw_runner import claw_program, fake_env
from fake_model import Fault, Reply, Text


def test_an_interrupt_from_the_first_instant_on_is_reported_in_one_line(fake_model, tmp_path):
    fake_model.script(*[Reply(parts=[Text("slow")], fault=Fault.stall(after_events=1, seconds=30))] * 40)
    env = os.environ | fake_env(fake_model.base_url)
    outcomes = []
    for step in range(30):  # every 5 ms of the first 0.15 s: claw's imports, its flags, its config
        process = subprocess.Popen(
            [claw_program(), "-p", "hello"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(step * 0.005)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        outcomes.append((step, process.returncode, stderr))
    # Python's own start (its site module, the installer's `claw` script importing claw's package) ends in
    # its own way; from claw's first line on, claw says it.
    tracebacks = [(step, stderr) for step, _, stderr in outcomes if "Traceback" in stderr and "claw_tui/" in stderr]
    assert tracebacks == []
    ours = [step for step, code, stderr in outcomes if (code, stderr.strip()) == (130, "claw: interrupted")]
    assert len(ours) > 10
