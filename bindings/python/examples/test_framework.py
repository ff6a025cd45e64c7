#!/usr/bin/env python3
"""An example framework in the style of Mesos's classic test_framework.py.

It is written against the legacy API (``mesos.interface`` / ``mesos.native``) and runs
unchanged on mesos_sched. It launches --tasks command tasks (one per offer slot) and
exits when all have finished: 0 if every task finished, 1 otherwise.

    python3 test_framework.py 127.0.0.1:5050 --tasks 5 --command 'echo hi'

Ctrl-C stops the driver (tearing the framework down) and exits.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any, Dict, List

from mesos.interface import Scheduler, mesos_pb2
from mesos.native import MesosSchedulerDriver

TASK_CPUS = 0.1
TASK_MEM = 32.0
TERMINAL = (
    mesos_pb2.TASK_FINISHED,
    mesos_pb2.TASK_FAILED,
    mesos_pb2.TASK_KILLED,
    mesos_pb2.TASK_LOST,
    mesos_pb2.TASK_ERROR,
)


def scalar_resource(name: str, value: float) -> Any:
    resource = mesos_pb2.Resource(name=name, type=mesos_pb2.Value.SCALAR)
    resource.scalar.value = value
    return resource


def offered(offer: Any, name: str) -> float:
    return sum(r.scalar.value for r in offer.resources if r.name == name and r.type == mesos_pb2.Value.SCALAR)


class TestScheduler(Scheduler):
    def __init__(self, total_tasks: int, command: str, verbose: bool) -> None:
        self.total_tasks = total_tasks
        self.command = command
        self.verbose = verbose
        self.launched = 0
        self.states: Dict[str, int] = {}
        self.lock = threading.Lock()
        self.failed = False

    def log(self, message: str) -> None:
        if self.verbose:
            print(message, flush=True)

    def registered(self, driver: Any, frameworkId: Any, masterInfo: Any) -> None:
        print("Registered with framework ID %s" % frameworkId.value, flush=True)

    def reregistered(self, driver: Any, masterInfo: Any) -> None:
        self.log("Re-registered with master %s" % masterInfo.id)

    def disconnected(self, driver: Any) -> None:
        self.log("Disconnected from the master")

    def resourceOffers(self, driver: Any, offers: List[Any]) -> None:
        for offer in offers:
            tasks = []
            cpus, mem = offered(offer, "cpus"), offered(offer, "mem")
            while self.launched < self.total_tasks and cpus >= TASK_CPUS and mem >= TASK_MEM:
                task_id = str(self.launched)
                self.launched += 1
                task = mesos_pb2.TaskInfo(name="task %s" % task_id)
                task.task_id.value = task_id
                task.slave_id.value = offer.slave_id.value
                task.command.value = self.command
                task.resources.extend([scalar_resource("cpus", TASK_CPUS), scalar_resource("mem", TASK_MEM)])
                tasks.append(task)
                cpus -= TASK_CPUS
                mem -= TASK_MEM
            if tasks:
                self.log("Launching %d task(s) on offer %s" % (len(tasks), offer.id.value))
                driver.launchTasks(offer.id, tasks)
            else:
                driver.declineOffer(offer.id, mesos_pb2.Filters(refuse_seconds=5))

    def statusUpdate(self, driver: Any, update: Any) -> None:
        state = mesos_pb2.TaskState.Name(update.state)
        print("Task %s is in state %s" % (update.task_id.value, state), flush=True)
        if update.state not in TERMINAL:
            return
        with self.lock:
            self.states[update.task_id.value] = update.state
            if update.state != mesos_pb2.TASK_FINISHED:
                self.failed = True
            done = len(self.states) == self.total_tasks
        if done:
            print("All tasks done, stopping", flush=True)
            driver.stop()

    def frameworkMessage(self, driver: Any, executorId: Any, slaveId: Any, message: bytes) -> None:
        self.log("Framework message from %s: %r" % (executorId.value, message))

    def error(self, driver: Any, message: str) -> None:
        print("Error from Mesos: %s" % message, file=sys.stderr, flush=True)
        self.failed = True


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("master", help="master: host:port, zk://..., file://...")
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--command", default="echo hello from mesos_sched")
    parser.add_argument("--name", default="Test Framework (Python)")
    parser.add_argument("--failover-timeout", type=float, default=0.0)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    framework = mesos_pb2.FrameworkInfo()
    framework.user = ""  # the driver fills in the current user
    framework.name = args.name
    if args.failover_timeout:
        framework.failover_timeout = args.failover_timeout

    scheduler = TestScheduler(args.tasks, args.command, args.verbose)
    driver = MesosSchedulerDriver(scheduler, framework, args.master)
    status = driver.run()  # Ctrl-C: stops the driver, then raises KeyboardInterrupt
    ok = status == mesos_pb2.DRIVER_STOPPED and not scheduler.failed
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("Interrupted: driver stopped", file=sys.stderr, flush=True)
        sys.exit(130)
