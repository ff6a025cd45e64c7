"""Driver status values (numbered as mesos.proto's Status) and the binding's errors."""

from __future__ import annotations

from typing import Dict

__all__ = [
    "DRIVER_NOT_STARTED",
    "DRIVER_RUNNING",
    "DRIVER_ABORTED",
    "DRIVER_STOPPED",
    "MesosSchedError",
    "InvalidStateError",
    "CalledFromCallbackError",
    "InvalidArgumentError",
    "status_name",
]

DRIVER_NOT_STARTED = 1
DRIVER_RUNNING = 2
DRIVER_ABORTED = 3
DRIVER_STOPPED = 4

ERROR_NULL_ARGUMENT = -1
ERROR_INVALID_ARGUMENT = -2
ERROR_CALLED_FROM_CALLBACK = -3
ERROR_INVALID_STATE = -4
ERROR_PANIC = -5

_NAMES: Dict[int, str] = {
    DRIVER_NOT_STARTED: "DRIVER_NOT_STARTED",
    DRIVER_RUNNING: "DRIVER_RUNNING",
    DRIVER_ABORTED: "DRIVER_ABORTED",
    DRIVER_STOPPED: "DRIVER_STOPPED",
    ERROR_NULL_ARGUMENT: "ERROR_NULL_ARGUMENT",
    ERROR_INVALID_ARGUMENT: "ERROR_INVALID_ARGUMENT",
    ERROR_CALLED_FROM_CALLBACK: "ERROR_CALLED_FROM_CALLBACK",
    ERROR_INVALID_STATE: "ERROR_INVALID_STATE",
    ERROR_PANIC: "ERROR_PANIC",
}


def status_name(status: int) -> str:
    """``status_name(2) == "DRIVER_RUNNING"``; unknown values are shown as numbers."""
    return _NAMES.get(status, "status %d" % status)


class MesosSchedError(RuntimeError):
    """A usage error the library reported (a negative status); the driver is unchanged.

    Where the legacy driver crashed the process on misuse (a CHECK), this binding raises.
    ``status`` is the negative code, ``message`` the library's explanation.
    """

    def __init__(self, call: str, status: int, message: str) -> None:
        self.call = call
        self.status = status
        self.message = message
        detail = ": %s" % message if message else ""
        super().__init__("%s failed with %s%s" % (call, status_name(status), detail))


class InvalidArgumentError(MesosSchedError, ValueError):
    """The library refused an argument (unparsable message, bad master string, option)."""


class InvalidStateError(MesosSchedError):
    """The call is not allowed now (e.g. an explicit ack with implicit acks on)."""


class CalledFromCallbackError(MesosSchedError):
    """join(), run() or the driver's destruction was attempted inside a callback."""


def error_for(call: str, status: int, message: str) -> MesosSchedError:
    if status in (ERROR_INVALID_ARGUMENT, ERROR_NULL_ARGUMENT):
        return InvalidArgumentError(call, status, message)
    if status == ERROR_INVALID_STATE:
        return InvalidStateError(call, status, message)
    if status == ERROR_CALLED_FROM_CALLBACK:
        return CalledFromCallbackError(call, status, message)
    return MesosSchedError(call, status, message)
