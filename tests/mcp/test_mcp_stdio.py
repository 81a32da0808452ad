"""The demo server over stdio: tools, results, resources, prompts, faults, list_changed, names."""

from __future__ import annotations

import asyncio

import pytest
from mcp_helpers import stdio_config
from pydantic import ValidationError

from claw_tui.core.transcript import ImageBlock, TextBlock
from claw_tui.mcp import McpManager
from claw_tui.tools.base import ToolContext, ToolError, ToolKind


def manager(tmp_path, *configs, **kw) -> McpManager:
    kw.setdefault("retry_base", 0.05)
    return McpManager(configs or [stdio_config()], project=tmp_path, **kw)


def tool(mgr: McpManager, name: str):
    return next(t for t in mgr.tools() if t.name == name)


async def run(mgr: McpManager, name: str, args: dict, tmp_path):
    t = tool(mgr, name)
    return await t.run(t.Input.model_validate(args), ToolContext(cwd=tmp_path, roots=[tmp_path]))


async def test_connects_and_exposes_tools_with_kinds_and_schemas(tmp_path):
    async with manager(tmp_path) as mgr:
        [status] = mgr.statuses()
        assert (status.status, status.transport, status.server_info) == ("connected", "stdio", "demo 1.2.3")
        assert (status.tools, status.resources, status.prompts) == (7, 2, 1)
        names = {t.name for t in mgr.tools()}
        assert {"mcp__demo__echo", "mcp__demo__add", "mcp__demo__hang", "mcp__demo__grow"} <= names
        echo, add = tool(mgr, "mcp__demo__echo"), tool(mgr, "mcp__demo__add")
        assert echo.kind is ToolKind.READ and echo.concurrent_safe
        assert add.kind is ToolKind.EXECUTE and not add.concurrent_safe
        assert add.schema()["required"] == ["a", "b"]
        assert "Add two integers." in add.description
        result = await run(mgr, "mcp__demo__add", {"a": 2, "b": 40}, tmp_path)
        assert result.output == "42" and not result.is_error


async def test_bad_arguments_are_refused_before_the_call_with_a_clear_message(tmp_path):
    async with manager(tmp_path) as mgr:
        with pytest.raises(ValidationError) as err:
            tool(mgr, "mcp__demo__add").Input.model_validate({"a": "two"})
        text = str(err.value)
        assert "a: 'two' is not of type 'integer'" in text and "'b' is a required property" in text


async def test_images_and_embedded_resources_in_results(tmp_path):
    async with manager(tmp_path) as mgr:
        result = await run(mgr, "mcp__demo__picture", {}, tmp_path)
        text, image, resource = result.content
        assert text == TextBlock(text="a red dot")
        assert (
            isinstance(image, ImageBlock)
            and image.media_type == "image/png"
            and image.data.startswith("iVBOR")
        )
        assert resource == TextBlock(text="[resource demo://notes/1]\nnote one")


async def test_huge_result_is_cut_with_a_note(tmp_path):
    async with manager(tmp_path) as mgr:
        result = await run(mgr, "mcp__demo__huge", {"size": 200_000}, tmp_path)
        assert result.content[0].text == "x" * 50_000
        assert "returned 200,000 characters; only the first 50,000 are shown" in result.content[-1].text


async def test_server_that_never_answers_times_out_and_the_server_stays_usable(tmp_path):
    async with manager(tmp_path, call_timeout=1.0) as mgr:
        with pytest.raises(ToolError, match=r"did not answer tool 'hang' within 1s"):
            await run(mgr, "mcp__demo__hang", {}, tmp_path)
        assert (
            await run(mgr, "mcp__demo__echo", {"text": "still here"}, tmp_path)
        ).output == "echo: still here"


async def test_per_server_timeout_overrides_the_default(tmp_path):
    async with manager(tmp_path, stdio_config(timeout=0.5), call_timeout=600) as mgr:
        with pytest.raises(ToolError, match=r"within 0.5s"):
            await mgr.call_tool("demo", "hang", {})


async def test_server_crashing_mid_call_shows_the_error_reconnects_and_the_session_continues(tmp_path):
    marker = tmp_path / "crashed"
    async with manager(tmp_path, stdio_config(env={"CRASH_MARKER": str(marker)})) as mgr:
        with pytest.raises(ToolError) as err:
            await run(mgr, "mcp__demo__crash_once", {}, tmp_path)
        assert "closed the connection during tool 'crash_once'" in str(err.value)
        assert "crashing on purpose" in str(err.value)  # the server's stderr
        assert "reconnecting" in str(err.value)
        status = await mgr.wait_for("demo", "connected")
        assert "crashing on purpose" in status.last_error
        result = await run(mgr, "mcp__demo__crash_once", {}, tmp_path)
        assert result.output == "survived"


async def test_tools_list_changed_notification_refreshes_the_tools(tmp_path):
    changed = asyncio.Event()
    async with manager(tmp_path) as mgr:
        mgr.on_tools_changed(changed.set)
        assert "mcp__demo__extra" not in {t.name for t in mgr.tools()}
        assert (await mgr.call_tool("demo", "grow", {})).content[0].text == "grown"
        async with asyncio.timeout(20):
            while "mcp__demo__extra" not in {t.name for t in mgr.tools()}:
                await changed.wait()
                changed.clear()
        assert (await run(mgr, "mcp__demo__extra", {}, tmp_path)).output == "extra tool here"
        assert mgr.status("demo").tools == 8


