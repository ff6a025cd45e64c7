"""Bad arguments and exceptions in callbacks."""

from __future__ import annotations

from typing import Any, List

import pytest

import mesos_sched
from mesos_sched import MesosSchedulerDriver, Scheduler
from mesos_sched.v1 import mesos_pb2

from conftest import Recorder, framework_info
from helpers import unique

UNUSED_MASTER = "127.0.0.1:1"  # never started: argument checks only


@pytest.fixture()
def idle_driver() -> MesosSchedulerDriver:
    return MesosSchedulerDriver(Scheduler(), framework_info(), UNUSED_MASTER)


def offer_id(value: str = "o1") -> Any:
    return mesos_pb2.OfferID(value=value)


# ------------------------------------------------------------------ constructor


def test_constructor_type_errors() -> None:
    with pytest.raises(TypeError, match="scheduler"):
        MesosSchedulerDriver(None, framework_info(), UNUSED_MASTER)
    with pytest.raises(TypeError, match=r"framework must be a FrameworkInfo message.*dict"):
        MesosSchedulerDriver(Scheduler(), {"user": "", "name": "x"}, UNUSED_MASTER)
    with pytest.raises(TypeError, match="framework must be a FrameworkInfo message, not a mesos.v1.TaskInfo"):
        MesosSchedulerDriver(Scheduler(), mesos_pb2.TaskInfo(), UNUSED_MASTER)
    with pytest.raises(TypeError, match="master must be a string"):
        MesosSchedulerDriver(Scheduler(), framework_info(), 5050)
    with pytest.raises(TypeError, match="implicitAcknowledgements"):
        MesosSchedulerDriver(Scheduler(), framework_info(), UNUSED_MASTER, "yes")
    with pytest.raises(TypeError, match="credential must be a Credential"):
        MesosSchedulerDriver(Scheduler(), framework_info(), UNUSED_MASTER, True, "secret")
    with pytest.raises(TypeError, match="suppressedRoles must be a list of strings, not a single str"):
        MesosSchedulerDriver(Scheduler(), framework_info(), UNUSED_MASTER, True, None, "role")
    with pytest.raises(TypeError, match="options must be a mapping"):
        MesosSchedulerDriver(Scheduler(), framework_info(), UNUSED_MASTER, options=["log.level"])


def test_constructor_value_errors() -> None:
    with pytest.raises(ValueError, match="missing required fields|required"):
        MesosSchedulerDriver(Scheduler(), mesos_pb2.FrameworkInfo(), UNUSED_MASTER)
    with pytest.raises(ValueError, match="master must not be empty"):
        MesosSchedulerDriver(Scheduler(), framework_info(), "")
    with pytest.raises(ValueError, match="NUL"):
        MesosSchedulerDriver(Scheduler(), framework_info(), "127.0.0.1:5050\0x")
    with pytest.raises(ValueError, match="messages must be"):
        MesosSchedulerDriver(Scheduler(), framework_info(), UNUSED_MASTER, messages="v2")
    with pytest.raises(ValueError, match="cannot contain ','"):
        MesosSchedulerDriver(Scheduler(), framework_info(), UNUSED_MASTER, suppressedRoles=["a,b"])


def test_malformed_master_is_refused_by_the_library() -> None:
    with pytest.raises(ValueError) as info:
        MesosSchedulerDriver(Scheduler(), framework_info(), "ftp://nowhere:x")
    assert isinstance(info.value, mesos_sched.InvalidArgumentError)
    assert info.value.status == -2
    assert info.value.message  # the library's explanation is carried through


def test_unparsable_bytes_are_refused_by_the_library() -> None:
    class Garbage:
        def SerializeToString(self) -> bytes:
            return b"\xff\xff\xff\xff"

    with pytest.raises(ValueError) as info:
        MesosSchedulerDriver(Scheduler(), Garbage(), UNUSED_MASTER)
    assert isinstance(info.value, mesos_sched.InvalidArgumentError)
    driver = MesosSchedulerDriver(Scheduler(), framework_info(), UNUSED_MASTER)
    with pytest.raises(mesos_sched.InvalidArgumentError) as info:
        driver.killTask(Garbage())
    assert "killTask" in str(info.value)


