"""A venv venvd did not make is only ever added to (issue 9.5), with real uv and pip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python
from tests.test_sync import (ALPHA, BETA, DELTA, GAMMA, backend, export, offline, packages,  # noqa: F401
                             venvd, wheelhouse)
from tests.wheelhouse import find_uv

pytestmark = pytest.mark.slow


def users_venv(project: Path, wheelhouse: Path, *extra: str) -> None:  # noqa: F811
    """A venv the user made by hand (stdlib venv, with pip), holding *extra*."""
    subprocess.run([need_python("3.12"), "-m", "venv", str(project / ".venv")], check=True)
    subprocess.run([str(project / ".venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index",
                    "--find-links", str(wheelhouse), *extra], check=True, capture_output=True)


def test_a_uv_lock_sync_into_the_users_venv_removes_nothing(home: Path, offline: Path,  # noqa: F811
                                                            wheelhouse: Path) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = ["{BETA}"]\n')
    lock = subprocess.run([find_uv(), "lock", "--python", need_python("3.12")], cwd=project,
                          capture_output=True, text=True)
    assert lock.returncode == 0, lock.stderr
    users_venv(project, wheelhouse, f"{GAMMA}==0.1")
    said = export(project)
    assert "synced" in said, said
    got = packages(project)
    assert got[BETA] == "1.1" and ALPHA in got
    assert got.get(GAMMA) == "0.1", "the package the user installed is still there"
    assert "pip" in got
    r = venvd("status", cwd=project)
    assert "additive: venvd did not make this venv" in r.stdout + r.stderr


def test_an_exact_requirements_sync_into_the_users_venv_removes_nothing(home: Path, backend: str,  # noqa: F811
                                                                         wheelhouse: Path) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    (project / "pyproject.toml").write_text('[tool.venvd]\nmode = "exact"\n')
    users_venv(project, wheelhouse, f"{DELTA}==1.0")
    said = export(project)
    assert "synced" in said, said
    got = packages(project)
    assert got[ALPHA] == "1.0"
    assert got.get(DELTA) == "1.0", "the package the user installed is still there"
    assert "removed" not in said
