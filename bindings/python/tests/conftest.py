"""Fixtures: a `mesos-local` cluster process, the library path, a recording scheduler.

Environment:
  MESOS_LOCAL_BIN      the mesos-local binary (default: target/debug/mesos-local of the repo)
  MESOS_SCHED_LIBRARY  the library (default: target/debug/libmesos_sched.so of the repo)
  MESOS_LOCAL_ARGS     extra arguments for mesos-local (whitespace-separated)
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_BIN = os.path.join(REPO_ROOT, "target", "debug", "mesos-local")
DEFAULT_LIB = os.path.join(REPO_ROOT, "target", "debug", "libmesos_sched.so")

os.environ.setdefault("MESOS_SCHED_LIBRARY", DEFAULT_LIB)

LISTENING = re.compile(r"listening on (https?://[^\s]+)")
STARTUP_TIMEOUT = 30.0
EVENT_TIMEOUT = float(os.environ.get("MESOS_SCHED_TEST_TIMEOUT", "30"))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MesosLocal:
    """A mesos-local process on 127.0.0.1; `master` is the host:port to give a driver."""

    def __init__(self, extra_args: Optional[List[str]] = None) -> None:
        self.binary = os.environ.get("MESOS_LOCAL_BIN", DEFAULT_BIN)
        if not os.path.exists(self.binary):
            raise RuntimeError(
                "mesos-local not found at %s (set MESOS_LOCAL_BIN or run `cargo build`)" % self.binary
            )
        self.extra_args = list(extra_args or []) + shlex.split(os.environ.get("MESOS_LOCAL_ARGS", ""))
        self.process: Optional[subprocess.Popen] = None
        self.url = ""
        self.output: List[str] = []
        self._start()

    def _launch(self, port: int) -> Tuple[subprocess.Popen, Optional[str]]:
        args = [self.binary, "--ip", "127.0.0.1", "--port", str(port)] + self.extra_args
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        found: List[str] = []
        ready = threading.Event()

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                self.output.append(line.rstrip("\n"))
                match = LISTENING.search(line)
                if match and not found:
                    found.append(match.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=pump, name="mesos-local-output", daemon=True).start()
        ready.wait(STARTUP_TIMEOUT)
        return proc, (found[0] if found else None)

    def _start(self) -> None:
        # Port 0 first (the binary picks a free port and prints it); a binary that
        # cannot do that gets a free port chosen here.
        for port in (0, _free_port()):
            proc, url = self._launch(port)
            if url:
                self.process, self.url = proc, url
                return
            proc.kill()
            proc.wait()
        raise RuntimeError("mesos-local did not start; its output:\n" + "\n".join(self.output[-50:]))

    @property
    def master(self) -> str:
        return re.sub(r"^https?://", "", self.url).rstrip("/")

    def get_json(self, path: str) -> Any:
        import json
        import urllib.request

        with urllib.request.urlopen(self.url.rstrip("/") + path, timeout=10) as response:
            return json.loads(response.read().decode("utf-8"))

    def state(self) -> Dict[str, Any]:
        """The master's /state document (/master/state or /state)."""
        last: Optional[Exception] = None
        for path in ("/master/state", "/state"):
            try:
                return self.get_json(path)
            except Exception as err:  # noqa: BLE001
                last = err
        raise RuntimeError("no /state endpoint on mesos-local: %s" % last)

    def post(self, path: str) -> str:
        """POSTs to mesos-local (the fault endpoints of --admin); returns the body."""
        import urllib.request

        request = urllib.request.Request(self.url.rstrip("/") + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode("utf-8")

    def wait_framework_removed(self, framework_id: str, timeout: float = EVENT_TIMEOUT) -> None:
        """Waits until the master has removed (torn down) the framework."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            removed = set(state.get("removed_framework_ids", []))
            removed.update(f.get("id") for f in state.get("completed_frameworks", []))
            if framework_id in removed:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    "framework %s was not removed within %.0f s: frameworks %s"
                    % (framework_id, timeout, [f.get("id") for f in state.get("frameworks", [])])
                )
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture()
def mesos_local() -> Iterator[MesosLocal]:
    """A cluster per test (it starts in milliseconds): no test sees another's leftovers."""
    cluster = MesosLocal()
    yield cluster
    cluster.stop()


@pytest.fixture()
def faulty_mesos_local() -> Iterator[MesosLocal]:
    """A cluster of its own with the fault-injection endpoint (POST /admin/faults/...)."""
    cluster = MesosLocal(["--admin"])
    yield cluster
    cluster.stop()


class Recorder:
    """A Scheduler recording every callback as (name, args) and waking waiters.

    Hooks: set `on_<callback>` attributes (callables taking the same arguments) to act
    inside the callback. Offers are kept, never declined, unless a hook says otherwise.
    """

    def __init__(self) -> None:
        self.events: List[Tuple[str, Tuple[Any, ...]]] = []
        self.cond = threading.Condition()
        self.callback_threads: set = set()
        self.hooks: Dict[str, Callable[..., None]] = {}

    def _record(self, name: str, driver: Any, *args: Any) -> None:
        with self.cond:
            self.events.append((name, args))
            self.callback_threads.add(threading.get_ident())
            self.cond.notify_all()
        hook = self.hooks.get(name)
        if hook is not None:
            hook(driver, *args)

    def registered(self, driver: Any, frameworkId: Any, masterInfo: Any) -> None:
        self._record("registered", driver, frameworkId, masterInfo)

    def reregistered(self, driver: Any, masterInfo: Any) -> None:
        self._record("reregistered", driver, masterInfo)

    def disconnected(self, driver: Any) -> None:
        self._record("disconnected", driver)

    def resourceOffers(self, driver: Any, offers: List[Any]) -> None:
        self._record("resourceOffers", driver, offers)

    def offerRescinded(self, driver: Any, offerId: Any) -> None:
        self._record("offerRescinded", driver, offerId)

    def statusUpdate(self, driver: Any, status: Any) -> None:
        self._record("statusUpdate", driver, status)

    def frameworkMessage(self, driver: Any, executorId: Any, slaveId: Any, message: bytes) -> None:
        self._record("frameworkMessage", driver, executorId, slaveId, message)

    def slaveLost(self, driver: Any, slaveId: Any) -> None:
        self._record("slaveLost", driver, slaveId)

    def executorLost(self, driver: Any, executorId: Any, slaveId: Any, status: int) -> None:
        self._record("executorLost", driver, executorId, slaveId, status)

    def error(self, driver: Any, message: str) -> None:
        self._record("error", driver, message)

    def wait_for(
        self,
        name: str,
        predicate: Callable[..., bool] = lambda *args: True,
        timeout: float = EVENT_TIMEOUT,
    ) -> Tuple[Any, ...]:
        """Waits for a callback `name` whose args satisfy predicate; returns its args."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for event_name, args in self.events[seen:]:
                    if event_name == name and predicate(*args):
                        return args
                seen = len(self.events)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        "no %s callback matching within %.0f s; got: %s"
                        % (name, timeout, [e[0] for e in self.events])
                    )
                self.cond.wait(remaining)

    def names(self) -> List[str]:
        with self.cond:
            return [e[0] for e in self.events]

    def statuses(self, task_id: Optional[str] = None) -> List[Any]:
        with self.cond:
            return [
                e[1][0]
                for e in self.events
                if e[0] == "statusUpdate" and (task_id is None or e[1][0].task_id.value == task_id)
            ]


@pytest.fixture()
def recorder() -> Recorder:
    return Recorder()


def framework_info(name: str = "pytest-framework", **fields: Any) -> Any:
    from mesos_sched.v1 import mesos_pb2

    info = mesos_pb2.FrameworkInfo(user="", name=name)
    for key, value in fields.items():
        setattr(info, key, value)
    return info


@pytest.fixture()
def drivers() -> Iterator[List[Any]]:
    """Collects drivers made by a test and stops (tears down) every one at the end."""
    made: List[Any] = []
    yield made
    for driver in made:
        try:
            driver.stop(False)
            driver.join()
        except Exception:  # noqa: BLE001 - cleanup only
            pass


def python_env(**extra: str) -> Dict[str, str]:
    """Environment for a child Python using this venv and library."""
    env = dict(os.environ)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


PYTHON = sys.executable