def test_duck_typed_messages_are_accepted() -> None:
    class WireCompatibleFramework:
        def SerializeToString(self) -> bytes:
            return framework_info(unique("duck")).SerializeToString()

    driver = MesosSchedulerDriver(Scheduler(), WireCompatibleFramework(), UNUSED_MASTER)
    assert driver.status == mesos_sched.DRIVER_NOT_STARTED


# ------------------------------------------------------------------ methods


def test_method_type_errors(idle_driver: MesosSchedulerDriver) -> None:
    task = mesos_pb2.TaskInfo(name="t")
    task.task_id.value = "t"
    task.agent_id.value = "a"
    with pytest.raises(TypeError, match=r"tasks must be a list of TaskInfo messages, not TaskInfo"):
        idle_driver.launchTasks(offer_id(), task)
    with pytest.raises(TypeError, match=r"offerIds\[0\] must be an OfferID message .*int"):
        idle_driver.launchTasks([1], [task])
    with pytest.raises(TypeError, match=r"tasks\[1\] must be a TaskInfo message, not a mesos\.v1\.OfferID"):
        idle_driver.launchTasks(offer_id(), [task, offer_id()])
    with pytest.raises(TypeError, match="filters must be a Filters message"):
        idle_driver.launchTasks(offer_id(), [task], {"refuse_seconds": 1})
    with pytest.raises(TypeError, match="taskId must be a TaskID message"):
        idle_driver.killTask("t")
    with pytest.raises(TypeError, match="offerId must be an OfferID message, not a mesos.v1.TaskID"):
        idle_driver.declineOffer(mesos_pb2.TaskID(value="x"))
    with pytest.raises(TypeError, match="roles must be a list of strings, not a single str"):
        idle_driver.reviveOffers("role")
    with pytest.raises(TypeError, match=r"roles\[0\] must be a string"):
        idle_driver.suppressOffers([1])
    with pytest.raises(TypeError, match="data must be bytes"):
        idle_driver.sendFrameworkMessage(mesos_pb2.ExecutorID(value="e"), mesos_pb2.AgentID(value="a"), 12)
    with pytest.raises(TypeError, match="slaveId must be an AgentID message"):
        idle_driver.sendFrameworkMessage(mesos_pb2.ExecutorID(value="e"), "agent", b"")
    with pytest.raises(TypeError, match="status must be a TaskStatus"):
        idle_driver.acknowledgeStatusUpdate(None)
    with pytest.raises(TypeError, match="tasks must be a list of TaskStatus"):
        idle_driver.reconcileTasks(None)
    with pytest.raises(TypeError, match="requests must be a list of Request"):
        idle_driver.requestResources(mesos_pb2.Request())
    with pytest.raises(TypeError, match=r"operations\[0\] must be an Operation message"):
        idle_driver.acceptOffers([offer_id()], [task])
    with pytest.raises(TypeError, match="failover must be a bool"):
        idle_driver.stop("no")
    with pytest.raises(TypeError, match="frameworkInfo must be a FrameworkInfo"):
        idle_driver.updateFramework(task, [])


def test_type_checks_compare_full_names(idle_driver: MesosSchedulerDriver) -> None:
    from mesos_sched.v0 import mesos_pb2 as v0
    from mesos_sched.v1.scheduler import scheduler_pb2

    # Same short name, other message: refused, however alike they are.
    nested = scheduler_pb2.Call.Request()
    assert nested.DESCRIPTOR.name == mesos_pb2.Request.DESCRIPTOR.name
    with pytest.raises(TypeError, match=r"requests\[0\] must be a Request message, not a mesos\.v1\.scheduler\.Call\.Request"):
        idle_driver.requestResources([nested])
    with pytest.raises(TypeError, match=r"must be an AgentID message, not a mesos\.v1\.scheduler\.Call\.Accept"):
        idle_driver.sendFrameworkMessage(mesos_pb2.ExecutorID(value="e"), scheduler_pb2.Call.Accept(), b"")
    # The v1 and v0 twins are both accepted (the status of a driver not started).
    assert idle_driver.requestResources([mesos_pb2.Request(), v0.Request()]) == mesos_sched.DRIVER_NOT_STARTED
    assert idle_driver.declineOffer(v0.OfferID(value="o")) == mesos_sched.DRIVER_NOT_STARTED
    assert (
        idle_driver.sendFrameworkMessage(v0.ExecutorID(value="e"), v0.SlaveID(value="a"), b"")
        == mesos_sched.DRIVER_NOT_STARTED
    )