async def test_resources_and_prompts(tmp_path):
    async with manager(tmp_path) as mgr:
        uris = {r.mention for r in mgr.resources()}
        assert uris == {"@demo:demo://readme", "@demo:demo://logo"}
        assert await mgr.read_resource("demo", "demo://readme") == [
            TextBlock(text="[resource demo://readme]\n# Demo\nHello from the demo server.")
        ]
        [logo] = await mgr.read_resource("demo", "demo://logo")
        assert isinstance(logo, ImageBlock) and logo.media_type == "image/png"
        with pytest.raises(ToolError, match="refused resource 'demo://missing'"):
            await mgr.read_resource("demo", "demo://missing")

        [prompt] = mgr.list_prompts()
        assert prompt.command == "demo:review"
        assert prompt.arguments == (("code", True, None), ("language", False, None))
        messages = await mgr.get_prompt("demo", "review", {"code": "x = 1", "language": "rust"})
        assert messages == [
            ("user", [TextBlock(text="Review this rust code:\nx = 1")]),
            ("assistant", [TextBlock(text="I will look at it.")]),
        ]
        with pytest.raises(ToolError, match="refused prompt 'review'"):
            await mgr.get_prompt("demo", "review", {})  # `code` is required


async def test_name_collisions_and_long_names_get_unique_provider_safe_names(tmp_path):
    long = "x" * 80
    configs = [
        stdio_config("my.srv"),
        stdio_config("my srv"),
        stdio_config("long", env={"DEMO_PREFIX": long}),
    ]
    async with manager(tmp_path, *configs) as mgr:
        names = [t.name for t in mgr.tools()]
        assert len(names) == len(set(names))
        assert "mcp__my_srv__echo" in names and "mcp__my_srv__echo_2" in names
        [cut] = [t for t in mgr.tools() if t.server == "long" and t.remote_name == long + "echo"]
        assert len(cut.name) == 64 and cut.name.startswith("mcp__long__xxx")
        assert all(len(n) <= 64 and n.replace("_", "").replace("-", "").isalnum() for n in names)
        # Both colliding tools reach their own server.
        first, second = tool(mgr, "mcp__my_srv__echo"), tool(mgr, "mcp__my_srv__echo_2")
        assert {first.server, second.server} == {"my.srv", "my srv"}
        assert (await run(mgr, "mcp__my_srv__echo_2", {"text": "b"}, tmp_path)).output == "echo: b"


async def test_a_broken_server_fails_alone_and_disable_enable_work(tmp_path):
    from claw_tui.mcp.config import ServerConfig

    broken = ServerConfig(
        name="broken", transport="stdio", scope="user", source="test", command="no-such-mcp-cmd"
    )
    async with manager(tmp_path, stdio_config(), broken, max_retries=0) as mgr:
        assert mgr.status("demo").status == "connected"
        status = mgr.status("broken")
        assert status.status == "failed" and "no-such-mcp-cmd" in status.last_error
        with pytest.raises(ToolError, match="'broken' failed to start"):
            await mgr.call_tool("broken", "x", {})

        await mgr.enable("demo", False)
        assert mgr.status("demo").status == "disabled" and mgr.tools() == []
        await mgr.enable("demo", True)
        await mgr.wait_for("demo", "connected")
        assert any(t.name == "mcp__demo__echo" for t in mgr.tools())
        await mgr.reconnect("demo")
        await mgr.wait_for("demo", "connected")
        assert (await mgr.call_tool("demo", "echo", {"text": "r"})).content[0].text == "echo: r"


async def test_a_server_that_fails_to_start_is_retried_with_backoff_until_it_comes_up(tmp_path):
    required = tmp_path / "ready"
    config = stdio_config(env={"REQUIRE_FILE": str(required)})
    async with manager(tmp_path, config, max_retries=1000) as mgr:
        status = await mgr.wait_for("demo", "failed")
        assert f"{required} is missing" in status.last_error
        assert mgr.tools() == []
        required.touch()
        await mgr.wait_for("demo", "connected")
        assert (await mgr.call_tool("demo", "echo", {"text": "up"})).content[0].text == "echo: up"


async def test_a_server_given_up_on_comes_back_on_reconnect(tmp_path):
    required = tmp_path / "ready"
    async with manager(tmp_path, stdio_config(env={"REQUIRE_FILE": str(required)}), max_retries=0) as mgr:
        assert mgr.status("demo").status == "failed"
        required.touch()
        await mgr.reconnect("demo")
        await mgr.wait_for("demo", "connected")


async def test_status_changes_are_reported_and_mentions_parse(tmp_path):
    from claw_tui.mcp import parse_mention

    seen = []
    async with manager(tmp_path, on_change=seen.append) as mgr:
        echo = tool(mgr, "mcp__demo__echo")
        assert echo.summary(echo.Input.model_validate({"text": "hi"})) == 'demo:echo {"text": "hi"}'
        servers = [s.name for s in mgr.statuses()]
    assert [s.status for s in seen] == ["connecting", "connected"]
    assert seen[-1].tools == 7
    assert parse_mention("@demo:demo://readme", servers) == ("demo", "demo://readme")
    assert parse_mention("@other:demo://readme", servers) is None
    assert parse_mention("@demo:", servers) is None
