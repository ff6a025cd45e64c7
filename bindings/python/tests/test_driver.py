"""The driver against a real mesos-local: registration, tasks, kill, reconcile, acks,
framework messages, stop with and without failover."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from typing import Any, List, Tuple

import pytest

import mesos_sched
from mesos_sched import MesosSchedulerDriver
from mesos_sched.v1 import mesos_pb2

from conftest import EVENT_TIMEOUT, Recorder, framework_info
from helpers import TERMINAL, command_task, state_name, unique


def make_driver(recorder: Recorder, cluster: Any, drivers: List[Any], **kwargs: Any) -> MesosSchedulerDriver:
    framework = kwargs.pop("framework", None) or framework_info(unique("pytest"))
    driver = MesosSchedulerDriver(recorder, framework, cluster.master, **kwargs)
    drivers.append(driver)
    return driver


def first_offer(recorder: Recorder) -> Any:
    (offers,) = recorder.wait_for("resourceOffers", lambda offers: len(offers) > 0)
    return offers[0]


def wait_state(recorder: Recorder, task_id: str, state: int, timeout: float = EVENT_TIMEOUT) -> Any:
    (status,) = recorder.wait_for(
        "statusUpdate",
        lambda s: s.task_id.value == task_id and s.state == state,
        timeout=timeout,
    )
    return status


def run_long_task(driver: MesosSchedulerDriver, recorder: Recorder) -> Tuple[Any, Any]:
    """Launches ``sleep 600`` on the first offer; returns (task, its TASK_RUNNING status)."""
    offer = first_offer(recorder)
    task = command_task(offer, "sleep 600")
    driver.launchTasks(offer.id, [task])
    return task, wait_state(recorder, task.task_id.value, mesos_pb2.TASK_RUNNING)


def wait_terminal(recorder: Recorder, task_id: str) -> Any:
    (status,) = recorder.wait_for(
        "statusUpdate", lambda s: s.task_id.value == task_id and s.state in TERMINAL
    )
    return status


def test_register_delivers_v1_messages(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    assert driver.start() == mesos_sched.DRIVER_RUNNING
    framework_id, master_info = recorder.wait_for("registered")
    assert isinstance(framework_id, mesos_pb2.FrameworkID)
    assert framework_id.value
    assert isinstance(master_info, mesos_pb2.MasterInfo)
    assert master_info.id
    offer = first_offer(recorder)
    assert isinstance(offer, mesos_pb2.Offer)
    assert offer.framework_id.value == framework_id.value
    assert offer.agent_id.value and offer.hostname
    assert {r.name for r in offer.resources} >= {"cpus", "mem"}
    # Callbacks run on one library thread, never the caller's.
    assert threading.get_ident() not in recorder.callback_threads
    assert len(recorder.callback_threads) == 1
    # A second start is a no-op returning the status.
    assert driver.start() == mesos_sched.DRIVER_RUNNING
    assert driver.stop() == mesos_sched.DRIVER_STOPPED
    assert driver.join() == mesos_sched.DRIVER_STOPPED


def test_launch_real_command_tasks(mesos_local: Any, recorder: Recorder, drivers: List[Any], tmp_path: Any) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    offer = first_offer(recorder)
    marker = tmp_path / "ran"
    ok = command_task(offer, "echo hello-from-task > %s" % marker)
    failing = command_task(offer, "exit 3")
    # A single OfferID (not a list) is accepted, as mesos.native did.
    status = driver.launchTasks(offer.id, [ok, failing], mesos_pb2.Filters(refuse_seconds=1))
    assert status == mesos_sched.DRIVER_RUNNING

    finished = wait_terminal(recorder, ok.task_id.value)
    assert finished.state == mesos_pb2.TASK_FINISHED, state_name(finished.state)
    assert marker.read_text().strip() == "hello-from-task"
    failed = wait_terminal(recorder, failing.task_id.value)
    assert failed.state == mesos_pb2.TASK_FAILED, state_name(failed.state)

    # Status updates carry what a scheduler needs.
    updates = recorder.statuses(ok.task_id.value)
    assert isinstance(updates[0], mesos_pb2.TaskStatus)
    states = [u.state for u in updates]
    assert mesos_pb2.TASK_RUNNING in states and states[-1] == mesos_pb2.TASK_FINISHED
    assert all(u.agent_id.value == offer.agent_id.value for u in updates)
    assert all(len(u.uuid) == 16 for u in updates)


def test_launch_on_a_list_of_offers_and_accept_offers(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    offer = first_offer(recorder)
    task = command_task(offer, "true")
    operation = mesos_pb2.Offer.Operation(type=mesos_pb2.Offer.Operation.LAUNCH)
    operation.launch.task_infos.append(task)
    assert driver.acceptOffers([offer.id], [operation]) == mesos_sched.DRIVER_RUNNING
    assert wait_terminal(recorder, task.task_id.value).state == mesos_pb2.TASK_FINISHED

    (offers,) = recorder.wait_for(
        "resourceOffers", lambda offers: any(o.id.value != offer.id.value for o in offers)
    )
    offer2 = next(o for o in offers if o.id.value != offer.id.value)
    task2 = command_task(offer2, "true")
    assert driver.launchTasks([offer2.id], [task2]) == mesos_sched.DRIVER_RUNNING
    assert wait_terminal(recorder, task2.task_id.value).state == mesos_pb2.TASK_FINISHED


def test_kill_task(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    task, _ = run_long_task(driver, recorder)
    assert driver.killTask(task.task_id) == mesos_sched.DRIVER_RUNNING
    killed = wait_terminal(recorder, task.task_id.value)
    assert killed.state == mesos_pb2.TASK_KILLED, state_name(killed.state)


def test_decline_and_revive_and_suppress(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    offer = first_offer(recorder)
    assert driver.declineOffer(offer.id, mesos_pb2.Filters(refuse_seconds=3600)) == mesos_sched.DRIVER_RUNNING
    assert driver.suppressOffers() == mesos_sched.DRIVER_RUNNING
    assert driver.suppressOffers(["*"]) == mesos_sched.DRIVER_RUNNING
    # Revive clears the decline filter: the declined agent is offered again.
    assert driver.reviveOffers() == mesos_sched.DRIVER_RUNNING
    recorder.wait_for(
        "resourceOffers",
        lambda offers: any(o.agent_id.value == offer.agent_id.value and o.id.value != offer.id.value for o in offers),
    )
    assert driver.reviveOffers(["*"]) == mesos_sched.DRIVER_RUNNING
    assert driver.requestResources([mesos_pb2.Request()]) == mesos_sched.DRIVER_RUNNING


def test_reconcile_known_and_unknown_tasks(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    task, running = run_long_task(driver, recorder)

    query = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_STAGING)
    query.task_id.CopyFrom(task.task_id)
    query.agent_id.CopyFrom(running.agent_id)
    unknown = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_STAGING)
    unknown.task_id.value = unique("never-launched")
    assert driver.reconcileTasks([query, unknown]) == mesos_sched.DRIVER_RUNNING

    (answer,) = recorder.wait_for(
        "statusUpdate",
        lambda s: s.task_id.value == task.task_id.value and s.reason == mesos_pb2.TaskStatus.REASON_RECONCILIATION,
    )
    assert answer.state == mesos_pb2.TASK_RUNNING
    (lost,) = recorder.wait_for("statusUpdate", lambda s: s.task_id.value == unknown.task_id.value)
    assert lost.state == mesos_pb2.TASK_LOST
    assert lost.reason == mesos_pb2.TaskStatus.REASON_RECONCILIATION

    # Implicit reconciliation (no tasks) reports every task of the framework.
    before = len(recorder.statuses(task.task_id.value))
    assert driver.reconcileTasks([]) == mesos_sched.DRIVER_RUNNING
    recorder.wait_for(
        "statusUpdate",
        lambda s: s.task_id.value == task.task_id.value
        and len(recorder.statuses(task.task_id.value)) > before
        and s.reason == mesos_pb2.TaskStatus.REASON_RECONCILIATION,
    )
    driver.killTask(task.task_id)
    wait_terminal(recorder, task.task_id.value)


def test_framework_message_is_sent(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    task, running = run_long_task(driver, recorder)
    executor = mesos_pb2.ExecutorID(value=running.executor_id.value or task.task_id.value)
    status = driver.sendFrameworkMessage(executor, running.agent_id, b"\x00binary\xffpayload")
    assert status == mesos_sched.DRIVER_RUNNING
    # str is accepted as UTF-8, as the Python 2 binding took str.
    assert driver.sendFrameworkMessage(executor, running.agent_id, "text") == mesos_sched.DRIVER_RUNNING
    # The driver is still healthy afterwards: a kill goes through.
    driver.killTask(task.task_id)
    assert wait_terminal(recorder, task.task_id.value).state == mesos_pb2.TASK_KILLED
    assert "error" not in recorder.names()


def test_explicit_acknowledgements(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    acking = threading.Event()
    acks: List[int] = []

    def ack_when_allowed(driver: MesosSchedulerDriver, status: Any) -> None:
        if acking.is_set():
            acks.append(driver.acknowledgeStatusUpdate(status))  # from inside a callback

    recorder.hooks["statusUpdate"] = ack_when_allowed
    driver = make_driver(recorder, mesos_local, drivers, implicitAcknowledgements=False)
    driver.start()
    offer = first_offer(recorder)
    task = command_task(offer, "sleep 1")
    driver.launchTasks(offer.id, [task])
    (first,) = recorder.wait_for("statusUpdate", lambda s: s.task_id.value == task.task_id.value)
    # Unacknowledged, the agent holds the task's next updates back (it may only retry
    # this one): the task, done after 1 s, is not reported finished.
    time.sleep(4)
    updates = recorder.statuses(task.task_id.value)
    assert {u.uuid for u in updates} == {first.uuid}, [state_name(u.state) for u in updates]

    acking.set()
    assert driver.acknowledgeStatusUpdate(first) == mesos_sched.DRIVER_RUNNING
    finished = wait_terminal(recorder, task.task_id.value)
    assert finished.state == mesos_pb2.TASK_FINISHED
    assert acks and set(acks) == {mesos_sched.DRIVER_RUNNING}


def test_acknowledge_with_implicit_acks_is_a_usage_error(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    recorder.wait_for("registered")
    status = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_RUNNING, uuid=b"0123456789abcdef")
    status.task_id.value = "t"
    status.agent_id.value = "a"
    with pytest.raises(mesos_sched.InvalidStateError) as info:
        driver.acknowledgeStatusUpdate(status)
    assert info.value.status == -4
    assert driver.status == mesos_sched.DRIVER_RUNNING


def stop_with_a_running_task(
    mesos_local: Any, drivers: List[Any], name: str, failover: bool
) -> Tuple[Any, Any, Any, Any]:
    """Registers a framework (failover_timeout 1 h), runs a long task, then stops with
    `failover`; returns (framework, framework_id, task, the task's RUNNING status)."""
    first = Recorder()
    framework = framework_info(unique(name), failover_timeout=3600.0)
    driver = make_driver(first, mesos_local, drivers, framework=framework)
    driver.start()
    framework_id, _ = first.wait_for("registered")
    task, running = run_long_task(driver, first)
    assert driver.stop(failover=failover) == mesos_sched.DRIVER_STOPPED
    assert driver.join() == mesos_sched.DRIVER_STOPPED
    return framework, framework_id, task, running


def start_successor(mesos_local: Any, drivers: List[Any], framework: Any, framework_id: Any) -> Tuple[Recorder, Any]:
    """Starts a second scheduler subscribing with the framework's id."""
    second = Recorder()
    again = framework_info(framework.name, failover_timeout=3600.0)
    again.id.CopyFrom(framework_id)
    successor = make_driver(second, mesos_local, drivers, framework=again)
    successor.start()
    return second, successor


def test_stop_without_failover_tears_the_framework_down(mesos_local: Any, drivers: List[Any]) -> None:
    framework, framework_id, _, _ = stop_with_a_running_task(mesos_local, drivers, "teardown", failover=False)
    mesos_local.wait_framework_removed(framework_id.value)

    # The framework is gone: subscribing again with its id is refused for good.
    second, successor = start_successor(mesos_local, drivers, framework, framework_id)
    (message,) = second.wait_for("error")
    assert "removed" in message.lower() or "teardown" in message.lower() or "torn" in message.lower(), message
    assert successor.join() == mesos_sched.DRIVER_ABORTED


def test_stop_with_failover_keeps_framework_and_tasks(mesos_local: Any, drivers: List[Any]) -> None:
    framework, framework_id, task, running = stop_with_a_running_task(
        mesos_local, drivers, "failover", failover=True
    )

    # A failover scheduler takes the framework over, and its task is still running.
    second, successor = start_successor(mesos_local, drivers, framework, framework_id)
    new_id, _ = second.wait_for("registered")
    assert new_id.value == framework_id.value
    query = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_STAGING)
    query.task_id.CopyFrom(task.task_id)
    query.agent_id.CopyFrom(running.agent_id)
    successor.reconcileTasks([query])
    (answer,) = second.wait_for("statusUpdate", lambda s: s.task_id.value == task.task_id.value)
    assert answer.state == mesos_pb2.TASK_RUNNING, state_name(answer.state)
    successor.stop(failover=False)
    assert successor.join() == mesos_sched.DRIVER_STOPPED


