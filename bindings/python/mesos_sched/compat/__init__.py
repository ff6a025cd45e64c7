"""Compatibility layer: mesos.interface and mesos.native for legacy frameworks."""
