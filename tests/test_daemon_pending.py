"""A sync handed to the background is never lost (issue 9 point 7).

Whether a daemon (or a detached ``venvd sync``) still holds a pending sync is proved
by a lock it holds, never by ``kill(pid, 0)``: a daemon killed with SIGKILL, one
stopped mid-sync, and a pid file naming an unrelated live process all leave a
``pending`` record that the next prompt treats as due.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.shellharness import SHELLS, shell_env
from tests.test_daemon import daemon, idle, status, synced_project, venvd, wait_for  # noqa: F401
from tests.test_sync import ALPHA, export, offline, packages, wheelhouse  # noqa: F401

pytestmark = pytest.mark.slow


def _pending(project: Path) -> Path:
    return project / ".venv" / ".venvd" / "pending"


def _hand_off_to_a_slow_daemon(project: Path, daemon, monkeypatch: pytest.MonkeyPatch) -> int:
    """Start the daemon with a uv that takes 60 s, edit the input, wait until it syncs,
    and return its pid."""
    monkeypatch.setenv("VENVD_TEST_UV_SLEEP", "60")
    pid = daemon()
    idle(project)
    monkeypatch.delenv("VENVD_TEST_UV_SLEEP")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    wait_for("the daemon to start syncing", lambda: status()["running"])
    return pid


def test_a_daemon_killed_mid_sync_leaves_a_sync_the_next_prompt_runs_bash(
        home: Path, tmp_path: Path, daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    project = synced_project(home, "proj")
    pid = _hand_off_to_a_slow_daemon(project, daemon, monkeypatch)
    probe = "python -c 'import venvd_demo_alpha as a; print(a.__version__)'"
    with SHELLS["bash"](tmp_path / "rc", shell_env(), home) as shell:
        out = shell.run(f"cd {project}")
        assert "in the background" in out, out
        assert shell.run(probe).splitlines()[-1] == "1.0", "the old env meanwhile"
        os.kill(pid, signal.SIGKILL)
        wait_for("the killed daemon to be gone", lambda: venvd("daemon", "status").returncode == 3)
        # No file changes when a process dies: the next prompt must still look.
        said = shell.run("true") + shell.run("true")
        assert "synced 1 package" in said, said
        assert shell.run(probe).splitlines()[-1] == "1.1"
        assert not _pending(project).exists()
        assert shell.run("true") == "", "said once"


def test_daemon_stop_during_a_sync_leaves_a_sync_the_next_prompt_runs(
        home: Path, daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    project = synced_project(home, "proj")
    _hand_off_to_a_slow_daemon(project, daemon, monkeypatch)
    said = export(project)
    assert "in the background (the daemon)" in said, said
    assert _pending(project).exists()
    assert venvd("daemon", "stop").returncode == 0
    said = export(project)
    assert "did not finish" in said and "synced 1 package" in said, said
    assert packages(project)[ALPHA] == "1.1"
    assert export(project) == "", "nothing more to say"


@pytest.fixture
def stranger() -> "subprocess.Popen[bytes]":
    """A live process that is not the daemon."""
    process = subprocess.Popen(["sleep", "300"])
    yield process
    process.kill()
    process.wait()


def test_a_pid_file_naming_an_unrelated_process_is_not_a_daemon(
        home: Path, tmp_path: Path, offline: Path, stranger: "subprocess.Popen[bytes]") -> None:
    project = synced_project(home, "proj")
    run_dir = tmp_path / "venvd-run"
    run_dir.mkdir(exist_ok=True)
    (run_dir / "daemon.pid").write_text(f"{stranger.pid}\n")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    said = export(project)
    assert "the daemon" not in said and "synced 1 package" in said, said
    assert packages(project)[ALPHA] == "1.1"
    assert venvd("daemon", "status").returncode == 3
    assert "not running" in venvd("daemon", "stop").stderr
    assert stranger.poll() is None, "venvd never signals a process that is not its daemon"


def test_a_pending_record_left_for_a_dead_daemon_is_due(
        home: Path, tmp_path: Path, daemon, monkeypatch: pytest.MonkeyPatch,
        stranger: "subprocess.Popen[bytes]") -> None:
    """A shell handed the sync to a daemon that then died; its pid file now names a live
    process that is not a daemon (the pid was reused)."""
    project = synced_project(home, "proj")
    pid = _hand_off_to_a_slow_daemon(project, daemon, monkeypatch)
    assert "in the background (the daemon)" in export(project)
    os.kill(pid, signal.SIGKILL)
    wait_for("the killed daemon to be gone", lambda: not Path(f"/proc/{pid}").exists()
             or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z")
    (tmp_path / "venvd-run" / "daemon.pid").write_text(f"{stranger.pid}\n")
    said = export(project)
    assert "did not finish" in said and "synced 1 package" in said, said
    assert packages(project)[ALPHA] == "1.1"


def _state(project: Path) -> str:
    import json

    return json.loads(venvd("status", "--json", str(project)).stdout)["state"]


def _detached_syncs(root: Path) -> list[int]:
    """The pids of detached `venvd sync ROOT` processes."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            argv = Path(f"/proc/{name}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"sync" in argv and str(root).encode() in argv:
            found.append(int(name))
    return found


