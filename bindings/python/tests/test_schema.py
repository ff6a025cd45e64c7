"""The whole public schema: v0 derivation, shared TaskInfo bytes, every field on mesos-local."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import textwrap
from typing import Any, Dict, Iterator, List, Tuple

from google.protobuf import descriptor as d

from mesos_sched.v0 import executor_pb2 as v0_executor
from mesos_sched.v0 import mesos_pb2 as v0
from mesos_sched.v0 import scheduler_pb2 as v0_scheduler
from mesos_sched.v1 import mesos_pb2 as v1
from mesos_sched.v1.executor import executor_pb2 as v1_executor
from mesos_sched.v1.scheduler import scheduler_pb2 as v1_scheduler

from conftest import PYTHON, python_env

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "task_info_full.bin")


def load_derive_tool() -> Any:
    path = os.path.join(ROOT, "tools", "derive_v0_protos.py")
    spec = importlib.util.spec_from_file_location("derive_v0_protos", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


DERIVE = load_derive_tool()
# v0 file of the derivation -> (v1 module, v0 module)
MODULES = {
    "mesos/mesos.proto": (v1, v0),
    "mesos/scheduler/scheduler.proto": (v1_scheduler, v0_scheduler),
    "mesos/executor/executor.proto": (v1_executor, v0_executor),
}


def v0_name(name: str) -> str:
    """A v1 name (dotted path, field or enum value) in v0 words: the tool's renames only."""
    for pattern, replacement in DERIVE.RENAMES:
        name = re.sub(pattern, replacement, name)
    return name


def schema(module: Any) -> Dict[str, Any]:
    """{package-relative path: descriptor} of every message, field and enum value."""
    found: Dict[str, Any] = {}

    def enum(prefix: str, descriptor: Any) -> None:
        for value in descriptor.values:
            found[prefix + descriptor.name + "." + value.name] = value

    def message(prefix: str, descriptor: Any) -> None:
        path = prefix + descriptor.name
        found[path] = descriptor
        for field in descriptor.fields:
            found[path + "." + field.name] = field
        for nested in descriptor.nested_types:
            message(path + ".", nested)
        for nested_enum in descriptor.enum_types:
            enum(path + ".", nested_enum)

    for descriptor in module.DESCRIPTOR.message_types_by_name.values():
        message("", descriptor)
    for descriptor in module.DESCRIPTOR.enum_types_by_name.values():
        enum("", descriptor)
    return found


def listed_items() -> Dict[str, List[Tuple[str, str, Any]]]:
    """The derivation's v0-only list as (kind, v0 path, detail), per v0 file."""
    items: Dict[str, List[Tuple[str, str, Any]]] = {name: [] for name in MODULES}
    for file, path, edit in DERIVE.V0_ONLY:
        if edit[0] == "add":
            name, number = re.search(r"(\w+)\s*=\s*(\d+)", edit[1]).groups()
            items[file].append(("add", path + "." + name, int(number)))
        elif edit[0] == "renumber":
            items[file].append(("renumber", path + "." + edit[1], edit[2]))
        else:
            items[file].append(("drop", path, None))
    return items


def kind(descriptor: Any) -> Tuple[Any, ...]:
    if isinstance(descriptor, d.FieldDescriptor):
        target = descriptor.message_type or descriptor.enum_type
        type_name = v0_name(target.full_name) if target is not None else None
        cardinality = (
            (descriptor.is_required, descriptor.is_repeated)
            if hasattr(descriptor, "is_required")
            else descriptor.label
        )
        return ("field", descriptor.type, type_name, cardinality)
    if isinstance(descriptor, d.EnumValueDescriptor):
        return ("enum value",)
    return ("message",)


def number(descriptor: Any) -> Any:
    return getattr(descriptor, "number", None)


def test_the_v0_only_list_is_what_sets_v0_apart() -> None:
    items = listed_items()
    assert sum(len(v) for v in items.values()) == len(DERIVE.V0_ONLY) > 0
    for file, (v1_module, v0_module) in MODULES.items():
        v1_schema, v0_schema = schema(v1_module), schema(v0_module)
        v1_in_v0_words = {v0_name(path): descriptor for path, descriptor in v1_schema.items()}
        listed = set()
        for what, path, detail in items[file]:
            listed.add(path)
            if what == "add":
                assert path in v0_schema and path not in v1_in_v0_words, (file, path)
                assert v0_schema[path].number == detail, (file, path)
            elif what == "renumber":
                assert v0_schema[path].number == detail, (file, path)
                assert v1_in_v0_words[path].number != detail, (file, path)
            else:
                assert path in v1_in_v0_words and path not in v0_schema, (file, path)
                listed.update(p for p in v1_in_v0_words if p.startswith(path + "."))
        # Everything else is a pure rename: same names (in v0 words), numbers and types.
        rest_v1 = {p: x for p, x in v1_in_v0_words.items() if p not in listed}
        rest_v0 = {p: x for p, x in v0_schema.items() if p not in listed}
        assert sorted(rest_v1) == sorted(rest_v0), (file, sorted(set(rest_v1) ^ set(rest_v0))[:10])
        for path, descriptor in rest_v1.items():
            twin = rest_v0[path]
            assert kind(twin) == kind(descriptor), (file, path)
            assert number(twin) == number(descriptor), (file, path)


