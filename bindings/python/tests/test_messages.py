"""The shipped message classes: v0 is the wire twin of v1, generated code is current."""

from __future__ import annotations

import os
import pickle
import re
from typing import Any, Dict

from google.protobuf import descriptor as d

from mesos_sched.v0 import mesos_pb2 as v0
from mesos_sched.v1 import mesos_pb2 as v1
from mesos_sched.v1.scheduler import scheduler_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

V0_NAMES = {"AgentID": "SlaveID", "AgentInfo": "SlaveInfo", "agent_id": "slave_id"}


def v0_name(name: str) -> str:
    return re.sub(r"REASON_AGENT_", "REASON_SLAVE_", V0_NAMES.get(name, name))


def cardinality(field: Any) -> Any:
    # `label` is gone from protobuf 7; is_required/is_repeated are absent from older ones.
    if hasattr(field, "is_required"):
        return (field.is_required, field.is_repeated)
    return field.label


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


def test_every_v1_message_has_a_wire_identical_v0_twin() -> None:
    v1_messages = all_messages(v1)
    v0_messages = all_messages(v0)
    assert len(v1_messages) == len(v0_messages) > 40
    for name, message in v1_messages.items():
        twin_name = ".".join(v0_name(part) for part in name.split("."))
        twin = v0_messages[twin_name]
        assert sorted(f.number for f in message.fields) == sorted(f.number for f in twin.fields), name
        for field in message.fields:
            other = twin.fields_by_number[field.number]
            assert other.name == v0_name(field.name), (name, field.name)
            assert other.type == field.type, (name, field.name)
            assert cardinality(other) == cardinality(field), (name, field.name)
            if field.type == d.FieldDescriptor.TYPE_ENUM:
                numbers = sorted(v.number for v in field.enum_type.values)
                assert numbers == sorted(v.number for v in other.enum_type.values), (name, field.name)


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
    v1_path = os.path.join(ROOT, "proto", "mesos", "v1", "mesos.proto")
    v1_text = open(v1_path, encoding="utf-8").read()
    # The v0 twin is v1 with the legacy names (tools/gen_protos.sh derives it so).
    v0_text = re.sub(r"\b\w+\b", lambda word: v0_name(word.group(0)), v1_text)
    scheduler_path = os.path.join(ROOT, "proto", "mesos", "v1", "scheduler", "scheduler.proto")
    checks = [
        (v1, v1_path, v1_text),
        (scheduler_pb2, scheduler_path, open(scheduler_path, encoding="utf-8").read()),
        (v0, "v0 twin of " + v1_path, v0_text),
    ]
    for module, path, text in checks:
        declared = set(re.findall(r"^\s*message\s+(\w+)", text, re.M))
        generated = {name.split(".")[-1] for name in all_messages(module)}
        assert declared == generated, (path, declared ^ generated)
        fields = set(re.findall(r"\b(\w+)\s*=\s*(\d+)\s*[;\[]", text))
        generated_fields = set()
        for message in all_messages(module).values():
            generated_fields.update((f.name, str(f.number)) for f in message.fields)
            for enum in message.enum_types:
                generated_fields.update((v.name, str(v.number)) for v in enum.values)
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            generated_fields.update((v.name, str(v.number)) for v in enum.values)
        assert fields == generated_fields, (path, sorted(fields ^ generated_fields)[:10])
