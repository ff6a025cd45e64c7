"""Build hooks (all metadata is in pyproject.toml).

1. Adds mesos_sched_compat.pth to the install root: the line imports the top-level
   _mesos_sched_compat at interpreter start, which makes `import mesos.interface`
   fall back to this package's copy when the legacy package is not installed (it only
   appends a finder to sys.meta_path; nothing else is loaded).
2. With MESOS_SCHED_BUNDLE=/path/to/libmesos_sched.so set at build time, copies the
   library into the package (mesos_sched/_lib/libmesos_sched.so), where the loader
   looks before the system path, and tags the wheel for this platform:
       MESOS_SCHED_BUNDLE=$PWD/target/release/libmesos_sched.so pip wheel ./bindings/python
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
PTH = "mesos_sched_compat.pth"
BUNDLE = os.environ.get("MESOS_SCHED_BUNDLE", "")
BUNDLED_AS = os.path.join("mesos_sched", "_lib", "libmesos_sched.so")


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(os.path.join(HERE, PTH), os.path.join(self.build_lib, PTH), preserve_mode=False)
        target = os.path.join(self.build_lib, BUNDLED_AS)
        if not BUNDLE and os.path.exists(target):
            os.remove(target)  # left in build/ by an earlier bundling build
        if BUNDLE:
            if not os.path.isfile(BUNDLE):
                raise SystemExit("MESOS_SCHED_BUNDLE=%s: no such file" % BUNDLE)
            self.mkpath(os.path.dirname(target))
            self.copy_file(BUNDLE, target)

    def get_outputs(self, include_bytecode: bool = True):  # type: ignore[no-untyped-def]
        outputs = list(super().get_outputs(include_bytecode)) + [os.path.join(self.build_lib, PTH)]
        if BUNDLE:
            outputs.append(os.path.join(self.build_lib, BUNDLED_AS))
        return outputs


class BinaryDistribution(Distribution):
    """A wheel holding a native library is platform-specific, not py3-none-any."""

    def has_ext_modules(self) -> bool:
        return bool(BUNDLE)


cmdclass = {"build_py": BuildPy}
try:  # setuptools >= 70.1 has its own bdist_wheel; older ones use the wheel package's.
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]


class BdistWheel(bdist_wheel):  # type: ignore[misc,valid-type]
    def get_tag(self):  # type: ignore[no-untyped-def]
        python, abi, platform = super().get_tag()
        # The library is loaded with ctypes: any Python 3, no Python ABI involved.
        return ("py3", "none", platform) if BUNDLE else (python, abi, platform)


cmdclass["bdist_wheel"] = BdistWheel
setup(cmdclass=cmdclass, distclass=BinaryDistribution)