def test_method_value_errors(idle_driver: MesosSchedulerDriver) -> None:
    incomplete = mesos_pb2.TaskInfo(name="no ids")
    with pytest.raises(ValueError, match=r"tasks\[0\] \(TaskInfo\) cannot be serialized"):
        idle_driver.launchTasks(offer_id(), [incomplete])
    with pytest.raises(ValueError, match="NUL"):
        idle_driver.reviveOffers(["a\0b"])
    with pytest.raises(ValueError, match="UTF-8"):
        idle_driver.reviveOffers([b"\xff"])


def test_v0_ids_are_accepted_where_v1_are_expected(idle_driver: MesosSchedulerDriver) -> None:
    from mesos.interface import mesos_pb2 as v0

    # Not started: the calls check their arguments and return the status.
    assert idle_driver.sendFrameworkMessage(v0.ExecutorID(value="e"), v0.SlaveID(value="s"), b"x") == (
        mesos_sched.DRIVER_NOT_STARTED
    )
    assert idle_driver.killTask(v0.TaskID(value="t")) == mesos_sched.DRIVER_NOT_STARTED


def test_calls_before_start_return_not_started(idle_driver: MesosSchedulerDriver) -> None:
    assert idle_driver.reviveOffers() == mesos_sched.DRIVER_NOT_STARTED
    assert idle_driver.reconcileTasks([]) == mesos_sched.DRIVER_NOT_STARTED
    assert idle_driver.join() == mesos_sched.DRIVER_NOT_STARTED
    assert idle_driver.abort() == mesos_sched.DRIVER_NOT_STARTED


# ------------------------------------------------------------------ callbacks


class Raising(Recorder):
    def __init__(self, where: str, exc: BaseException) -> None:
        super().__init__()
        self.where = where
        self.exc = exc

    def registered(self, driver: Any, frameworkId: Any, masterInfo: Any) -> None:
        super().registered(driver, frameworkId, masterInfo)
        if self.where == "registered":
            raise self.exc

    def resourceOffers(self, driver: Any, offers: List[Any]) -> None:
        super().resourceOffers(driver, offers)
        if self.where == "resourceOffers":
            raise self.exc


@pytest.mark.parametrize(
    "where,exc",
    [
        ("registered", RuntimeError("boom in registered")),
        ("resourceOffers", ValueError("boom in resourceOffers")),
        ("registered", SystemExit(7)),
    ],
)
def test_exception_in_callback_prints_and_aborts(
    mesos_local: Any, capfd: Any, where: str, exc: BaseException
) -> None:
    scheduler = Raising(where, exc)
    driver = MesosSchedulerDriver(scheduler, framework_info(unique("raiser")), mesos_local.master)
    try:
        driver.start()
        assert driver.join() == mesos_sched.DRIVER_ABORTED
        err = capfd.readouterr().err
        assert "Traceback (most recent call last)" in err
        assert type(exc).__name__ in err
        assert "in %s" % where in err  # the frame of the raising callback
        assert "exception in Scheduler.%s: aborting the driver" % where in err
        # The interpreter lives on, the driver is aborted and says so.
        assert driver.status == mesos_sched.DRIVER_ABORTED
        assert driver.reviveOffers() == mesos_sched.DRIVER_ABORTED
    finally:
        driver.stop(False)
