"""The task graph: the model's to-do list, with dependencies between tasks.

TaskCreate / TaskUpdate change it, the task pane draws it (through `subscribe`), the session
store keeps it (`to_json` / `from_json`) and compaction carries the open tasks forward.
Dependencies form a DAG: an edge that would close a cycle is refused, naming the cycle.
"""

from __future__ import annotations

import builtins
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

log = logging.getLogger(__name__)

TaskStatus = Literal["pending", "in_progress", "completed", "deleted"]
STATUSES: tuple[str, ...] = get_args(TaskStatus)


class TaskError(ValueError):
    """A request the graph refuses; the message says why and is meant for the model."""


class TaskNotFoundError(TaskError):
    pass


class TaskCycleError(TaskError):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        path = " → ".join(f"#{i}" for i in cycle)
        super().__init__(
            f"That dependency would make a cycle: {path} (each task waits for the next)."
        )


@dataclass
class Task:
    id: str
    subject: str
    description: str = ""
    status: TaskStatus = "pending"
    owner: str | None = None
    blocked_by: set[str] = field(default_factory=set)  # tasks that must finish first
    blocks: set[str] = field(default_factory=set)  # tasks waiting for this one
    active_form: str | None = None  # "Running the tests", shown while in progress
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "description": self.description,
            "status": self.status,
            "owner": self.owner,
            "blocked_by": sorted(self.blocked_by, key=_id_order),
            "blocks": sorted(self.blocks, key=_id_order),
            "active_form": self.active_form,
            "metadata": self.metadata,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        return cls(
            id=str(data["id"]),
            subject=data["subject"],
            description=data.get("description", ""),
            status=data.get("status", "pending"),
            owner=data.get("owner"),
            blocked_by=set(data.get("blocked_by", ())),
            blocks=set(data.get("blocks", ())),
            active_form=data.get("active_form"),
            metadata=dict(data.get("metadata") or {}),
            created_at=data.get("created_at", time.time()),
            updated_at=data.get("updated_at", time.time()),
        )


TaskListener = Callable[[Task], object]  # what it returns is ignored