def test_a_detached_sync_that_dies_is_handed_off_again_and_its_end_is_said(
        home: Path, offline: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = synced_project(home, "proj")
    (project / "venvd.toml").write_text('sync = "background"\n')
    if "in the background" in export(project):  # the config is an input too: wait for that one
        wait_for("the first background sync", lambda: "finished" in export(project))
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    said = export(project, VENVD_TEST_UV_SLEEP="60")
    assert "in the background (log:" in said, said
    pids = wait_for("the detached sync", lambda: _detached_syncs(project))
    assert export(project) == "", "still running: nothing to say, nothing started"
    assert _state(project) == "syncing in the background (a detached 'venvd sync')"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    wait_for("the detached sync to be gone", lambda: not _detached_syncs(project))
    assert _state(project).startswith("background sync lost")
    said = export(project)
    assert "did not finish" in said and "in the background" in said, said
    said = wait_for("a prompt saying it finished", lambda: (lambda s: "finished" in s and s)(export(project)))
    assert packages(project)[ALPHA] == "1.1", said


def test_a_sync_the_daemon_sees_otherwise_is_done_by_the_shell(home: Path, daemon) -> None:
    """The daemon's environment is not the shell's: with VENVD_INSTALLER=pip in the shell
    the inputs make another fingerprint, which the daemon (with uv) never syncs."""
    project = synced_project(home, "proj")
    daemon()
    idle(project)
    said = export(project, VENVD_INSTALLER="pip")
    assert "in the background (the daemon)" in said, said
    wait_for("the daemon to have looked at it", lambda: "declined" in _pending(project).read_text())
    said = export(project, VENVD_INSTALLER="pip")
    assert "syncing here" in said and "with pip" in said and "synced 1 package" in said, said
    assert export(project, VENVD_INSTALLER="pip") == ""


def test_a_pid_file_that_lies_while_the_daemon_runs_does_not_redirect_stop(
        home: Path, tmp_path: Path, daemon, stranger: "subprocess.Popen[bytes]") -> None:
    pid = daemon()
    (tmp_path / "venvd-run" / "daemon.pid").write_text(f"{stranger.pid}\n")
    assert f"pid {pid}" in venvd("daemon", "status").stdout
    stopped = venvd("daemon", "stop")
    assert f"daemon stopped (pid {pid})" in stopped.stderr, stopped.stderr
    assert stranger.poll() is None, "the process the pid file names is not signalled"
    assert venvd("daemon", "status").returncode == 3


def test_every_shell_notices_a_detached_sync_that_died_at_its_next_prompt(
        open_shell, home: Path, offline: Path) -> None:
    project = synced_project(home, "proj")
    (project / "venvd.toml").write_text('sync = "background"\n')
    if "in the background" in export(project):
        wait_for("the first background sync", lambda: "finished" in export(project))
    shell = open_shell(cwd=project, VENVD_TEST_UV_SLEEP="60")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    out = shell.run("true")
    assert "in the background (log:" in out, out
    for pid in wait_for("the detached sync", lambda: _detached_syncs(project)):
        os.kill(pid, signal.SIGKILL)
    wait_for("the detached sync to be gone", lambda: not _detached_syncs(project))
    # Nothing on disk changed: the prompt after this command must look all the same.
    out = shell.run("set -gx VENVD_TEST_UV_SLEEP 0" if shell.name == "fish" else "export VENVD_TEST_UV_SLEEP=0")
    assert "did not finish" in out and "in the background" in out, out
    seen = [out]  # its end may be said at any later prompt, the very next one included

    def finished() -> bool:
        seen.append(shell.run("true"))
        return "background sync of ~/proj/.venv finished" in "".join(seen)

    wait_for("a prompt saying it finished", finished)
    probe = "python -c 'import venvd_demo_alpha as a; print(a.__version__)'"
    assert shell.run(probe).splitlines()[-1] == "1.1"
    assert shell.run("true") == "", "and then the prompt is quiet again"
