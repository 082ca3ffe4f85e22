"""A first cd into a fresh uv.lock project costs what `uv venv && uv sync` by hand costs
(issue 10 point 4): one uv process (`uv sync --locked` makes the venv itself), with every
guarantee of a venvd-made venv kept; and the first sync of a venv made at this very cd runs
in the foreground, even while the daemon runs (the shell waits for it anyway)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import need_python, venvd_script
from tests.test_daemon import daemon, status  # noqa: F401
from tests.test_installers_lock import locked_project
from tests.test_sync import ALPHA, export, offline, packages, project_with, wheelhouse  # noqa: F401
from tests.wheelhouse import find_uv
from venvd.launcher import launcher
from venvd.sync.envstate import snapshot
from venvd.venv import read_marker, read_pyvenv_cfg

pytestmark = pytest.mark.slow


def uv_commands(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_a_fresh_uv_lock_venv_is_made_and_synced_by_one_uv_process(home: Path, offline: Path,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    project = locked_project(home / "proj")  # the project is named "demo", its directory "proj"
    offline.unlink(missing_ok=True)  # `uv lock` went through the wrapper too
    said = export(project)
    assert "synced" in said, said
    commands = uv_commands(offline)
    assert len(commands) == 1 and commands[0].startswith("sync --locked"), commands
    venv = str(project / ".venv")
    marker = read_marker(venv)
    assert marker is not None and marker["state"] == "ok", "proven venvd's: its record and marker agree"
    assert read_pyvenv_cfg(venv)["prompt"] == "proj", "the prompt venvd gives every venv: the directory's name"
    by_hand = tmp_path / "by-hand"
    r = subprocess.run([find_uv(), "sync", "--locked", "--python", need_python("3.12")], cwd=project,
                       capture_output=True, text=True, env=dict(os.environ, UV_PROJECT_ENVIRONMENT=str(by_hand)))
    assert r.returncode == 0, r.stderr
    assert packages(project) == snapshot(str(by_hand))
    # The next entry finds it in step: no uv at all.
    export(project)
    assert len(uv_commands(offline)) == 1, uv_commands(offline)


# What a first entry would otherwise import before uv even starts (subprocess: locale, re,
# enum, threading, selectors; ~5-10 ms of a first cd): venvd starts uv with os.fork/execve
# and reads it with select.poll (spawn.py).
SPAWN_FREE = ("subprocess", "threading", "locale", "re", "enum", "selectors", "typing")


def test_a_first_entry_makes_and_syncs_the_venv_without_the_subprocess_module(home: Path, offline: Path,  # noqa: F811
                                                                              ) -> None:
    from tests.test_hot_path import _hook_env, _imports

    export(locked_project(home / "first"))  # interpreters probed once, as on any machine after its first project
    project = locked_project(home / "proj")
    imported = _imports(launcher() + ["export", "bash"], project, _hook_env({"PWD": str(project)}))
    assert packages(project), "the venv was made and synced in that run"
    heavy = sorted({name for name, _ in imported} & set(SPAWN_FREE))
    assert not heavy, f"a first sync imported {heavy}: " + ", ".join(
        f"{name} (by {parent or 'venvd'})" for name, parent in imported if name in heavy)


def test_a_failed_first_sync_leaves_an_empty_venv_and_is_remembered(home: Path, offline: Path) -> None:  # noqa: F811
    project = locked_project(home / "proj")
    # The lock no longer matches pyproject.toml: `uv sync --locked` refuses.
    text = (project / "pyproject.toml").read_text().replace('requires-python = ">=3.9"', 'requires-python = ">=3.10"')
    (project / "pyproject.toml").write_text(text)
    offline.unlink(missing_ok=True)
    said = export(project)
    assert "sync failed" in said and "uv lock" in said, said
    assert len([line for line in said.splitlines() if "fail" in line]) == 1, said
    # What `uv venv` then a failed `uv sync` leave: a working venv without the lock's packages.
    assert packages(project) == {}
    assert subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", "pass"]).returncode == 0
    assert read_pyvenv_cfg(str(project / ".venv"))["prompt"] == "proj"
    commands = uv_commands(offline)
    again = export(project)
    assert "sync failed" not in again, "said once, not at every prompt"
    assert uv_commands(offline) == commands, "not retried until the inputs change"
    # Fixing the lock is noticed at the next entry.
    subprocess.run([find_uv(), "lock", "--python", need_python("3.12")], cwd=project, check=True,
                   capture_output=True)
    assert "synced" in export(project)
    assert "venvd-demo-beta" in packages(project)


def test_a_first_sync_killed_mid_way_is_not_taken_for_the_users_venv(home: Path, offline: Path,  # noqa: F811
                                                                     tmp_path: Path) -> None:
    project = locked_project(home / "proj")
    killer = tmp_path / "killbin"
    killer.mkdir()
    # uv makes the venv, then venvd is killed with -9 before it could write its marker.
    (killer / "uv").write_text(f'#!/bin/sh\n"{find_uv()}" "$@"\nkill -9 $PPID\nsleep 5\n')
    (killer / "uv").chmod(0o755)
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project), PATH=f"{killer}{os.pathsep}{os.environ['PATH']}"))
    assert r.returncode == -9, r.stderr
    assert (project / ".venv" / "pyvenv.cfg").exists() and read_marker(str(project / ".venv")) is None
    said = export(project)
    assert "not made by venvd" not in said and "did not make" not in said, said
    assert "synced" in said, said
    marker = read_marker(str(project / ".venv"))
    assert marker is not None and marker["state"] == "ok"
    assert "venvd-demo-beta" in packages(project)


def test_the_first_sync_of_a_venv_made_at_this_cd_runs_here_even_with_the_daemon(home: Path, offline: Path,  # noqa: F811
                                                                                  daemon) -> None:  # noqa: F811
    daemon()
    assert status()["running"] or status()["pid"]
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    said = export(project)
    assert "in the background" not in said, said
    assert "synced" in said, said
    assert packages(project)[ALPHA] == "1.0", "ready when the prompt comes back"
    # Later syncs of that venv still go to the daemon.
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    later = export(project)
    assert "in the background" in later, later


def test_a_first_entry_into_a_uv_lock_project_imports_no_toml_parser(home: Path, offline: Path) -> None:  # noqa: F811
    # As `uv init` writes it (a .python-version, no [tool] table): nothing venvd needs is
    # in pyproject.toml, so the first entry does not import tomllib (~20 ms with typing, re).
    project = locked_project(home / "proj")
    # The hook's own command line (python -I -S -c ...), reporting what it imported.
    *argv, code = launcher()
    assert code.endswith("from venvd.cli import launched; launched()"), code
    code = (code[:-len("launched; launched()")] + "main; sys.argv = ['venvd', 'export', 'json']\n"
            "try:\n    main()\nfinally:\n"
            "    print('IMPORTED', *sorted(m for m in ('tomllib', 'tomli', 'typing', 'venvd.toolpython')"
            " if m in sys.modules), file=sys.stderr)\n").replace("; ", "\n")
    r = subprocess.run([*argv, code], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project)))
    assert "synced" in r.stderr, r.stderr
    imported = [line for line in r.stderr.splitlines() if line.startswith("IMPORTED")]
    assert imported == ["IMPORTED"], r.stderr
    assert read_pyvenv_cfg(str(project / ".venv"))["version_info"].startswith("3.12")
