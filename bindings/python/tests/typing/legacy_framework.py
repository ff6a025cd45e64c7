"""A framework written for the legacy mesos.interface / mesos.native packages."""

from typing import List

from mesos.interface import Scheduler, SchedulerDriver, mesos_pb2
from mesos.native import MesosSchedulerDriver
import mesos.executor
import mesos.scheduler


class Framework(Scheduler):
    def registered(
        self, driver: SchedulerDriver, frameworkId: mesos_pb2.FrameworkID, masterInfo: mesos_pb2.MasterInfo
    ) -> None:
        print("registered", frameworkId.value, masterInfo.hostname)

    def resourceOffers(self, driver: SchedulerDriver, offers: List[mesos_pb2.Offer]) -> None:
        for offer in offers:
            task = mesos_pb2.TaskInfo(name="t")
            task.task_id.value = "t"
            task.slave_id.value = offer.slave_id.value
            driver.launchTasks(offer.id, [task])


def main(master: str) -> int:
    framework = mesos_pb2.FrameworkInfo(user="", name="legacy")
    driver = MesosSchedulerDriver(Framework(), framework, master, True)
    other: mesos.scheduler.MesosSchedulerDriver = driver
    status: int = other.run()
    executor_driver_class = mesos.executor.MesosExecutorDriver
    print(executor_driver_class)
    return 0 if status == mesos_pb2.DRIVER_STOPPED else 1
