"""asyncio integration: a driver's callbacks run on the event loop's thread.

    import asyncio
    from mesos_sched import MesosSchedulerDriver
    from mesos_sched.aio import AsyncDriver

    async def main():
        driver = MesosSchedulerDriver(MyScheduler(), framework, "127.0.0.1:5050")
        status = await AsyncDriver(driver).run()      # until the driver stops or aborts

    asyncio.run(main())

or, to stop it when a block ends::

    async with AsyncDriver(driver) as running:
        await something()
        # leaving the block: stop (teardown unless driver.interrupt_failover), joined

The driver's event descriptor (readable while callbacks are pending) is watched with
``loop.add_reader``; each time it is readable the pending callbacks run, one at a time
and in order, on the loop's thread, so they may use the loop (``asyncio.create_task``,
``loop.call_soon``, futures) without locks. A callback that returns an awaitable (an
``async def`` method) has it scheduled as a task on the loop; the driver call made when
the callback returns (the implicit acknowledgement of a status update) does not wait
for that task, so with ``async def statusUpdate`` use ``implicitAcknowledgements=False``
and acknowledge at the end of it. An exception escaping such a task is printed and
aborts the driver, as one escaping a plain callback does.

Callbacks still run synchronously on the loop: a slow one delays every other task of
the loop, and the pending callbacks of one readable event run back to back.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import traceback
from types import TracebackType
from typing import Any, Optional, Set, Type

from ._status import DRIVER_RUNNING
from .driver import MesosSchedulerDriver, _release

__all__ = ["AsyncDriver"]


class AsyncDriver:
    """Serves a :class:`mesos_sched.MesosSchedulerDriver` (``dispatch="poll"``, the
    default) from the running asyncio event loop.

    Use one AsyncDriver per driver, from coroutines of one loop; never call the
    driver's ``run()``/``join()`` meanwhile (they would serve the callbacks on their
    own thread).
    """

    def __init__(self, driver: MesosSchedulerDriver) -> None:
        if not isinstance(driver, MesosSchedulerDriver):
            raise TypeError("driver must be a MesosSchedulerDriver, not %s" % type(driver).__name__)
        if not driver._poll_mode:
            raise ValueError("AsyncDriver needs a driver made with dispatch='poll' (the default)")
        self.driver = driver
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._fd: Optional[int] = None
        self._finished: Optional["asyncio.Future[int]"] = None
        # Tasks of awaitables returned by callbacks: kept referenced until done.
        self._tasks: Set["asyncio.Task[Any]"] = set()

    # ------------------------------------------------------------------ life cycle

    def start(self) -> int:
        """Starts the driver with its callbacks served by the running loop; returns
        DRIVER_RUNNING, or the status the driver was already in (then nothing is served).
        Call it on the loop's thread (from a coroutine or a loop callback)."""
        loop = asyncio.get_running_loop()
        if self._finished is not None:
            raise RuntimeError("this AsyncDriver has already been started")
        driver = self.driver
        if not driver._choose_server():
            raise RuntimeError("the driver has been started elsewhere: its callbacks are served there")
        self._finished = loop.create_future()
        status = driver._start("AsyncDriver.start")
        if status != DRIVER_RUNNING:
            self._finished.set_result(status)
            return status
        handle = driver._live_handle("AsyncDriver.start")
        fd = ctypes.c_int(-1)
        driver._check("event_fd", driver._lib.mesos_sched_driver_event_fd(handle, ctypes.byref(fd)))
        self._loop, self._fd = loop, fd.value
        driver._result_sink = self._schedule
        # Level-triggered: callbacks pending already make the loop call _serve at once.
        loop.add_reader(self._fd, self._serve, handle)
        return status

    async def wait(self) -> int:
        """Waits until the driver has stopped or aborted, no callback runs and the tasks
        of the callbacks' awaitables are done; returns its final status
        (DRIVER_STOPPED or DRIVER_ABORTED)."""
        if self._finished is None:
            raise RuntimeError("AsyncDriver.wait() before start()")
        return await asyncio.shield(self._finished)

    async def run(self) -> int:
        """start(), then wait(). Cancelled (e.g. Ctrl-C under asyncio.run), it stops the
        driver (failover per ``driver.interrupt_failover``), waits for it, and re-raises."""
        status = self.start()
        if status != DRIVER_RUNNING:
            return status
        try:
            return await self.wait()
        except asyncio.CancelledError:
            self.driver.stop(failover=self.driver.interrupt_failover)
            await self.wait()
            raise

    async def stop(self, failover: bool = False) -> int:
        """Stops the driver (see MesosSchedulerDriver.stop) and waits until it has
        finished; returns its final status."""
        self.driver.stop(failover)
        return await self.wait()

    async def abort(self) -> int:
        """Aborts the driver and waits until it has finished; returns DRIVER_ABORTED."""
        self.driver.abort()
        return await self.wait()

    async def __aenter__(self) -> "AsyncDriver":
        status = self.start()
        if status != DRIVER_RUNNING:
            raise RuntimeError("the driver did not start: status %d" % status)
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        assert self._finished is not None
        if not self._finished.done():
            self.driver.stop(failover=self.driver.interrupt_failover)
        await self.wait()

    # ------------------------------------------------------------------ serving

    def _serve(self, handle: int) -> None:
        """The loop's reader callback: runs the pending callbacks without waiting."""
        driver = self.driver
        status = driver._lib.mesos_sched_driver_poll(handle, 0, None)
        if status != DRIVER_RUNNING:
            self._finish()

    def _finish(self) -> None:
        assert self._loop is not None and self._fd is not None and self._finished is not None
        self._loop.remove_reader(self._fd)
        # Left RUNNING: join returns at once, after running an error callback the
        # library still owes (on this thread).
        driver = self.driver
        try:
            handle = driver._live_handle("join")
            status = driver._check("join", driver._lib.mesos_sched_driver_join(handle))
            _release(driver)
        except BaseException as err:  # noqa: BLE001 - handed to whoever waits
            self._finished.set_exception(err)
            return
        finally:
            driver._result_sink = None
        if self._tasks:
            # As join() waits for a running callback: the callbacks' tasks finish first.
            self._loop.create_task(self._settle(status))
        else:
            self._finished.set_result(status)

    async def _settle(self, status: int) -> None:
        assert self._finished is not None
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._finished.set_result(status)

    def _schedule(self, result: Any) -> None:
        """Runs an awaitable a callback returned as a task of the loop."""
        if not asyncio.iscoroutine(result) and not isinstance(result, asyncio.Future):
            return
        assert self._loop is not None
        task = asyncio.ensure_future(result, loop=self._loop)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: "asyncio.Task[Any]") -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        assert error is not None
        traceback.print_exception(type(error), error, error.__traceback__)
        sys.stderr.write("mesos_sched: exception in a callback's task: aborting the driver\n")
        if self.driver._handle:
            self.driver._lib.mesos_sched_driver_abort(self.driver._handle)
