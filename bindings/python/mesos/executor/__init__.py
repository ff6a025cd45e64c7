"""Drop-in ``mesos.executor``: imports cleanly, but MesosExecutorDriver is not provided
yet (libmesos_sched is a scheduler driver); constructing one raises NotImplementedError."""

from mesos_sched.compat.native import MesosExecutorDriver

__all__ = ["MesosExecutorDriver"]
