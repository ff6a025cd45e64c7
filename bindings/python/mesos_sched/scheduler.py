"""The Scheduler callback interface and the SchedulerDriver method interface.

Names and argument orders are those of the legacy ``mesos.interface`` module, so a
framework written for it works unchanged. Callbacks run one at a time on the driver's
own thread; every driver method may be called from inside a callback, except
``join()`` and ``run()``.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

__all__ = ["Scheduler", "SchedulerDriver"]


class Scheduler:
    """Base class for schedulers: override the callbacks you need; the rest do nothing.

    Message arguments are parsed objects of the family the driver was built with (the
    shipped ``mesos_sched.v1`` classes by default, ``mesos.interface.mesos_pb2`` for
    ``mesos.native.MesosSchedulerDriver``). An exception raised by a callback is
    printed with its traceback and aborts the driver, as the legacy binding did.
    """

    def registered(self, driver: Any, frameworkId: Any, masterInfo: Any) -> None:
        """The first successful subscription: the framework's id and the master's info."""

    def reregistered(self, driver: Any, masterInfo: Any) -> None:
        """A later subscription after a disconnection (possibly to a new leader)."""

    def disconnected(self, driver: Any) -> None:
        """The connection to the master was lost; the driver reconnects by itself."""

    def resourceOffers(self, driver: Any, offers: List[Any]) -> None:
        """Offers to launch tasks with; accept, launch on or decline each one."""

    def offerRescinded(self, driver: Any, offerId: Any) -> None:
        """An offer is no longer valid; launching on it gives TASK_LOST."""

    def statusUpdate(self, driver: Any, status: Any) -> None:
        """A task changed state. With implicit acknowledgements the driver acknowledges
        it when this callback returns; otherwise call acknowledgeStatusUpdate()."""

    def frameworkMessage(self, driver: Any, executorId: Any, slaveId: Any, message: bytes) -> None:
        """An executor sent the scheduler a message (best effort, not reliable)."""

    def slaveLost(self, driver: Any, slaveId: Any) -> None:
        """An agent is gone; its tasks are reported lost separately."""

    def executorLost(self, driver: Any, executorId: Any, slaveId: Any, status: int) -> None:
        """An executor exited or was terminated, with its exit status."""

    def error(self, driver: Any, message: str) -> None:
        """An unrecoverable error; the driver has already been aborted when this runs."""


class SchedulerDriver:
    """The driver interface (method names of mesos.interface.SchedulerDriver).

    Useful as a spec for mocks in tests; :class:`mesos_sched.MesosSchedulerDriver`
    implements it. Every method returns the driver's status.
    """

    def start(self) -> int:
        """Starts the driver: it connects and subscribes in the background."""
        raise NotImplementedError

    def stop(self, failover: bool = False) -> int:
        """Stops the driver; with failover=False the framework is torn down (its tasks
        killed), with failover=True it stays registered for a new scheduler to take over."""
        raise NotImplementedError

    def abort(self) -> int:
        """Stops delivering callbacks and releases join() without tearing down."""
        raise NotImplementedError

    def join(self) -> int:
        """Blocks until the driver is stopped or aborted; returns its final status."""
        raise NotImplementedError

    def run(self) -> int:
        """start() then join()."""
        raise NotImplementedError

    def requestResources(self, requests: Sequence[Any]) -> int:
        """Asks the allocator for resources (a hint; most allocators ignore it)."""
        raise NotImplementedError

    def launchTasks(self, offerIds: Any, tasks: Sequence[Any], filters: Optional[Any] = None) -> int:
        """Launches tasks on one offer or several offers of the same agent."""
        raise NotImplementedError

    def killTask(self, taskId: Any) -> int:
        """Kills a task; its terminal status arrives through statusUpdate()."""
        raise NotImplementedError

    def acceptOffers(self, offerIds: Any, operations: Sequence[Any], filters: Optional[Any] = None) -> int:
        """Accepts offers with a list of Offer.Operation (launch, reserve, ...)."""
        raise NotImplementedError

    def declineOffer(self, offerId: Any, filters: Optional[Any] = None) -> int:
        """Declines an offer, optionally refusing the agent's resources for a while."""
        raise NotImplementedError

    def reviveOffers(self, roles: Optional[Sequence[str]] = None) -> int:
        """Removes offer filters and unsuppresses offers (for the roles, or all roles)."""
        raise NotImplementedError

    def suppressOffers(self, roles: Optional[Sequence[str]] = None) -> int:
        """Stops offers (for the roles, or all roles) until reviveOffers()."""
        raise NotImplementedError

    def acknowledgeStatusUpdate(self, status: Any) -> int:
        """Acknowledges a status update (only with implicitAcknowledgements=False)."""
        raise NotImplementedError

    def sendFrameworkMessage(self, executorId: Any, slaveId: Any, data: bytes) -> int:
        """Sends bytes to an executor (best effort)."""
        raise NotImplementedError

    def reconcileTasks(self, tasks: Sequence[Any]) -> int:
        """Asks for the latest state of the given tasks (TaskStatus with task_id and,
        ideally, slave_id/agent_id); an empty list asks for every known task."""
        raise NotImplementedError

    def updateFramework(self, frameworkInfo: Any, suppressedRoles: Optional[Sequence[str]] = None,
                        offerConstraints: Optional[Any] = None) -> int:
        """Changes the framework's FrameworkInfo and suppressed roles while registered."""
        raise NotImplementedError
