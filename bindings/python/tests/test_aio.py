"""mesos_sched.aio against mesos-local: callbacks on the event loop's thread, tasks
launched and their updates acknowledged, stop/cancel, and a loop that keeps running."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, List, Optional

import pytest

import mesos_sched
from mesos_sched import MesosSchedulerDriver
from mesos_sched.aio import AsyncDriver
from mesos_sched.v1 import mesos_pb2

from conftest import EVENT_TIMEOUT, framework_info
from helpers import TERMINAL, command_task, unique


class AsyncRecorder:
    """Records callbacks with the thread they ran on; launches one task on the first
    offer and declines the others."""

    def __init__(self, command: str = "true") -> None:
        self.command = command
        self.threads: set = set()
        self.loops: set = set()
        self.names: List[str] = []
        self.statuses: List[Any] = []
        self.task_id = ""
        self.registered_id = ""
        self.changed = asyncio.Event()

    def _seen(self, name: str) -> None:
        self.names.append(name)
        self.threads.add(threading.get_ident())
        # Raises RuntimeError unless a loop runs on this thread.
        self.loops.add(asyncio.get_running_loop())
        self.changed.set()

    def registered(self, driver: Any, frameworkId: Any, masterInfo: Any) -> None:
        self.registered_id = frameworkId.value
        self._seen("registered")

    def resourceOffers(self, driver: Any, offers: List[Any]) -> None:
        self._seen("resourceOffers")
        for offer in offers:
            if not self.task_id:
                task = command_task(offer, self.command)
                self.task_id = task.task_id.value
                driver.launchTasks(offer.id, [task])
            else:
                driver.declineOffer(offer.id)

    def statusUpdate(self, driver: Any, status: Any) -> None:
        self.statuses.append(status)
        self._seen("statusUpdate")

    def error(self, driver: Any, message: str) -> None:
        self._seen("error")

    async def until(self, predicate: Any, timeout: float = EVENT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            self.changed.clear()
            remaining = deadline - time.monotonic()
            assert remaining > 0, "not within %.0f s; callbacks: %s" % (timeout, self.names)
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass


def finished(recorder: AsyncRecorder) -> bool:
    return any(s.state in TERMINAL for s in recorder.statuses if s.task_id.value == recorder.task_id)


def unacknowledged(cluster: Any, framework_id: str) -> Any:
    for framework in cluster.state()["frameworks"]:
        if framework["id"] == framework_id:
            return framework.get("unacknowledged_updates")
    return None


def test_register_launch_acknowledge_and_stop_on_the_loop(mesos_local: Any) -> None:
    recorder = AsyncRecorder()

    async def main() -> Optional[int]:
        driver = MesosSchedulerDriver(recorder, framework_info(unique("aio")), mesos_local.master)
        async with AsyncDriver(driver) as running:
            await recorder.until(lambda: finished(recorder))
            assert recorder.threads == {threading.get_ident()}
            assert recorder.loops == {asyncio.get_running_loop()}
            # Every update was acknowledged implicitly once statusUpdate returned.
            deadline = time.monotonic() + EVENT_TIMEOUT
            while unacknowledged(mesos_local, recorder.registered_id) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert unacknowledged(mesos_local, recorder.registered_id) in ([], 0, {})
            status = await running.stop()
        assert driver.status == mesos_sched.DRIVER_STOPPED
        return status

    assert asyncio.run(main()) == mesos_sched.DRIVER_STOPPED
    states = [s.state for s in recorder.statuses if s.task_id.value == recorder.task_id]
    assert states[-1] == mesos_pb2.TASK_FINISHED and mesos_pb2.TASK_RUNNING in states
    # stop() without failover tore the framework down.
    mesos_local.wait_framework_removed(recorder.registered_id)


def test_run_returns_when_a_callback_stops_the_driver(mesos_local: Any) -> None:
    class Stopper(AsyncRecorder):
        def statusUpdate(self, driver: Any, status: Any) -> None:
            super().statusUpdate(driver, status)
            if status.state in TERMINAL:
                driver.stop()

    recorder = Stopper()

    async def main() -> int:
        driver = MesosSchedulerDriver(recorder, framework_info(unique("aio-run")), mesos_local.master)
        return await asyncio.wait_for(AsyncDriver(driver).run(), EVENT_TIMEOUT)

    assert asyncio.run(main()) == mesos_sched.DRIVER_STOPPED
    assert finished(recorder)


def test_the_loop_keeps_running_while_the_driver_works(mesos_local: Any) -> None:
    # A ticker shares the loop with the driver from subscription to the task's end: the
    # loop is never held for long (callbacks run only when the event fd is readable).
    recorder = AsyncRecorder(command="sleep 0.5")
    gaps: List[float] = []

    async def ticker(stop: asyncio.Event) -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    async def main() -> None:
        stop = asyncio.Event()
        ticking = asyncio.ensure_future(ticker(stop))
        driver = MesosSchedulerDriver(recorder, framework_info(unique("aio-tick")), mesos_local.master)
        async with AsyncDriver(driver):
            await recorder.until(lambda: finished(recorder))
        stop.set()
        await ticking

    started = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - started
    assert finished(recorder)
    # Ticking the whole time (about one per 10 ms, allowing for a loaded machine)...
    assert len(gaps) > elapsed / 0.01 / 4, (len(gaps), elapsed)
    # ...and never held up for long.
    assert max(gaps) < 0.25, max(gaps)


def test_coroutine_callbacks_run_as_tasks_and_their_errors_abort(mesos_local: Any, capfd: Any) -> None:
    awaited: List[str] = []

    class Async:
        async def registered(self, driver: Any, frameworkId: Any, masterInfo: Any) -> None:
            # Still sleeping when the offers' task has aborted the driver.
            await asyncio.sleep(0.3)
            awaited.append(frameworkId.value)

        async def resourceOffers(self, driver: Any, offers: List[Any]) -> None:
            await asyncio.sleep(0)
            raise ValueError("broken offers handler")

    async def main() -> int:
        driver = MesosSchedulerDriver(Async(), framework_info(unique("aio-coro")), mesos_local.master)
        return await asyncio.wait_for(AsyncDriver(driver).run(), EVENT_TIMEOUT)

    assert asyncio.run(main()) == mesos_sched.DRIVER_ABORTED
    # run() returned after the callbacks' tasks, the sleeping one included.
    assert len(awaited) == 1 and awaited[0], awaited
    err = capfd.readouterr().err
    assert "ValueError: broken offers handler" in err and "aborting the driver" in err


def test_cancelling_run_stops_the_driver(mesos_local: Any) -> None:
    recorder = AsyncRecorder(command="sleep 600")

    async def main() -> MesosSchedulerDriver:
        driver = MesosSchedulerDriver(recorder, framework_info(unique("aio-cancel")), mesos_local.master)
        running = asyncio.ensure_future(AsyncDriver(driver).run())
        await recorder.until(
            lambda: any(s.state == mesos_pb2.TASK_RUNNING for s in recorder.statuses)
        )
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        return driver

    driver = asyncio.run(main())
    assert driver.status == mesos_sched.DRIVER_STOPPED
    mesos_local.wait_framework_removed(recorder.registered_id)


def test_async_driver_refuses_thread_mode_and_misuse(mesos_local: Any) -> None:
    thread_mode = MesosSchedulerDriver(AsyncRecorder(), framework_info(), mesos_local.master, dispatch="thread")
    with pytest.raises(ValueError, match="dispatch='poll'"):
        AsyncDriver(thread_mode)
    with pytest.raises(TypeError):
        AsyncDriver("not a driver")  # type: ignore[arg-type]
    driver = MesosSchedulerDriver(AsyncRecorder(), framework_info(), mesos_local.master)
    wrapper = AsyncDriver(driver)
    # start() needs a running loop.
    with pytest.raises(RuntimeError):
        wrapper.start()

    async def twice() -> None:
        async with wrapper:
            with pytest.raises(RuntimeError, match="already been started"):
                wrapper.start()
            await wrapper.abort()

    asyncio.run(twice())
    assert driver.status == mesos_sched.DRIVER_ABORTED

    # A driver whose callbacks a start() thread serves is not served twice.
    started = MesosSchedulerDriver(AsyncRecorder(), framework_info(), mesos_local.master)
    assert started.start() == mesos_sched.DRIVER_RUNNING

    async def served_elsewhere() -> None:
        with pytest.raises(RuntimeError, match="started elsewhere"):
            AsyncDriver(started).start()

    asyncio.run(served_elsewhere())
    assert started.stop() == mesos_sched.DRIVER_STOPPED
    assert started.join() == mesos_sched.DRIVER_STOPPED
