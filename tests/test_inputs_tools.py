"""A pdm.lock is synced by pdm, and the Python poetry, pipenv and pdm ask for is the one
the venv gets (issue 10 points 2 and 3). Real pdm from PyPI (tests/toolbox.py), real
interpreters, offline against the test wheelhouse."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import allow, make_project, need_python, pyenv_python, venvd_script
from tests.test_sync import ALPHA, BETA, DELTA, GAMMA, export, offline, packages, wheelhouse  # noqa: F401
from tests.toolbox import put_on_path
from tests.wheelhouse import write_wheel
from venvd.installers import SEED_PACKAGES
from venvd.sync.envstate import snapshot

pytestmark = pytest.mark.slow


def _pdm_project(project: Path, wheels: Path, dependencies: str) -> None:
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = [{dependencies}]\n\n'
        f'[dependency-groups]\ndev = ["{DELTA}"]\n\n'
        f'[project.optional-dependencies]\nfast = ["{GAMMA}[fast]"]\n\n'
        # pdm's own offline source: the wheel directory, and no PyPI.
        f'[[tool.pdm.source]]\nname = "pypi"\nurl = "{wheels.as_uri()}"\ntype = "find_links"\n\n'
        '[tool.pdm]\ndistribution = false\n')


def _pdm(pdm: str, *args: str, cwd: Path, python: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PDM_PYTHON=python, PDM_CHECK_UPDATE="false", PDM_NON_INTERACTIVE="1")
    env.pop("VIRTUAL_ENV", None)
    r = subprocess.run([pdm, *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def _by_hand(pdm: str, project: Path, python: str, where: Path) -> dict[str, str]:
    """The env `pdm sync --clean` builds from the lock in a fresh venv of its own."""
    if where.exists():
        shutil.rmtree(where)
    subprocess.run([python, "-m", "venv", str(where)], check=True, capture_output=True)
    _pdm(pdm, "sync", "--clean", cwd=project, python=str(where / "bin" / "python"))
    return snapshot(str(where))


def _without_seeds(dists: dict[str, str]) -> dict[str, str]:
    return {name: version for name, version in dists.items() if name not in SEED_PACKAGES}


def test_a_pdm_lock_is_synced_by_pdm_into_the_venv_as_pdm_sync_builds_it(
        home: Path, offline: Path, wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pdm = put_on_path("pdm", tmp_path / "pdmbin", monkeypatch)
    python = need_python("3.12")
    # The lock is made while alpha 2.0 does not exist yet: a fresh resolution now would
    # pick 2.0, the lock says 1.1.
    wheels = tmp_path / "pdm-wheels"
    wheels.mkdir()
    for wheel in wheelhouse.iterdir():
        if "alpha-2.0" not in wheel.name:
            shutil.copy(wheel, wheels)
    project = make_project(home / "proj", "3.12")
    _pdm_project(project, wheels, f'"{BETA}"')
    _pdm(pdm, "lock", cwd=project, python=python)
    assert not (project / ".venv").exists() and not (project / ".pdm-python").exists()
    write_wheel(wheels, ALPHA, "2.0")

    said = export(project)
    assert "with pdm" in said and "pdm.lock" in said, said
    expected = _by_hand(pdm, project, python, tmp_path / "by-hand")
    assert _without_seeds(expected) == {ALPHA: "1.1", BETA: "1.1", DELTA: "1.0"}  # default + dev, as pdm
    assert _without_seeds(packages(project)) == _without_seeds(expected), "distribution by distribution"
    assert not (project / ".pdm-python").exists(), "pdm wrote nothing into the project"
    assert sorted(p.name for p in project.iterdir()) == [".python-version", ".venv", "pdm.lock", "pyproject.toml"]

    # Exact: what was installed by hand goes; a new lock is followed.
    subprocess.run([find_uv_bin(), "pip", "install", "--python", str(project / ".venv" / "bin" / "python"),
                    GAMMA], check=True, capture_output=True)
    _pdm_project(project, wheels, f'"{ALPHA}<1.1"')
    _pdm(pdm, "lock", cwd=project, python=python)
    said = export(project)
    assert "synced" in said, said
    expected = _by_hand(pdm, project, python, tmp_path / "by-hand")
    assert _without_seeds(packages(project)) == _without_seeds(expected) == {ALPHA: "1.0", DELTA: "1.0"}


def find_uv_bin() -> str:
    from tests.wheelhouse import find_uv

    return find_uv()


def test_a_pdm_lock_without_pdm_is_one_line_saying_what_to_install(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(f'[project]\nname = "demo"\nversion = "0"\ndependencies = ["{BETA}"]\n')
    (project / "pdm.lock").write_text('[metadata]\ngroups = ["default"]\n')
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project)))
    data = json.loads(r.stdout)
    lines = [line for line in r.stderr.splitlines() if "pdm" in line]
    assert len(lines) == 1 and "not on PATH" in lines[0] and "pipx install pdm" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert BETA not in packages(project), "the project is not resolved afresh past its lock"
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv"), "the venv is active all the same"


# --- the Python a project's tool asks for -------------------------------------------------------


def _venv_version(project: Path) -> str:
    cfg = (project / ".venv" / "pyvenv.cfg").read_text()
    return next(line.split("=", 1)[1].strip() for line in cfg.splitlines()
                if line.split("=")[0].strip() in ("version", "version_info"))


def _newest(*prefixes: str) -> str:
    found = [p for p in (pyenv_python(prefix) for prefix in prefixes) if p]
    if not found:
        pytest.skip(f"no pyenv Python {' or '.join(prefixes)} here")
    out = subprocess.run([found[-1], "-c", "import platform; print(platform.python_version())"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_poetrys_caret_python_picks_the_newest_fitting_interpreter_not_path_python(home: Path,
                                                                                    offline: Path) -> None:
    expected = _newest("3.12", "3.13")
    project = home / "poetry-proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "demo"\nversion = "0"\n\n[tool.poetry.dependencies]\npython = "^3.12"\n')
    allow(project)
    said = export(project)
    assert "Traceback" not in said
    assert _venv_version(project) == expected, said  # not the python3 on PATH (3.11)
    status = json.loads(subprocess.run([venvd_script(), "status", "--json"], cwd=project, capture_output=True,
                                       text=True, env=dict(os.environ, PWD=str(project))).stdout)
    assert status["python_request"] == ">=3.12,<4.0 ([tool.poetry.dependencies] python)"


@pytest.mark.parametrize(("requires", "prefix"), [
    ('python_version = "3.12"', "3.12"),
    ('python_full_version = "FULL"', "3.12"),
])
def test_pipfiles_requires_python_is_honoured(home: Path, offline: Path, requires: str, prefix: str) -> None:
    expected = _newest(prefix)
    project = home / "pipenv-proj"
    project.mkdir()
    (project / "Pipfile").write_text(f"[packages]\n\n[requires]\n{requires.replace('FULL', expected)}\n")
    allow(project)
    said = export(project)
    assert _venv_version(project) == expected, said


def test_requires_python_and_poetrys_python_must_both_hold(home: Path, offline: Path) -> None:
    expected = _newest("3.12")
    project = home / "both"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.10"\n\n'
        '[tool.poetry.dependencies]\npython = "~3.12"\n')
    allow(project)
    export(project)
    assert _venv_version(project) == expected


def test_a_poetry_python_venvd_cannot_read_is_one_line(home: Path, offline: Path) -> None:
    project = home / "bad"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^three"\n')
    allow(project)
    said = export(project)
    assert said.count("venvd:") == 1 and "[tool.poetry.dependencies] python" in said and "Traceback" not in said


@pytest.mark.parametrize(("poetry", "pep440"), [
    ("^3.12", ">=3.12,<4.0"), ("~3.12", ">=3.12,<3.13"), ("~3.12.1", ">=3.12.1,<3.13"),
    (">=3.10,<4.0", ">=3.10,<4.0"), (">=3.10 <4.0", ">=3.10,<4.0"), (">= 3.9, < 3.13", ">=3.9,<3.13"),
    ("3.12.*", "==3.12.*"), ("3.12", "==3.12.*"), ("3.12.1", "==3.12.1"), ("~=3.10", "~=3.10"),
    ("^3.9 || ^3.11", ">=3.11,<4.0"), ("*", None), ("^3", ">=3,<4.0"),
])
def test_poetry_constraints_become_pep440_ranges(poetry: str, pep440: str) -> None:
    from venvd.toolpython import poetry_range

    assert poetry_range(poetry, "x") == pep440


def test_pdm_gets_the_selection_of_tool_venvd(home: Path, offline: Path, wheelhouse: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pdm = put_on_path("pdm", tmp_path / "pdmbin", monkeypatch)
    python = need_python("3.12")
    project = make_project(home / "proj", "3.12")
    _pdm_project(project, wheelhouse, f'"{BETA}"')
    _pdm(pdm, "lock", cwd=project, python=python)
    export(project)
    assert packages(project)[DELTA] == "1.0", "dev is locked and synced by default, as pdm does"
    (project / "venvd.toml").write_text("no-default-groups = true\n")
    said = export(project)
    assert "no default groups" in said, said
    got = _without_seeds(packages(project))
    assert got == {ALPHA: "2.0", BETA: "1.1"}, said  # as `pdm sync --prod --only-keep`
    (project / "venvd.toml").write_text('only-groups = ["dev"]\n')
    export(project)
    assert _without_seeds(packages(project)) == {DELTA: "1.0"}


def test_editing_pipfiles_python_is_followed_at_the_next_entry(home: Path, offline: Path) -> None:
    first, second = _newest("3.12"), _newest("3.13")
    project = home / "pipenv-proj"
    project.mkdir()
    (project / "Pipfile").write_text('[packages]\n\n[requires]\npython_version = "3.12"\n')
    allow(project)
    export(project)
    assert _venv_version(project) == first
    (project / "Pipfile").write_text('[packages]\n\n[requires]\npython_version = "3.13"\n')
    said = export(project)
    assert "recreating" in said and _venv_version(project) == second, said
