"""The callbacks only a misbehaving cluster triggers, through mesos-local's fault
injection: disconnected/reregistered, offerRescinded, slaveLost, TASK_LOST, error."""

from __future__ import annotations

from typing import Any, List

import mesos_sched
from mesos_sched import MesosSchedulerDriver
from mesos_sched.v1 import mesos_pb2

from conftest import Recorder, framework_info
from helpers import command_task, unique


def start(recorder: Recorder, cluster: Any, drivers: List[Any], **fields: Any) -> MesosSchedulerDriver:
    driver = MesosSchedulerDriver(recorder, framework_info(unique("faults"), **fields), cluster.master)
    drivers.append(driver)
    assert driver.start() == mesos_sched.DRIVER_RUNNING
    recorder.wait_for("registered")
    return driver


def offers_by_agent(recorder: Recorder) -> dict:
    found: dict = {}

    def two_agents(offers: List[Any]) -> bool:
        for offer in offers:
            found.setdefault(offer.agent_id.value, offer)
        return len(found) >= 2

    recorder.wait_for("resourceOffers", two_agents)
    return found


def test_lost_stream_gives_disconnected_then_reregistered(faulty_mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    # With failover_timeout 0 the master would remove the framework on disconnection.
    driver = start(recorder, faulty_mesos_local, drivers, failover_timeout=3600.0)
    faulty_mesos_local.post("/admin/faults/close_streams")
    recorder.wait_for("disconnected")
    (master_info,) = recorder.wait_for("reregistered")
    assert isinstance(master_info, mesos_pb2.MasterInfo) and master_info.id
    assert recorder.names().count("registered") == 1
    assert driver.status == mesos_sched.DRIVER_RUNNING


def test_lost_agent_rescinds_offers_loses_tasks_and_reports_slave_lost(
    faulty_mesos_local: Any, recorder: Recorder, drivers: List[Any]
) -> None:
    driver = start(recorder, faulty_mesos_local, drivers)
    offers = offers_by_agent(recorder)
    busy_agent, idle_agent = sorted(offers)[:2]
    task = command_task(offers[busy_agent], "sleep 600")
    driver.launchTasks(offers[busy_agent].id, [task])
    recorder.wait_for(
        "statusUpdate", lambda s: s.task_id.value == task.task_id.value and s.state == mesos_pb2.TASK_RUNNING
    )

    # The idle agent's offer is still outstanding: losing the agent rescinds it.
    faulty_mesos_local.post("/admin/faults/lose_agent?id=%s" % idle_agent)
    (rescinded,) = recorder.wait_for("offerRescinded")
    assert isinstance(rescinded, mesos_pb2.OfferID)
    assert rescinded.value == offers[idle_agent].id.value
    (lost_agent,) = recorder.wait_for("slaveLost")
    assert isinstance(lost_agent, mesos_pb2.AgentID) and lost_agent.value == idle_agent

    # Losing the busy agent loses its task.
    faulty_mesos_local.post("/admin/faults/lose_agent?id=%s" % busy_agent)
    (lost,) = recorder.wait_for(
        "statusUpdate", lambda s: s.task_id.value == task.task_id.value and s.state == mesos_pb2.TASK_LOST
    )
    assert lost.reason == mesos_pb2.TaskStatus.REASON_AGENT_REMOVED
    recorder.wait_for("slaveLost", lambda agent: agent.value == busy_agent)


def test_error_event_aborts_then_calls_error(faulty_mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    statuses: List[int] = []
    recorder.hooks["error"] = lambda driver, message: statuses.append(driver.status)
    driver = start(recorder, faulty_mesos_local, drivers)
    faulty_mesos_local.post("/admin/faults/error?message=Framework%20is%20not%20welcome")
    (message,) = recorder.wait_for("error")
    assert message == "Framework is not welcome"
    assert driver.join() == mesos_sched.DRIVER_ABORTED
    # The driver was aborted before error() ran, as the classic driver did.
    assert statuses == [mesos_sched.DRIVER_ABORTED]


def test_framework_message_round_trip(faulty_mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    # mesos-local's executors echo every framework message back to the scheduler.
    driver = start(recorder, faulty_mesos_local, drivers)
    (offers,) = recorder.wait_for("resourceOffers")
    task = command_task(offers[0], "sleep 600")
    driver.launchTasks(offers[0].id, [task])
    (running,) = recorder.wait_for(
        "statusUpdate", lambda s: s.task_id.value == task.task_id.value and s.state == mesos_pb2.TASK_RUNNING
    )
    executor = mesos_pb2.ExecutorID(value=running.executor_id.value or task.task_id.value)
    payload = b"\x00binary\xff payload \x00"
    assert driver.sendFrameworkMessage(executor, running.agent_id, payload) == mesos_sched.DRIVER_RUNNING
    executor_id, agent_id, data = recorder.wait_for("frameworkMessage")
    assert isinstance(executor_id, mesos_pb2.ExecutorID) and executor_id.value == executor.value
    assert isinstance(agent_id, mesos_pb2.AgentID) and agent_id.value == running.agent_id.value
    assert isinstance(data, bytes) and data == payload


def test_update_framework(faulty_mesos_local: Any, recorder: Recorder, drivers: List[Any]) -> None:
    driver = start(recorder, faulty_mesos_local, drivers)
    (framework_id, _) = recorder.wait_for("registered")
    renamed = framework_info("renamed-framework")
    renamed.id.CopyFrom(framework_id)
    assert driver.updateFramework(renamed, []) == mesos_sched.DRIVER_RUNNING
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = [f.get("name") for f in faulty_mesos_local.state()["frameworks"] if f.get("id") == framework_id.value]
        if names == ["renamed-framework"]:
            break
        time.sleep(0.1)
    assert names == ["renamed-framework"]
    assert "error" not in recorder.names()


def test_heartbeat_extension_only_when_the_scheduler_has_it(drivers: List[Any]) -> None:
    from conftest import MesosLocal

    cluster = MesosLocal(["--heartbeat-interval", "0.2"])
    try:
        class WithHeartbeat(Recorder):
            def heartbeat(self, driver: Any) -> None:
                self._record("heartbeat", driver)

        with_heartbeat, without = WithHeartbeat(), Recorder()
        start(with_heartbeat, cluster, drivers)
        start(without, cluster, drivers)
        with_heartbeat.wait_for(
            "heartbeat", lambda *_: with_heartbeat.names().count("heartbeat") >= 3, timeout=10
        )
        assert with_heartbeat.names().count("heartbeat") >= 3
        assert "heartbeat" not in without.names()
    finally:
        for driver in drivers:
            driver.stop()
        cluster.stop()
