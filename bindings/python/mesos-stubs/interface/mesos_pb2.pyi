# mesos.interface.mesos_pb2 is this package's v0 message module.
from mesos_sched.v0.mesos_pb2 import *
