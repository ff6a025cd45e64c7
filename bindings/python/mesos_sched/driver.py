"""MesosSchedulerDriver: the classic driver API over libmesos_sched's C ABI (ctypes).

Threading model
---------------
* Every foreign call releases the GIL (ctypes.CDLL), so ``join()``/``run()`` block
  without stalling other Python threads.
* Callbacks run one at a time on Python threads (the library's poll mode,
  ``dispatch="poll"``, the default): on the thread in ``run()``/``join()`` while it
  waits, else on a thread of this binding started by ``start()`` (``mesos-sched-poll``),
  which hands over to a later ``join()``. So no Python thread state is created per
  callback and ``threading.local`` persists between callbacks. ``dispatch="thread"``
  keeps the library's own dispatcher thread (the ctypes thunks then take the GIL, and
  a thread state is made, for every callback).
* The ctypes callback objects live as long as the driver object, and a started driver
  is kept alive by a module registry until it is stopped, aborted or joined, so the
  library never calls into freed thunks even if the user drops every reference.
* An exception escaping a callback is printed with its traceback and aborts the driver
  (as mesos.native did); it never propagates into the library or kills the process.
* ``join()``/``run()`` on the main thread stay interruptible: Ctrl-C stops the driver
  at once (``stop()``, failover per ``interrupt_failover``), also in the middle of a
  callback running on that thread, which is never interrupted itself; once that
  callback has returned and the driver is joined, KeyboardInterrupt is raised.
* Shutdown in any order is safe for a callback still running: the library's join
  returns, and its free returns, only after that callback has returned, and the handle
  stays valid until free has returned, so the callback's driver calls return the
  stopped/aborted status (as mesos.native's did) instead of failing.
"""

from __future__ import annotations

import atexit
import ctypes
import signal
import sys
import threading
import traceback
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union

from . import _library
from . import _messages as m
from ._status import (
    DRIVER_ABORTED,
    DRIVER_RUNNING,
    DRIVER_STOPPED,
    error_for,
)
from .scheduler import SchedulerDriver

__all__ = ["MesosSchedulerDriver"]

# How long one mesos_sched_driver_poll waits for a callback before the serving loop gets
# control back: bounds the delay of Ctrl-C on the main thread and of a join() taking
# over from the start() thread, not the delay of callbacks (poll returns as soon as one
# ran).
_POLL_SLICE_MS = 100

# Drivers that may still call back into Python: kept alive here (see module docstring).
_live: Set["MesosSchedulerDriver"] = set()
_live_lock = threading.Lock()
# Every driver with a handle, and the threads freeing handles released inside callbacks:
# all are freed/joined at exit (see _free_everything_at_exit).
_with_handle: "weakref.WeakSet[MesosSchedulerDriver]" = weakref.WeakSet()
_freeing: List[threading.Thread] = []


def _keep_alive(driver: "MesosSchedulerDriver") -> None:
    with _live_lock:
        _live.add(driver)


def _release(driver: "MesosSchedulerDriver") -> None:
    with _live_lock:
        _live.discard(driver)


@atexit.register
def _free_everything_at_exit() -> None:
    # Once the interpreter finalizes, a library thread that enters a callback (or
    # returns from a driver call made inside one) to take the GIL is killed with a
    # forced unwind, which aborts the process when it crosses the library's frames.
    # So, while threads can still take the GIL: abort the drivers still running (no
    # teardown, like a process exit with the legacy driver), then free every handle;
    # free joins the library's threads, letting a callback in progress finish.
    with _live_lock:
        _live.clear()
    for driver in list(_with_handle):
        try:
            if driver._handle:
                driver._lib.mesos_sched_driver_abort(driver._handle)
            driver._free()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    for thread in list(_freeing):
        thread.join()


def _copy(address: Optional[int], length: int) -> bytes:
    """Copies callback bytes (valid only during the callback) into a Python bytes."""
    if not length or address is None:
        return b""
    return ctypes.string_at(address, length)


def _copy_array(addresses: Any, lengths: Any, count: int) -> List[bytes]:
    return [_copy(addresses[i], lengths[i]) for i in range(count)]


