"""Spending limits are final (issue 11, class 12): a quota or spend-limit refusal is never retried,
and says in one line which limit it is; headless exits non-zero. The fake model server sends the
providers' real error bodies."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from engine.agent_harness import make_agent, of_type, run
from fake_model import Fault, Reply, Text

from claw_tui.core import events as ev

OPENAI_QUOTA = {"error": {
    "message": "You exceeded your current quota, please check your plan and billing details. For more information on "
               "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}


def _anthropic(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011CZLrUfBVkVHn5T6EqQaf7"}


LIMITS = [
    ("openai/gpt-4.1", 429, OPENAI_QUOTA,
     "OpenAI spending limit: your account's quota is used up (insufficient_quota): You exceeded your current quota"),
    ("openai/gpt-5.5-pro", 429, OPENAI_QUOTA,  # the Responses API
     "OpenAI spending limit: your account's quota is used up (insufficient_quota): You exceeded your current quota"),
    ("anthropic/claude-sonnet-4-5", 400, _anthropic(
        "invalid_request_error", "You have reached your specified API usage limits. You will regain access on "
        "2026-04-01 at 00:00 UTC."),
     "Anthropic spending limit: the API usage limit set for your account or workspace is reached: You have reached"),
    ("anthropic/claude-sonnet-4-5", 429, _anthropic("rate_limit_error", "This request would exceed your "
                                                    "organization's monthly usage limit."),
     "Anthropic spending limit: the API usage limit set for your account or workspace is reached"),
    ("anthropic/claude-sonnet-4-5", 400, _anthropic(
        "invalid_request_error", "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
        "Billing to upgrade or purchase credits."),
     "Anthropic spending limit: your credit balance is too low: Your credit balance is too low"),
    ("anthropic/claude-sonnet-4-5", 429, _anthropic("rate_limit_error", "Extra usage is required for long context "
                                                    "requests."),
     "Anthropic spending limit: this request needs extra usage your plan does not have"),
]


@pytest.mark.parametrize(("model", "status", "body", "said"), LIMITS)
async def test_a_spending_limit_is_not_retried(fake_model, project, model, status, body, said):
    fake_model.script(*[Reply(fault=Fault.http(status, body=body))] * 3, Reply(parts=[Text("never")]))
    agent = make_agent(project, fake_model.base_url, model=model)
    try:
        events = await run(agent, "hello")
    finally:
        await agent.aclose()
    assert len(fake_model.requests) == 1, "a spending limit was retried"
    assert of_type(events, ev.Retrying) == []
    [error] = of_type(events, ev.Error)
    assert error.kind == "quota" and error.message.startswith(said), error.message
    assert error.message.endswith("Not retried; raise the limit or add credit, then try again.")
    assert "\n" not in error.message
    assert of_type(events, ev.TurnFinished)[0].stop_reason == "error"


async def test_a_plain_rate_limit_is_still_retried(fake_model, project):
    """The control: a 429 that is about load, not money, waits and tries again."""
    fake_model.script(Reply(fault=Fault.http(429, retry_after=0)), Reply(parts=[Text("fine")]))
    agent = make_agent(project, fake_model.base_url)
    try:
        events = await run(agent, "hello")
    finally:
        await agent.aclose()
    assert len(of_type(events, ev.Retrying)) == 1 and of_type(events, ev.Error) == []


async def test_a_quota_error_in_the_stream_is_final(fake_model, project):
    """The Responses API can say it mid-stream, after HTTP 200."""
    fake_model.script(Reply(parts=[Text("partial answer")], fault=Fault.error_event(
        after_events=2, error_type="insufficient_quota", message="You exceeded your current quota.")),
        Reply(parts=[Text("never")]))
    agent = make_agent(project, fake_model.base_url, model="openai/gpt-5.5-pro")
    try:
        events = await run(agent, "hello")
    finally:
        await agent.aclose()
    assert len(fake_model.requests) == 1
    [error] = of_type(events, ev.Error)
    assert error.kind == "quota" and "quota is used up (insufficient_quota)" in error.message


def test_headless_exits_with_one_line_naming_the_limit(tmp_path, fake_model):
    fake_model.script(Reply(fault=Fault.http(429, body=OPENAI_QUOTA)), Reply(parts=[Text("never")]))
    env = {**os.environ, "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake_model.base_url + "/v1",
           "CLAW_SANDBOX__ENABLED": "false"}
    out = subprocess.run([sys.executable, "-m", "claw_tui", "-p", "hi", "--model", "openai/gpt-4.1"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 1
    [line] = out.stderr.splitlines()
    assert line.startswith("claw: OpenAI spending limit: your account's quota is used up (insufficient_quota)")
    assert len(fake_model.requests) == 1