def test_abort_then_stop(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    recorder.wait_for("registered")
    assert driver.abort() == mesos_sched.DRIVER_ABORTED
    assert driver.join() == mesos_sched.DRIVER_ABORTED
    # Calls on an aborted driver do nothing and return its status.
    assert driver.reviveOffers() == mesos_sched.DRIVER_ABORTED
    assert driver.stop() == mesos_sched.DRIVER_ABORTED


def test_run_returns_when_a_callback_stops_the_driver(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    recorder.hooks["registered"] = lambda driver, *_: driver.stop()
    driver = make_driver(recorder, mesos_local, drivers)
    assert driver.run() == mesos_sched.DRIVER_STOPPED
    assert recorder.names()[0] == "registered"


def test_driver_calls_inside_callbacks(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    launched: List[str] = []
    join_errors: List[BaseException] = []
    hooked = threading.Event()

    def on_offers(driver: MesosSchedulerDriver, offers: List[Any]) -> None:
        try:
            driver.join()
        except mesos_sched.CalledFromCallbackError as err:
            join_errors.append(err)
        if not launched:
            task = command_task(offers[0], "true")
            launched.append(task.task_id.value)
            driver.launchTasks(offers[0].id, [task])
        for offer in offers[1:]:
            driver.declineOffer(offer.id)
        hooked.set()

    recorder.hooks["resourceOffers"] = on_offers
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    assert hooked.wait(EVENT_TIMEOUT)
    assert join_errors and join_errors[0].status == -3
    assert wait_terminal(recorder, launched[0]).state == mesos_pb2.TASK_FINISHED


def test_join_releases_the_gil(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    ticks: List[int] = []

    def worker() -> None:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            ticks.append(1)
            time.sleep(0.01)
        driver.stop()

    thread = threading.Thread(target=worker)
    thread.start()
    assert driver.join() == mesos_sched.DRIVER_STOPPED
    thread.join()
    assert len(ticks) > 20


def test_unreferenced_running_driver_is_kept_alive(mesos_local: Any, recorder: Recorder) -> None:
    checked = threading.Event()
    stopped = threading.Event()

    def on_offers(driver: MesosSchedulerDriver, offers: List[Any]) -> None:
        assert offers[0].id.value
        if checked.wait(EVENT_TIMEOUT):
            driver.stop()
            stopped.set()

    recorder.hooks["resourceOffers"] = on_offers
    driver = MesosSchedulerDriver(recorder, framework_info(unique("orphan")), mesos_local.master)
    driver.start()
    alive = weakref.ref(driver)
    del driver
    gc.collect()
    # Running, it is kept alive (with its ctypes thunks): callbacks still arrive.
    assert alive() is not None
    checked.set()
    recorder.wait_for("registered")
    assert stopped.wait(EVENT_TIMEOUT)
    # Stopped (inside its own callback) and unreferenced, it is released.
    deadline = time.monotonic() + EVENT_TIMEOUT
    while alive() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    assert alive() is None


def test_v0_family_and_custom_module(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    from mesos.interface import mesos_pb2 as v0

    driver = make_driver(recorder, mesos_local, drivers, messages="v0")
    driver.start()
    framework_id, master_info = recorder.wait_for("registered")
    assert type(framework_id).__module__ == v0.FrameworkID.__module__
    offer = first_offer(recorder)
    assert isinstance(offer, v0.Offer) and offer.slave_id.value
    task = command_task(offer, "true", module=v0)
    driver.launchTasks([offer.id], [task])
    status = wait_terminal(recorder, task.task_id.value)
    assert isinstance(status, v0.TaskStatus)
    assert status.state == v0.TASK_FINISHED and status.slave_id.value == offer.slave_id.value


def test_options_are_applied(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = make_driver(
        recorder,
        mesos_local,
        drivers,
        options={"heartbeat.timeout_factor": 5, "log.level": "off", "tls.verify": True},
        suppressedRoles=[],
    )
    assert driver.start() == mesos_sched.DRIVER_RUNNING
    recorder.wait_for("registered")


def test_bad_option_is_a_value_error(mesos_local: Any, recorder: Recorder) -> None:
    with pytest.raises(ValueError) as info:
        MesosSchedulerDriver(recorder, framework_info(), mesos_local.master, options={"no.such.option": "1"})
    assert "no.such.option" in str(info.value)
    with pytest.raises(ValueError):
        MesosSchedulerDriver(recorder, framework_info(), mesos_local.master, options={"log.level": "loud"})


def test_keyboard_interrupt_during_join_stops_the_driver(mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    import os
    import signal

    driver = make_driver(recorder, mesos_local, drivers)
    driver.start()
    recorder.wait_for("registered")
    # Python raises KeyboardInterrupt only with its own handler installed, which it does
    # not do at startup when the parent ignored SIGINT (e.g. a background job).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            driver.join()
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert driver.status == mesos_sched.DRIVER_STOPPED
