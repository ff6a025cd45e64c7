"""mesos.interface / mesos.native compatibility, the example framework, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import textwrap
import time
from typing import Any, List

import mesos_sched
from mesos_sched import MesosSchedulerDriver
from mesos_sched.v1 import mesos_pb2

from conftest import EVENT_TIMEOUT, PYTHON, Recorder, framework_info, python_env

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "examples", "test_framework.py")


def run_python(code: str, cwd: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=python_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_legacy_imports_work_without_the_legacy_package(tmp_path: Any) -> None:
    result = run_python(
        """
        from mesos.interface import Scheduler, mesos_pb2
        import mesos.interface.mesos_pb2 as again
        from mesos.native import MesosSchedulerDriver
        import mesos_sched
        from mesos_sched.v1 import mesos_pb2 as v1
        assert again is mesos_pb2
        assert Scheduler is mesos_sched.Scheduler
        assert issubclass(MesosSchedulerDriver, mesos_sched.MesosSchedulerDriver)
        # v0 names, same wire format as v1.
        task = mesos_pb2.TaskInfo(name="t")
        task.task_id.value = "t1"
        task.slave_id.value = "agent-7"
        assert v1.TaskInfo.FromString(task.SerializeToString()).agent_id.value == "agent-7"
        assert mesos_pb2.DRIVER_RUNNING == mesos_sched.DRIVER_RUNNING == 2
        assert mesos_pb2.TaskStatus.REASON_SLAVE_REMOVED == v1.TaskStatus.REASON_AGENT_REMOVED
        print("ok")
        """,
        cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _fake_legacy_interface(root: Any, with_namespace_init: bool) -> None:
    package = root / "mesos"
    (package / "interface").mkdir(parents=True)
    if with_namespace_init:
        # What the legacy distributions install: a pkgutil/pkg_resources namespace.
        (package / "__init__.py").write_text(
            "from pkgutil import extend_path\n__path__ = extend_path(__path__, __name__)\n"
        )
    (package / "interface" / "__init__.py").write_text(
        "LEGACY = True\nclass Scheduler(object):\n    pass\n"
        "from mesos_sched.v0 import mesos_pb2\n"
    )


def test_installed_legacy_interface_wins(tmp_path: Any) -> None:
    for layout in (True, False):
        root = tmp_path / ("legacy-%s" % layout)
        _fake_legacy_interface(root, with_namespace_init=layout)
        result = run_python(
            """
            import mesos.interface
            assert getattr(mesos.interface, "LEGACY", False), mesos.interface.__file__
            from mesos.native import MesosSchedulerDriver
            print("legacy used")
            """,
            cwd=str(tmp_path),
            PYTHONPATH=str(root),
        )
        assert result.returncode == 0, (layout, result.stderr)
        assert result.stdout.strip() == "legacy used"


def test_example_framework_runs_unchanged(mesos_local: Any, tmp_path: Any) -> None:
    result = subprocess.run(
        [PYTHON, EXAMPLE, mesos_local.master, "--tasks", "4", "--command", "echo hi"],
        cwd=str(tmp_path),
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Registered with framework ID" in result.stdout
    assert result.stdout.count("is in state TASK_FINISHED") == 4, result.stdout


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_run_stops_cleanly(mesos_local: Any, tmp_path: Any) -> None:
    child = subprocess.Popen(
        [PYTHON, EXAMPLE, mesos_local.master, "--tasks", "1", "--command", "sleep 600",
         "--failover-timeout", "3600"],
        cwd=str(tmp_path),
        env=python_env(),
        # The default disposition, whatever this process inherited: a child started
        # with SIGINT ignored would keep ignoring it and never see Ctrl-C.
        preexec_fn=_default_sigint,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    framework_id = ""
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + EVENT_TIMEOUT
        for line in child.stdout:
            match = re.search(r"Registered with framework ID (\S+)", line)
            if match:
                framework_id = match.group(1)
            if "is in state TASK_RUNNING" in line:
                break
            assert time.monotonic() < deadline, "the example's task never ran"
        assert framework_id
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, err
    assert "Interrupted: driver stopped" in err

    # stop() tore the framework down (it had a failover timeout, so a mere exit would
    # have left it registered): re-subscribing with its id is refused.
    mesos_local.wait_framework_removed(framework_id)
    recorder = Recorder()
    again = framework_info("Test Framework (Python)", failover_timeout=3600.0)
    again.id.value = framework_id
    driver = MesosSchedulerDriver(recorder, again, mesos_local.master)
    try:
        driver.start()
        (message,) = recorder.wait_for("error")
        assert driver.join() == mesos_sched.DRIVER_ABORTED
    finally:
        driver.stop()
    assert "registered" not in recorder.names(), message


def test_messages_family_module(mesos_local: Any, drivers: List[Any]) -> None:
    import mesos_sched.v0.mesos_pb2 as v0_module

    recorder = Recorder()
    driver = MesosSchedulerDriver(recorder, framework_info("module-family"), mesos_local.master, messages=v0_module)
    drivers.append(driver)
    driver.start()
    framework_id, master_info = recorder.wait_for("registered")
    assert isinstance(framework_id, v0_module.FrameworkID)
    assert isinstance(master_info, v0_module.MasterInfo)
    assert not isinstance(framework_id, mesos_pb2.FrameworkID)


def test_the_startup_hook_is_cheap(tmp_path: Any) -> None:
    """The .pth line runs at every interpreter start: it loads one tiny module only."""
    result = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", textwrap.dedent(
            """
            import sys
            print(sorted(m for m in ("_mesos_sched_compat", "mesos_sched", "ctypes",
                                     "google.protobuf", "typing") if m in sys.modules))
            """
        )],
        cwd=str(tmp_path),
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['_mesos_sched_compat']"
    # -X importtime lists a module's own imports just before it, indented deeper; other
    # .pth files (e.g. old protobuf's namespace one) may import what they like.
    lines = [line.split("|")[-1] for line in result.stderr.splitlines() if line.startswith("import time:")]
    names = [line.strip() for line in lines]
    hook = names.index("_mesos_sched_compat")
    depth = len(lines[hook]) - len(lines[hook].lstrip())
    children = []
    for line in reversed(lines[:hook]):
        if len(line) - len(line.lstrip()) <= depth:
            break
        children.append(line.strip())
    assert children == [], children


def test_legacy_driver_modules_since_mesos_1_0(tmp_path: Any) -> None:
    result = run_python(
        """
        import inspect
        import mesos.executor
        import mesos.native
        import mesos.scheduler
        from mesos.interface import mesos_pb2
        assert mesos.native.MesosSchedulerDriver is mesos.scheduler.MesosSchedulerDriver
        assert mesos.native.MesosExecutorDriver is mesos.executor.MesosExecutorDriver
        print(list(inspect.signature(mesos.scheduler.MesosSchedulerDriver).parameters))
        try:
            mesos.executor.MesosExecutorDriver(object())
        except NotImplementedError as err:
            print("executor:", err)
        """,
        cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    signature, executor = result.stdout.strip().split("\n")
    # The legacy positional parameters, in the legacy order, then this package's extras.
    assert signature == str(
        ["scheduler", "framework", "master", "implicitAcknowledgements", "credential",
         "suppressedRoles", "messages", "options"]
    )
    assert executor.startswith("executor: mesos.executor.MesosExecutorDriver is not provided yet")


def test_help_shows_the_legacy_constructor_parameters(tmp_path: Any) -> None:
    result = run_python(
        """
        import pydoc
        import mesos.native
        print(pydoc.render_doc(mesos.native.MesosSchedulerDriver, renderer=pydoc.plaintext))
        """,
        cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    constructor = re.search(r"__init__\((.*?)\)", result.stdout.replace("\n", " "))
    assert constructor, result.stdout[:2000]
    for name in ("scheduler", "framework", "master", "implicitAcknowledgements", "credential"):
        assert name in constructor.group(1), constructor.group(1)
    assert "*args" not in constructor.group(1)


def test_mesos_scheduler_driver_delivers_v0_messages(mesos_local: Any, drivers: List[Any]) -> None:
    import mesos.scheduler
    from mesos.interface import mesos_pb2 as v0

    recorder = Recorder()
    framework = v0.FrameworkInfo(user="", name="mesos.scheduler")
    driver = mesos.scheduler.MesosSchedulerDriver(recorder, framework, mesos_local.master)
    drivers.append(driver)
    assert driver.start() == mesos_sched.DRIVER_RUNNING
    framework_id, master_info = recorder.wait_for("registered")
    assert isinstance(framework_id, v0.FrameworkID) and framework_id.value
    assert isinstance(master_info, v0.MasterInfo)


def test_dir_lists_the_lazy_names(tmp_path: Any) -> None:
    result = run_python(
        """
        import sys
        import mesos_sched
        names = dir(mesos_sched)
        # Listed before they are loaded, and each one resolves.
        assert "mesos_sched.driver" not in sys.modules
        missing = [n for n in mesos_sched.__all__ if n not in names]
        assert not missing, missing
        assert all(getattr(mesos_sched, n) is not None for n in mesos_sched.__all__)
        print("ok")
        """,
        cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
