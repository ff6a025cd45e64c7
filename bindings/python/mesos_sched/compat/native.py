"""The legacy driver modules' classes: ``mesos.scheduler.MesosSchedulerDriver`` (v0
messages) and ``mesos.executor.MesosExecutorDriver`` (not provided yet)."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

from mesos_sched import _compat_hook
from mesos_sched._messages import FamilySpec
from mesos_sched.driver import MesosSchedulerDriver as _Driver

__all__ = ["MesosSchedulerDriver", "MesosExecutorDriver"]

_compat_hook.install()


class MesosSchedulerDriver(_Driver):
    """``mesos.native.MesosSchedulerDriver``: callbacks receive ``mesos.interface.mesos_pb2``
    objects (the legacy package's when installed, else this package's v0 classes).

    The positional parameters are the legacy ones (scheduler, framework, master,
    implicitAcknowledgements, credential, suppressedRoles); see
    :class:`mesos_sched.MesosSchedulerDriver` for each.
    """

    def __init__(
        self,
        scheduler: Any,
        framework: Any,
        master: Union[str, bytes],
        implicitAcknowledgements: Union[bool, int] = True,
        credential: Optional[Any] = None,
        suppressedRoles: Optional[Sequence[str]] = None,
        *,
        messages: FamilySpec = "v0",
        options: Optional[Mapping[str, Any]] = None,
    ) -> None:
        # Only the default message family differs from mesos_sched's driver.
        super().__init__(
            scheduler,
            framework,
            master,
            implicitAcknowledgements,
            credential,
            suppressedRoles,
            messages=messages,
            options=options,
        )


EXECUTOR_DRIVER_MISSING = (
    "mesos.executor.MesosExecutorDriver is not provided yet: this package (mesos-sched) "
    "has the scheduler driver only. Run executors with the Mesos command/default "
    "executor or the v1 executor HTTP API."
)


class MesosExecutorDriver:
    """Not provided yet (libmesos_sched has no executor driver): constructing one raises
    NotImplementedError, so a module that only imports the name still loads."""

    def __init__(self, executor: Any, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(EXECUTOR_DRIVER_MISSING)
