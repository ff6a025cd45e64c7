"""Drop-in ``mesos.native`` backed by libmesos_sched (package mesos_sched)."""

from mesos_sched.compat.native import MesosExecutorDriver, MesosSchedulerDriver

__all__ = ["MesosSchedulerDriver", "MesosExecutorDriver"]
