"""The Python clients of benches/side_by_side.sh, one workload per process:

    python clients.py CLIENT MASTER_URL WORKLOAD N

CLIENT: binding (mesos_sched over libmesos_sched), pymesos, raw (a minimal HTTP client:
one socket for the stream, one for calls, acknowledgements pipelined). WORKLOAD:
reconcile (N unknown tasks reconciled: N updates, no acknowledgements) or launch (N
simulated tasks in one ACCEPT, every update acknowledged). Prints one JSON line: ops
(updates delivered + acknowledgements sent), seconds and CPU seconds of this process
from registration to the last op.
"""

import json
import resource
import socket
import sys
import threading
import time


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Progress:
    """Counts ops; `done` once the workload's last op happened."""

    def __init__(self, workload, n):
        self.workload = workload
        self.n = n
        self.updates = 0
        self.acks = 0
        self.terminal = 0
        self.started = None
        self.finished = None
        self.cond = threading.Condition()

    def start(self):
        with self.cond:
            if self.started is None:
                self.started = (time.monotonic(), cpu_seconds())

    def update(self, terminal, acked):
        with self.cond:
            self.updates += 1
            self.acks += 1 if acked else 0
            self.terminal += 1 if terminal else 0
            if self.complete() and self.finished is None:
                self.finished = (time.monotonic(), cpu_seconds())
                self.cond.notify_all()

    def complete(self):
        if self.workload == "reconcile":
            return self.updates >= self.n
        return self.terminal >= self.n

    def wait(self, timeout=600):
        with self.cond:
            if not self.cond.wait_for(lambda: self.finished is not None, timeout):
                raise SystemExit("timed out: %d updates, %d acks" % (self.updates, self.acks))

    def report(self):
        (t0, c0), (t1, c1) = self.started, self.finished
        print(json.dumps({"ops": self.updates + self.acks, "updates": self.updates,
                          "acks": self.acks, "seconds": t1 - t0, "cpu_seconds": c1 - c0}))


TERMINAL = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
            "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"}


def task_dict(i, agent_id):
    return {"name": "t", "task_id": {"value": "t-%d" % i}, "agent_id": agent_id,
            "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.01}},
                          {"name": "mem", "type": "SCALAR", "scalar": {"value": 1}}],
            "command": {"value": "true"}}


# --- the Python binding ------------------------------------------------------------

def run_binding(master, workload, n):
    from mesos_sched import MesosSchedulerDriver, Scheduler
    from mesos_sched.v1 import mesos_pb2

    progress = Progress(workload, n)
    terminal = {getattr(mesos_pb2, s) for s in TERMINAL}

    class Bench(Scheduler):
        launched = False

        def registered(self, driver, framework_id, master_info):
            progress.start()
            if workload == "reconcile":
                statuses = []
                for i in range(n):
                    status = mesos_pb2.TaskStatus(state=mesos_pb2.TASK_RUNNING)
                    status.task_id.value = "t-%d" % i
                    statuses.append(status)
                driver.reconcileTasks(statuses)

        def resourceOffers(self, driver, offers):
            if workload != "launch" or self.launched:
                return
            self.launched = True
            offer = offers[0]
            tasks = []
            for i in range(n):
                task = mesos_pb2.TaskInfo(name="t")
                task.task_id.value = "t-%d" % i
                task.agent_id.CopyFrom(offer.agent_id)
                task.command.value = "true"
                for name, value in (("cpus", 0.01), ("mem", 1.0)):
                    r = task.resources.add(name=name, type=mesos_pb2.Value.SCALAR)
                    r.scalar.value = value
                tasks.append(task)
            driver.launchTasks(offer.id, tasks)

        def statusUpdate(self, driver, status):
            # Implicit acknowledgement after return when it has a uuid.
            progress.update(status.state in terminal, bool(status.uuid))

    framework = mesos_pb2.FrameworkInfo(user="", name="side-by-side")
    driver = MesosSchedulerDriver(Bench(), framework, master)
    driver.start()
    progress.wait()
    progress.report()
    driver.stop()
    driver.join()


# --- pymesos -------------------------------------------------------------------------

def run_pymesos(master, workload, n):
    from pymesos import MesosSchedulerDriver, Scheduler

    progress = Progress(workload, n)

    class Bench(Scheduler):
        launched = False

        def registered(self, driver, framework_id, master_info):
            progress.start()
            if workload == "reconcile":
                driver.reconcileTasks([{"task_id": {"value": "t-%d" % i}} for i in range(n)])

        def resourceOffers(self, driver, offers):
            if workload != "launch" or self.launched:
                return
            self.launched = True
            offer = offers[0]
            driver.launchTasks(offer["id"], [task_dict(i, offer["agent_id"]) for i in range(n)])

        def statusUpdate(self, driver, update):
            # pymesos acknowledges implicitly after return when there is a uuid.
            progress.update(update["state"] in TERMINAL, "uuid" in update)

    framework = {"user": "root", "name": "side-by-side", "failover_timeout": 0}
    driver = MesosSchedulerDriver(Bench(), framework, master.split("://", 1)[1])
    driver.start()
    progress.wait()
    progress.report()
    driver.stop()
    driver.join()


