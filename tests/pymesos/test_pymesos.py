"""pymesos (the PyPI client) against mesos-local: register, launch simulated tasks,
status updates acknowledged explicitly, kill, explicit and implicit reconciliation,
teardown. Run by tests/pymesos/run.sh (which makes the venv and builds mesos-local);
exits non-zero on the first failed check.

Usage: python test_pymesos.py MESOS_LOCAL_BIN [batched|per-event]
"""

import json
import subprocess
import sys
import threading
import time
import urllib.request

from pymesos import MesosSchedulerDriver, Scheduler

WAIT = 20.0
SHORT_TASKS = ["short-0", "short-1", "short-2"]
LONG_TASKS = ["long-0", "long-1"]


def start_mesos_local(binary, framing):
    process = subprocess.Popen(
        [binary, "--port", "0", "--simulate=100", "--log-level", "warn",
         "--heartbeat-interval", "1", "--framing", framing],
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    prefix = "mesos-local: listening on "
    if not line.startswith(prefix):
        process.kill()
        raise SystemExit("no ready line from mesos-local: %r" % line)
    return process, line[len(prefix):]


def state(url):
    with urllib.request.urlopen(url + "/state", timeout=10) as answer:
        return json.loads(answer.read())


def task(task_id, offer, duration_ms):
    return {
        "task_id": {"value": task_id},
        "agent_id": offer["agent_id"],
        "name": task_id,
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
        ],
        "command": {"value": "true"},
        "labels": {"labels": [
            {"key": "mesos_local.duration_ms", "value": str(duration_ms)}]},
    }


class Recorder(Scheduler):
    """Launches the tasks on the first offer, declines the rest, acknowledges every
    update itself and records what it saw."""

    def __init__(self):
        self.lock = threading.Condition()
        self.registered_count = 0
        self.reregistered_count = 0
        self.disconnected_count = 0
        self.error_messages = []
        self.launched = False
        self.updates = []  # (task id, state, reason)
        self.acknowledged = 0

    def registered(self, driver, framework_id, master_info):
        with self.lock:
            self.registered_count += 1
            self.lock.notify_all()

    def reregistered(self, driver, master_info):
        with self.lock:
            self.reregistered_count += 1

    def disconnected(self, driver):
        with self.lock:
            self.disconnected_count += 1

    def error(self, driver, message):
        with self.lock:
            self.error_messages.append(message)

    def resourceOffers(self, driver, offers):
        with self.lock:
            launch = not self.launched
            self.launched = True
        if launch:
            first, rest = offers[0], offers[1:]
            tasks = [task(t, first, 100) for t in SHORT_TASKS]
            tasks += [task(t, first, 600000) for t in LONG_TASKS]
            driver.launchTasks(first["id"], tasks)
        else:
            rest = offers
        for offer in rest:
            driver.declineOffer(offer["id"], {"refuse_seconds": 3600})

    def statusUpdate(self, driver, update):
        with self.lock:
            self.updates.append((update["task_id"]["value"], update["state"],
                                 update.get("reason")))
            self.lock.notify_all()
        if "uuid" in update:
            driver.acknowledgeStatusUpdate(update)
            with self.lock:
                self.acknowledged += 1

    def wait_for(self, what, predicate):
        deadline = time.monotonic() + WAIT
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for " + what +
                                         "; updates: %r" % self.updates)
                self.lock.wait(left)

    def states_of(self, task_id):
        return [s for t, s, _ in self.updates if t == task_id]


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def run(binary, framing):
    process, url = start_mesos_local(binary, framing)
    try:
        scheduler = Recorder()
        framework = {"user": "tester", "name": "pymesos-test",
                     "failover_timeout": 60.0}
        driver = MesosSchedulerDriver(
            scheduler, framework, url.split("://", 1)[1],
            use_addict=True, implicit_acknowledgements=False)
        driver.start()
        scheduler.wait_for("registration", lambda: scheduler.registered_count == 1)
        scheduler.wait_for(
            "short tasks finished and long tasks running",
            lambda: all("TASK_FINISHED" in scheduler.states_of(t) for t in SHORT_TASKS)
            and all("TASK_RUNNING" in scheduler.states_of(t) for t in LONG_TASKS))

        # Explicit reconciliation of a running task, then implicit of all.
        driver.reconcileTasks([{"task_id": {"value": "long-0"}}])
        scheduler.wait_for(
            "explicit reconciliation",
            lambda: ("long-0", "TASK_RUNNING", "REASON_RECONCILIATION") in scheduler.updates)
        before = len(scheduler.updates)
        driver.reconcileTasks([])
        scheduler.wait_for(
            "implicit reconciliation",
            lambda: {t for t, _, r in scheduler.updates[before:]
                     if r == "REASON_RECONCILIATION"} >= set(LONG_TASKS))

        for t in LONG_TASKS:
            driver.killTask({"value": t})
        scheduler.wait_for(
            "killed tasks",
            lambda: all("TASK_KILLED" in scheduler.states_of(t) for t in LONG_TASKS))

        # Every update with a uuid was acknowledged: nothing left pending, no task left.
        deadline = time.monotonic() + WAIT
        while True:
            frameworks = state(url)["frameworks"]
            check(len(frameworks) == 1, "one framework in /state: %r" % frameworks)
            if frameworks[0]["unacknowledged_updates"] == 0 and not frameworks[0]["tasks"]:
                break
            check(time.monotonic() < deadline,
                  "updates left unacknowledged: %r" % frameworks[0])
            time.sleep(0.05)
        framework_id = frameworks[0]["id"]
        # pymesos sends `Connection: close` on SUBSCRIBE: its stream stayed open.
        check(frameworks[0]["connected"], "framework connected")
        with scheduler.lock:
            check(scheduler.registered_count == 1 and scheduler.reregistered_count == 0
                  and scheduler.disconnected_count == 0,
                  "one subscription, kept: registered %d, reregistered %d, "
                  "disconnected %d" % (scheduler.registered_count, scheduler.reregistered_count,
                                       scheduler.disconnected_count))
            check(not scheduler.error_messages, "errors: %r" % scheduler.error_messages)
            acknowledged = scheduler.acknowledged

        driver.stop()  # TEARDOWN
        driver.join()
        deadline = time.monotonic() + WAIT
        while True:
            current = state(url)
            if not current["frameworks"]:
                break
            check(time.monotonic() < deadline, "framework still there after teardown")
            time.sleep(0.05)
        check(framework_id in current["removed_framework_ids"],
              "torn-down framework removed")
        print("pymesos against mesos-local (%s framing): ok, %d updates, %d acknowledged"
              % (framing, len(scheduler.updates), acknowledged))
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    run(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "batched")
