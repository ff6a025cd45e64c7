"""``mesos.native`` for legacy frameworks: MesosSchedulerDriver with v0 messages."""

from __future__ import annotations

from typing import Any

from mesos_sched import _compat_hook
from mesos_sched._messages import FamilySpec
from mesos_sched.driver import MesosSchedulerDriver as _Driver

__all__ = ["MesosSchedulerDriver", "MesosExecutorDriver"]

_compat_hook.install()


class MesosSchedulerDriver(_Driver):
    """``mesos.native.MesosSchedulerDriver``: callbacks receive ``mesos.interface.mesos_pb2``
    objects (the legacy package's when installed, else this package's v0 classes)."""

    def __init__(self, *args: Any, messages: FamilySpec = "v0", **kwargs: Any) -> None:
        # Only the default message family differs from mesos_sched's driver.
        super().__init__(*args, messages=messages, **kwargs)


class MesosExecutorDriver:
    """Not provided: libmesos_sched is a scheduler driver only."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "mesos_sched provides the scheduler driver only; run executors with the "
            "Mesos command/default executor or the v1 executor HTTP API"
        )