def test_v0_keeps_what_legacy_frameworks_used() -> None:
    # Spot checks of the list, by the names legacy code writes.
    info = v0.SlaveInfo(hostname="h", checkpoint=True)
    assert v0.SlaveInfo.FromString(info.SerializeToString()).checkpoint
    subscribe = v0_scheduler.Call.Subscribe(force=True, suppressed_roles=["r"])
    subscribe.framework_info.user, subscribe.framework_info.name = "", "n"
    decoded = v0_scheduler.Call.Subscribe.FromString(subscribe.SerializeToString())
    assert decoded.force and decoded.suppressed_roles == ["r"]
    assert not hasattr(v0_scheduler, "APIResult") and hasattr(v1_scheduler, "APIResult")
    assert v0.TaskStatus.SOURCE_SLAVE == v1.TaskStatus.SOURCE_AGENT
    assert v0.Resource(name="cpus", role="r").role == "r"


def full_task_info(pb2: Any) -> Any:
    """The TaskInfo of tests/fixtures/README.md, in either family (v0 or v1)."""
    task = pb2.TaskInfo(name="schema-task", data=b"payload")
    task.task_id.value = "task-1"
    (task.slave_id if pb2 is v0 else task.agent_id).value = "agent-1"
    for name, value in (("cpus", 0.1), ("mem", 32.0)):
        resource = task.resources.add(name=name, type=pb2.Value.SCALAR)
        resource.scalar.value = value
    task.command.value = "sleep 30"
    task.command.shell = True
    task.command.environment.variables.add(name="GREETING", value="hello")
    task.health_check.type = pb2.HealthCheck.COMMAND
    task.health_check.command.value = "true"
    task.health_check.delay_seconds = 1.0
    task.health_check.interval_seconds = 2.0
    task.health_check.consecutive_failures = 3
    task.container.type = pb2.ContainerInfo.MESOS
    task.container.volumes.add(mode=pb2.Volume.RW, container_path="scratch")
    task.container.hostname = "schema-host"
    task.container.mesos.SetInParent()
    task.labels.labels.add(key="team", value="infra")
    task.labels.labels.add(key="tier")
    task.discovery.visibility = pb2.DiscoveryInfo.FRAMEWORK
    task.discovery.name = "schema"
    task.discovery.ports.ports.add(number=8080, name="http", protocol="tcp")
    return task


def test_full_task_info_bytes_match_the_shared_fixture() -> None:
    with open(FIXTURE, "rb") as fixture:
        expected = fixture.read()
    for family in (v1, v0):
        assert full_task_info(family).SerializeToString() == expected, family.__name__
    assert v1.TaskInfo.FromString(expected) == full_task_info(v1)


LEGACY_FRAMEWORK = """
    import sys, threading
    from mesos.interface import Scheduler, mesos_pb2
    from mesos.native import MesosSchedulerDriver
    from test_schema import full_task_info

    done = threading.Event()

    class Legacy(Scheduler):
        launched = False

        def resourceOffers(self, driver, offers):
            for offer in offers:
                if self.launched:
                    driver.declineOffer(offer.id)
                    continue
                self.launched = True
                task = full_task_info(mesos_pb2)
                task.slave_id.CopyFrom(offer.slave_id)
                # Succeeds only if the environment reached the agent.
                task.command.value = '[ "$GREETING" = hello ]'
                driver.launchTasks(offer.id, [task])

        def statusUpdate(self, driver, status):
            print("state", mesos_pb2.TaskState.Name(status.state), flush=True)
            if status.state in (mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED,
                                mesos_pb2.TASK_LOST, mesos_pb2.TASK_ERROR):
                done.set()

    framework = mesos_pb2.FrameworkInfo(user="", name="schema-legacy")
    driver = MesosSchedulerDriver(Legacy(), framework, sys.argv[1])
    driver.start()
    finished = done.wait(60)
    driver.stop(True)  # failover: the framework and its task stay in /state
    driver.join()
    sys.exit(0 if finished else 3)
"""


def find_tasks(document: Any, task_id: str) -> Iterator[Dict[str, Any]]:
    if isinstance(document, dict):
        if document.get("id") == task_id and "state" in document:
            yield document
        for value in document.values():
            yield from find_tasks(value, task_id)
    elif isinstance(document, list):
        for value in document:
            yield from find_tasks(value, task_id)


def test_legacy_framework_launches_a_task_with_every_field(mesos_local: Any, tmp_path: Any) -> None:
    result = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(LEGACY_FRAMEWORK), mesos_local.master],
        cwd=str(tmp_path),
        env=python_env(PYTHONPATH=HERE),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "state TASK_FINISHED" in result.stdout, result.stdout + result.stderr
    tasks = list(find_tasks(mesos_local.state(), "task-1"))
    assert tasks, json.dumps(mesos_local.state())[:2000]
    task = tasks[-1]
    assert task["state"] == "TASK_FINISHED"
    assert task["container"] == {
        "type": "MESOS",
        "volumes": [{"mode": "RW", "container_path": "scratch"}],
        "hostname": "schema-host",
        "mesos": {},
    }
    assert task["health_check"] == {
        "type": "COMMAND",
        "command": {"value": "true"},
        "delay_seconds": 1.0,
        "interval_seconds": 2.0,
        "consecutive_failures": 3,
    }
    assert task["labels"] == [{"key": "team", "value": "infra"}, {"key": "tier"}]
    assert task["discovery"] == {
        "visibility": "FRAMEWORK",
        "name": "schema",
        "ports": {"ports": [{"number": 8080, "name": "http", "protocol": "tcp"}]},
    }
