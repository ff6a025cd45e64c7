"""Drop-in ``mesos.scheduler`` (the legacy package's home of the driver since Mesos 1.0),
backed by libmesos_sched (package mesos_sched)."""

from mesos_sched.compat.native import MesosSchedulerDriver

__all__ = ["MesosSchedulerDriver"]
