"""In real bash, zsh and fish: what another user plants in a parent directory never hangs the
prompt or keeps the wrong venv active (issue 9, points 1 and 9)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python
from tests.wheelhouse import find_uv

PYPROJECT = '[project]\nname = "b"\nversion = "0"\n'


def project_with_pyproject(path: Path) -> Path:
    project = make_project(path, "3.12")
    (project / "pyproject.toml").write_text(PYPROJECT)
    return project


@pytest.mark.parametrize("kind", ["fifo", "devzero", "fifo-uv.lock"])
def test_a_pyproject_planted_in_a_shared_parent_does_not_hang_the_prompt(open_shell, home: Path, mallory,
                                                                          shared_tmp: Path, kind: str,
                                                                          monkeypatch: pytest.MonkeyPatch):
    need_python("3.12")
    project = project_with_pyproject(shared_tmp / "proj")
    if kind.endswith("uv.lock"):
        # A uv project: venvd runs `uv sync`, and uv walks up the parents too.
        (project / "pyproject.toml").write_text(PYPROJECT + 'requires-python = ">=3.12"\n')
        subprocess.run([find_uv(), "lock", "--offline", "--no-config", "--python", need_python("3.12")],
                       cwd=project, check=True, capture_output=True, timeout=60)
    # As on a user's machine: uv searches parents for its config unless told not to.
    monkeypatch.delenv("UV_NO_CONFIG", raising=False)
    planted = shared_tmp / "pyproject.toml"
    with pytest.MonkeyPatch.context() as mp:
        # runuser lives in /usr/sbin, which the isolated home's PATH leaves out.
        mp.setenv("PATH", os.environ["PATH"] + ":/usr/sbin:/sbin")
        if kind.startswith("fifo"):
            mallory.run("mkfifo", str(planted))
        else:
            mallory.run("ln", "-s", "/dev/zero", str(planted))
    assert planted.lstat().st_uid == mallory.uid
    shell = open_shell()
    out = shell.run(f"cd {project}")  # a hang fails here (pexpect's timeout), not forever
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), out
    about = [line for line in out.splitlines() if str(planted) in line]
    assert len(about) <= 1 and all(line.startswith("venvd: ") for line in about), out
    assert "internal error" not in out
    assert shell.status_after("true") == 0
    if kind.endswith("uv.lock"):
        assert (project / ".venv" / ".venvd" / "synced").exists(), out


@pytest.mark.parametrize("content", ['tool = "x"\n# workspace\n', "[tool.uv.workspace]\nmembers = [1]\n",
                                     "workspace = " + "[" * 10000 + "]" * 10000 + "\n"],
                         ids=["tool-string", "members-int", "deep"])
def test_cd_from_a_project_to_one_under_a_malformed_parent_switches_venvs(open_shell, home: Path, content: str):
    need_python("3.12")
    a = make_project(home / "a", "3.12")
    b = project_with_pyproject(home / "outer" / "b")
    (home / "outer" / "pyproject.toml").write_text(content)
    shell = open_shell(cwd=a)
    assert shell.getenv("VIRTUAL_ENV") == str(a / ".venv")
    out = shell.run(f"cd {b}")
    assert shell.getenv("VIRTUAL_ENV") == str(b / ".venv"), out
    assert str(a / ".venv" / "bin") not in shell.getenv("PATH").split(":")
    assert "internal error" not in out
    assert len([line for line in out.splitlines() if "outer/pyproject.toml" in line]) <= 1, out


@pytest.mark.parametrize("name", [".python-version", "pyproject.toml"])
def test_a_version_of_thousands_of_digits_is_one_line_not_one_per_prompt(open_shell, home: Path, name: str):
    project = make_project(home / "proj", "3.12")
    (project / ".python-version").unlink()
    if name == ".python-version":
        (project / name).write_text("3." + "1" * 5000 + "\n")
    else:
        (project / name).write_text(f'[project]\nname = "b"\nrequires-python = ">=3.{"1" * 5000}"\n')
    shell = open_shell()
    out = shell.run(f"cd {project}")
    for _ in range(3):
        out += "\n" + shell.run("true")
    said = [line for line in out.splitlines() if line.startswith("venvd: ")]
    assert len(said) == 1 and "unrecognised Python version" in said[0], out
    assert "internal error" not in out
    assert shell.getenv("VIRTUAL_ENV") is None
