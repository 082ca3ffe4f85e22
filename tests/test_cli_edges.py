"""The CLI edges a new user hit (issue 11 point 7) and commands that use the real working
directory when an inherited $PWD names another (issue 9 point 10)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project, venvd_script
from tests.test_daemon import wait_for
from tests.test_sync import ALPHA, export, offline, packages, project_with, wheelhouse  # noqa: F401


def run(*args: str, cwd: Path, pwd: "str | None" = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([venvd_script(), *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PWD=pwd or str(cwd), **env))


# --- help is help ---------------------------------------------------------------------------


def test_on_and_off_help_print_help_and_change_nothing(open_shell, home: Path) -> None:
    project = make_project(home / "proj", "3.12")
    shell = open_shell(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    for command in ("off", "on"):
        out = shell.run(f"venvd {command} --help")
        assert "usage: venvd" in out and command in out, out
        assert "venvd: off for" not in out and "venvd: on for" not in out, out
        assert shell.status_after(f"venvd {command} --help >/dev/null") == 0
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), f"'venvd {command} --help' changed nothing"


def test_on_says_on_and_off_says_off(open_shell, home: Path) -> None:
    project = make_project(home / "proj", "3.12")
    shell = open_shell(cwd=project)
    out = shell.run("venvd off")
    assert f"venvd: off for ~/proj in this shell" in out, out
    assert shell.getenv("VIRTUAL_ENV") is None
    out = shell.run("venvd on")
    assert "venvd: on for ~/proj in this shell" in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")


def test_export_help_is_help(home: Path) -> None:
    r = run("export", "--help", cwd=home)
    assert r.returncode == 0 and "usage: venvd export" in r.stdout, r.stderr
    assert "unknown shell" not in r.stderr


def test_hook_help_names_every_shell(home: Path) -> None:
    r = run("hook", "--help", cwd=home)
    assert r.returncode == 0
    for name in ("bash", "zsh", "fish", "pwsh", "powershell"):
        assert name in r.stdout, r.stdout


# --- honest messages and exit codes -----------------------------------------------------------


def test_allow_in_a_directory_that_is_not_a_project_says_so(home: Path) -> None:
    plain = home / "plain"
    plain.mkdir()
    r = run("allow", cwd=plain)
    assert r.returncode == 0, r.stderr
    assert "venv will be created" not in r.stderr
    assert "not a project yet" in r.stderr, r.stderr
    project = make_project(home / "proj", "3.12", trusted=False)
    r = run("allow", cwd=project)
    assert "venv will be created" in r.stderr, r.stderr


def test_status_of_a_missing_directory_fails_with_one_line(home: Path) -> None:
    r = run("status", str(home / "nonexistent"), cwd=home)
    assert r.returncode != 0
    assert r.stdout == "" and len(r.stderr.splitlines()) == 1 and "not a directory" in r.stderr, r.stderr
    r = run("status", "--json", str(home / "nonexistent"), cwd=home)
    assert r.returncode != 0 and r.stdout == ""


def test_status_json_gives_numbers_as_numbers(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    export(project)
    (project / "requirements.txt").write_text("venvd-demo-alpha==9.9\n")  # fails: a last error
    export(project)
    info = json.loads(run("status", "--json", cwd=project).stdout)
    last = info["last_sync"]
    assert isinstance(last["packages"], int) and last["packages"] == 1
    assert isinstance(last["seconds"], float) and isinstance(last["time"], int)
    assert isinstance(info["last_error"]["time"], int)


# --- the real working directory (issue 9 point 10) ----------------------------------------------


def test_status_sync_and_allow_use_the_real_directory_when_pwd_names_another(
        home: Path, tmp_path: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    elsewhere = make_project(tmp_path / "elsewhere", "3.12", trusted=False)  # a project of its own
    info = json.loads(run("status", "--json", cwd=project, pwd=str(elsewhere)).stdout)
    assert info["project"] == str(project), info
    r = run("sync", cwd=project, pwd=str(elsewhere))
    assert r.returncode == 0 and "synced" in r.stderr, r.stderr
    assert packages(project)[ALPHA] == "1.0"
    fresh = make_project(home / "fresh", "3.12", trusted=False)
    r = run("allow", cwd=fresh, pwd=str(elsewhere))
    assert "~/fresh" in r.stderr, r.stderr
    assert json.loads(run("status", "--json", cwd=fresh).stdout)["trust"] == "allowed"
    assert json.loads(run("status", "--json", cwd=elsewhere).stdout)["trust"] == "unknown"


# --- the daemon: VENVD_DAEMON=auto and its log ------------------------------------------------------


@pytest.fixture
def stop_daemon(home: Path):
    yield
    subprocess.run([venvd_script(), "daemon", "stop"], capture_output=True)


def test_venvd_daemon_auto_starts_the_daemon_when_a_sync_is_due(home: Path, offline: Path, stop_daemon) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    export(project)  # created and synced on the first entry
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    said = export(project, VENVD_DAEMON="auto")
    assert "in the background (the daemon)" in said, said
    assert run("daemon", "status", cwd=home).returncode == 0, "the daemon runs"
    wait_for("the daemon's sync", lambda: packages(project).get(ALPHA) == "1.1")
    said = wait_for("a prompt saying it finished", lambda: (lambda s: "finished" in s and s)(export(project)))
    assert said


STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ")


def test_daemon_log_lines_start_with_an_iso_timestamp(home: Path, tmp_path: Path, offline: Path, stop_daemon) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    export(project)  # the first entry: created, synced and registered for the daemon
    log = Path(os.environ["VENVD_STATE_DIR"]) / "daemon.log"

    def synced_lines() -> int:
        return sum("venvd: synced" in line for line in log.read_text().splitlines())

    r = run("daemon", "start", cwd=home)
    assert r.returncode == 0, r.stderr
    wait_for("the daemon to log", lambda: "watching" in log.read_text())
    # A sync the daemon runs: its lines too.
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    wait_for("the daemon's sync", lambda: synced_lines() == 1 and packages(project).get(ALPHA) == "1.1")
    assert run("daemon", "stop", cwd=home).returncode == 0
    # A sync handed to a detached `venvd sync` (no daemon) writes into the same log.
    (project / "venvd.toml").write_text('sync = "background"\n')
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    assert "in the background (log:" in export(project)
    wait_for("the detached sync", lambda: synced_lines() == 2 and packages(project).get(ALPHA) == "1.0")
    lines = [line for line in log.read_text().splitlines() if line]
    assert sum("venvd: syncing ~/proj/.venv with" in line for line in lines) == 2, lines
    assert all(STAMP.match(line) for line in lines), lines