class TaskGraph:
    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}
        self._next_id = 1
        self._listeners: list[TaskListener] = []

    # --- reading ------------------------------------------------------------------------

    def get(self, task_id: str) -> Task:
        task = self._tasks.get(str(task_id))
        if task is None:
            known = ", ".join(f"#{i}" for i in self._tasks) or "none yet"
            raise TaskNotFoundError(f"No task #{task_id}. Known tasks: {known}.")
        return task

    def list(self, *, include_deleted: bool = False) -> list[Task]:
        return [
            t for t in self._tasks.values() if include_deleted or t.status != "deleted"
        ]

    def ready(self) -> builtins.list[Task]:
        """Pending tasks whose blockers have all completed: what can be started now."""
        return [
            t
            for t in self.list()
            if t.status == "pending"
            and all(self._tasks[b].status == "completed" for b in t.blocked_by)
        ]

    def open_blockers(self, task: Task) -> builtins.list[str]:
        return sorted(
            (b for b in task.blocked_by if self._tasks[b].status != "completed"),
            key=_id_order,
        )

    # --- changing -----------------------------------------------------------------------

    def create(
        self,
        subject: str,
        description: str = "",
        *,
        active_form: str | None = None,
        owner: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Task:
        if not subject.strip():
            raise TaskError("A task needs a subject.")
        task = Task(
            id=str(self._next_id),
            subject=subject.strip(),
            description=description,
            active_form=active_form,
            owner=owner,
            metadata=dict(metadata or {}),
        )
        self._next_id += 1
        self._tasks[task.id] = task
        self._notify([task])
        return task

    def update(
        self,
        task_id: str,
        *,
        status: TaskStatus | None = None,
        subject: str | None = None,
        description: str | None = None,
        owner: str | None = None,
        add_blocked_by: Iterable[str] = (),
        add_blocks: Iterable[str] = (),
        active_form: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Task:
        """Change a task; everything is checked before anything changes.

        `metadata` is merged into the task's; a key set to None is removed. Status "deleted"
        also drops the task's edges, so nothing stays blocked by a task that is gone.
        """
        task = self.get(task_id)
        if status is not None and status not in STATUSES:
            raise TaskError(
                f"Unknown status {status!r}; use one of {', '.join(STATUSES)}."
            )
        if subject is not None and not subject.strip():
            raise TaskError("A task's subject cannot be empty.")
        # Each new edge is (blocker, blocked).
        edges = [(str(b), task.id) for b in add_blocked_by] + [
            (task.id, str(b)) for b in add_blocks
        ]
        self._check_edges(edges)
        if task.status == "deleted" and (edges or status not in (None, "deleted")):
            raise TaskError(f"Task #{task.id} was deleted; create a new task instead.")

        changed = {task.id: task}
        for blocker, blocked in edges:
            self._tasks[blocker].blocks.add(blocked)
            self._tasks[blocked].blocked_by.add(blocker)
            changed[blocker] = self._tasks[blocker]
            changed[blocked] = self._tasks[blocked]
        if status is not None:
            task.status = status
            if status == "deleted":
                for other_id in task.blocks | task.blocked_by:
                    other = self._tasks[other_id]
                    other.blocks.discard(task.id)
                    other.blocked_by.discard(task.id)
                    changed[other_id] = other
                task.blocks.clear()
                task.blocked_by.clear()
        if subject is not None:
            task.subject = subject.strip()
        if description is not None:
            task.description = description
        if owner is not None:
            task.owner = owner or None
        if active_form is not None:
            task.active_form = active_form or None
        for key, value in (metadata or {}).items():
            if value is None:
                task.metadata.pop(key, None)
            else:
                task.metadata[key] = value
        now = time.time()
        for t in changed.values():
            t.updated_at = now
        self._notify(list(changed.values()))
        return task

    def _check_edges(self, edges: builtins.list[tuple[str, str]]) -> None:
        pending: list[tuple[str, str]] = []
        for blocker, blocked in edges:
            for end in (blocker, blocked):
                if self.get(end).status == "deleted":
                    raise TaskError(
                        f"Task #{end} was deleted; it cannot take part in a dependency."
                    )
            if blocker == blocked:
                raise TaskCycleError([blocker, blocker])
            # blocker → blocked closes a cycle if blocked already (transitively) blocks blocker.
            path = self._path(blocked, blocker, pending)
            if path is not None:
                raise TaskCycleError([blocker, *path])
            pending.append((blocker, blocked))

    def _path(
        self, start: str, goal: str, extra: builtins.list[tuple[str, str]]
    ) -> builtins.list[str] | None:
        """A chain start → … → goal along "blocks" edges (plus `extra`), or None."""
        came_from: dict[str, str | None] = {start: None}
        frontier = [start]
        while frontier:
            node = frontier.pop()
            if node == goal:
                chain = [node]
                while (prev := came_from[chain[-1]]) is not None:
                    chain.append(prev)
                return chain[::-1]
            successors = set(self._tasks[node].blocks) | {
                b for a, b in extra if a == node
            }
            for nxt in sorted(successors, key=_id_order):
                if nxt not in came_from:
                    came_from[nxt] = node
                    frontier.append(nxt)
        return None

    # --- watching and keeping -----------------------------------------------------------

    def subscribe(self, listener: TaskListener) -> Callable[[], None]:
        """Call `listener(task)` for every task that changes; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: (
            self._listeners.remove(listener) if listener in self._listeners else None
        )

    def _notify(self, tasks: builtins.list[Task]) -> None:
        for listener in list(self._listeners):
            for task in tasks:
                try:
                    listener(task)
                except (
                    Exception
                ):  # a broken front end must not break the model's task list
                    log.exception("task listener failed")

    def to_json(self) -> str:
        return json.dumps(
            {
                "next_id": self._next_id,
                "tasks": [t.to_dict() for t in self._tasks.values()],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> TaskGraph:
        data = json.loads(text)
        graph = cls()
        for item in data.get("tasks", []):
            task = Task.from_dict(item)
            graph._tasks[task.id] = task
        ids = [int(i) for i in graph._tasks if i.isdigit()]
        graph._next_id = max(data.get("next_id", 1), max(ids, default=0) + 1)
        return graph


def _id_order(task_id: str) -> tuple[int, str]:
    return (int(task_id), "") if task_id.isdigit() else (1 << 62, task_id)
