"""A scripted fake model server for tests: the real SDKs talk to it over HTTP."""

from .environment import fake_claw_home, isolated_env
from .script import Fault, Reply, Text, Thinking, ToolCall, WebSearchCall
from .server import NO_SCRIPT, FakeModelServer, RecordedRequest

__all__ = [
    "NO_SCRIPT", "FakeModelServer", "Fault", "RecordedRequest", "Reply", "Text", "Thinking", "ToolCall", "WebSearchCall", "fake_claw_home",
    "isolated_env"
]
