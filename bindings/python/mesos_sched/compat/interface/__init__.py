"""Fallback ``mesos.interface`` (used only when the legacy package is not installed).

Provides what frameworks import from it: ``Scheduler``, ``SchedulerDriver``,
``Executor``, ``ExecutorDriver`` and ``mesos_pb2`` with the v0 names (``SlaveID``,
``slave_id``, ``REASON_SLAVE_*``), wire-identical to the v1 messages.
"""

from __future__ import annotations

import sys
from typing import Any

from mesos_sched.scheduler import Scheduler, SchedulerDriver
from mesos_sched.v0 import mesos_pb2

# `import mesos.interface.mesos_pb2` finds the module already imported under this name.
sys.modules[__name__ + ".mesos_pb2"] = mesos_pb2

__all__ = ["Scheduler", "SchedulerDriver", "Executor", "ExecutorDriver", "mesos_pb2"]


class Executor:
    """Base class of legacy executors (callback names of mesos.interface.Executor).

    Present so that modules defining an executor next to their scheduler import;
    mesos_sched has no executor driver to run one.
    """

    def registered(self, driver: Any, executorInfo: Any, frameworkInfo: Any, slaveInfo: Any) -> None:
        """The executor registered with its agent."""

    def reregistered(self, driver: Any, slaveInfo: Any) -> None:
        """The executor re-registered with a restarted agent."""

    def disconnected(self, driver: Any) -> None:
        """The agent went away."""

    def launchTask(self, driver: Any, task: Any) -> None:
        """A task was launched on this executor."""

    def killTask(self, driver: Any, taskId: Any) -> None:
        """A task of this executor is to be killed."""

    def frameworkMessage(self, driver: Any, message: bytes) -> None:
        """The scheduler sent a message."""

    def shutdown(self, driver: Any) -> None:
        """The executor is to terminate all its tasks and exit."""

    def error(self, driver: Any, message: str) -> None:
        """A fatal error of the executor driver."""


class ExecutorDriver:
    """Interface of legacy executor drivers (for mocks); not implemented here."""

    def start(self) -> int:
        raise NotImplementedError

    def stop(self) -> int:
        raise NotImplementedError

    def abort(self) -> int:
        raise NotImplementedError

    def join(self) -> int:
        raise NotImplementedError

    def run(self) -> int:
        raise NotImplementedError

    def sendStatusUpdate(self, status: Any) -> int:
        raise NotImplementedError

    def sendFrameworkMessage(self, data: bytes) -> int:
        raise NotImplementedError
