"""What counts as a lock, and a lock's env equals the one its own tool builds (issues 10.1, 10.4).

Every comparison is against the real tool run by hand in the test: ``pip install -r`` into
a fresh venv for requirements files, ``uv sync --locked`` into another venv for a uv.lock,
distribution by distribution (name and version).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python, venvd_script
from tests.test_sync import (ALPHA, BETA, DELTA, GAMMA, backend, export, installs, offline,  # noqa: F401
                             packages, wheelhouse)
from tests.wheelhouse import find_uv
from venvd.sync.envstate import snapshot

pytestmark = pytest.mark.slow

SEEDS = {"pip", "setuptools", "wheel"}


def by_hand_with_pip(tmp_path: Path, requirements: Path, wheelhouse: Path) -> dict[str, str]:  # noqa: F811
    venv = tmp_path / "by-hand"
    subprocess.run([need_python("3.12"), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links",
                    str(wheelhouse), "-r", str(requirements)], check=True, capture_output=True)
    return snapshot(str(venv))


def without_seeds(dists: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in dists.items() if k not in SEEDS}


def test_top_level_pins_are_installed_with_their_dependencies(home: Path, backend: str, tmp_path: Path,  # noqa: F811
                                                              wheelhouse: Path) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{BETA}==1.1\n")  # beta 1.1 requires alpha>=1.1
    said = export(project)
    assert "synced" in said, said
    got = packages(project)
    assert got[BETA] == "1.1" and ALPHA in got, f"{backend} installed no dependencies: {got}"
    assert without_seeds(got) == without_seeds(by_hand_with_pip(tmp_path, project / "requirements.txt",
                                                                 wheelhouse))
    assert "not a lock" in said


def test_removing_a_top_level_pin_removes_what_no_input_requires_any_more(home: Path, backend: str) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{BETA}==1.1\n{DELTA}==1.0\n")
    export(project)
    assert set(without_seeds(packages(project))) == {BETA, ALPHA, DELTA}
    (project / "requirements.txt").write_text(f"{DELTA}==1.0\n")
    export(project)
    assert set(without_seeds(packages(project))) == {DELTA}
    assert "pip" in packages(project)


def test_a_compiled_or_hashed_file_is_a_lock_and_synced_exactly(home: Path, backend: str, tmp_path: Path,  # noqa: F811
                                                                 offline: Path, wheelhouse: Path) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    (tmp_path / "in.txt").write_text(f"{BETA}==1.1\n")
    r = subprocess.run([find_uv(), "pip", "compile", "--generate-hashes", str(tmp_path / "in.txt"), "-o",
                        str(project / "requirements.txt"), "--python", need_python("3.12")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    said = export(project)
    assert "lock" in said and "not a lock" not in said, said
    got = packages(project)
    assert without_seeds(got) == without_seeds(by_hand_with_pip(tmp_path, project / "requirements.txt",
                                                                 wheelhouse))
    if backend == "uv":
        assert any(line.startswith("pip sync") for line in installs(offline))


# --- uv.lock ----------------------------------------------------------------------------------


def locked_project(path: Path) -> Path:
    project = make_project(path, "3.12")
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\n'
        f'dependencies = ["{BETA}"]\n\n[dependency-groups]\ndev = ["{GAMMA}[fast]"]\n')
    lock = subprocess.run([find_uv(), "lock", "--python", need_python("3.12")], cwd=project,
                          capture_output=True, text=True)
    assert lock.returncode == 0, lock.stderr
    return project


def test_a_uv_lock_env_is_exactly_what_uv_sync_locked_builds(home: Path, offline: Path,  # noqa: F811
                                                             tmp_path: Path) -> None:
    project = locked_project(home / "proj")
    said = export(project)
    assert "synced" in said, said
    by_hand = tmp_path / "by-hand"
    r = subprocess.run([find_uv(), "sync", "--locked", "--python", need_python("3.12")], cwd=project,
                       capture_output=True, text=True, env=dict(os.environ, UV_PROJECT_ENVIRONMENT=str(by_hand)))
    assert r.returncode == 0, r.stderr
    assert packages(project) == snapshot(str(by_hand)), "the same distributions, the same versions, no pip"
    assert "pip" not in packages(project)


def test_a_pipless_venv_keeps_a_global_pip_from_installing(home: Path, offline: Path) -> None:  # noqa: F811
    project = locked_project(home / "proj")
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project)))
    data = json.loads(r.stdout)
    assert data["set"]["PIP_REQUIRE_VIRTUALENV"] == "1", r.stderr
    # Leaving restores what was there before (here: nothing).
    left = subprocess.run([venvd_script(), "export", "json"], cwd=home, capture_output=True, text=True,
                          env=dict(os.environ, PWD=str(home), **{k: v for k, v in data["set"].items()
                                                                 if isinstance(v, str)}))
    undo = json.loads(left.stdout)
    assert "PIP_REQUIRE_VIRTUALENV" in undo["unset"], left.stdout


def test_seed_pip_keeps_pip_in_a_uv_lock_venv(home: Path, offline: Path) -> None:  # noqa: F811
    project = locked_project(home / "proj")
    with open(project / "pyproject.toml", "a") as f:
        f.write("\n[tool.venvd]\nseed-pip = true\n")
    lock = subprocess.run([find_uv(), "lock", "--python", need_python("3.12")], cwd=project,
                          capture_output=True, text=True)
    assert lock.returncode == 0, lock.stderr
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project)))
    assert "synced" in r.stderr, r.stderr
    assert "pip" in packages(project)
    assert "PIP_REQUIRE_VIRTUALENV" not in json.loads(r.stdout)["set"]


@pytest.mark.shells
def test_the_pip_guard_is_set_in_the_project_and_restored_after_it(open_shell, home: Path,  # noqa: ANN001
                                                                    offline: Path, shell_name: str) -> None:  # noqa: F811
    project = locked_project(home / "proj")
    shell = open_shell(PIP_REQUIRE_VIRTUALENV="false")  # the user's own value, kept across the visit
    out = shell.run(f"cd {project}")
    assert "synced" in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    assert shell.getenv("PIP_REQUIRE_VIRTUALENV") == "1"
    # A global pip (a pyenv Python's, outside any venv) refuses instead of installing globally
    # (--dry-run: should the guard ever fail, nothing is installed into that Python).
    out = shell.run(f"{need_python('3.12')} -m pip install --dry-run {ALPHA}")
    assert "could not find an activated virtualenv" in out.lower(), out
    shell.run("cd ..")
    assert shell.getenv("VIRTUAL_ENV") is None
    assert shell.getenv("PIP_REQUIRE_VIRTUALENV") == "false"


# --- top-level pins and the project itself, editable (issue 10.1, a real project's layout) --------


def by_hand_in(project: Path, where: Path, wheelhouse: Path) -> dict[str, str]:  # noqa: F811
    """`pip install -r requirements.txt` by hand in a fresh venv, run in the project (where
    `-e .` points), as its README would say."""
    subprocess.run([need_python("3.12"), "-m", "venv", str(where)], check=True)
    r = subprocess.run([str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links",
                        str(wheelhouse), "-r", "requirements.txt"], cwd=project, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return snapshot(str(where))


def test_pins_and_the_editable_project_with_an_extra_are_pips_env_and_pruned_by_name(
        home: Path, backend: str, tmp_path: Path, wheelhouse: Path) -> None:  # noqa: F811
    from tests.localbuild import write_project

    project = make_project(home / "proj", "3.12")
    write_project(project, "demo-app", [GAMMA], {"full": [f"{GAMMA}[fast]"]})  # full: gamma's delta too
    (project / "requirements.txt").write_text(f"{BETA}==1.1\n{DELTA}==1.0\n-e .[full]\n")
    said = export(project)
    assert "synced" in said and "what no input requires any more removed" in said, said
    expected = {BETA: "1.1", ALPHA: "2.0", DELTA: "1.0", GAMMA: "0.1", "demo-app": "0.1"}
    assert without_seeds(packages(project)) == without_seeds(by_hand_in(project, tmp_path / "h1", wheelhouse)) \
        == expected, f"{backend}: distribution by distribution as pip install -r by hand"
    r = subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", "import demo_app; print(demo_app.__file__)"],
                       capture_output=True, text=True, cwd="/")
    assert r.stdout.strip() == str(project / "demo_app.py"), "the project is installed editable"

    # The pin of beta goes: beta and the alpha only it required go with it.
    (project / "requirements.txt").write_text(f"{DELTA}==1.0\n-e .[full]\n")
    said = export(project)
    assert "removed" in said, said
    assert without_seeds(packages(project)) == without_seeds(by_hand_in(project, tmp_path / "h2", wheelhouse)) \
        == {DELTA: "1.0", GAMMA: "0.1", "demo-app": "0.1"}, said
    # The pin of delta goes, but the project's extra still requires it (gamma[fast]): it stays.
    (project / "requirements.txt").write_text("-e .[full]\n")
    export(project)
    assert without_seeds(packages(project)) == {DELTA: "1.0", GAMMA: "0.1", "demo-app": "0.1"}
    # Without the extra nothing requires delta any more.
    (project / "requirements.txt").write_text("-e .\n")
    said = export(project)
    assert without_seeds(packages(project)) == without_seeds(by_hand_in(project, tmp_path / "h3", wheelhouse)) \
        == {GAMMA: "0.1", "demo-app": "0.1"}, said
    assert "pip" in packages(project), "the seed packages stay"


def test_an_editable_project_whose_name_cannot_be_read_is_said_once_and_nothing_pruned(
        home: Path, backend: str) -> None:  # noqa: F811
    from tests.localbuild import BACKEND, BUILD_SYSTEM

    project = make_project(home / "proj", "3.12")
    # A backend that keeps the project's metadata in a table of its own: only the build knows the name.
    (project / "pyproject.toml").write_text(
        BUILD_SYSTEM + '\n[tool.built]\nname = "hidden"\nversion = "0.1"\ndependencies = []\n')
    (project / "_backend.py").write_text(BACKEND.replace('tomllib.load(f)["project"]', 'tomllib.load(f)["tool"]["built"]'))
    (project / "requirements.txt").write_text(f"{DELTA}==1.0\n-e .\n")
    said = export(project)
    assert "synced" in said and "nothing removed, as venvd cannot read the name of -e ." in said, said
    assert said.count("nothing removed") == 1, said
    assert "what no input requires any more removed" not in said
    assert set(without_seeds(packages(project))) == {DELTA, "hidden"}
    (project / "requirements.txt").write_text("-e .\n")
    said = export(project)
    assert DELTA in packages(project), f"kept: venvd cannot tell what the project requires: {said}"
