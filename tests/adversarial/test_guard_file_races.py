"""A path flipped between a file and a symlink to outside while the file tools work (issue 11,
class 8): whatever the timing, nothing outside the workspace is read or written.

A second process flips the paths as fast as it can for the length of the turn; the model reads,
writes and edits them many times over in one turn, through the real agent loop. Which calls fail
depends on timing; that none leaks does not.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from adversarial.guard_harness import results, sent_to_model, turn
from fake_model import ToolCall

SECRET = "outside-secret-9931"


@pytest.fixture
def flipping(project):
    """flip.txt, new.txt and sub/ flipping between inside files and links to outside, while the test runs."""
    outside = project.parent / "outside"
    (outside / "secret.txt").write_text(SECRET + "\n")
    (outside / "note.txt").write_text(SECRET + " in a folder\n")
    (project / "flip.txt").write_text("inside\n")
    script = project.parent / "flipper.py"
    script.write_text(_flipper_source())
    proc = subprocess.Popen([sys.executable, str(script), str(project / "flip.txt"), str(project / "new.txt"),
                             str(project / "sub"), str(outside / "secret.txt"), str(outside)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "flipping\n"
    yield outside
    proc.kill()
    proc.wait()


def _flipper_source() -> str:
    """Swap each path between a regular file (or a real directory) and a symlink to outside."""
    return r"""
import os, shutil, sys, time
*paths, target, dir_target = sys.argv[1:]
first = True
end = time.monotonic() + 30


def clear(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def flip(path):
    tmp = path + ".tmp"
    clear(tmp)
    if path.endswith("sub"):
        clear(path)
        os.makedirs(path)
        with open(os.path.join(path, "note.txt"), "w") as f:
            f.write("inside\n")
        os.symlink(dir_target, tmp)
        clear(path)
        os.rename(tmp, path)
    else:
        os.symlink(target, tmp)
        os.replace(tmp, path)
        with open(tmp, "w") as f:
            f.write("inside\n")
        os.replace(tmp, path)


while time.monotonic() < end:
    for path in paths:
        try:
            flip(path)
        except OSError:  # a tool's file landed in the way: next round
            pass
    if first:
        print("flipping", flush=True)
        first = False
    time.sleep(0.0002)  # leave the other core to the test
"""


ROUNDS = 10


async def test_a_flipping_path_never_leaks_or_lands_outside(fake_model, project, flipping):
    outside = flipping
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    calls = []
    for i in range(ROUNDS):
        calls += [
            ToolCall("Read", {"file_path": "flip.txt"}),
            ToolCall("Read", {"file_path": "sub/note.txt"}),
            ToolCall("Write", {"file_path": "new.txt", "content": f"pwned {i}\n"}),
            ToolCall("Write", {"file_path": "sub/note.txt", "content": f"pwned {i}\n"}),
            ToolCall("Edit", {"file_path": "flip.txt", "old_string": "inside", "new_string": f"pwned {i}"}),
        ]
    agent, _, approver = await turn(fake_model, project, *calls, mode="acceptEdits", rules=[("allow", "Read")])
    assert len(results(agent)) == len(calls)
    assert SECRET not in sent_to_model(fake_model), "a Read followed a link swapped in after the check"
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before, "a write landed outside the workspace"
    for request in approver.requests:  # a call resolved while the link was there asks (and is refused)
        assert request.reason.startswith("outside the workspace"), request.reason

