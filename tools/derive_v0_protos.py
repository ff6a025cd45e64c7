#!/usr/bin/env python3
"""Derives the legacy v0 (`mesos.*`) .proto files from the project's own v1 files.

The v0 and v1 APIs describe the same messages with the same field numbers and types, so
they are identical on the wire; v0 only uses the older names (SlaveID, slave_id,
REASON_SLAVE_*, package `mesos`). Everything v0 has beyond those renames is listed
explicitly in V0_ONLY below, so that the difference between the two is visible and
tested, never hidden in a hand-kept copy.

Usage: derive_v0_protos.py V1_PROTO_ROOT OUT_ROOT
Writes OUT_ROOT/mesos/mesos.proto and OUT_ROOT/mesos/scheduler/scheduler.proto.
"""
import pathlib
import re
import sys

# (v1 file relative to the proto root, v0 file relative to the output root)
FILES = [
    ("mesos/v1/mesos.proto", "mesos/mesos.proto"),
    ("mesos/v1/scheduler/scheduler.proto", "mesos/scheduler/scheduler.proto"),
]

# Word-level renames, applied in order.
RENAMES = [
    (r"\bmesos\.v1\b", "mesos"),
    (r"\bmesos/v1/", "mesos/"),
    (r"AgentID\b", "SlaveID"),
    (r"AgentInfo\b", "SlaveInfo"),
    (r"\bagent_id\b", "slave_id"),
    (r"\bREASON_AGENT_", "REASON_SLAVE_"),
]

# What v0 has beyond the renames: (v0 file, message path, field declaration). Each is
# inserted as the last field of that message.
V0_ONLY = []


def derive(text):
    for pattern, replacement in RENAMES:
        text = re.sub(pattern, replacement, text)
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
        target.write_text(derive(v1_path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
