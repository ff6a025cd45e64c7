"""Finding libmesos_sched: env var, bundled copy, system path, and the error otherwise."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from typing import Any, Dict

import mesos_sched

from conftest import PYTHON

PROBE = """
import mesos_sched
try:
    print("LOADED", mesos_sched.library_path())
except mesos_sched.LibraryNotFoundError as err:
    print("NOTFOUND", err)
"""


def probe(env: Dict[str, str], cwd: str) -> str:
    result = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(PROBE)], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def clean_env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MESOS_SCHED_LIBRARY", "LD_LIBRARY_PATH")}
    env.update(extra)
    return env


def real_library() -> str:
    return mesos_sched.library_path()


def test_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", mesos_sched.library_version())


def test_env_var_wins_and_a_wrong_one_is_an_error(tmp_path: Any) -> None:
    assert probe(clean_env(MESOS_SCHED_LIBRARY=real_library()), str(tmp_path)) == "LOADED " + real_library()
    missing = str(tmp_path / "nope" / "libmesos_sched.so")
    out = probe(clean_env(MESOS_SCHED_LIBRARY=missing), str(tmp_path))
    assert out.startswith("NOTFOUND")
    assert "MESOS_SCHED_LIBRARY is set" in out and missing in out


def test_bundled_copy_is_found(tmp_path: Any) -> None:
    package = os.path.dirname(mesos_sched.__file__)
    copy = tmp_path / "site" / "mesos_sched"
    shutil.copytree(package, str(copy), ignore=shutil.ignore_patterns("__pycache__", "_lib"))
    (copy / "_lib").mkdir()
    shutil.copy(real_library(), str(copy / "_lib" / "libmesos_sched.so"))
    out = probe(clean_env(PYTHONPATH=str(tmp_path / "site")), str(tmp_path))
    assert out == "LOADED " + str(copy / "_lib" / "libmesos_sched.so")


def test_system_path_and_the_error_listing_what_was_tried(tmp_path: Any) -> None:
    package = os.path.dirname(mesos_sched.__file__)
    copy = tmp_path / "site" / "mesos_sched"
    shutil.copytree(package, str(copy), ignore=shutil.ignore_patterns("__pycache__", "_lib"))
    env = clean_env(PYTHONPATH=str(tmp_path / "site"))

    out = probe(env, str(tmp_path))
    assert out.startswith("NOTFOUND"), out
    assert str(copy / "_lib" / "libmesos_sched.so") in out  # the bundled place
    assert "libmesos_sched.so.0" in out  # the system loader name
    assert "MESOS_SCHED_LIBRARY" in out  # how to fix it

    system_dir = tmp_path / "syslib"
    system_dir.mkdir()
    shutil.copy(real_library(), str(system_dir / "libmesos_sched.so.0"))
    out = probe(dict(env, LD_LIBRARY_PATH=str(system_dir)), str(tmp_path))
    assert out == "LOADED libmesos_sched.so.0"


def test_wheel_can_bundle_the_library(tmp_path: Any) -> None:
    """MESOS_SCHED_BUNDLE at build time puts the library in a platform wheel, where the
    installed package finds it with nothing else set."""
    # Built from a copy: pip builds in the source tree and would leave build/ there.
    here = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    source = str(tmp_path / "source")
    shutil.copytree(here, source, ignore=shutil.ignore_patterns(".venv", ".gen-venv", "build", "*.egg-info", "__pycache__"))
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [PYTHON, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), source],
        env=dict(os.environ, MESOS_SCHED_BUNDLE=real_library()),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = os.listdir(str(wheels))
    assert re.fullmatch(r"mesos_sched-[\d.]+-py3-none-linux_\w+\.whl", wheel), wheel
    site = tmp_path / "site"
    install = subprocess.run(
        [PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheels / wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    assert (site / "mesos_sched_compat.pth").exists()
    out = probe(clean_env(PYTHONPATH=str(site)), str(tmp_path))
    assert out == "LOADED " + str(site / "mesos_sched" / "_lib" / "libmesos_sched.so")
