"""The shipped message classes: v0 is the wire twin of v1, generated code is current."""

from __future__ import annotations

import os
import pickle
import re
from typing import Any, Dict

from mesos_sched.v0 import executor_pb2 as v0_executor
from mesos_sched.v0 import mesos_pb2 as v0
from mesos_sched.v0 import scheduler_pb2 as v0_scheduler
from mesos_sched.v1 import mesos_pb2 as v1
from mesos_sched.v1.executor import executor_pb2 as v1_executor
from mesos_sched.v1.scheduler import scheduler_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def walk(descriptor: Any, prefix: str = "") -> Dict[str, Any]:
    found = {prefix + descriptor.name: descriptor}
    for nested in descriptor.nested_types:
        found.update(walk(nested, prefix + descriptor.name + "."))
    return found


def all_messages(module: Any) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    for message in module.DESCRIPTOR.message_types_by_name.values():
        found.update(walk(message))
    return found


# That every v0 message is the wire twin of its v1 message, apart from the explicit
# v0-only list, is checked by test_schema.py.


def test_bytes_cross_between_families() -> None:
    status = v0.TaskStatus(state=v0.TASK_RUNNING, uuid=b"u" * 16, message="hi")
    status.task_id.value = "t"
    status.slave_id.value = "s1"
    status.reason = v0.TaskStatus.REASON_SLAVE_RESTARTED
    back = v1.TaskStatus.FromString(status.SerializeToString())
    assert back.agent_id.value == "s1"
    assert back.reason == v1.TaskStatus.REASON_AGENT_RESTARTED
    assert v0.TaskStatus.FromString(back.SerializeToString()) == status


def test_unknown_fields_and_enum_values_survive() -> None:
    # A newer master's fields must not be lost by a parse/serialize round trip.
    extra_field = b"\xa2\x06\x03abc"  # field 100, length-delimited
    framework_id = v1.FrameworkID(value="f").SerializeToString() + extra_field
    assert v1.FrameworkID.FromString(framework_id).SerializeToString() == framework_id
    unknown_state = b"\x0a\x03\x0a\x01t" + b"\x10\x63"  # task_id, state = 99
    parsed = v1.TaskStatus.FromString(unknown_state)
    assert parsed.task_id.value == "t"


def test_classes_pickle_under_their_module() -> None:
    offer_id = v1.OfferID(value="o")
    assert type(offer_id).__module__ == "mesos_sched.v1.mesos_pb2"
    assert pickle.loads(pickle.dumps(offer_id)) == offer_id


def test_scheduler_envelopes_are_generated() -> None:
    event = scheduler_pb2.Event(type=scheduler_pb2.Event.SUBSCRIBED)
    event.subscribed.framework_id.value = "f"
    assert scheduler_pb2.Event.FromString(event.SerializeToString()) == event


def test_generated_code_matches_the_proto_files() -> None:
    """The committed *_pb2.py embed the descriptors of today's .proto files."""
    from test_schema import DERIVE

    def read(*parts: str) -> str:
        return open(os.path.join(ROOT, "proto", "mesos", "v1", *parts), encoding="utf-8").read()

    checks = []
    for v1_name, v0_file in DERIVE.FILES:
        parts = v1_name.split("/")[2:]
        api = parts[0] if len(parts) > 1 else None
        v1_module = {None: v1, "scheduler": scheduler_pb2, "executor": v1_executor}[api]
        v0_module = {None: v0, "scheduler": v0_scheduler, "executor": v0_executor}[api]
        text = read(*parts)
        checks.append((v1_module, v1_name, text))
        # The v0 twins are what tools/derive_v0_protos.py makes of the v1 files.
        checks.append((v0_module, v0_file, DERIVE.derive(text, v0_file)))
    for module, path, text in checks:
        declared = set(re.findall(r"^\s*message\s+(\w+)", text, re.M))
        generated = {
            name.split(".")[-1]
            for name, message in all_messages(module).items()
            if not message.GetOptions().map_entry
        }
        assert declared == generated, (path, declared ^ generated)
        fields = set(re.findall(r"\b(\w+)\s*=\s*(\d+)\s*[;\[]", text))
        generated_fields = set()
        for message in all_messages(module).values():
            if message.GetOptions().map_entry:
                continue
            generated_fields.update((f.name, str(f.number)) for f in message.fields)
            for enum in message.enum_types:
                generated_fields.update((v.name, str(v.number)) for v in enum.values)
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            generated_fields.update((v.name, str(v.number)) for v in enum.values)
        assert fields == generated_fields, (path, sorted(fields ^ generated_fields)[:10])
