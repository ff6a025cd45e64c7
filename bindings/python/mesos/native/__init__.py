"""Drop-in ``mesos.native`` backed by libmesos_sched (package mesos_sched): re-exports
the drivers of ``mesos.scheduler`` and ``mesos.executor``, as the legacy package does."""

from mesos.executor import MesosExecutorDriver
from mesos.scheduler import MesosSchedulerDriver

__all__ = ["MesosSchedulerDriver", "MesosExecutorDriver"]
