"""Finding and loading libmesos_sched, and the ctypes prototypes of its C ABI.

The library is searched, in order, at:

1. the path in the ``MESOS_SCHED_LIBRARY`` environment variable (if set, nothing else
   is tried: a wrong path is an error, not a silent fallback);
2. a copy bundled in this package, as ``pip install``/``pip wheel`` build it
   (``mesos_sched/_lib/libmesos_sched.so[.0]``, or ``libmesos_sched.<suffix>.so`` when
   setuptools-rust named it);
3. the system's library path (``ctypes.util.find_library("mesos_sched")``, then
   ``libmesos_sched.so.0`` and ``libmesos_sched.so`` through the dynamic loader).

ctypes.CDLL (not PyDLL) releases the GIL around every foreign call, so a blocking
``join`` never stalls other Python threads; CFUNCTYPE callbacks take the GIL back
while Python code runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
import threading
from typing import List, Optional, Tuple

__all__ = [
    "LibraryNotFoundError",
    "load_library",
    "library_path",
    "library_version",
    "SCHEDULER_VTABLE",
]

ENV_VAR = "MESOS_SCHED_LIBRARY"
if sys.platform == "darwin":
    _BUNDLED_NAMES: Tuple[str, ...] = ("libmesos_sched.dylib",)
    _SYSTEM_NAMES: Tuple[str, ...] = ("libmesos_sched.dylib",)
else:
    _BUNDLED_NAMES = ("libmesos_sched.so", "libmesos_sched.so.0")
    _SYSTEM_NAMES = ("libmesos_sched.so.0", "libmesos_sched.so")


class LibraryNotFoundError(ImportError):
    """libmesos_sched could not be loaded; the message lists every place tried."""


# Opaque handle pointer and the byte-pointer types of the ABI.
c_driver_p = ctypes.c_void_p
c_bytes_p = ctypes.c_char_p  # const uint8_t *, always passed with an explicit length
c_bytes_pp = ctypes.POINTER(ctypes.c_char_p)  # const uint8_t *const *
c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_str_pp = ctypes.POINTER(ctypes.c_char_p)  # const char *const *
c_status = ctypes.c_int32

# Callback byte arguments arrive as raw addresses (c_void_p), never as c_char_p: ctypes
# would stop a c_char_p at the first NUL byte.
_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_vpp = ctypes.POINTER(ctypes.c_void_p)
CB_REGISTERED = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz, _vp, _sz)
CB_REREGISTERED = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz)
CB_DISCONNECTED = ctypes.CFUNCTYPE(None, _vp, _vp)
CB_RESOURCE_OFFERS = ctypes.CFUNCTYPE(None, _vp, _vp, _vpp, c_size_p, _sz)
CB_OFFER_RESCINDED = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz)
CB_STATUS_UPDATE = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz)
CB_FRAMEWORK_MESSAGE = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz, _vp, _sz, _vp, _sz)
CB_SLAVE_LOST = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz)
CB_EXECUTOR_LOST = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz, _vp, _sz, ctypes.c_int32)
CB_ERROR = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz)
CB_INVERSE_OFFERS = ctypes.CFUNCTYPE(None, _vp, _vp, _vpp, c_size_p, _sz)
CB_INVERSE_OFFER_RESCINDED = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz)
CB_OPERATION_STATUS = ctypes.CFUNCTYPE(None, _vp, _vp, _vp, _sz)
CB_HEARTBEAT = ctypes.CFUNCTYPE(None, _vp, _vp)

# (member name, CFUNCTYPE) in the order of struct mesos_sched_scheduler.
SCHEDULER_VTABLE: Tuple[Tuple[str, type], ...] = (
    ("registered", CB_REGISTERED),
    ("reregistered", CB_REREGISTERED),
    ("disconnected", CB_DISCONNECTED),
    ("resource_offers", CB_RESOURCE_OFFERS),
    ("offer_rescinded", CB_OFFER_RESCINDED),
    ("status_update", CB_STATUS_UPDATE),
    ("framework_message", CB_FRAMEWORK_MESSAGE),
    ("slave_lost", CB_SLAVE_LOST),
    ("executor_lost", CB_EXECUTOR_LOST),
    ("error", CB_ERROR),
    ("inverse_offers", CB_INVERSE_OFFERS),
    ("inverse_offer_rescinded", CB_INVERSE_OFFER_RESCINDED),
    ("operation_status", CB_OPERATION_STATUS),
    ("heartbeat", CB_HEARTBEAT),
)


class SchedulerStruct(ctypes.Structure):
    """``struct mesos_sched_scheduler``: struct_size, then one pointer per callback."""

    _fields_ = [("struct_size", ctypes.c_size_t)] + [
        (name, ftype) for name, ftype in SCHEDULER_VTABLE
    ]


_ARRAY = (c_bytes_pp, c_size_p, ctypes.c_size_t)
_BYTES = (c_bytes_p, ctypes.c_size_t)
_STRS = (c_str_pp, ctypes.c_size_t)

_PROTOTYPES = {
    "mesos_sched_driver_new": (
        c_status,
        (ctypes.POINTER(SchedulerStruct), ctypes.c_void_p)
        + _BYTES
        + (ctypes.c_char_p,)
        + _BYTES
        + (ctypes.c_bool, ctypes.POINTER(c_driver_p)),
    ),
    "mesos_sched_driver_set_option": (
        c_status,
        (c_driver_p, ctypes.c_char_p, ctypes.c_char_p),
    ),
    "mesos_sched_driver_start": (c_status, (c_driver_p,)),
    "mesos_sched_driver_stop": (c_status, (c_driver_p, ctypes.c_bool)),
    "mesos_sched_driver_abort": (c_status, (c_driver_p,)),
    "mesos_sched_driver_join": (c_status, (c_driver_p,)),
    "mesos_sched_driver_run": (c_status, (c_driver_p,)),
    "mesos_sched_driver_request_resources": (c_status, (c_driver_p,) + _ARRAY),
    "mesos_sched_driver_launch_tasks": (
        c_status,
        (c_driver_p,) + _ARRAY + _ARRAY + _BYTES,
    ),
    "mesos_sched_driver_kill_task": (c_status, (c_driver_p,) + _BYTES),
    "mesos_sched_driver_accept_offers": (
        c_status,
        (c_driver_p,) + _ARRAY + _ARRAY + _BYTES,
    ),
    "mesos_sched_driver_decline_offer": (c_status, (c_driver_p,) + _BYTES + _BYTES),
    "mesos_sched_driver_revive_offers": (c_status, (c_driver_p,) + _STRS),
    "mesos_sched_driver_suppress_offers": (c_status, (c_driver_p,) + _STRS),
    "mesos_sched_driver_acknowledge_status_update": (c_status, (c_driver_p,) + _BYTES),
    "mesos_sched_driver_send_framework_message": (
        c_status,
        (c_driver_p,) + _BYTES + _BYTES + _BYTES,
    ),
    "mesos_sched_driver_reconcile_tasks": (c_status, (c_driver_p,) + _ARRAY),
    "mesos_sched_driver_update_framework": (
        c_status,
        (c_driver_p,) + _BYTES + _STRS + _BYTES,
    ),
    "mesos_sched_driver_status": (c_status, (c_driver_p,)),
    "mesos_sched_driver_poll": (
        c_status,
        (c_driver_p, ctypes.c_int32, ctypes.POINTER(ctypes.c_size_t)),
    ),
    "mesos_sched_driver_event_fd": (c_status, (c_driver_p, ctypes.POINTER(ctypes.c_int))),
    "mesos_sched_driver_free": (None, (c_driver_p,)),
    "mesos_sched_driver_last_error": (
        ctypes.c_size_t,
        (c_driver_p, ctypes.c_char_p, ctypes.c_size_t),
    ),
    "mesos_sched_version": (ctypes.c_char_p, ()),
}

_lock = threading.Lock()
_loaded: Optional[Tuple[ctypes.CDLL, str]] = None


def _package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def candidates() -> List[str]:
    """The places tried, in order (the env var alone when it is set)."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return [explicit]
    found: List[str] = []
    bundle_dir = os.path.join(_package_dir(), "_lib")
    found.extend(os.path.join(bundle_dir, name) for name in _BUNDLED_NAMES)
    # setuptools-rust gives the library an extension-module suffix
    # (libmesos_sched.cpython-311-x86_64-linux-gnu.so); the wheel serves any Python 3.
    found.extend(sorted(glob.glob(os.path.join(bundle_dir, "libmesos_sched.*.so"))))
    system = ctypes.util.find_library("mesos_sched")
    if system:
        found.append(system)
    found.extend(_SYSTEM_NAMES)
    return found


