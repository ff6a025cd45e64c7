"""Task-building helpers shared by the tests."""

from __future__ import annotations

import itertools
from typing import Any

from mesos_sched.v1 import mesos_pb2

_counter = itertools.count()

TERMINAL = {
    mesos_pb2.TASK_FINISHED,
    mesos_pb2.TASK_FAILED,
    mesos_pb2.TASK_KILLED,
    mesos_pb2.TASK_ERROR,
    mesos_pb2.TASK_LOST,
    mesos_pb2.TASK_DROPPED,
    mesos_pb2.TASK_GONE,
}


def unique(prefix: str) -> str:
    return "%s-%d" % (prefix, next(_counter))


def scalar(name: str, value: float, module: Any = mesos_pb2) -> Any:
    resource = module.Resource(name=name, type=module.Value.SCALAR)
    resource.scalar.value = value
    return resource


def command_task(offer: Any, command: str, task_id: str = "", module: Any = mesos_pb2) -> Any:
    """A command task for `offer` (v1 `agent_id` or v0 `slave_id`), 0.1 cpu, 32 MB."""
    task = module.TaskInfo(name=task_id or unique("task"))
    task.task_id.value = task_id or task.name
    if hasattr(offer, "agent_id"):
        task.agent_id.CopyFrom(offer.agent_id)
    else:
        task.slave_id.CopyFrom(offer.slave_id)
    task.resources.extend([scalar("cpus", 0.1, module), scalar("mem", 32, module)])
    task.command.value = command
    task.command.shell = True
    return task


def state_name(state: int) -> str:
    return mesos_pb2.TaskState.Name(state) if state in mesos_pb2.TaskState.values() else str(state)
