"""Keeping a venv in step with its inputs, with real uv and real pip, offline.

Every test installs only from the test wheelhouse: ``--no-index --find-links`` reach
the installers through the environment (UV_*/PIP_*), which venvd passes through. The
``backend`` fixture runs a test once with uv and once with pip (``VENVD_INSTALLER``).
A ``uv`` wrapper first on PATH logs every uv command, so a test can count installers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import allow, make_project, need_python, venvd_script
from tests.wheelhouse import FAILING_REQUIREMENT, build_wheelhouse, find_uv
from venvd.sync.envstate import snapshot

pytestmark = pytest.mark.slow

BETA = "venvd-demo-beta"
ALPHA = "venvd-demo-alpha"
GAMMA = "venvd-demo-gamma"
DELTA = "venvd-demo-delta"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture
def offline(home: Path, tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test environment: installers offline against the wheelhouse, uv logged.

    Returns the log file the ``uv`` wrapper appends each command line to.
    """
    need_python("3.12")
    wrap = tmp_path / "wrapbin"
    wrap.mkdir()
    log = tmp_path / "uv.log"
    (wrap / "uv").write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$*" >> "$VENVD_TEST_UV_LOG"\n'
        'if [ -n "$VENVD_TEST_UV_SLEEP" ]; then sleep "$VENVD_TEST_UV_SLEEP"; fi\n'
        f'exec "{find_uv()}" "$@"\n'
    )
    (wrap / "uv").chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrap}{os.pathsep}{os.environ['PATH']}")
    for key, value in {
        "VENVD_TEST_UV_LOG": str(log),
        "UV_FIND_LINKS": str(wheelhouse), "UV_NO_INDEX": "1", "UV_OFFLINE": "1", "UV_NO_PROGRESS": "1",
        "PIP_FIND_LINKS": str(wheelhouse), "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("VENVD_TEST_UV_SLEEP", raising=False)
    monkeypatch.delenv("VENVD_INSTALLER", raising=False)
    return log


@pytest.fixture(params=["uv", "pip"])
def backend(request: pytest.FixtureRequest, offline: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("VENVD_INSTALLER", request.param)
    return request.param


def export(project: Path, **env: str) -> str:
    """Enter *project* as the hook does; return what venvd told the user (stderr)."""
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project), **env))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    json.loads(r.stdout)  # stdout is only ever shell code
    return r.stderr


def venvd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([venvd_script(), *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PWD=str(cwd)))


def packages(project: Path) -> dict[str, str]:
    return snapshot(str(project / ".venv"))


def installs(log: Path) -> list[str]:
    """The uv commands that install (not those creating venvs)."""
    if not log.exists():
        return []
    return [line for line in log.read_text().splitlines() if not line.startswith("venv ")
            and "--find-links" not in line]  # venv creation installs pip from ensurepip's wheel


def project_with(path: Path, requirements: str, python: str = "3.12") -> Path:
    project = make_project(path, python)
    (project / "requirements.txt").write_text(requirements)
    return project


# --- requirements files, both backends ------------------------------------------------------


def test_first_entry_creates_the_venv_and_syncs_it(home: Path, backend: str) -> None:
    project = project_with(home / "proj", f"{BETA}==1.1\n{ALPHA}==2.0\n")
    said = export(project)
    assert "creating" in said
    assert f"with {backend}" in said and "synced 2 packages" in said
    got = packages(project)
    assert got[BETA] == "1.1" and got[ALPHA] == "2.0"
    assert "pip" in got, "an exact sync keeps the venv's seed packages"
    assert (project / ".venv" / ".venvd" / "synced").exists()


def test_changing_a_pin_upgrades_and_removing_a_line_removes_the_package(home: Path, backend: str) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n{DELTA}==1.0\n")
    export(project)
    assert packages(project)[ALPHA] == "1.0"
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n{DELTA}==1.0\n")
    export(project)
    assert packages(project)[ALPHA] == "1.1"
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    said = export(project)
    got = packages(project)
    assert DELTA not in got and "removed" in said
    assert got[ALPHA] == "1.1" and "pip" in got


