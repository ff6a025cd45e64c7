"""Build hooks (all metadata is in pyproject.toml).

1. Builds libmesos_sched from the repository's Cargo.toml (../../Cargo.toml) with
   setuptools-rust, as a bare cdylib (no Python binding: the package loads it with
   ctypes), into mesos_sched/_lib/, where the loader looks before the system path. So
   `pip install ./bindings/python` needs only Rust, and `pip wheel ./bindings/python`
   gives a platform wheel (py3-none-linux_<arch>) with the library inside.
   With MESOS_SCHED_BUNDLE=/path/to/libmesos_sched.so set at build time, that file is
   bundled instead (mesos_sched/_lib/libmesos_sched.so) and cargo is not run: for
   packagers who built the library already (e.g. with the top-level CMake project).
2. Adds mesos_sched_compat.pth to the install root: the line imports the top-level
   _mesos_sched_compat at interpreter start, which makes `import mesos.interface`
   fall back to this package's copy when the legacy package is not installed (it only
   appends a finder to sys.meta_path; nothing else is loaded).
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution
from setuptools_rust import Binding, RustExtension, Strip

HERE = os.path.dirname(os.path.abspath(__file__))
PTH = "mesos_sched_compat.pth"
BUNDLE = os.environ.get("MESOS_SCHED_BUNDLE", "")
BUNDLED_AS = os.path.join("mesos_sched", "_lib", "libmesos_sched.so")
CARGO_TOML = os.path.join("..", "..", "Cargo.toml")


def rust_extensions():  # type: ignore[no-untyped-def]
    if BUNDLE:
        return []
    if not os.path.isfile(os.path.join(HERE, CARGO_TOML)):
        raise SystemExit(
            "mesos-sched: no %s: the library is built from the repository's Cargo.toml, so "
            "build from a checkout (pip install ./bindings/python), or bundle a built library "
            "with MESOS_SCHED_BUNDLE=/path/to/libmesos_sched.so" % os.path.normpath(os.path.join(HERE, CARGO_TOML))
        )
    # The file is mesos_sched/_lib/libmesos_sched<EXT_SUFFIX> (setuptools names every
    # extension so); _library.py looks for libmesos_sched*.so there.
    return [
        RustExtension(
            "mesos_sched._lib.libmesos_sched",
            path=CARGO_TOML,
            binding=Binding.NoBinding,
            strip=Strip.Debug,  # the release profile keeps line tables; a wheel need not
            py_limited_api=False,
        )
    ]


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
        return True


cmdclass = {"build_py": BuildPy}
try:  # setuptools >= 70.1 has its own bdist_wheel; older ones use the wheel package's.
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]


class BdistWheel(bdist_wheel):  # type: ignore[misc,valid-type]
    def get_tag(self):  # type: ignore[no-untyped-def]
        _, _, platform = super().get_tag()
        # The library is loaded with ctypes: any Python 3, no Python ABI involved.
        return ("py3", "none", platform)


cmdclass["bdist_wheel"] = BdistWheel
setup(cmdclass=cmdclass, distclass=BinaryDistribution, rust_extensions=rust_extensions(), zip_safe=False)
