#!/usr/bin/env python3
"""Compares the schema facts of two protobuf descriptor sets.

Usage: compare_descriptors.py EXPECTED.pb ACTUAL.pb [PACKAGE_PREFIX...]

Both files are FileDescriptorSets (protoc --include_imports --descriptor_set_out=...).
Compared, per fully qualified name: every message, every field (number, type, type name,
label, default, packed) and every enum value (number). Files, comments, layout and
options other than `packed` are ignored, so two independently written files describing
the same wire schema compare equal. Prints the counts and every difference; exits 1 when
any fact differs. Only packages starting with one of the prefixes are compared (all
when none is given). Needs the `protobuf` Python package.
"""
import sys

from google.protobuf import descriptor_pb2


def facts(path, prefixes):
    fds = descriptor_pb2.FileDescriptorSet.FromString(open(path, "rb").read())
    messages, fields, enum_values = set(), {}, {}

    def walk_enum(scope, enum):
        for value in enum.value:
            enum_values[f"{scope}.{enum.name}.{value.name}"] = value.number

    def walk_message(scope, message):
        name = f"{scope}.{message.name}"
        messages.add(name)
        for field in message.field:
            fields[f"{name}.{field.name}"] = (
                field.number,
                descriptor_pb2.FieldDescriptorProto.Type.Name(field.type),
                field.type_name,
                descriptor_pb2.FieldDescriptorProto.Label.Name(field.label),
                field.default_value if field.HasField("default_value") else None,
                field.options.packed if field.options.HasField("packed") else None,
            )
        for nested in message.nested_type:
            walk_message(name, nested)
        for enum in message.enum_type:
            walk_enum(name, enum)

    for file in fds.file:
        if prefixes and not any(file.package.startswith(p) for p in prefixes):
            continue
        for message in file.message_type:
            walk_message(file.package, message)
        for enum in file.enum_type:
            walk_enum(file.package, enum)
    return messages, fields, enum_values


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    prefixes = argv[3:]
    expected, actual = facts(argv[1], prefixes), facts(argv[2], prefixes)
    problems = 0
    for kind, want, have in zip(("message", "field", "enum value"), expected, actual):
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        differing = sorted(k for k in set(want) & set(have)
                           if isinstance(want, dict) and want[k] != have[k])
        same = len(set(want) & set(have)) - len(differing)
        print(f"{kind}s: expected {len(want)}, actual {len(have)}, identical {same}, "
              f"missing {len(missing)}, extra {len(extra)}, differing {len(differing)}")
        for name in missing:
            print(f"  missing {kind} {name}")
        for name in extra:
            print(f"  extra {kind} {name}")
        for name in differing:
            print(f"  differing {kind} {name}: expected {want[name]}, actual {have[name]}")
        problems += len(missing) + len(extra) + len(differing)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
