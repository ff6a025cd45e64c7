"""Generated v0 (package mesos, legacy names) message classes; imported only through
mesos.interface.mesos_pb2 when the legacy package is absent (see tools/gen_protos.sh)."""
