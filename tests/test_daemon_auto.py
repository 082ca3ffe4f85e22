"""``VENVD_DAEMON=auto`` starts the real daemon at the first entry into a trusted project
(issue 11 point 7): that entry creates and syncs in the foreground, so no sync is ever
handed to a daemon that would start it. Without the variable nothing starts."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import make_project, venvd_script
from tests.test_daemon import status, venvd, wait_for
from tests.test_sync import ALPHA, export, offline, packages, project_with, wheelhouse  # noqa: F401

pytestmark = pytest.mark.slow

# What each shell's rc file says before the hook line (README: the hook passes the environment).
EXPORTED = {"bash": "export VENVD_DAEMON=auto", "zsh": "export VENVD_DAEMON=auto",
            "fish": "set -gx VENVD_DAEMON auto"}


def daemon_log() -> Path:
    return Path(os.environ["VENVD_STATE_DIR"]) / "daemon.log"


def running() -> bool:
    return venvd("daemon", "status").returncode == 0


@pytest.fixture
def stops_daemon(home: Path) -> Iterator[None]:
    """Whatever daemon the test started is stopped, one still starting up included: a
    daemon spawned (its log opened) but not yet holding its lock is waited for first."""
    yield
    deadline = time.monotonic() + 30
    while True:
        stopped = venvd("daemon", "stop")
        if "daemon stopped" in stopped.stderr or not daemon_log().exists() or time.monotonic() > deadline:
            break
        if "daemon: started" in daemon_log().read_text() and not running():
            break  # it ran and is gone already
        time.sleep(0.1)


@pytest.mark.shells
def test_the_first_cd_into_a_fresh_project_starts_the_daemon(open_shell, shell_name: str, home: Path,
                                                             offline: Path, stops_daemon) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    shell = open_shell(extra_rc=EXPORTED[shell_name])
    assert not running()
    out = shell.run(f"cd {project}")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), out
    assert packages(project)[ALPHA] == "1.0", "created and synced in the foreground"
    said = [line for line in out.splitlines() if line.startswith("venvd:")]
    assert sum("started the daemon (VENVD_DAEMON=auto)" in line for line in said) == 1, out
    wait_for("the daemon started by the first cd", running)
    wait_for("the daemon to watch the project", lambda: str(project) in status().get("projects", []))
    # And it does the daemon's job: an edit is synced with no prompt at all.
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    wait_for("the daemon's sync", lambda: packages(project).get(ALPHA) == "1.1")
    # Entering another project while it runs starts nothing more.
    other = make_project(home / "other", "3.12")
    out = shell.run(f"cd {other}")
    assert shell.getenv("VIRTUAL_ENV") == str(other / ".venv"), out
    assert "started the daemon" not in out, out
    assert daemon_log().read_text().count("daemon: started") == 1


def test_two_entries_at_once_start_one_daemon(home: Path, offline: Path, stops_daemon) -> None:
    projects = [make_project(home / f"proj{i}", "3.12") for i in range(2)]
    for project in projects:
        export(project)  # venvs made: what is left is the activation itself
    env = dict(os.environ, VENVD_DAEMON="auto")
    entries = [subprocess.Popen([venvd_script(), "export", "json"], cwd=p, env=dict(env, PWD=str(p)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for p in projects]
    said = [entry.communicate(timeout=60)[1] for entry in entries]
    assert sum("started the daemon" in s for s in said) <= 1, said
    wait_for("the daemon", running)
    time.sleep(1.5)  # a second daemon would have given up on the lock by now (hold_lock: 1 s)
    text = daemon_log().read_text()
    assert text.count("daemon: started") == 1 and "already running" not in text, text


def test_without_venvd_daemon_auto_the_first_entry_starts_nothing(home: Path, offline: Path,
                                                                 stops_daemon) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    said = export(project)  # VENVD_DAEMON unset (the home fixture's environment)
    assert "VENVD_DAEMON" not in os.environ
    assert packages(project)[ALPHA] == "1.0"
    assert "daemon" not in said, said
    # Not one that is still starting either: starting one opens its log first.
    assert not daemon_log().exists() and not running()
    # Nor for another value, nor for a project that is not trusted.
    other = make_project(home / "other", "3.12")
    assert "daemon" not in export(other, VENVD_DAEMON="1")
    untrusted = make_project(home / "untrusted", "3.12", trusted=False)
    assert "daemon" not in export(untrusted, VENVD_DAEMON="auto")
    assert not daemon_log().exists() and not running()


def test_entering_a_project_with_venvd_daemon_auto_and_the_daemon_running_stays_light(
        home: Path, offline: Path, stops_daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hot path's allow-list (tests/test_hot_path.py), plus the lock probe."""
    import tests.test_hot_path as hot

    project = make_project(home / "proj", "3.12")
    export(project)
    assert venvd("daemon", "start").returncode == 0
    monkeypatch.setattr(hot, "CHEAP_STDLIB", hot.CHEAP_STDLIB | {"fcntl"})
    pattern = hot.VENVD_HOT.pattern.replace("|daemon|", "|daemon|daemon\\.liveness|")
    assert pattern != hot.VENVD_HOT.pattern
    monkeypatch.setattr(hot, "VENVD_HOT", re.compile(pattern))
    hot._assert_light(hot._export(), project, hot._hook_env({"VENVD_DAEMON": "auto"}))
    assert daemon_log().read_text().count("daemon: started") == 1