def _byte_array(items: List[bytes]) -> Tuple[Any, Any, int]:
    """(const uint8_t *const *, const size_t *, count); NULL pointers when empty.

    The ctypes arrays hold references to the bytes objects, whose buffers the library
    borrows for the duration of the call.
    """
    count = len(items)
    if count == 0:
        return None, None, 0
    pointers = (ctypes.c_char_p * count)(*items)
    lengths = (ctypes.c_size_t * count)(*[len(item) for item in items])
    return pointers, lengths, count


def _string_array(items: Optional[List[bytes]]) -> Tuple[Any, int]:
    """(const char *const *, count); NULL with count 0 for None or an empty list (the
    callers give NULL its meaning: "all roles" for revive/suppress, "none" for
    updateFramework's suppressed roles)."""
    if not items:
        return None, 0
    return (ctypes.c_char_p * len(items))(*items), len(items)


def _last_error(lib: Any, handle: Optional[int]) -> str:
    """The library's message for the last failed call on handle (None: on this thread)."""
    size = 512
    while True:
        buf = ctypes.create_string_buffer(size)
        full = lib.mesos_sched_driver_last_error(handle, buf, size)
        if full < size:
            return buf.value.decode("utf-8", "replace")
        size = full + 1


def _optional(data: Optional[bytes]) -> Tuple[Optional[bytes], int]:
    return (None, 0) if data is None else (data, len(data))


def _filters(filters: Optional[Any]) -> Tuple[Optional[bytes], int]:
    """An optional Filters message as (bytes or NULL, length)."""
    return _optional(m.optional_bytes(filters, "filters", m.FILTERS))


def _option_value(key: str, value: Any) -> bytes:
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, (int, float)):
        value = str(value)
    elif isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return m.c_string(value, "options[%r]" % key)


