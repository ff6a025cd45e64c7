"""Generated mesos.v1.scheduler Call/Event classes (see tools/gen_protos.sh)."""
