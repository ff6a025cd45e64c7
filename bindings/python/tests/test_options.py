"""Constructor arguments that travel as options or extra buffers: credential,
suppressedRoles; several drivers in one process."""

from __future__ import annotations

import time
from typing import Any, List

import mesos_sched
from mesos_sched import MesosSchedulerDriver
from mesos_sched.v1 import mesos_pb2

from conftest import MesosLocal, Recorder, framework_info
from helpers import unique


def test_credential_is_sent_and_required() -> None:
    cluster = MesosLocal(["--authenticate", "pytest-principal:s3cret"])
    made: List[MesosSchedulerDriver] = []
    try:
        good = Recorder()
        credential = mesos_pb2.Credential(principal="pytest-principal", secret="s3cret")
        driver = MesosSchedulerDriver(good, framework_info(unique("auth"), principal="pytest-principal"),
                                      cluster.master, True, credential)
        made.append(driver)
        driver.start()
        good.wait_for("registered")

        refused = Recorder()
        wrong = mesos_pb2.Credential(principal="pytest-principal", secret="wrong")
        driver = MesosSchedulerDriver(refused, framework_info(unique("auth")), cluster.master, True, wrong)
        made.append(driver)
        driver.start()
        (message,) = refused.wait_for("error")
        assert message
        assert driver.join() == mesos_sched.DRIVER_ABORTED
        assert "registered" not in refused.names()
    finally:
        for driver in made:
            driver.stop()
        cluster.stop()


def test_suppressed_roles_from_the_constructor(mesos_local: Any, drivers: List[Any]) -> None:
    recorder = Recorder()
    driver = MesosSchedulerDriver(recorder, framework_info(unique("suppressed")), mesos_local.master, True, None, ["*"])
    drivers.append(driver)
    driver.start()
    recorder.wait_for("registered")
    time.sleep(2)
    assert "resourceOffers" not in recorder.names()
    assert driver.reviveOffers() == mesos_sched.DRIVER_RUNNING
    recorder.wait_for("resourceOffers")


def test_several_drivers_in_one_process(mesos_local: Any, drivers: List[Any]) -> None:
    recorders = [Recorder() for _ in range(4)]
    for i, recorder in enumerate(recorders):
        driver = MesosSchedulerDriver(recorder, framework_info("many-%d" % i), mesos_local.master)
        drivers.append(driver)
        driver.start()
    ids = set()
    for recorder in recorders:
        framework_id, _ = recorder.wait_for("registered")
        ids.add(framework_id.value)
    assert len(ids) == 4  # each driver got its own callbacks, no cross-talk
    threads = [r.callback_threads for r in recorders]
    assert all(len(t) == 1 for t in threads)
    assert len(set().union(*threads)) == 4  # one dispatcher thread per driver
    for driver in drivers:
        assert driver.stop() == mesos_sched.DRIVER_STOPPED
        assert driver.join() == mesos_sched.DRIVER_STOPPED