class MesosSchedulerDriver(SchedulerDriver):
    """The classic scheduler driver (``mesos.native.MesosSchedulerDriver`` API).

    Args:
        scheduler: an object with the :class:`mesos_sched.Scheduler` callbacks (missing
            ones are treated as no-ops).
        framework: a FrameworkInfo message (v1, v0 or any wire-compatible object with
            ``SerializeToString()``). An empty ``user`` is filled with the OS user.
        master: ``host:port``, ``http(s)://host:port``, ``zk://...``, ``file://...``.
        implicitAcknowledgements: acknowledge each status update when statusUpdate()
            returns (default); with False, call acknowledgeStatusUpdate() yourself.
        credential: an optional Credential message (principal, secret).
        suppressedRoles: roles whose offers are suppressed from the first subscription.
        messages: the family callbacks receive: ``"v1"`` (default, the shipped
            ``mesos_sched.v1.mesos_pb2``), ``"v0"`` (``mesos.interface.mesos_pb2``), or
            a module of generated Mesos message classes.
        options: library options set before start, e.g. ``{"log.level": "debug",
            "heartbeat.timeout_factor": 5}`` (see the library's option list).
        dispatch: where callbacks run: ``"poll"`` (default) on Python threads (the
            one in run()/join(), else a thread started by start()); ``"thread"`` on the
            library's dispatcher thread, as before poll mode (a Python thread state is
            created for every callback, so threading.local does not persist).

    Every method returns the driver's status as an int (``mesos_sched.DRIVER_*``).
    Wrong argument types raise TypeError, unusable values ValueError, and usage errors
    the library reports raise :class:`mesos_sched.MesosSchedError` subclasses.
    """

    #: Ctrl-C during join()/run() calls ``stop(failover=interrupt_failover)``.
    interrupt_failover: bool = False

    _handle: Optional[int] = None

    def __init__(
        self,
        scheduler: Any,
        framework: Any,
        master: Union[str, bytes],
        implicitAcknowledgements: Union[bool, int] = True,
        credential: Optional[Any] = None,
        suppressedRoles: Optional[Sequence[str]] = None,
        *,
        messages: m.FamilySpec = None,
        options: Optional[Mapping[str, Any]] = None,
        dispatch: str = "poll",
    ) -> None:
        if scheduler is None:
            raise TypeError("scheduler must be a Scheduler object, not None")
        if not isinstance(implicitAcknowledgements, (bool, int)):
            raise TypeError(
                "implicitAcknowledgements must be a bool, not %s"
                % type(implicitAcknowledgements).__name__
            )
        framework_bytes = m.to_bytes(framework, "framework", m.FRAMEWORK_INFO)
        master_bytes = m.c_string(master, "master")
        if not master_bytes.strip():
            raise ValueError("master must not be empty (e.g. '127.0.0.1:5050')")
        credential_bytes = m.optional_bytes(credential, "credential", m.CREDENTIAL)
        roles = m.string_list(suppressedRoles, "suppressedRoles", allow_none=True)
        if roles and any(b"," in role for role in roles):
            raise ValueError("suppressedRoles: a role name cannot contain ','")
        if dispatch not in ("poll", "thread"):
            raise ValueError("dispatch must be 'poll' or 'thread', not %r" % (dispatch,))
        if options is not None and not isinstance(options, Mapping):
            raise TypeError("options must be a mapping of str to value, not %s" % type(options).__name__)
        option_items: List[Tuple[bytes, bytes]] = []
        for key, value in (options or {}).items():
            if key == "dispatch":
                raise ValueError("options: set 'dispatch' with the dispatch= argument")
            option_items.append((m.c_string(key, "options key"), _option_value(key, value)))

        self._lib = _library.load_library()
        self._scheduler = scheduler
        self._family = m.resolve_family(messages)
        self._implicit_acks = bool(implicitAcknowledgements)
        self._poll_mode = dispatch == "poll"
        # The thread running one of our callbacks right now (None between callbacks).
        self._callback_thread: Optional[int] = None
        # dispatch="thread": the library's dispatcher thread(s), kept after a callback
        # returns, since the thunk's own frames still run there (see _free).
        self._dispatcher_threads: Set[int] = set()
        # Poll mode: the thread start() made to serve callbacks, and the request that it
        # leave them to a join() on another thread.
        self._poller: Optional[threading.Thread] = None
        self._handover = threading.Event()
        # Set by the first start()/run()/AsyncDriver.start(): who serves the callbacks
        # is chosen once (a later start() of a running driver makes no second server).
        self._server_chosen = False
        self._server_lock = threading.Lock()
        # Called with what a callback returned when that is not None (mesos_sched.aio
        # schedules returned coroutines).
        self._result_sink: Optional[Callable[[Any], None]] = None
        # Set once a free has begun: only a finishing callback may still use the handle.
        self._freeing = False
        self._free_lock = threading.Lock()
        self._vtable, self._thunks = self._build_vtable()

        handle = ctypes.c_void_p()
        credential_arg, credential_len = _optional(credential_bytes)
        status = self._lib.mesos_sched_driver_new(
            ctypes.byref(self._vtable),
            None,
            framework_bytes,
            len(framework_bytes),
            master_bytes,
            credential_arg,
            credential_len,
            self._implicit_acks,
            ctypes.byref(handle),
        )
        if status < 0 or not handle.value:
            # No handle: the message is the last handle-less error of this thread.
            raise error_for("MesosSchedulerDriver()", status, _last_error(self._lib, None))
        self._handle = handle.value
        _with_handle.add(self)
        if self._poll_mode:
            self._set_option(b"dispatch", b"poll")
        if roles:
            self._set_option(b"suppressed_roles", b",".join(roles))
        for option_key, option_value in option_items:
            self._set_option(option_key, option_value)

    # ------------------------------------------------------------------ plumbing

    def _last_error(self) -> str:
        return _last_error(self._lib, self._handle)

    def _check(self, call: str, status: int) -> int:
        if status < 0:
            raise error_for(call, status, self._last_error())
        return int(status)

    def _live_handle(self, call: str) -> int:
        handle = self._handle
        # A callback finishing while the handle is freed may still call: the library
        # answers it with the stopped/aborted status. Any other thread must not.
        if not handle or (self._freeing and not self._in_own_callback()):
            raise RuntimeError("%s: the driver has been freed" % call)
        return handle

    def _set_option(self, key: bytes, value: bytes) -> None:
        handle = self._live_handle("set option")
        status = self._lib.mesos_sched_driver_set_option(handle, key, value)
        if status < 0:
            raise error_for(
                "option %s=%s" % (key.decode("utf-8"), value.decode("utf-8")), status, self._last_error()
            )

    def _in_own_callback(self) -> bool:
        # In thread mode Python code runs on the dispatcher thread only inside (or at the
        # very end of) our callbacks.
        ident = threading.get_ident()
        return ident == self._callback_thread or ident in self._dispatcher_threads

    # ------------------------------------------------------------------ callbacks

    def _build_vtable(self) -> Tuple[_library.SchedulerStruct, Dict[str, Any]]:
        # Thunks reach the driver through a weak reference, so they form no cycle and a
        # stopped, unreferenced driver is freed at once (as the legacy binding did).
        this = weakref.ref(self)
        family = self._family
        scheduler = self._scheduler

        def dispatch(method_name: str, build_args: Callable[[], Tuple[Any, ...]]) -> None:
            driver = this()
            if driver is None:
                return
            ident = threading.get_ident()
            if not driver._poll_mode:
                driver._dispatcher_threads.add(ident)
            driver._callback_thread = ident
            try:
                method = getattr(driver._scheduler, method_name, None)
                if method is not None:
                    result = method(driver, *build_args())
                    if result is not None and driver._result_sink is not None:
                        driver._result_sink(result)
            except BaseException:  # noqa: BLE001 - nothing may unwind into the library
                driver._callback_failed(method_name)
            finally:
                driver._callback_thread = None

        def one_message(method_name: str, message_type: str) -> Callable[..., None]:
            """A callback passing on one message of the family's ``message_type``."""

            def callback(_ud: Any, _d: Any, data: Optional[int], length: int) -> None:
                dispatch(
                    method_name,
                    lambda: (family.parse(getattr(family, message_type), _copy(data, length)),),
                )

            return callback

        def message_list(method_name: str, message_type: str) -> Callable[..., None]:
            """A callback passing on a list of messages of the family's ``message_type``."""

            def callback(_ud: Any, _d: Any, data: Any, lengths: Any, count: int) -> None:
                dispatch(
                    method_name,
                    lambda: (
                        [
                            family.parse(getattr(family, message_type), item)
                            for item in _copy_array(data, lengths, count)
                        ],
                    ),
                )

            return callback

        def registered(_ud, _d, fid, fid_len, info, info_len):  # type: ignore[no-untyped-def]
            dispatch(
                "registered",
                lambda: (
                    family.parse(family.FrameworkID, _copy(fid, fid_len)),
                    family.parse(family.MasterInfo, _copy(info, info_len)),
                ),
            )

        def disconnected(_ud, _d):  # type: ignore[no-untyped-def]
            dispatch("disconnected", lambda: ())

        def framework_message(_ud, _d, eid, eid_len, aid, aid_len, data, data_len):  # type: ignore[no-untyped-def]
            dispatch(
                "frameworkMessage",
                lambda: (
                    family.parse(family.ExecutorID, _copy(eid, eid_len)),
                    family.parse(family.AgentID, _copy(aid, aid_len)),
                    _copy(data, data_len),
                ),
            )

        def executor_lost(_ud, _d, eid, eid_len, aid, aid_len, status):  # type: ignore[no-untyped-def]
            dispatch(
                "executorLost",
                lambda: (
                    family.parse(family.ExecutorID, _copy(eid, eid_len)),
                    family.parse(family.AgentID, _copy(aid, aid_len)),
                    int(status),
                ),
            )

        def error(_ud, _d, msg, msg_len):  # type: ignore[no-untyped-def]
            dispatch("error", lambda: (_copy(msg, msg_len).decode("utf-8", "replace"),))

        def heartbeat(_ud, _d):  # type: ignore[no-untyped-def]
            dispatch("heartbeat", lambda: ())

        python_callbacks = {
            "registered": registered,
            "reregistered": one_message("reregistered", "MasterInfo"),
            "disconnected": disconnected,
            "resource_offers": message_list("resourceOffers", "Offer"),
            "offer_rescinded": one_message("offerRescinded", "OfferID"),
            "status_update": one_message("statusUpdate", "TaskStatus"),
            "framework_message": framework_message,
            "slave_lost": one_message("slaveLost", "AgentID"),
            "executor_lost": executor_lost,
            "error": error,
            "inverse_offers": message_list("inverseOffers", "InverseOffer"),
            "inverse_offer_rescinded": one_message("inverseOfferRescinded", "OfferID"),
            "operation_status": one_message("operationStatusUpdate", "OperationStatus"),
            "heartbeat": heartbeat,
        }
        # Extension callbacks beyond the classic API stay NULL unless the scheduler has
        # the method: NULL tells the library nobody is interested.
        extensions = {
            "inverse_offers": "inverseOffers",
            "inverse_offer_rescinded": "inverseOfferRescinded",
            "operation_status": "operationStatusUpdate",
            "heartbeat": "heartbeat",
        }
        vtable = _library.SchedulerStruct()
        vtable.struct_size = ctypes.sizeof(_library.SchedulerStruct)
        thunks: Dict[str, Any] = {}
        for member, cfunctype in _library.SCHEDULER_VTABLE:
            wanted = extensions.get(member)
            if wanted is not None and not callable(getattr(scheduler, wanted, None)):
                continue
            thunk = cfunctype(python_callbacks[member])
            thunks[member] = thunk
            setattr(vtable, member, thunk)
        return vtable, thunks

    def _callback_failed(self, method_name: str) -> None:
        """Prints the traceback of the active exception and aborts, as mesos.native did."""
        try:
            traceback.print_exc()
            sys.stderr.write("mesos_sched: exception in Scheduler.%s: aborting the driver\n" % method_name)
        finally:
            try:
                if self._handle:
                    self._lib.mesos_sched_driver_abort(self._handle)
            except BaseException:  # noqa: BLE001 - never unwind into the library
                pass

    # ------------------------------------------------------------------ life cycle

    def start(self) -> int:
        """Starts the driver; returns DRIVER_RUNNING, or the status it was already in.

        In poll mode a thread of this binding then serves the callbacks until the driver
        stops, or until join() takes over on its own thread.
        """
        status = self._start("start")
        if status == DRIVER_RUNNING and self._poll_mode and self._choose_server():
            handle = self._live_handle("start")
            self._poller = threading.Thread(
                target=self._serve_in_background, args=(handle,), name="mesos-sched-poll", daemon=True
            )
            self._poller.start()
        return status

    def _choose_server(self) -> bool:
        """True for the first caller only: it serves (or arranges serving) the callbacks."""
        with self._server_lock:
            chosen, self._server_chosen = self._server_chosen, True
        return not chosen

    def _start(self, call: str) -> int:
        """Starts the library's driver without choosing who serves the callbacks."""
        handle = self._live_handle(call)
        _keep_alive(self)
        try:
            status = self._check(call, self._lib.mesos_sched_driver_start(handle))
        except BaseException:
            _release(self)
            raise
        if status != DRIVER_RUNNING:
            _release(self)
        return status

    def stop(self, failover: bool = False) -> int:
        """Stops the driver; without failover the framework is torn down (tasks killed).

        Returns DRIVER_ABORTED if the driver had been aborted, else DRIVER_STOPPED.
        """
        if not isinstance(failover, (bool, int)):
            raise TypeError("failover must be a bool, not %s" % type(failover).__name__)
        handle = self._live_handle("stop")
        status = self._check("stop", self._lib.mesos_sched_driver_stop(handle, bool(failover)))
        if status in (DRIVER_STOPPED, DRIVER_ABORTED):
            # No callback starts after this; free() joins one still running.
            _release(self)
        return status

    def abort(self) -> int:
        """Aborts: no more callbacks, no teardown (tasks keep running); releases join()."""
        handle = self._live_handle("abort")
        status = self._check("abort", self._lib.mesos_sched_driver_abort(handle))
        if status == DRIVER_ABORTED:
            _release(self)
        return status

    def join(self) -> int:
        """Blocks until the driver is stopped or aborted and returns its final status.

        In poll mode the calling thread serves the callbacks while it waits (taking over
        from the thread start() made). Not allowed inside a callback
        (CalledFromCallbackError). On the main thread the wait is interruptible: Ctrl-C
        stops the driver, then KeyboardInterrupt is raised.
        """
        handle = self._live_handle("join")
        if self._in_own_callback():
            return self._check("join", self._lib.mesos_sched_driver_join(handle))
        # The library's join returns only after a callback in progress has returned.
        status = self._serve_until_finished(handle) if self._poll_mode else self._blocking_join(handle)
        if status in (DRIVER_STOPPED, DRIVER_ABORTED):
            _release(self)
        return status

    def run(self) -> int:
        """start() then join() on the calling thread, which serves the callbacks (poll
        mode); returns the final status (or start()'s if not RUNNING)."""
        handle = self._live_handle("run")
        if self._in_own_callback():
            return self._check("run", self._lib.mesos_sched_driver_run(handle))
        if not self._poll_mode:
            status = self.start()
        else:
            self._choose_server()  # this thread serves, in join() below
            status = self._start("run")
        if status != DRIVER_RUNNING:
            return status
        return self.join()

    def _serve_in_background(self, handle: int) -> None:
        """The start() thread: serves callbacks until the driver has finished or a join()
        on another thread takes over."""
        dispatched = ctypes.c_size_t()
        while not self._handover.is_set():
            status = self._lib.mesos_sched_driver_poll(handle, _POLL_SLICE_MS, ctypes.byref(dispatched))
            if status != DRIVER_RUNNING:
                if status in (DRIVER_STOPPED, DRIVER_ABORTED):
                    # Serves an error callback the library still owes, then returns
                    # once no callback runs.
                    self._lib.mesos_sched_driver_join(handle)
                return

    def _take_over_from_poller(self) -> None:
        """Makes the start() thread leave the callbacks to this thread; returns once it
        has left (after a callback it runs has returned)."""
        poller = self._poller
        if poller is None or poller is threading.current_thread():
            return
        self._handover.set()
        self._wait_for_poller()

    def _wait_for_poller(self) -> None:
        poller = self._poller
        if poller is None or poller is threading.current_thread():
            return
        # In slices: a main thread waiting here still handles signals.
        while poller.is_alive():
            poller.join(_POLL_SLICE_MS / 1000.0)

    def _serve_until_finished(self, handle: int) -> int:
        """Poll mode's join(): serves the callbacks on this thread until the driver has
        finished; the main thread keeps handling SIGINT meanwhile."""
        on_main = threading.current_thread() is threading.main_thread()
        try:
            self._take_over_from_poller()
        except KeyboardInterrupt:
            self.stop(failover=self.interrupt_failover)
            self._wait_for_poller()
            _release(self)
            raise
        if not on_main:
            # One call, which serves callbacks until the driver has finished.
            return self._check("join", self._lib.mesos_sched_driver_join(handle))
        interrupts: List[Tuple[int, Any]] = []
        previous = signal.getsignal(signal.SIGINT)

        def defer(signum: int, frame: Any) -> None:
            # Runs wherever this thread is, maybe inside a callback: never raises there.
            # Python's own handler means "stop": at once, so that the callback's driver
            # calls already see the driver stopped.
            interrupts.append((signum, frame))
            if previous is signal.default_int_handler:
                self._lib.mesos_sched_driver_stop(handle, bool(self.interrupt_failover))

        # SIG_IGN and SIG_DFL stay as they are; a Python handler runs between callbacks.
        deferring = callable(previous)
        if deferring:
            signal.signal(signal.SIGINT, defer)
        try:
            dispatched = ctypes.c_size_t()
            while True:
                status = self._check(
                    "join", self._lib.mesos_sched_driver_poll(handle, _POLL_SLICE_MS, ctypes.byref(dispatched))
                )
                while interrupts:
                    signum, frame = interrupts.pop(0)
                    assert callable(previous)
                    try:
                        previous(signum, frame)
                    except BaseException:
                        self.stop(failover=self.interrupt_failover)
                        self._lib.mesos_sched_driver_join(handle)
                        _release(self)
                        raise
                if status != DRIVER_RUNNING:
                    break
            # Serves an error callback the library still owes; returns once none runs.
            return self._check("join", self._lib.mesos_sched_driver_join(handle))
        finally:
            if deferring and signal.getsignal(signal.SIGINT) is defer:
                signal.signal(signal.SIGINT, previous)

    def _blocking_join(self, handle: int) -> int:
        """dispatch="thread": waits for the library's join (on a helper thread when on
        the main thread, so that Ctrl-C is handled)."""
        if threading.current_thread() is not threading.main_thread():
            return self._check("join", self._lib.mesos_sched_driver_join(handle))
        result: List[int] = []
        done = threading.Event()

        def joiner() -> None:
            try:
                result.append(self._lib.mesos_sched_driver_join(handle))
            finally:
                done.set()

        helper = threading.Thread(target=joiner, name="mesos-sched-join", daemon=True)
        helper.start()
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            self.stop(failover=self.interrupt_failover)
            done.wait()
            _release(self)
            raise
        return self._check("join", result[0])

    # ------------------------------------------------------------------ calls

    def _call(self, name: str, function: Callable[..., int], *args: Any) -> int:
        """Calls ``function(handle, *args)`` on the live handle; checks the status."""
        return self._check(name, function(self._live_handle(name), *args))

    def requestResources(self, requests: Sequence[Any]) -> int:
        """Asks for resources with a list of Request messages."""
        items = m.message_list(requests, "requests", m.REQUEST)
        return self._call(
            "requestResources", self._lib.mesos_sched_driver_request_resources, *_byte_array(items)
        )

    def launchTasks(self, offerIds: Any, tasks: Sequence[Any], filters: Optional[Any] = None) -> int:
        """Launches TaskInfos on an OfferID or a list of OfferIDs (same agent)."""
        offer_items = m.message_list(offerIds, "offerIds", m.OFFER_ID, allow_single=True)
        task_items = m.message_list(tasks, "tasks", m.TASK_INFO)
        return self._call(
            "launchTasks",
            self._lib.mesos_sched_driver_launch_tasks,
            *_byte_array(offer_items),
            *_byte_array(task_items),
            *_filters(filters),
        )

    def killTask(self, taskId: Any) -> int:
        """Kills the task with this TaskID."""
        data = m.to_bytes(taskId, "taskId", m.TASK_ID)
        return self._call("killTask", self._lib.mesos_sched_driver_kill_task, data, len(data))

    def acceptOffers(self, offerIds: Any, operations: Sequence[Any], filters: Optional[Any] = None) -> int:
        """Accepts offers with a list of Offer.Operation messages (no ``id`` set)."""
        offer_items = m.message_list(offerIds, "offerIds", m.OFFER_ID, allow_single=True)
        op_items = m.message_list(operations, "operations", m.OPERATION)
        return self._call(
            "acceptOffers",
            self._lib.mesos_sched_driver_accept_offers,
            *_byte_array(offer_items),
            *_byte_array(op_items),
            *_filters(filters),
        )

    def declineOffer(self, offerId: Any, filters: Optional[Any] = None) -> int:
        """Declines one offer, optionally with Filters (refuse_seconds)."""
        data = m.to_bytes(offerId, "offerId", m.OFFER_ID)
        return self._call(
            "declineOffer", self._lib.mesos_sched_driver_decline_offer, data, len(data), *_filters(filters)
        )

    def reviveOffers(self, roles: Optional[Sequence[str]] = None) -> int:
        """Revives offers for the roles (None = all roles)."""
        encoded = m.string_list(roles, "roles", allow_none=True)
        return self._call("reviveOffers", self._lib.mesos_sched_driver_revive_offers, *_string_array(encoded))

    def suppressOffers(self, roles: Optional[Sequence[str]] = None) -> int:
        """Suppresses offers for the roles (None = all roles)."""
        encoded = m.string_list(roles, "roles", allow_none=True)
        return self._call(
            "suppressOffers", self._lib.mesos_sched_driver_suppress_offers, *_string_array(encoded)
        )

    def acknowledgeStatusUpdate(self, status: Any) -> int:
        """Acknowledges a TaskStatus (explicit acknowledgements only)."""
        data = m.to_bytes(status, "status", m.TASK_STATUS)
        return self._call(
            "acknowledgeStatusUpdate", self._lib.mesos_sched_driver_acknowledge_status_update, data, len(data)
        )

    def sendFrameworkMessage(self, executorId: Any, slaveId: Any, data: bytes) -> int:
        """Sends bytes to an executor on an agent."""
        executor = m.to_bytes(executorId, "executorId", m.EXECUTOR_ID)
        agent = m.to_bytes(slaveId, "slaveId", m.AGENT_ID)
        payload = m.data_bytes(data, "data")
        return self._call(
            "sendFrameworkMessage",
            self._lib.mesos_sched_driver_send_framework_message,
            executor,
            len(executor),
            agent,
            len(agent),
            payload,
            len(payload),
        )

    def reconcileTasks(self, tasks: Sequence[Any]) -> int:
        """Reconciles a list of TaskStatus (task_id, slave_id); [] = all known tasks."""
        items = m.message_list(tasks, "tasks", m.TASK_STATUS)
        return self._call("reconcileTasks", self._lib.mesos_sched_driver_reconcile_tasks, *_byte_array(items))

    def updateFramework(
        self,
        frameworkInfo: Any,
        suppressedRoles: Optional[Sequence[str]] = None,
        offerConstraints: Optional[Any] = None,
    ) -> int:
        """Updates the FrameworkInfo (same id) and the suppressed roles while registered."""
        framework = m.to_bytes(frameworkInfo, "frameworkInfo", m.FRAMEWORK_INFO)
        roles = m.string_list(suppressedRoles, "suppressedRoles", allow_none=True) or []
        constraints = m.optional_bytes(offerConstraints, "offerConstraints", m.OFFER_CONSTRAINTS)
        return self._call(
            "updateFramework",
            self._lib.mesos_sched_driver_update_framework,
            framework,
            len(framework),
            *_string_array(roles),
            *_optional(constraints),
        )

    # ------------------------------------------------------------------ teardown

    def _free(self) -> None:
        """Frees the handle once; it stays set until the library's free has returned,
        which is after a callback in progress has returned."""
        with self._free_lock:
            handle = self._handle
            if not handle or self._freeing:
                return
            self._freeing = True
        _with_handle.discard(self)
        # The start() thread polls with the handle until the driver has finished (a
        # running driver is aborted first at exit, and __del__ never runs while that
        # thread holds the driver): no call of it may come after free.
        self._wait_for_poller()
        if self._in_own_callback():
            # Only __del__ frees here (the last reference dropped in a callback, which has
            # returned by then). The library cannot join its own dispatcher thread from
            # it: free on another thread, keeping the thunks alive until that is done.
            lib = self._lib
            keep_alive = [(self._vtable, self._thunks)]

            def free_later() -> None:
                lib.mesos_sched_driver_free(handle)
                del keep_alive[:]
                try:
                    _freeing.remove(threading.current_thread())
                except ValueError:
                    pass

            freeing = threading.Thread(target=free_later, name="mesos-sched-free", daemon=True)
            _freeing.append(freeing)
            freeing.start()
            return
        self._lib.mesos_sched_driver_free(handle)
        self._handle = None

    def __del__(self) -> None:
        try:
            self._free()
        except Exception:  # noqa: BLE001 - nothing to report to at collection time
            pass

    @property
    def status(self) -> int:
        """The driver's current status (DRIVER_*), without changing anything."""
        return self._check("status", self._lib.mesos_sched_driver_status(self._live_handle("status")))

    def __repr__(self) -> str:
        return "<%s handle=%s messages=%s>" % (
            type(self).__name__,
            hex(self._handle) if self._handle else None,
            self._family.name if hasattr(self, "_family") else "?",
        )
