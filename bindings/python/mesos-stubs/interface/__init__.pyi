# Types of mesos.interface as this package provides it (mesos_sched/compat/interface,
# reached through an import hook that type checkers do not see). Partial: the other
# mesos.* modules are typed by their own py.typed.
from mesos_sched.compat.interface import Executor as Executor
from mesos_sched.compat.interface import ExecutorDriver as ExecutorDriver
from mesos_sched.scheduler import Scheduler as Scheduler
from mesos_sched.scheduler import SchedulerDriver as SchedulerDriver

from . import mesos_pb2 as mesos_pb2

__all__ = ["Scheduler", "SchedulerDriver", "Executor", "ExecutorDriver", "mesos_pb2"]
