"""Where callbacks run: poll mode (the default) serves them on Python threads, the one in
run()/join() or the thread start() makes; dispatch="thread" keeps the library's thread."""

from __future__ import annotations

import threading
from typing import Any, List

import pytest

import mesos_sched
from mesos_sched import MesosSchedulerDriver

from conftest import EVENT_TIMEOUT, Recorder, framework_info
from helpers import unique


class LocalKeeper(Recorder):
    """Keeps a value in a threading.local in `registered` and reads it back in the
    first resourceOffers, then stops the driver."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()
        self.seen_in_offers: List[Any] = []
        self.threads: List[threading.Thread] = []

    def registered(self, driver: Any, frameworkId: Any, masterInfo: Any) -> None:
        self.threads.append(threading.current_thread())
        self.local.value = frameworkId.value
        super().registered(driver, frameworkId, masterInfo)

    def resourceOffers(self, driver: Any, offers: List[Any]) -> None:
        self.threads.append(threading.current_thread())
        if not self.seen_in_offers:
            self.seen_in_offers.append(getattr(self.local, "value", None))
            driver.stop()
        super().resourceOffers(driver, offers)


def test_threading_local_persists_between_callbacks_in_run(mesos_local: Any) -> None:
    keeper = LocalKeeper()
    driver = MesosSchedulerDriver(keeper, framework_info(unique("local")), mesos_local.master)
    assert driver.run() == mesos_sched.DRIVER_STOPPED
    (framework_id,) = [args[0].value for name, args in keeper.events if name == "registered"]
    assert keeper.seen_in_offers == [framework_id]
    # run() served every callback on its own thread.
    assert set(keeper.threads) == {threading.current_thread()}


def test_thread_mode_loses_threading_local_between_callbacks(mesos_local: Any) -> None:
    # The opt-out keeps the library's dispatcher thread: ctypes makes a new Python thread
    # state for each callback, so what one callback keeps in a threading.local is gone.
    keeper = LocalKeeper()
    driver = MesosSchedulerDriver(
        keeper, framework_info(unique("local-thread")), mesos_local.master, dispatch="thread"
    )
    assert driver.run() == mesos_sched.DRIVER_STOPPED
    assert keeper.seen_in_offers == [None]
    assert threading.current_thread() not in keeper.threads


def test_start_serves_on_a_binding_thread_until_join_takes_over(mesos_local: Any) -> None:
    recorder = Recorder()
    joined = threading.Event()
    offer_threads: List[threading.Thread] = []

    def on_offers(driver: MesosSchedulerDriver, offers: List[Any]) -> None:
        offer_threads.append(threading.current_thread())
        if joined.is_set():
            driver.stop()
        else:
            # Another offer soon, for the join() below to serve.
            driver.declineOffer(offers[0].id, mesos_sched_filters(0))

    recorder.hooks["resourceOffers"] = on_offers
    driver = MesosSchedulerDriver(recorder, framework_info(unique("poller")), mesos_local.master)
    before = set(threading.enumerate())
    assert driver.start() == mesos_sched.DRIVER_RUNNING
    # A second start() of the running driver makes no second serving thread.
    assert driver.start() == mesos_sched.DRIVER_RUNNING
    new_threads = [t.name for t in set(threading.enumerate()) - before]
    assert new_threads == ["mesos-sched-poll"]
    recorder.wait_for("resourceOffers")
    (poller,) = set(offer_threads)
    assert poller.name == "mesos-sched-poll" and poller is not threading.current_thread()
    joined.set()
    assert driver.join() == mesos_sched.DRIVER_STOPPED
    # join() took over: the offer that stopped the driver ran on this thread.
    assert offer_threads[-1] is threading.current_thread()
    assert not poller.is_alive()


def mesos_sched_filters(refuse_seconds: float) -> Any:
    from mesos_sched.v1 import mesos_pb2

    return mesos_pb2.Filters(refuse_seconds=refuse_seconds)


def test_callbacks_never_overlap_when_join_takes_over(mesos_local: Any) -> None:
    # The start() thread and a join() on another thread hand the callbacks over: never
    # two at once.
    inside = threading.Lock()
    overlaps: List[str] = []
    recorder = Recorder()

    def guard(name: str) -> Any:
        def hook(*_: Any) -> None:
            if not inside.acquire(blocking=False):
                overlaps.append(name)
                return
            try:
                threading.Event().wait(0.01)
            finally:
                inside.release()

        return hook

    for name in ("registered", "resourceOffers", "statusUpdate"):
        recorder.hooks[name] = guard(name)
    driver = MesosSchedulerDriver(recorder, framework_info(unique("order")), mesos_local.master)
    driver.start()
    recorder.wait_for("registered")
    stopper = threading.Timer(0.5, driver.stop)
    stopper.start()
    joiner_result: List[int] = []
    joiner = threading.Thread(target=lambda: joiner_result.append(driver.join()))
    joiner.start()
    joiner.join(EVENT_TIMEOUT)
    stopper.join()
    assert joiner_result == [mesos_sched.DRIVER_STOPPED]
    assert overlaps == []
    assert recorder.names()[0] == "registered"


def test_dispatch_argument_is_checked(mesos_local: Any) -> None:
    with pytest.raises(ValueError, match="dispatch"):
        MesosSchedulerDriver(Recorder(), framework_info(), mesos_local.master, dispatch="fibers")
    with pytest.raises(ValueError, match="dispatch="):
        MesosSchedulerDriver(Recorder(), framework_info(), mesos_local.master, options={"dispatch": "thread"})