# --- a minimal raw HTTP client --------------------------------------------------------

class Raw:
    """SUBSCRIBE on one socket (RecordIO in HTTP chunks, parsed by hand), calls on a
    second keep-alive socket without waiting for each answer (pipelined)."""

    def __init__(self, master):
        host, port = master.split("://", 1)[1].split(":")
        self.address = (host, int(port))
        self.stream = socket.create_connection(self.address)
        self.calls = socket.create_connection(self.address)
        self.calls.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.stream_id = None
        self.framework_id = None
        self.pending_answers = 0
        self.answers = b""

    def subscribe(self):
        body = json.dumps({"type": "SUBSCRIBE", "subscribe": {"framework_info": {
            "user": "root", "name": "side-by-side"}}}).encode()
        self.stream.sendall(b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Type: application/json\r\nAccept: application/json\r\n"
                            b"Content-Length: %d\r\n\r\n" % len(body) + body)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.stream.recv(65536)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"mesos-stream-id":
                self.stream_id = value.strip().decode()
        self.body = b""

    def events(self):
        """Events from what the stream has now (blocks for at least one read). Parses by
        offsets and trims each buffer once per read (no copy per record)."""
        self.buffer += self.stream.recv(262144)
        buffer, at = self.buffer, 0
        pieces = [self.body]
        while True:  # De-chunk.
            end = buffer.find(b"\r\n", at)
            if end < 0:
                break
            size = int(buffer[at:end], 16)
            if len(buffer) < end + 2 + size + 2:
                break
            pieces.append(buffer[end + 2:end + 2 + size])
            at = end + 2 + size + 2
        self.buffer = buffer[at:]
        body, at, out = b"".join(pieces), 0, []
        while True:  # RecordIO.
            end = body.find(b"\n", at)
            if end < 0:
                break
            size = int(body[at:end])
            if len(body) < end + 1 + size:
                break
            out.append(json.loads(body[end + 1:end + 1 + size]))
            at = end + 1 + size
        self.body = body[at:]
        return out

    def call(self, call_body):
        body = json.dumps(call_body).encode()
        self.pending_answers += 1
        return (b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Mesos-Stream-Id: " + self.stream_id.encode() +
                b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    def read_answers(self, block):
        """Counts answers (all bodies are empty on success: 202 with Content-Length 0)."""
        self.calls.setblocking(block)
        try:
            data = self.calls.recv(262144)
        except BlockingIOError:
            return
        finally:
            self.calls.setblocking(True)
        self.answers += data
        while True:
            end = self.answers.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.answers[:end]
            if not head.startswith(b"HTTP/1.1 202"):
                raise SystemExit("call refused: %r" % head[:200])
            self.answers = self.answers[end + 4:]
            self.pending_answers -= 1


def run_raw(master, workload, n):
    raw = Raw(master)
    raw.subscribe()
    progress = Progress(workload, n)
    launched = False
    while not progress.complete():
        out = []
        for event in raw.events():
            kind = event.get("type")
            if kind == "SUBSCRIBED":
                raw.framework_id = event["subscribed"]["framework_id"]
                progress.start()
                if workload == "reconcile":
                    out.append(raw.call({"type": "RECONCILE", "framework_id": raw.framework_id,
                                         "reconcile": {"tasks": [{"task_id": {"value": "t-%d" % i}}
                                                                 for i in range(n)]}}))
            elif kind == "OFFERS" and workload == "launch" and not launched:
                launched = True
                offer = event["offers"]["offers"][0]
                out.append(raw.call({"type": "ACCEPT", "framework_id": raw.framework_id,
                                     "accept": {"offer_ids": [offer["id"]], "operations": [{
                                         "type": "LAUNCH", "launch": {"task_infos": [
                                             task_dict(i, offer["agent_id"]) for i in range(n)]}}]}}))
            elif kind == "UPDATE":
                status = event["update"]["status"]
                uuid = status.get("uuid")
                if uuid:
                    out.append(raw.call({"type": "ACKNOWLEDGE", "framework_id": raw.framework_id,
                                         "acknowledge": {"agent_id": status["agent_id"],
                                                         "task_id": status["task_id"],
                                                         "uuid": uuid}}))
                progress.update(status["state"] in TERMINAL, bool(uuid))
        if out:
            raw.calls.sendall(b"".join(out))
        raw.read_answers(block=False)
    while raw.pending_answers:
        raw.read_answers(block=True)
    progress.report()
    raw.calls.sendall(raw.call({"type": "TEARDOWN", "framework_id": raw.framework_id}))
    while raw.pending_answers:
        raw.read_answers(block=True)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    client, master, workload, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if workload not in ("reconcile", "launch"):
        raise SystemExit("workload: reconcile or launch")
    {"binding": run_binding, "pymesos": run_pymesos, "raw": run_raw}[client](master, workload, n)
