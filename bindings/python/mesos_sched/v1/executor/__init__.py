"""Generated mesos.v1.executor Call/Event classes (see tools/gen_protos.sh)."""
