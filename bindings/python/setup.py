"""Adds mesos_sched_compat.pth to the install root (all metadata is in pyproject.toml).

The .pth line imports mesos_sched._compat_hook at interpreter start, which makes
`import mesos.interface` fall back to this package's copy when the legacy package is
not installed (it only appends a finder to sys.meta_path; nothing else is loaded).
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PTH = "mesos_sched_compat.pth"


class BuildPyWithPth(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(os.path.join(HERE, PTH), os.path.join(self.build_lib, PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True):  # type: ignore[no-untyped-def]
        return list(super().get_outputs(include_bytecode)) + [os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
