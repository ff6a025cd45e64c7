"""Shutdown in any order while a callback is still running: stop, join, del/GC,
interpreter exit, Ctrl-C. The running callback's driver calls must return the
stopped/aborted status (never raise), and join() must return only after it returned.
Each test runs with callbacks on Python threads (poll mode) and on the library's thread."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import textwrap
import threading
import time
import weakref
from typing import Any, List

import pytest

import mesos_sched
from mesos_sched import MesosSchedulerDriver

from conftest import EVENT_TIMEOUT, PYTHON, Recorder, framework_info, python_env
from helpers import unique

# How long a test lets a blocked callback sit before checking that join still waits.
STILL_WAITING = 0.3


class BlockingCallback:
    """A `registered` hook that signals `entered`, blocks until `release`, then makes a
    driver call and records its result (or the exception it raised)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.finished = threading.Event()
        self.results: List[Any] = []

    def __call__(self, driver: MesosSchedulerDriver, *_: Any) -> None:
        self.entered.set()
        assert self.release.wait(EVENT_TIMEOUT)
        # Long enough for a join() that did not wait for this callback to return first.
        time.sleep(0.2)
        try:
            self.results.append(driver.reviveOffers())
        except BaseException as err:  # noqa: BLE001 - the test reports it
            self.results.append(err)
        self.finished.set()


@pytest.fixture(params=["poll", "thread"])
def dispatch(request: Any) -> str:
    """Both places callbacks can run: Python threads (default) or the library's thread."""
    return str(request.param)


def started_blocked(mesos_local: Any, name: str, dispatch: str) -> Any:
    recorder = Recorder()
    hook = BlockingCallback()
    recorder.hooks["registered"] = hook
    driver = MesosSchedulerDriver(recorder, framework_info(unique(name)), mesos_local.master, dispatch=dispatch)
    driver.start()
    assert hook.entered.wait(EVENT_TIMEOUT)
    return driver, hook


def test_join_after_stop_waits_for_the_running_callback(mesos_local: Any, dispatch: str) -> None:
    driver, hook = started_blocked(mesos_local, "stop-join", dispatch)
    assert driver.stop() == mesos_sched.DRIVER_STOPPED
    joined: List[Any] = []

    def joiner() -> None:
        joined.append(driver.join())
        joined.append(hook.finished.is_set())

    thread = threading.Thread(target=joiner)
    thread.start()
    time.sleep(STILL_WAITING)
    assert thread.is_alive(), "join() returned while a callback was still running"
    hook.release.set()
    thread.join(EVENT_TIMEOUT)
    assert joined == [mesos_sched.DRIVER_STOPPED, True]
    assert hook.results == [mesos_sched.DRIVER_STOPPED]


def test_abort_then_join_waits_for_the_running_callback(mesos_local: Any, dispatch: str) -> None:
    driver, hook = started_blocked(mesos_local, "abort-join", dispatch)
    assert driver.abort() == mesos_sched.DRIVER_ABORTED
    threading.Timer(STILL_WAITING, hook.release.set).start()
    assert driver.join() == mesos_sched.DRIVER_ABORTED
    assert hook.finished.is_set()
    assert hook.results == [mesos_sched.DRIVER_ABORTED]


def test_del_during_a_callback_after_stop(mesos_local: Any, capfd: Any, dispatch: str) -> None:
    driver, hook = started_blocked(mesos_local, "stop-del", dispatch)
    assert driver.stop() == mesos_sched.DRIVER_STOPPED
    alive = weakref.ref(driver)
    del driver
    gc.collect()
    hook.release.set()
    assert hook.finished.wait(EVENT_TIMEOUT)
    assert hook.results == [mesos_sched.DRIVER_STOPPED]
    # Once the callback has returned, nothing holds the driver: it is freed.
    deadline = time.monotonic() + EVENT_TIMEOUT
    while alive() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert alive() is None
    assert "Traceback" not in capfd.readouterr().err


def test_stop_join_del_with_the_callback_already_returned(mesos_local: Any, dispatch: str) -> None:
    driver, hook = started_blocked(mesos_local, "stop-join-del", dispatch)
    assert driver.stop() == mesos_sched.DRIVER_STOPPED
    hook.release.set()
    assert driver.join() == mesos_sched.DRIVER_STOPPED
    assert hook.finished.is_set()
    del driver
    assert hook.results == [mesos_sched.DRIVER_STOPPED]


class Busy:
    """A scheduler whose `registered` calls the driver until a call says it stopped."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.finished = threading.Event()
        self.seen: List[Any] = []

    def registered(self, driver: MesosSchedulerDriver, *_: Any) -> None:
        self.entered.set()
        try:
            for _ in range(100000):
                status = driver.reviveOffers()
                if status != mesos_sched.DRIVER_RUNNING:
                    self.seen.append(status)
                    break
                time.sleep(0.001)  # in flight, without flooding the master
        except BaseException as err:  # noqa: BLE001 - the test reports it
            self.seen.append(err)
        self.finished.set()


def run_script(code: str, mesos_local: Any, dispatch: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs code with argv[1:] = [master, dispatch]."""
    return subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code), mesos_local.master, dispatch],
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


