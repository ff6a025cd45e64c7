#!/usr/bin/env python3
"""Python binding throughput against `mesos-local --simulate` (a benchmark, not a test).

Two workloads per dispatch mode, each in a fresh child process with a fresh mesos-local:

* launch flood: TASKS simulated tasks launched in batches of 500 per offer; every
  STARTING/RUNNING update is acknowledged (implicitly, after statusUpdate returns);
  measured from the first launch until every task reported TASK_RUNNING.
* reconcile flood: with those tasks running, ``reconcileTasks([])`` makes the master
  send one update per task (no uuid, so no acknowledgement); measured from the call to
  the last update, ROUNDS times.

Rates are updates delivered to statusUpdate per second; CPU is the client process's
user+system time (every thread, the library's included) divided by the updates.

Usage: bench_flood.py [--tasks N] [--rounds R] [--modes poll,thread,aio]
Environment: MESOS_LOCAL_BIN (default target/release/mesos-local of the repository),
MESOS_SCHED_LIBRARY (default target/release/libmesos_sched.so).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BATCH = 500


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def start_cluster(tasks: int) -> "tuple[subprocess.Popen[str], str]":
    binary = os.environ.get("MESOS_LOCAL_BIN", os.path.join(REPO_ROOT, "target", "release", "mesos-local"))
    # One agent big enough for every task; tasks run for an hour (they stay RUNNING).
    process = subprocess.Popen(
        [binary, "--port", "0", "--agents", "1", "--simulate=3600000", "--log-level", "error"]
        + ["--resources", "cpus:%d;mem:%d" % (tasks + 10, 32 * (tasks + 10))],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"listening on https?://(\S+)", line)
    if not match:
        process.kill()
        raise SystemExit("mesos-local did not start: %r" % line)
    return process, match.group(1).rstrip("/")


def child(mode: str, tasks: int, rounds: int) -> Dict[str, Any]:
    """One client run (in its own process): returns the measurements as a dict."""
    from mesos_sched import MesosSchedulerDriver
    from mesos_sched.v1 import mesos_pb2

    cluster, master = start_cluster(tasks)
    lock = threading.Lock()
    progress = threading.Condition(lock)
    state = {"running": 0, "updates": 0, "launched": 0}

    def scalar(name: str, value: float) -> Any:
        item = mesos_pb2.Resource(name=name, type=mesos_pb2.Value.SCALAR)
        item.scalar.value = value
        return item

    class Flood:
        def resourceOffers(self, driver: Any, offers: List[Any]) -> None:
            for offer in offers:
                count = min(BATCH, tasks - state["launched"])
                if count <= 0:
                    driver.declineOffer(offer.id)
                    continue
                batch = []
                for _ in range(count):
                    number = state["launched"]
                    state["launched"] += 1
                    task = mesos_pb2.TaskInfo(name="t%d" % number)
                    task.task_id.value = "t%d" % number
                    task.agent_id.CopyFrom(offer.agent_id)
                    task.resources.extend([scalar("cpus", 1), scalar("mem", 32)])
                    task.command.value = "true"
                    batch.append(task)
                driver.launchTasks(offer.id, batch, mesos_pb2.Filters(refuse_seconds=0))

        def statusUpdate(self, driver: Any, status: Any) -> None:
            with lock:
                state["updates"] += 1
                if status.state == mesos_pb2.TASK_RUNNING and status.reason != status.REASON_RECONCILIATION:
                    state["running"] += 1
                progress.notify_all()

    def wait_until(predicate: Any) -> None:
        with lock:
            if not progress.wait_for(predicate, timeout=600):
                raise SystemExit("timed out: %r" % state)

    def launch_and_reconcile() -> None:
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        wait_until(lambda: state["running"] >= tasks)
        cpu1, wall1 = cpu_seconds(), time.monotonic()
        launch_updates = state["updates"]
        result["launch_rate"] = launch_updates / (wall1 - wall0)
        result["launch_cpu_us"] = (cpu1 - cpu0) / launch_updates * 1e6
        rates, cpus = [], []
        for _ in range(rounds):
            with lock:
                before = state["updates"]
            cpu0, wall0 = cpu_seconds(), time.monotonic()
            driver.reconcileTasks([])
            wait_until(lambda: state["updates"] >= before + tasks)
            cpu1, wall1 = cpu_seconds(), time.monotonic()
            rates.append(tasks / (wall1 - wall0))
            cpus.append((cpu1 - cpu0) / tasks * 1e6)
        result["reconcile_rate"] = max(rates)
        result["reconcile_cpu_us"] = min(cpus)

    async def serve_on_a_loop() -> None:
        from mesos_sched.aio import AsyncDriver

        # The loop serves the callbacks; the measurement waits on another thread.
        async with AsyncDriver(driver):
            await asyncio.get_running_loop().run_in_executor(None, launch_and_reconcile)

    framework = mesos_pb2.FrameworkInfo(user="", name="bench-" + mode)
    dispatch = "thread" if mode == "thread" else "poll"
    driver = MesosSchedulerDriver(Flood(), framework, master, dispatch=dispatch)
    result: Dict[str, Any] = {"mode": mode, "tasks": tasks}
    try:
        if mode == "aio":
            asyncio.run(serve_on_a_loop())
        else:
            driver.start()
            launch_and_reconcile()
    finally:
        driver.stop()
        driver.join()
        cluster.terminate()
        cluster.wait()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="poll,thread,aio")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.tasks, args.rounds)), flush=True)
        return
    os.environ.setdefault(
        "MESOS_SCHED_LIBRARY", os.path.join(REPO_ROOT, "target", "release", "libmesos_sched.so")
    )
    columns = ("mode", "tasks", "launch upd/s", "CPU us/upd", "reconcile upd/s", "CPU us/upd")
    print("%-7s %8s %16s %14s %16s %14s" % columns)
    for mode in args.modes.split(","):
        command = [sys.executable, os.path.abspath(__file__), "--child", mode]
        output = subprocess.run(
            command + ["--tasks", str(args.tasks), "--rounds", str(args.rounds)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
        row = json.loads(output.strip().splitlines()[-1])
        numbers = ("launch_rate", "launch_cpu_us", "reconcile_rate", "reconcile_cpu_us")
        print("%-7s %8d %16.0f %14.1f %16.0f %14.1f" % ((mode, row["tasks"]) + tuple(row[n] for n in numbers)))


if __name__ == "__main__":
    main()