def test_a_change_in_an_included_file_is_noticed(home: Path, backend: str) -> None:
    project = project_with(home / "proj", "-r reqs/base.txt\n")
    (project / "reqs").mkdir()
    (project / "reqs" / "base.txt").write_text(f"-c pins.txt\n{ALPHA}\n")
    (project / "reqs" / "pins.txt").write_text(f"{ALPHA}==1.0\n")
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project)))
    watched = json.loads(r.stdout)["state"]["_VENVD_WATCH"]
    # The hook watches every input (and its directory) so the next prompt notices an edit.
    assert str(project / "reqs" / "base.txt") in watched and str(project / "reqs" / "pins.txt") in watched
    assert str(project / "reqs") in watched
    assert packages(project)[ALPHA] == "1.0"
    (project / "reqs" / "pins.txt").write_text(f"{ALPHA}==1.1\n")
    assert "synced" in export(project)
    assert packages(project)[ALPHA] == "1.1"


def test_loose_requirements_are_installed_and_nothing_is_removed(home: Path, backend: str) -> None:
    project = project_with(home / "proj", f"{ALPHA}>=1.0\n")
    assert "not fully pinned" in export(project)
    assert packages(project)[ALPHA] == "2.0"
    (project / "requirements.txt").write_text(f"{DELTA}\n")
    export(project)
    got = packages(project)
    assert got[DELTA] == "1.0" and got[ALPHA] == "2.0", "a loose set is installed additively"


def test_unchanged_inputs_start_no_installer(home: Path, backend: str, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    export(project)
    record = project / ".venv" / ".venvd" / "synced"
    before = record.stat().st_mtime_ns, installs(offline)
    for _ in range(3):
        assert export(project) == ""
    assert (record.stat().st_mtime_ns, installs(offline)) == before
    # Touching a file without changing it re-hashes it, and still starts nothing.
    os.utime(project / "requirements.txt")
    assert export(project) == ""
    assert (record.stat().st_mtime_ns, installs(offline)) == before
    # In the process itself: the check loads no subprocess, json, hashlib, TOML or packaging.
    code = (
        "import os, sys; from venvd.export import compute; compute(os.environ); "
        "print(' '.join(sorted(m for m in ('subprocess', 'json', 'hashlib', 'tomllib', 'tomli', "
        "'packaging', 'filelock', 'venvd.sync.inputs') if m in sys.modules)))"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project)))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_a_failing_requirement_keeps_the_old_env_and_is_not_retried(home: Path, backend: str) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    export(project)
    synced = (project / ".venv" / ".venvd" / "synced").read_text()
    (project / "requirements.txt").write_text(f"{FAILING_REQUIREMENT}\n")
    said = export(project)
    assert "sync failed" in said and "9.9" in said and said.count("\n") == 2  # syncing…, failed…
    assert packages(project)[ALPHA] == "1.0", "the env that worked stays"
    assert (project / ".venv" / ".venvd" / "synced").read_text() == synced
    again = export(project)
    assert "sync failed" not in again and "last sync" in again, "not retried on the next prompt"
    status = json.loads(venvd("status", "--json", cwd=project).stdout)
    assert status["state"] == "last sync failed" and "9.9" in status["last_error"]["error"]
    # `venvd sync` retries (and fails again, with exit status 1).
    r = venvd("sync", cwd=project)
    assert r.returncode == 1 and "sync failed" in r.stderr
    # A change of the input is retried at once.
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    assert "synced" in export(project)
    assert packages(project)[ALPHA] == "1.1"
    assert not (project / ".venv" / ".venvd" / "failed").exists()


# --- pyproject.toml: dependencies, extras, dependency groups -----------------------------------

PYPROJECT = f"""
[project]
name = "demo"
version = "0"
dependencies = ["{GAMMA}"]

[project.optional-dependencies]
fast = ["{GAMMA}[fast]"]

[dependency-groups]
dev = ["{ALPHA}==1.0"]
test = [{{include-group = "dev"}}, "{BETA}==1.0"]
"""


def test_dependency_groups_and_extras(home: Path, backend: str) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(PYPROJECT)
    export(project)
    got = packages(project)
    # Without settings: the dependencies and (as uv) the "dev" group.
    assert got[GAMMA] == "0.1" and got[ALPHA] == "1.0"
    assert DELTA not in got and BETA not in got
    (project / "pyproject.toml").write_text(PYPROJECT + '\n[tool.venvd]\nextras = ["fast"]\ngroups = ["test"]\n')
    export(project)
    got = packages(project)
    assert got[DELTA] == "1.0", "the extra's dependency"
    assert got[BETA] == "1.0" and got[ALPHA] == "1.0", "the group and the group it includes"


