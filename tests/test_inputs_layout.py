"""Common layouts are found or hinted (issue 10 point 6), and a malformed pyproject.toml
is one clear line naming the file and the key (issue 9 point 15)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYENV_ROOT, allow, make_project, venvd_script
from tests.test_sync import ALPHA, BETA, DELTA, GAMMA, export, offline, packages, venvd, wheelhouse  # noqa: F401

pytestmark = pytest.mark.slow


def test_requirements_files_next_to_requirements_txt_are_named_once_and_listed_by_status(
        home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    (project / "requirements-dev.txt").write_text(f"{DELTA}\n")
    (project / "dev-requirements.txt").write_text(f"{DELTA}\n")
    (project / "requirements").mkdir()
    (project / "requirements" / "test.txt").write_text(f"{BETA}\n")
    said = export(project)
    lines = [line for line in said.splitlines() if "not synced" in line]
    assert lines == ["venvd: dev-requirements.txt, requirements-dev.txt, requirements/test.txt are not synced; "
                     "add them to [tool.venvd] requirements to sync them too"], said
    got = packages(project)
    assert got[ALPHA] == "1.0" and DELTA not in got and BETA not in got, "requirements.txt is the default"
    assert export(project) == "", "said with the sync, not at every prompt"
    status = json.loads(venvd("status", "--json", cwd=project).stdout)
    assert status["not_synced"] == ["dev-requirements.txt", "requirements-dev.txt", "requirements/test.txt"]
    human = venvd("status", cwd=project).stdout
    assert "not synced:   dev-requirements.txt, requirements-dev.txt, requirements/test.txt" in human
    # Named in the config, they are synced and no longer hinted.
    (project / "venvd.toml").write_text('requirements = ["requirements.txt", "requirements-dev.txt", '
                                        '"dev-requirements.txt", "requirements/test.txt"]\n')
    said = export(project)
    assert "not synced" not in said
    got = packages(project)
    assert got[DELTA] == "1.0" and got[BETA] == "1.0"  # beta 1.1 needs alpha>=1.1; alpha is pinned to 1.0


def _build_wheels() -> list[str]:
    """setuptools and wheel, the default build backend of a setup.py, from the wheels the
    pyenv Pythons ship (ensurepip's bundle, the test suite's data): builds stay offline."""
    found = []
    for pattern in (("ensurepip", "_bundled", "setuptools-*.whl"), ("test", "wheel-*.whl"),
                    ("test", "wheeldata", "wheel-*.whl")):
        paths = glob.glob(os.path.join(PYENV_ROOT, "versions", "3.*", "lib", "python3.*", *pattern))
        found += sorted(paths, key=lambda p: [int(x) for x in os.path.basename(p).split("-")[1].split(".")])[-1:]
    names = {os.path.basename(p).split("-")[0] for p in found}
    if names != {"setuptools", "wheel"}:
        pytest.skip("no setuptools and wheel wheels shipped with the pyenv Pythons here (needed to build offline)")
    return found


def test_a_project_with_only_setup_py_is_a_project_installed_editable_as_pip_install_e(
        home: Path, offline: Path, wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = tmp_path / "wheels"
    shutil.copytree(wheelhouse, wheels)
    for wheel in _build_wheels():
        shutil.copy(wheel, wheels)  # the build backend, offline
    monkeypatch.setenv("UV_FIND_LINKS", str(wheels))
    monkeypatch.setenv("VENVD_INSTALLER", "uv")
    project = home / "legacy"
    project.mkdir()
    (project / "setup.py").write_text(
        "from setuptools import setup\n"
        f"setup(name='legacy', version='0.1', py_modules=['legacy'], install_requires=['{DELTA}'])\n")
    (project / "legacy.py").write_text("WHERE = 'checkout'\n")
    (project / ".python-version").write_text("3.11\n")
    allow(project)
    said = export(project)
    assert "setup.py" in said and "editable" in said, said
    got = packages(project)
    assert got.get("legacy") == "0.1" and got.get(DELTA) == "1.0", said
    r = subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", "import legacy; print(legacy.__file__)"],
                       capture_output=True, text=True, cwd="/")
    assert r.stdout.strip() == str(project / "legacy.py"), "editable: the checkout's own file"


def test_setup_py_alone_marks_a_project(home: Path) -> None:
    project = home / "legacy"
    (project / "src").mkdir(parents=True)
    (project / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    r = subprocess.run([venvd_script(), "status", "--json", str(project / "src")], capture_output=True, text=True)
    assert json.loads(r.stdout)["project"] == str(project)


# --- issue 9.15: a malformed pyproject.toml is one line naming the file and the key ---------------

BUILDABLE = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'


@pytest.mark.parametrize(("text", "needles"), [
    # a list where a table belongs
    ('[project]\nname = "demo"\nversion = "0"\noptional-dependencies = ["fast"]\n\n[tool.venvd]\nextras = ["fast"]\n',
     ["[project.optional-dependencies] must be a table"]),
    # a string where a list belongs (in a buildable project, whose dependencies the build would read)
    (BUILDABLE + f'[project]\nname = "demo"\nversion = "0"\ndependencies = "{GAMMA}"\n',
     ["[project] dependencies must be a list of strings, not a string"]),
    # a non-string group entry
    (f'[project]\nname = "demo"\nversion = "0"\n\n[dependency-groups]\ndev = ["{ALPHA}", 3]\n',
     ["[dependency-groups]", "3"]),
    # a list where the [dependency-groups] table belongs
    (f'dependency-groups = ["{ALPHA}"]\n\n[project]\nname = "demo"\nversion = "0"\n',
     ["[dependency-groups] must be a table"]),
    # an optional-dependencies entry that is not a list
    ('[project]\nname = "demo"\nversion = "0"\n\n[project.optional-dependencies]\nfast = "x"\n',
     ["[project.optional-dependencies] fast must be a list of strings"]),
    # uv's default-groups of the wrong type
    (f'[project]\nname = "demo"\nversion = "0"\n\n[dependency-groups]\ndev = ["{ALPHA}"]\n\n'
     '[tool.uv]\ndefault-groups = 5\n', ["[tool.uv] default-groups must be"]),
])
def test_a_malformed_pyproject_is_one_line_naming_the_file_and_key(home: Path, offline: Path, text: str,
                                                                   needles: list[str]) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(text)
    said = export(project)
    lines = [line for line in said.splitlines() if "pyproject.toml" in line]
    assert len(lines) == 1, said
    assert all(needle in lines[0] for needle in needles), said
    assert "internal error" not in said and "sync failed" not in said, said
    assert export(project).count("venvd:") <= 1, "not an error retried at every prompt with a traceback"


def test_only_a_requirements_dev_txt_is_named_once_not_silently_ignored(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "requirements-dev.txt").write_text(f"{DELTA}\n")
    said = export(project)
    lines = [line for line in said.splitlines() if "requirements-dev.txt" in line]
    assert lines == ["venvd: requirements-dev.txt is not synced; add it to [tool.venvd] requirements "
                     "(there is no requirements.txt or pyproject.toml)"], said
    assert "requirements-dev.txt" not in export(project), "once, not at every prompt"


# --- issue 10.6: the hint next to a pyproject.toml or a setup.py ---------------------------------

HINT = "venvd: requirements-dev.txt is not synced; add it to [tool.venvd] requirements"


def _named_once_and_listed(project: Path, said: str) -> list[str]:
    lines = [line for line in said.splitlines() if "requirements-dev.txt" in line]
    assert len(lines) == 1 and lines[0].startswith(HINT), said
    assert "requirements-dev.txt" not in export(project), "once, not at every prompt"
    r = venvd("status", "--json", cwd=project)
    assert json.loads(r.stdout)["not_synced"] == ["requirements-dev.txt"], r.stdout
    human = venvd("status", cwd=project)
    assert "not synced:   requirements-dev.txt" in human.stdout, human.stdout
    assert "requirements-dev.txt" not in human.stderr, "status lists it; it does not say it again"
    return lines


@pytest.mark.parametrize("pyproject", [
    '[tool.ruff]\nline-length = 100\n\n[tool.pytest.ini_options]\naddopts = "-q"\n',  # tool settings only
    '[project]\nname = "demo"\nversion = "0"\n',  # a [project] that is not buildable, with no dependencies
], ids=["tool-tables-only", "project-without-dependencies"])
def test_a_pyproject_that_installs_nothing_still_names_requirements_dev_txt(home: Path, offline: Path,
                                                                            pyproject: str) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(pyproject)
    (project / "requirements-dev.txt").write_text(f"{DELTA}\n")
    said = export(project)
    lines = _named_once_and_listed(project, said)
    assert lines[0].endswith("(pyproject.toml names nothing to install)"), lines
    assert DELTA not in packages(project)


def test_requirements_dev_txt_next_to_a_buildable_pyproject_is_named_once(home: Path, offline: Path) -> None:
    from tests.localbuild import write_project

    project = make_project(home / "proj", "3.12")
    write_project(project, "demo", [DELTA])
    (project / "requirements-dev.txt").write_text(f"-e .\n{ALPHA}\n")
    said = export(project)
    assert "synced" in said, said
    lines = _named_once_and_listed(project, said)
    assert "synced instead of pyproject.toml" in lines[0], lines
    got = packages(project)
    assert got.get("demo") == "0.1" and got.get(DELTA) == "1.0" and ALPHA not in got


def test_requirements_dev_txt_next_to_a_setup_py_is_named_once(
        home: Path, offline: Path, wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheels = tmp_path / "wheels"
    shutil.copytree(wheelhouse, wheels)
    for wheel in _build_wheels():
        shutil.copy(wheel, wheels)  # setuptools, offline
    monkeypatch.setenv("UV_FIND_LINKS", str(wheels))
    monkeypatch.setenv("VENVD_INSTALLER", "uv")
    project = home / "legacy"
    project.mkdir()
    (project / "setup.py").write_text(
        f"from setuptools import setup\nsetup(name='legacy', version='0.1', py_modules=['legacy'], "
        f"install_requires=['{DELTA}'])\n")
    (project / "legacy.py").write_text("")
    (project / "requirements-dev.txt").write_text(f"-e .\n{ALPHA}\n")
    (project / ".python-version").write_text("3.11\n")
    allow(project)
    said = export(project)
    assert "synced" in said, said
    lines = _named_once_and_listed(project, said)
    assert "synced instead of setup.py" in lines[0], lines
    assert packages(project).get("legacy") == "0.1"
