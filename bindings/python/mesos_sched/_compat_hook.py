"""The ``mesos.interface`` fallback finder (see the top-level ``_mesos_sched_compat``)."""

from __future__ import annotations

from _mesos_sched_compat import install

__all__ = ["install"]

install()