# --- uv.lock ----------------------------------------------------------------------------------


def test_a_uv_lock_project_is_synced_exactly(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{BETA}"]\n\n[dependency-groups]\ndev = ["{DELTA}"]\n')
    python = need_python("3.12")
    lock = subprocess.run([find_uv(), "lock", "--python", python], cwd=project, capture_output=True, text=True)
    assert lock.returncode == 0, lock.stderr
    said = export(project)
    assert "with uv" in said and "uv.lock" in said
    got = packages(project)
    assert got[BETA] == "1.1" and got[ALPHA] == "2.0" and got[DELTA] == "1.0"  # default group dev
    assert "pip" not in got, "exactly `uv sync --locked`'s env: no pip (issue 10.4)"
    assert any(line.startswith("sync --locked") for line in installs(offline))
    # Something installed by hand goes at the next sync; a new lock is followed exactly.
    subprocess.run([find_uv(), "pip", "install", "--python", str(project / ".venv" / "bin" / "python"),
                    f"{GAMMA}"], check=True, capture_output=True)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{ALPHA}<2"]\n')
    lock = subprocess.run([find_uv(), "lock", "--python", python], cwd=project, capture_output=True, text=True)
    assert lock.returncode == 0, lock.stderr
    export(project)
    got = packages(project)
    assert got[ALPHA] == "1.1"
    assert BETA not in got and GAMMA not in got and DELTA not in got
    assert "pip" not in got


def test_a_pylock_toml_is_synced_exactly_with_uv(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    python = need_python("3.12")

    def lock(requirements: str) -> None:
        (home / "in.txt").write_text(requirements)
        r = subprocess.run([find_uv(), "pip", "compile", "-q", str(home / "in.txt"), "--format", "pylock.toml",
                            "-o", str(project / "pylock.toml"), "--python", python], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    lock(f"{BETA}==1.1\n")
    said = export(project)
    assert "pylock.toml" in said and "synced 2 packages" in said
    assert packages(project)[BETA] == "1.1"
    lock(f"{ALPHA}==1.0\n")
    export(project)
    got = packages(project)
    assert got[ALPHA] == "1.0" and BETA not in got and "pip" in got


# --- one writer, killed and interrupted syncs ----------------------------------------------------


def test_two_concurrent_entries_produce_one_sync(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    export(project)  # the venv exists; now a slow sync of a change
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    env = dict(os.environ, PWD=str(project), VENVD_TEST_UV_SLEEP="1")
    before = len(installs(offline))
    procs = [subprocess.Popen([venvd_script(), "export", "json"], cwd=project, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(installs(offline)) - before == 1, installs(offline)
    said = "".join(err for _, err in outs)
    assert said.count("synced 1 package") == 1 and "waiting for another sync" in said
    assert packages(project)[ALPHA] == "1.1"


def _start_slow_sync(project: Path, offline: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([venvd_script(), "sync"], cwd=project, text=True, start_new_session=True,
                            env=dict(os.environ, PWD=str(project), VENVD_TEST_UV_SLEEP="30"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    before = len(installs(offline))
    deadline = time.monotonic() + 30
    # `pip install` since a top-level pin is not a lock (issue 10.1).
    while len(installs(offline)) == before or not any(line.startswith(("pip sync", "pip install"))
                                                      for line in installs(offline)[before:]):
        assert time.monotonic() < deadline, "the installer never started"
        time.sleep(0.05)
    return proc


def test_a_sync_killed_with_sigkill_is_redone_next_time(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    export(project)
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    record = (project / ".venv" / ".venvd" / "synced").read_text()
    proc = _start_slow_sync(project, offline)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    assert (project / ".venv" / ".venvd" / "synced").read_text() == record, "nothing recorded"
    assert not (project / ".venv" / ".venvd" / "failed").exists()
    said = export(project)
    assert "synced 1 package" in said, "the lock died with the process; the sync is redone"
    assert packages(project)[ALPHA] == "1.1"


def test_ctrl_c_aborts_cleanly_and_is_not_retried_at_the_next_prompt(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    export(project)
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    proc = _start_slow_sync(project, offline)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground process group
    _, err = proc.communicate(timeout=20)
    assert "interrupted" in err and "Traceback" not in err
    assert packages(project)[ALPHA] == "1.0", "the env is as it was"
    count = len(installs(offline))
    said = export(project)
    assert "interrupted" in said and len(installs(offline)) == count, "not retried at once"
    r = venvd("sync", cwd=project)
    assert r.returncode == 0, r.stderr
    assert packages(project)[ALPHA] == "1.1"


# --- commands -----------------------------------------------------------------------------


def test_exec_runs_a_command_in_the_synced_venv(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.1\n")
    code = "import sys, venvd_demo_alpha as a; print(sys.prefix, a.__version__)"
    r = subprocess.run([venvd_script(), "exec", str(project), "--", "python", "-c", code],
                       cwd=home, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(project / ".venv"), "1.1"]
    other = project_with(home / "untrusted", f"{ALPHA}==1.1\n")
    (other / ".python-version").write_text("3.12\n")
    subprocess.run([venvd_script(), "deny", str(other)], check=True, capture_output=True)
    r = subprocess.run([venvd_script(), "exec", str(other), "--", "true"], cwd=home, capture_output=True,
                       text=True)
    assert r.returncode == 1 and "denied" in r.stderr and "venvd allow" in r.stderr
    assert not (other / ".venv").exists()


def test_status_shows_inputs_installer_and_fingerprints(home: Path, backend: str) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    before = json.loads(venvd("status", "--json", cwd=project).stdout)
    assert before["state"] == "never synced" and before["venv_exists"] is False
    export(project)
    info = json.loads(venvd("status", "--json", cwd=project).stdout)
    assert info["project"] == str(project) and info["trust"] == "allowed"
    assert info["inputs"]["files"] == [str(project / "requirements.txt")] and info["inputs"]["exact"]
    assert info["installer"]["name"] == backend and "VENVD_INSTALLER" in info["installer"]["why"]
    assert info["fingerprint_recorded"] == info["fingerprint_current"] and info["state"] == "in step"
    assert info["venv_made_by_venvd"] is True
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    text = venvd("status", cwd=project).stdout
    assert "out of date" in text and "requirements.txt" in text


def test_sync_force_reinstalls_and_untrusted_is_refused(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    r = venvd("sync", cwd=project)
    assert r.returncode == 0 and "synced" in r.stderr
    r = venvd("sync", cwd=project)
    assert r.returncode == 0 and "in step" in r.stderr
    count = len(installs(offline))
    r = venvd("sync", "--force", cwd=project)
    assert r.returncode == 0 and "synced" in r.stderr and len(installs(offline)) == count + 1
    other = project_with(home / "other", f"{ALPHA}==1.0\n", )
    subprocess.run([venvd_script(), "deny", str(other)], check=True, capture_output=True)
    r = venvd("sync", cwd=other)
    assert r.returncode == 1 and "venvd allow" in r.stderr


def test_a_fresh_uv_lock_venv_whose_first_sync_fails_is_a_working_venv_without_pip(home: Path,
                                                                                    offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = ["{BETA}"]\n')
    python = need_python("3.12")
    lock = subprocess.run([find_uv(), "lock", "--python", python], cwd=project, capture_output=True, text=True)
    assert lock.returncode == 0, lock.stderr
    # The lock no longer matches pyproject.toml: `uv sync --locked` refuses it.
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = ["{GAMMA}"]\n')
    said = export(project)
    assert "sync failed" in said and "uv lock" in said, said
    # As `uv venv` makes it for `uv sync` (issue 10.4): no pip, and a working interpreter.
    assert "pip" not in packages(project)
    assert subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", "pass"]).returncode == 0


@pytest.mark.parametrize(("lockfile", "tool"), [("poetry.lock", "poetry"), ("Pipfile.lock", "pipenv")])
def test_a_lockfile_whose_tool_is_missing_is_one_line_and_the_env_still_works(
        home: Path, offline: Path, lockfile: str, tool: str) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (project / lockfile).write_text("# a lockfile\n")
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project)))
    data = json.loads(r.stdout)
    lines = [line for line in r.stderr.splitlines() if tool in line]
    assert len(lines) == 1 and "not on PATH" in lines[0] and f"pipx install {tool}" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv"), "the venv is active all the same"
