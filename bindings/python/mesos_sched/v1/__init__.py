"""Generated mesos.v1 message classes (from the project's proto/; see tools/gen_protos.sh)."""
