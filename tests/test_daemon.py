"""The real daemon in a temp state dir: it syncs trusted projects with no prompt at all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.conftest import allow, venvd_script
from tests.shellharness import SHELLS, shell_env
from tests.test_sync import ALPHA, export, installs, offline, packages, project_with, wheelhouse  # noqa: F401

pytestmark = pytest.mark.slow
BOUND = 60.0  # seconds any wait may take before the test fails


def wait_for(what: str, check: Callable[[], object], bound: float = BOUND) -> object:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {bound:.0f}s waiting for {what}")


def venvd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([venvd_script(), *args], capture_output=True, text=True)


def status() -> dict:
    return json.loads(venvd("daemon", "status", "--json").stdout)


@pytest.fixture
def daemon(home: Path, offline: Path) -> Iterator[Callable[[], int]]:
    """Start the real daemon (detached, as a user would); always stopped afterwards."""

    def start() -> int:
        out = venvd("daemon", "start")
        assert out.returncode == 0, out.stderr
        return status()["pid"]

    yield start
    venvd("daemon", "stop")


def synced_project(home: Path, name: str, pin: str = "1.0") -> Path:
    project = project_with(home / name, f"{ALPHA}=={pin}\n")
    export(project)  # the first entry, in the foreground: creates, syncs, registers
    assert packages(project)[ALPHA] == pin
    return project


def idle(root: Path) -> None:
    wait_for("the daemon to watch the project and go idle",
             lambda: str(root) in status().get("projects", []) and not status()["running"] and not status()["queued"])


def test_an_edit_is_synced_with_no_prompt_at_all(home: Path, daemon) -> None:
    project = synced_project(home, "proj")
    daemon()
    idle(project)
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    wait_for("alpha 1.1 installed by the daemon", lambda: packages(project).get(ALPHA) == "1.1")


def test_a_burst_of_writes_is_one_sync(home: Path, daemon, offline: Path) -> None:
    project = synced_project(home, "proj")
    daemon()
    idle(project)
    before = len(installs(offline))
    for i in range(20):  # an editor's saves, a checkout touching the file again and again
        (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n# save {i}\n")
        time.sleep(0.01)
    wait_for("alpha 1.1", lambda: packages(project).get(ALPHA) == "1.1")
    idle(project)
    assert len(installs(offline)) == before + 1, installs(offline)[before:]


def test_a_shell_entering_during_a_background_sync_gets_the_old_env_then_the_new(
        home: Path, tmp_path: Path, daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    project = synced_project(home, "proj")
    monkeypatch.setenv("VENVD_TEST_UV_SLEEP", "4")  # the daemon's installer takes its time
    daemon()
    idle(project)
    monkeypatch.delenv("VENVD_TEST_UV_SLEEP")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    wait_for("the daemon to start syncing", lambda: status()["running"])
    probe = "python -c 'import venvd_demo_alpha as a; print(a.__version__)'"
    with SHELLS["bash"](tmp_path / "rc", shell_env(), home) as shell:
        out = shell.run(f"cd {project}")
        assert "in the background" in out
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), "activated at once"
        assert shell.run(probe).splitlines()[-1] == "1.0", "the old env meanwhile"
        said = wait_for("a prompt saying the sync finished",
                        lambda: "finished" in shell.run("true") and "yes")
        assert said
        assert shell.run(probe).splitlines()[-1] == "1.1"


def test_start_stop_status_and_a_stale_pid_file(home: Path, daemon) -> None:
    assert venvd("daemon", "status").returncode == 3
    pid = daemon()
    again = venvd("daemon", "start")
    assert again.returncode == 1 and f"already running (pid {pid})" in again.stderr
    text = venvd("daemon", "status")
    assert text.returncode == 0 and f"pid {pid}" in text.stdout and "projects watched" in text.stdout
    os.kill(pid, signal.SIGKILL)  # a crash leaves its pid file behind
    wait_for("the killed daemon to be gone", lambda: venvd("daemon", "status").returncode == 3)
    new = daemon()
    assert new != pid and status()["running"] == []
    stopped = venvd("daemon", "stop")
    assert f"daemon stopped (pid {new})" in stopped.stderr
    assert venvd("daemon", "stop").stderr.strip() == "venvd: the daemon is not running"


def test_untrusted_projects_are_ignored_and_a_deleted_project_does_not_stop_it(home: Path, daemon) -> None:
    trusted = synced_project(home, "trusted")
    doomed = synced_project(home, "doomed")
    denied = synced_project(home, "denied")
    pid = daemon()
    idle(trusted)
    assert venvd("deny", str(denied)).returncode == 0
    wait_for("the denied project to leave the watch set", lambda: str(denied) not in status()["projects"])
    subprocess.run(["rm", "-rf", str(doomed)], check=True)
    (denied / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    (trusted / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    wait_for("the trusted project synced", lambda: packages(trusted).get(ALPHA) == "1.1")
    idle(trusted)
    assert packages(denied)[ALPHA] == "1.0", "an untrusted project's change runs nothing"
    assert status()["pid"] == pid and str(doomed) not in status()["projects"]


def test_sigterm_during_a_sync_leaves_a_venv_the_next_sync_repairs(
        home: Path, daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    project = synced_project(home, "proj")
    monkeypatch.setenv("VENVD_TEST_UV_SLEEP", "30")
    daemon()
    idle(project)
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    wait_for("the sync to be running", lambda: status()["running"])
    assert venvd("daemon", "stop").returncode == 0
    assert packages(project)[ALPHA] == "1.0"
    monkeypatch.delenv("VENVD_TEST_UV_SLEEP")
    daemon()  # a new daemon checks every project when it starts
    wait_for("the interrupted sync redone", lambda: packages(project).get(ALPHA) == "1.1")
