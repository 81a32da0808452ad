from __future__ import annotations

import pytest

from claw_tui.core.tasks import (
    TaskCycleError,
    TaskError,
    TaskGraph,
    TaskNotFoundError,
)


def _chain() -> TaskGraph:
    graph = TaskGraph()
    for subject in ("Design", "Build", "Test"):
        graph.create(subject)
    graph.update("2", add_blocked_by=["1"])
    graph.update("3", add_blocked_by=["2"])
    return graph


def test_ids_count_up_and_edges_are_symmetric():
    graph = _chain()
    assert [t.id for t in graph.list()] == ["1", "2", "3"]
    assert graph.get("1").blocks == {"2"}
    assert graph.get("2").blocked_by == {"1"}
    assert graph.get("2").blocks == {"3"}
    graph.update("1", add_blocks=["3"])
    assert "1" in graph.get("3").blocked_by


def test_ready_follows_completion():
    graph = _chain()
    assert [t.id for t in graph.ready()] == ["1"]
    graph.update("1", status="in_progress")
    assert graph.ready() == []
    graph.update("1", status="completed")
    assert [t.id for t in graph.ready()] == ["2"]


def test_cycle_is_refused_with_its_path_and_nothing_changes():
    graph = _chain()
    with pytest.raises(TaskCycleError) as info:
        graph.update("1", add_blocked_by=["3"])
    assert info.value.cycle == ["3", "1", "2", "3"]
    assert "#3 → #1 → #2 → #3" in str(info.value)
    assert graph.get("1").blocked_by == set()
    assert graph.get("3").blocks == set()


def test_cycle_within_one_update_is_refused():
    graph = TaskGraph()
    graph.create("a")
    graph.create("b")
    with pytest.raises(TaskCycleError):
        graph.update("1", add_blocked_by=["2"], add_blocks=["2"])
    assert graph.get("1").blocked_by == set() and graph.get("2").blocked_by == set()
    with pytest.raises(TaskCycleError):
        graph.update("1", add_blocks=["1"])


def test_unknown_ids_and_bad_values_are_refused():
    graph = _chain()
    with pytest.raises(TaskNotFoundError, match="No task #9"):
        graph.get("9")
    with pytest.raises(TaskNotFoundError):
        graph.update("2", add_blocked_by=["9"])
    assert graph.get("2").blocked_by == {"1"}
    with pytest.raises(TaskError):
        graph.update("1", status="finished")  # type: ignore[arg-type]
    with pytest.raises(TaskError):
        graph.create("   ")


def test_delete_drops_edges_and_unblocks():
    graph = _chain()
    graph.update("2", status="deleted")
    assert [t.id for t in graph.list()] == ["1", "3"]
    assert graph.get("3").blocked_by == set()
    assert graph.get("1").blocks == set()
    assert {t.id for t in graph.ready()} == {"1", "3"}
    with pytest.raises(TaskError, match="deleted"):
        graph.update("3", add_blocked_by=["2"])


def test_metadata_merges_and_none_removes():
    graph = TaskGraph()
    graph.create("x", metadata={"a": 1, "b": 2})
    task = graph.update("1", metadata={"b": None, "c": 3})
    assert task.metadata == {"a": 1, "c": 3}


def test_subscribers_hear_every_changed_task():
    graph = _chain()
    seen: list[tuple[str, str]] = []
    unsubscribe = graph.subscribe(lambda t: seen.append((t.id, t.status)))
    graph.update("3", add_blocked_by=["1"])
    assert sorted(seen) == [("1", "pending"), ("3", "pending")]
    seen.clear()
    graph.update("1", status="completed")
    assert seen == [("1", "completed")]
    unsubscribe()
    graph.create("later")
    assert seen == [("1", "completed")]


def test_a_failing_subscriber_does_not_break_the_graph():
    graph = TaskGraph()

    def boom(task):
        raise RuntimeError("front end bug")

    graph.subscribe(boom)
    assert graph.create("still works").id == "1"


def test_json_round_trip_keeps_everything_and_the_next_id():
    graph = _chain()
    graph.update(
        "1",
        status="completed",
        owner="agent-a",
        active_form="Designing",
        metadata={"k": "v"},
    )
    graph.update("3", status="deleted")
    copy = TaskGraph.from_json(graph.to_json())
    assert [t.to_dict() for t in copy.list(include_deleted=True)] == [
        t.to_dict() for t in graph.list(include_deleted=True)
    ]
    assert copy.create("next").id == "4"
    assert [t.id for t in copy.ready()] == ["2", "4"]
