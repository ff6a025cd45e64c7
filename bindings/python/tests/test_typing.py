"""The legacy modules are typed for mypy --strict (py.typed; partial stubs for
mesos.interface, which is reached through an import hook a type checker cannot see)."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from conftest import PYTHON, python_env

# mypy without a cache checks protobuf's and our stubs from scratch: slow on a busy machine.
pytestmark = pytest.mark.timeout(300)

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "typing")


def mypy(program: str, tmp_path: Any) -> subprocess.CompletedProcess:
    # From a directory outside the sources: the installed package is what is checked.
    return subprocess.run(
        [PYTHON, "-m", "mypy", "--strict", "--no-incremental", os.path.join(PROGRAMS, program)],
        cwd=str(tmp_path),
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_legacy_style_program_type_checks(tmp_path: Any) -> None:
    result = mypy("legacy_framework.py", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_wrong_calls_are_reported(tmp_path: Any) -> None:
    result = mypy("wrong_calls.py", tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Unexpected keyword argument "no_such_field" for "FrameworkInfo"' in result.stdout
    assert 'Missing positional argument "master" in call to "MesosSchedulerDriver"' in result.stdout
    assert 'Unexpected keyword argument "implicitAcknowledgement"' in result.stdout
