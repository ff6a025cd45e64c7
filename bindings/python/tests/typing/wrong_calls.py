"""Calls a type checker must refuse: the legacy modules are typed, not Any."""

from mesos.interface import mesos_pb2
from mesos.native import MesosSchedulerDriver
import mesos.scheduler

framework = mesos_pb2.FrameworkInfo(user="", name="legacy", no_such_field=1)
MesosSchedulerDriver(object(), framework)
mesos.scheduler.MesosSchedulerDriver(object(), framework, "m", implicitAcknowledgement=True)
