"""mesos_sched: the classic Mesos scheduler driver for Python, over libmesos_sched.

    from mesos_sched import MesosSchedulerDriver, Scheduler
    from mesos_sched.v1 import mesos_pb2

The API is that of the legacy ``mesos.native`` / ``mesos.interface`` modules; those
imports also work unchanged (this package provides them when the legacy packages are
not installed). The shared library is found through ``MESOS_SCHED_LIBRARY``, a copy
bundled in the package, or the system library path (see ``mesos_sched._library``).

The library is loaded on first use (e.g. the first driver), the protobuf classes on
first use of the names that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List

from ._status import (
    DRIVER_ABORTED,
    DRIVER_NOT_STARTED,
    DRIVER_RUNNING,
    DRIVER_STOPPED,
    CalledFromCallbackError,
    InvalidArgumentError,
    InvalidStateError,
    MesosSchedError,
    status_name,
)
from ._library import LibraryNotFoundError, library_path, library_version, load_library
from .scheduler import Scheduler, SchedulerDriver

if TYPE_CHECKING:  # pragma: no cover
    from ._messages import MessageFamily
    from .driver import MesosSchedulerDriver

__version__ = "0.1.0"

__all__ = [
    "MesosSchedulerDriver",
    "Scheduler",
    "SchedulerDriver",
    "MessageFamily",
    "DRIVER_NOT_STARTED",
    "DRIVER_RUNNING",
    "DRIVER_ABORTED",
    "DRIVER_STOPPED",
    "MesosSchedError",
    "InvalidArgumentError",
    "InvalidStateError",
    "CalledFromCallbackError",
    "LibraryNotFoundError",
    "status_name",
    "load_library",
    "library_path",
    "library_version",
]


def __getattr__(name: str) -> Any:
    # The driver module imports protobuf: load it only when asked for.
    if name == "MesosSchedulerDriver":
        from .driver import MesosSchedulerDriver

        return MesosSchedulerDriver
    if name == "MessageFamily":
        from ._messages import MessageFamily

        return MessageFamily
    raise AttributeError("module 'mesos_sched' has no attribute %r" % name)


def __dir__() -> List[str]:
    # The lazily loaded names too, so that dir() and completion list them.
    return sorted(set(globals()) | set(__all__))
