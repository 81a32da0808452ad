"""The key hints of the footer and the empty prompt: whole at every width, the most needed first."""

from __future__ import annotations

import pytest
from recorded_turns import settle
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


@pytest.mark.parametrize("size", [(50, 15), (80, 24), (160, 48)])
async def test_the_footer_ends_on_whole_hints(project, fake_model, app_for, size):
    """At 50x15 the row ran on under the palette key ("^b pa…"): now a hint that does not fit is left
    out whole, with those after it, and none is drawn under the palette key or past the edge."""
    app = app_for()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        keys = list(footer.query(FooterKey))
        shown = [key for key in keys if key.display]
        palette = next(key for key in shown if key.has_class("-command-palette"))
        hints = [key for key in keys if key is not palette]
        assert [key.key for key in shown[:2]] == ["ctrl+c", "f1"], "stop/quit and help always show"
        for key in shown:
            assert footer.region.contains_region(key.region), key.description
        for key in shown:
            if key is not palette:
                assert key.region.right <= palette.region.x, f"{key.description!r} runs under the palette key"
        kept = [key.display for key in hints]
        assert kept == sorted(kept, reverse=True), "the hints left out are the last ones"
        if size[0] >= 160:
            assert all(kept), "a wide terminal shows every hint"
        prompt = app.main_screen.prompt  # its placeholder ended "! shell ·" at 50 columns
        assert len(prompt.placeholder) < prompt.content_size.width
        assert prompt.placeholder.startswith("Ask claw…") and prompt.placeholder.endswith(
            ("claw…", "commands", "files", "shell", "new line")
        )


async def test_the_hints_are_made_again_only_when_the_keys_they_show_change(project, fake_model, app_for):
    """Every change of focus has Textual rebuild the footer; one that leaves the keys as they were
    (from the prompt to a pane and back) now keeps the hints, and one that changes them remakes them."""
    app = app_for(mode="default")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        before = list(footer.query(FooterKey))
        await pilot.press("f6", "f7")  # the cost pane, then the prompt again
        await settle(pilot)
        assert list(footer.query(FooterKey)) == before, "the same keys: the same hints"
        await pilot.press("f3")  # the tool log's filter: its own keys
        await settle(pilot)
        after = list(footer.query(FooterKey))
        assert after != before and all(key not in before for key in after), "other keys: the hints are remade"