SLOW_OFFERS_SCRIPT = """
    import sys, threading, time
    from mesos_sched import MesosSchedulerDriver
    from mesos_sched.v1 import mesos_pb2

    entered = threading.Event()

    class Slow:
        def resourceOffers(self, driver, offers):
            entered.set()
            time.sleep(1)
            print("decline", driver.declineOffer(offers[0].id), flush=True)
            print("callback done", flush=True)

    driver = MesosSchedulerDriver(
        Slow(), mesos_pb2.FrameworkInfo(user="", name="exit"), sys.argv[1], dispatch=sys.argv[2])
    driver.start()
    assert entered.wait(30)
    {ending}
    print("script ends", flush=True)
"""


def test_interpreter_exit_after_stop_during_a_slow_callback(mesos_local: Any, dispatch: str) -> None:
    ending = "print('stop', driver.stop(), flush=True)"
    result = run_script(SLOW_OFFERS_SCRIPT.format(ending=ending), mesos_local, dispatch)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.split("\n")
    assert "stop 4" in lines and "decline 4" in lines and "callback done" in lines, result.stdout


def test_interpreter_exit_without_stop_during_a_slow_callback(mesos_local: Any, dispatch: str) -> None:
    # At exit the running driver is aborted (no teardown) and freed.
    result = run_script(SLOW_OFFERS_SCRIPT.format(ending="pass"), mesos_local, dispatch)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.split("\n")
    assert "decline 3" in lines and "callback done" in lines, result.stdout


def test_ctrl_c_during_a_slow_callback(mesos_local: Any, dispatch: str) -> None:
    script = """
        import signal, sys, time
        import mesos_sched
        from mesos_sched.v1 import mesos_pb2
        # What an interactive shell gives; a parent that ignores SIGINT must not matter.
        signal.signal(signal.SIGINT, signal.default_int_handler)

        class Slow:
            def registered(self, driver, *_):
                print("entered", flush=True)
                time.sleep(1)
                print("revive", driver.reviveOffers(), flush=True)
                print("callback done", flush=True)

        driver = mesos_sched.MesosSchedulerDriver(
            Slow(), mesos_pb2.FrameworkInfo(user="", name="ctrl-c"), sys.argv[1], dispatch=sys.argv[2])
        try:
            driver.run()
        except KeyboardInterrupt:
            print("interrupted", driver.status, flush=True)
    """
    child = subprocess.Popen(
        [PYTHON, "-c", textwrap.dedent(script), mesos_local.master, dispatch],
        env=python_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "entered"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    # join() returned (and KeyboardInterrupt was raised) after the callback returned.
    assert out.split("\n")[:3] == ["revive 4", "callback done", "interrupted 4"], out + err
    assert err == ""


@pytest.mark.timeout(150)
def test_stop_join_del_cycles_with_a_callback_in_flight(mesos_local: Any, dispatch: str) -> None:
    """The statistical form: the callback keeps calling the driver until a call tells
    it the driver stopped, while the owner stops, joins and drops the driver. The
    cycles run on a few threads at once: each cycle mostly waits on the network."""
    cycles = int(os.environ.get("MESOS_SCHED_SHUTDOWN_CYCLES", "1000"))
    workers = 4
    deadline = time.monotonic() + 100
    failures: List[str] = []
    done: List[int] = []

    def cycle(number: int) -> None:
        busy = Busy()
        driver = MesosSchedulerDriver(
            busy, framework_info("cycle-%d" % number), mesos_local.master, dispatch=dispatch
        )
        driver.start()
        if not busy.entered.wait(EVENT_TIMEOUT):
            failures.append("cycle %d: never registered" % number)
        driver.stop()
        driver.join()
        if not busy.finished.is_set():
            failures.append("cycle %d: join returned before the callback" % number)
        del driver
        if busy.seen != [mesos_sched.DRIVER_STOPPED]:
            failures.append("cycle %d: the callback saw %r" % (number, busy.seen))
        done.append(number)

    def worker(first: int) -> None:
        for number in range(first, cycles, workers):
            if time.monotonic() > deadline:
                return
            cycle(number)

    threads = [threading.Thread(target=worker, args=(first,)) for first in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:10]
    assert len(done) == cycles, "only %d of %d cycles within 100 s" % (len(done), cycles)


def test_ctrl_c_with_a_custom_handler_runs_it_between_callbacks(mesos_local: Any) -> None:
    # A handler of the program's own runs only once the callback has returned (never
    # inside it); the exception it raises stops the driver and leaves run().
    script = """
        import signal, sys, time
        import mesos_sched
        from mesos_sched.v1 import mesos_pb2

        inside = [False]
        seen = []

        class Custom(Exception):
            pass

        def handler(signum, frame):
            seen.append(inside[0])
            raise Custom("interrupted")

        signal.signal(signal.SIGINT, handler)

        class Slow:
            def registered(self, driver, *_):
                inside[0] = True
                print("entered", flush=True)
                time.sleep(1)
                print("revive", driver.reviveOffers(), flush=True)
                inside[0] = False

        driver = mesos_sched.MesosSchedulerDriver(
            Slow(), mesos_pb2.FrameworkInfo(user="", name="custom-handler"), sys.argv[1])
        try:
            driver.run()
        except Custom:
            print("raised", seen, driver.status, flush=True)
        print("handler restored", signal.getsignal(signal.SIGINT) is handler, flush=True)
    """
    child = subprocess.Popen(
        [PYTHON, "-c", textwrap.dedent(script), mesos_local.master],
        env=python_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "entered"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    # The callback was not interrupted (the driver was still running in it), the
    # handler ran after it, and run() stopped the driver.
    assert out.split("\n")[:3] == ["revive 2", "raised [False] 4", "handler restored True"], out + err
    assert err == ""
