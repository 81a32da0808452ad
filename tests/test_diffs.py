from claw_tui.core.diffs import apply_hunks, hunks

BEFORE = "a\nb\nc\nd\ne\nf\n"
AFTER = "a\nB\nc\nd\ne\nF\ng\n"


def test_each_change_is_its_own_hunk():
    hs = hunks(BEFORE, AFTER)
    assert [(h.removed, h.added) for h in hs] == [(("b\n",), ("B\n",)), (("f\n",), ("F\n", "g\n"))]


def test_only_accepted_hunks_are_applied():
    assert apply_hunks(BEFORE, AFTER, {0}) == "a\nB\nc\nd\ne\nf\n"
    assert apply_hunks(BEFORE, AFTER, {1}) == "a\nb\nc\nd\ne\nF\ng\n"
    assert apply_hunks(BEFORE, AFTER, {0, 1}) == AFTER
    assert apply_hunks(BEFORE, AFTER, set()) == BEFORE


def test_new_file_is_one_hunk():
    assert len(hunks(None, "x\ny\n")) == 1
    assert apply_hunks(None, "x\ny\n", set()) == ""
