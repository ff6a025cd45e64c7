#!/usr/bin/env python3
"""Derives the legacy v0 (`mesos.*`) .proto files from the project's own v1 files.

The v0 and v1 APIs describe the same messages with the same field numbers and types, so
they are identical on the wire; v0 mostly uses older names (SlaveID, slave_id,
REASON_SLAVE_*, package `mesos`). Everything v0 has beyond those renames is listed
explicitly in V0_ONLY below, so that the difference between the two is visible and
tested (bindings/python/tests/test_schema.py), never hidden in a hand-kept copy.

Usage: derive_v0_protos.py V1_PROTO_ROOT OUT_ROOT
Writes OUT_ROOT/mesos/mesos.proto, OUT_ROOT/mesos/scheduler/scheduler.proto and
OUT_ROOT/mesos/executor/executor.proto.
"""
import pathlib
import re
import sys

# (v1 file relative to the proto root, v0 file relative to the output root)
FILES = [
    ("mesos/v1/mesos.proto", "mesos/mesos.proto"),
    ("mesos/v1/scheduler/scheduler.proto", "mesos/scheduler/scheduler.proto"),
    ("mesos/v1/executor/executor.proto", "mesos/executor/executor.proto"),
]

# Word-level renames, applied in order.
RENAMES = [
    (r"\bmesos\.v1\b", "mesos"),
    (r"\bmesos/v1/", "mesos/"),
    (r"AgentID\b", "SlaveID"),
    (r"AgentInfo\b", "SlaveInfo"),
    (r"\bagent_id\b", "slave_id"),
    (r"\bagent_info\b", "slave_info"),
    (r"\bREASON_AGENT_", "REASON_SLAVE_"),
    (r"\bSOURCE_AGENT\b", "SOURCE_SLAVE"),
]

# What v0 has beyond the renames, in v0 names: (v0 file, dotted message path, edit).
#   ("add", declaration)   a v0-only field, appended to the message
#   ("renumber", field, n) a field whose v0 number differs (v0 kept a field v1 dropped)
#   ("drop",)              a v1-only message, absent from v0
V0_ONLY = [
    # The agent's checkpointing flag, replaced by an agent capability in v1.
    ("mesos/mesos.proto", "SlaveInfo", ("add", "optional bool checkpoint = 7 [default = false];")),
    # v0 SUBSCRIBE could force a failover; v1 dropped `force` and renumbered what followed.
    ("mesos/scheduler/scheduler.proto", "Call.Subscribe", ("add", "optional bool force = 2;")),
    ("mesos/scheduler/scheduler.proto", "Call.Subscribe", ("renumber", "suppressed_roles", 3)),
    ("mesos/scheduler/scheduler.proto", "Call.Subscribe", ("renumber", "offer_constraints", 4)),
    # The HTTP API's synchronous result envelope exists only in v1.
    ("mesos/scheduler/scheduler.proto", "APIResult", ("drop",)),
]

_OPEN = re.compile(r"^\s*(message|enum)\s+(\w+)\s*\{\s*$")
_ONE_LINE = re.compile(r"^\s*(message|enum)\s+(\w+)\s*\{.*\}\s*$")


def find_message(lines, path):
    """(first line, closing line) of the multi-line message at dotted `path`."""
    stack = []
    start = None
    for index, line in enumerate(lines):
        one_line = _ONE_LINE.match(line)
        if one_line:
            if ".".join(stack + [one_line.group(2)]) == path:
                raise ValueError(f"message {path} is on one line; write it out to edit it")
            continue
        opened = _OPEN.match(line)
        if opened:
            stack.append(opened.group(2))
            if ".".join(stack) == path:
                start = index
        elif line.strip() == "}":
            if start is not None and ".".join(stack) == path:
                return start, index
            stack.pop()
    raise ValueError(f"no message {path}")


def apply_edit(text, path, edit):
    lines = text.split("\n")
    start, end = find_message(lines, path)
    indent = re.match(r"\s*", lines[start]).group(0) + "  "
    if edit[0] == "add":
        lines.insert(end, indent + edit[1])
    elif edit[0] == "renumber":
        _, field, number = edit
        pattern = re.compile(rf"^({indent}\S.*\b{field} = )\d+\b")
        hits = [i for i in range(start + 1, end) if pattern.match(lines[i])]
        if len(hits) != 1:
            raise ValueError(f"no field {path}.{field}")
        lines[hits[0]] = pattern.sub(rf"\g<1>{number}", lines[hits[0]])
    elif edit[0] == "drop":
        del lines[start:end + 1]
        if start < len(lines) and start > 0 and not lines[start - 1].strip():
            del lines[start - 1]
    else:
        raise ValueError(f"unknown edit {edit!r}")
    return "\n".join(lines)


def derive(text, v0_name):
    for pattern, replacement in RENAMES:
        text = re.sub(pattern, replacement, text)
    for file, path, edit in V0_ONLY:
        if file == v0_name:
            text = apply_edit(text, path, edit)
    return text


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    source, out = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    for v1_name, v0_name in FILES:
        v1_path = source / v1_name
        if not v1_path.is_file():
            sys.stderr.write(f"derive_v0_protos.py: missing {v1_path}\n")
            return 1
        target = out / v0_name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.write_text(derive(v1_path.read_text(), v0_name))
        except ValueError as error:
            sys.stderr.write(f"derive_v0_protos.py: {v0_name}: {error}\n")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
