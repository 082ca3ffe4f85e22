"""`venvd export`: one real process per directory change, as the hook runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import allow, make_project, need_python, venvd_script


def export(cwd: Path, shell: str = "json", extra: Optional[dict] = None, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PWD=str(cwd), **(extra or {}))
    return subprocess.run([sys.executable, "-I", "-m", "venvd", "export", shell, *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def export_json(cwd: Path, extra: Optional[dict] = None) -> tuple[dict, str]:
    result = export(cwd, "json", extra)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout), result.stderr


def applied(data: dict) -> dict:
    """The environment after a shell applied *data*."""
    env = dict(os.environ)
    env.update(data["set"])
    for key in data["unset"]:
        env.pop(key, None)
    return env


def test_a_ready_project_is_activated_and_a_second_run_changes_nothing(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    data, err = export_json(project)
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv")
    assert data["deactivate"] is True
    env = applied(data)
    again, err = export_json(project, {k: env[k] for k in ("PATH", "VIRTUAL_ENV", "VENVD_DIFF")})
    assert again["set"] == {} and again["unset"] == [] and err == ""
    assert again["state"]["_VENVD_STAMP"] == data["state"]["_VENVD_STAMP"], "an unchanged project shares its stamp"


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        (".python-version", "three point twelve\n", "three point twelve"),
        ("pyproject.toml", "[project\nname = 'x'\n", "not valid TOML"),
        ("pyproject.toml", "[tool.venvd]\ninstaller = 'conda'\n", "installer"),
        ("pyproject.toml", "[tool.venvd]\nvenv = '../elsewhere'\n", "outside the project"),
    ],
    ids=["version-file", "toml-syntax", "bad-setting", "venv-outside"],
)
def test_bad_input_is_one_clear_line_and_still_shell_code(home: Path, filename: str, content: str, expected: str):
    project = home / "proj"
    project.mkdir()
    (project / filename).write_text(content)
    allow(project)
    result = export(project, "bash")
    assert result.returncode == 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("venvd: ") and expected in lines[0], result.stderr
    assert "_VENVD_STAMP=" in result.stdout, "the hook still gets its state, so the error is not repeated"
    assert not (project / ".venv").exists()


def test_an_unreadable_version_file_is_one_line(home: Path):
    project = home / "proj"
    project.mkdir()
    (project / ".python-version").mkdir()  # reading a directory fails like an unreadable file
    allow(project)
    result = export(project, "bash")
    assert result.returncode == 0 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert ".python-version" in result.stderr and "Traceback" not in result.stderr


def test_a_deleted_current_directory_is_one_line(home: Path, tmp_path: Path):
    gone = tmp_path / "gone"
    gone.mkdir()
    shell = subprocess.run(
        ["bash", "-c", f"cd '{gone}' && rmdir '{gone}' && '{sys.executable}' -I -m venvd export bash"],
        capture_output=True, text=True,
    )
    assert shell.returncode == 0
    assert shell.stderr.strip() == "venvd: the current directory no longer exists; cd to another one"
    assert "_VENVD_PWD=" in shell.stdout


def test_a_venv_venvd_did_not_make_is_never_rebuilt(home: Path):
    py311 = need_python("3.11")
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    subprocess.run([py311, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    cfg = (project / ".venv" / "pyvenv.cfg").read_bytes()
    data, err = export_json(project)
    assert "3.11" in err and "left as it is" in err
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv"), "the user's venv is still used"
    assert (project / ".venv" / "pyvenv.cfg").read_bytes() == cfg, "not rebuilt"
    assert os.path.realpath(project / ".venv" / "bin" / "python") == os.path.realpath(py311)


def test_a_broken_venv_venvd_did_not_make_is_reported_not_touched(home: Path):
    project = make_project(home / "proj", "3.12")
    (project / ".venv").mkdir()
    (project / ".venv" / "precious.txt").write_text("mine")
    data, err = export_json(project)
    assert "not a working venv" in err and "VIRTUAL_ENV" not in data["set"]
    assert (project / ".venv" / "precious.txt").read_text() == "mine"


@pytest.mark.slow
def test_venvds_own_venv_is_recreated_when_the_request_changes(home: Path):
    need_python("3.11")
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    export_json(project)
    cfg = (project / ".venv" / "pyvenv.cfg").read_text()
    assert "3.12" in cfg
    (project / ".python-version").write_text("3.11\n")
    data, err = export_json(project)
    assert "recreating" in err
    assert "3.11" in (project / ".venv" / "pyvenv.cfg").read_text()
    out = subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(3, 11)"
    assert not list(project.glob(".venv.venvd-old-*")), "the old venv is gone once the new one works"


def test_a_venvd_venv_that_broke_is_recreated(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    export_json(project)
    shutil.rmtree(project / ".venv" / "bin")
    data, err = export_json(project)
    assert "recreating" in err
    assert (project / ".venv" / "bin" / "python").exists()


def test_uv_project_environment_is_honoured(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    data, _ = export_json(project, {"UV_PROJECT_ENVIRONMENT": "envs/dev"})
    assert data["set"]["VIRTUAL_ENV"] == str(project / "envs" / "dev")
    assert (project / "envs" / "dev" / "pyvenv.cfg").exists()


def test_a_missing_python_names_what_was_found(home: Path):
    project = make_project(home / "proj", "3.99")
    result = export(project, "bash")
    assert result.returncode == 0
    line = result.stderr.strip()
    assert line.startswith("venvd: ") and "3.99" in line and "found:" in line and "\n" not in line