def _declare(lib: ctypes.CDLL) -> None:
    missing = []
    for name, (restype, argtypes) in _PROTOTYPES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = list(argtypes)
    if missing:
        raise LibraryNotFoundError(
            "the loaded libmesos_sched lacks the symbols %s: is it a build of this ABI?"
            % ", ".join(missing)
        )


def load_library() -> ctypes.CDLL:
    """Loads libmesos_sched once per process and returns it (prototypes declared).

    Raises LibraryNotFoundError listing every path tried and why each failed.
    """
    global _loaded
    with _lock:
        if _loaded is not None:
            return _loaded[0]
        explicit = bool(os.environ.get(ENV_VAR))
        failures: List[str] = []
        for path in candidates():
            is_file_path = os.sep in path
            if is_file_path and not explicit and not os.path.exists(path):
                failures.append("%s: no such file" % path)
                continue
            try:
                lib = ctypes.CDLL(path)
            except OSError as err:
                failures.append("%s: %s" % (path, err))
                continue
            _declare(lib)
            _loaded = (lib, path)
            return lib
        how = (
            "%s is set" % ENV_VAR
            if explicit
            else "set %s to the path of libmesos_sched.so, bundle it in %s, "
            "or install it on the system library path" % (ENV_VAR, os.path.join(_package_dir(), "_lib"))
        )
        raise LibraryNotFoundError(
            "cannot load libmesos_sched (%s). Tried:\n  %s" % (how, "\n  ".join(failures))
        )


def library_path() -> str:
    """The path (or loader name) the library was loaded from; loads it if needed."""
    load_library()
    assert _loaded is not None
    return _loaded[1]


def library_version() -> str:
    """``mesos_sched_version()`` of the loaded library, e.g. "0.1.0"."""
    raw = load_library().mesos_sched_version()
    return raw.decode("utf-8") if raw else ""
