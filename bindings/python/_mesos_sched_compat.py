"""Provides ``mesos.interface`` when the legacy package is not installed.

A meta-path finder appended *last* to ``sys.meta_path``: the normal path finders look
first, so a real ``mesos.interface`` anywhere on ``sys.path`` always wins; only when
none exists does ``import mesos.interface`` load ``mesos_sched/compat/interface``
(v0 names, wire-identical to v1). ``mesos.native`` is a real module of this
distribution (the legacy one needs a C extension that no longer builds).

Imported at every interpreter start by ``mesos_sched_compat.pth``, so it imports
nothing but ``os`` and ``sys`` until ``mesos.interface`` is actually looked for.
Also installed by importing ``mesos.native`` or using the "v0" message family.
"""

import os
import sys

_TARGET = "mesos.interface"
_FALLBACK_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "mesos_sched", "compat", "interface"
)


class _FallbackInterfaceFinder:
    """A meta-path finder answering only for ``mesos.interface``."""

    mesos_sched_fallback = True  # marker: one instance per sys.meta_path

    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        if fullname != _TARGET:
            return None
        import importlib.util

        init = os.path.join(_FALLBACK_DIR, "__init__.py")
        return importlib.util.spec_from_file_location(
            _TARGET, init, submodule_search_locations=[_FALLBACK_DIR]
        )

    def invalidate_caches(self) -> None:
        pass


def install() -> None:
    """Appends the fallback finder to sys.meta_path (idempotent)."""
    if not any(getattr(f, "mesos_sched_fallback", False) for f in sys.meta_path):
        sys.meta_path.append(_FallbackInterfaceFinder())


install()
