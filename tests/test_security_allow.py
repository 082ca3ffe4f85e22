"""``venvd allow`` checks the venv the project would use, not only ``.venv`` (issue 9 point 2).

A project's venv may be ``[tool.venvd] venv = "…"`` inside it or ``UV_PROJECT_ENVIRONMENT``
anywhere. When another user (``mallory``, a real account) owns that directory or it is
writable by others, ``venvd allow`` refuses with the reason, as every entry would.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import venvd_script
from venvd import trust


def allow(project: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([venvd_script(), "allow", str(project)], capture_output=True, text=True,
                          env=dict(os.environ, **env))


def project_with_venv_setting(home: Path) -> Path:
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n\n[tool.venvd]\nvenv = "env"\n')
    return project


def test_allow_refuses_a_configured_venv_another_user_owns(home: Path, mallory) -> None:  # noqa: ANN001
    project = project_with_venv_setting(home)
    (project / "env" / "bin").mkdir(parents=True)
    os.chown(project / "env", mallory.uid, mallory.gid)
    out = allow(project)
    assert out.returncode != 0 and out.stderr.count("venvd:") == 1, out.stderr
    assert "proj/env is owned by venvd-mallory" in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert trust.status(str(project)) == "unknown"


def test_allow_refuses_a_configured_venv_writable_by_others(home: Path) -> None:
    project = project_with_venv_setting(home)
    (project / "env" / "bin").mkdir(parents=True)
    (project / "env" / "bin").chmod(0o777)
    out = allow(project)
    assert out.returncode != 0 and "proj/env/bin is writable by others" in out.stderr, out.stderr
    assert trust.status(str(project)) == "unknown"


def test_allow_refuses_a_uv_project_environment_another_user_owns(home: Path, mallory,  # noqa: ANN001
                                                                   shared_tmp: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{os.environ['PATH']}{os.pathsep}/usr/sbin{os.pathsep}/sbin")  # runuser
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "p"\n')
    theirs = shared_tmp / "env"
    mallory.mkdir(theirs / "bin")
    out = allow(project, UV_PROJECT_ENVIRONMENT=str(theirs))
    assert out.returncode != 0 and out.stderr.count("venvd:") == 1, out.stderr
    assert "is owned by venvd-mallory" in out.stderr and str(theirs) in out.stderr, out.stderr
    assert trust.status(str(project)) == "unknown"


def test_allow_accepts_a_configured_venv_of_the_users_own(home: Path) -> None:
    project = project_with_venv_setting(home)
    (project / "env" / "bin").mkdir(parents=True)
    out = allow(project)
    assert out.returncode == 0, out.stderr
    assert trust.status(str(project)) == "allowed"
