"""The user chooses among several inputs (issue 10 point 5): ``[tool.venvd] lock``,
``installer = "poetry" | "pipenv" | "pdm"``, uv's group/extra selection in config, and
the uv variables that change what ``uv sync`` installs are part of the fingerprint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python, venvd_script
from tests.test_sync import ALPHA, BETA, DELTA, GAMMA, export, offline, packages, wheelhouse  # noqa: F401
from tests.wheelhouse import find_uv

pytestmark = pytest.mark.slow


def _pylock(project: Path, home: Path, requirements: str) -> None:
    (home / "in.txt").write_text(requirements)
    r = subprocess.run([find_uv(), "pip", "compile", "-q", str(home / "in.txt"), "--format", "pylock.toml",
                        "-o", str(project / "pylock.toml"), "--python", need_python("3.12")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _export_raw(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project), **env))
    json.loads(r.stdout)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    return r


def test_with_pylock_toml_and_pipfile_lock_one_is_synced_and_lock_picks_the_other(home: Path,
                                                                                   offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    _pylock(project, home, f"{BETA}==1.1\n")
    (project / "Pipfile.lock").write_text('{"_meta": {}, "default": {}, "develop": {}}\n')
    said = export(project)
    assert packages(project)[BETA] == "1.1", said
    hint = [line for line in said.splitlines() if "Pipfile.lock" in line]
    assert len(hint) == 1 and 'lock = "Pipfile.lock"' in hint[0], said
    # The user picks the other one: pipenv (not installed here) syncs it.
    (project / "venvd.toml").write_text('lock = "Pipfile.lock"\n')
    said = _export_raw(project).stderr
    lines = [line for line in said.splitlines() if "pipenv" in line]
    assert len(lines) == 1 and "Pipfile.lock is installed with pipenv" in lines[0], said
    assert packages(project)[BETA] == "1.1", "the env that worked stays"


def test_installer_names_a_lockfile_tool(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    _pylock(project, home, f"{BETA}==1.1\n")
    (project / "poetry.lock").write_text("# a lockfile\n")
    (project / "venvd.toml").write_text('installer = "poetry"\n')
    said = _export_raw(project).stderr
    assert "is not one of" not in said, said
    lines = [line for line in said.splitlines() if "poetry" in line]
    assert len(lines) == 1 and "poetry.lock is installed with poetry, which is not on PATH" in lines[0], said
    (project / "venvd.toml").write_text('installer = "pdm"\n')
    said = _export_raw(project).stderr
    assert "installer = 'pdm'" in said and "pdm.lock" in said and "does not exist" in said, said


UV_PROJECT = f"""[project]
name = "demo"
version = "0"
requires-python = ">=3.9"
dependencies = ["{BETA}"]

[dependency-groups]
dev = ["{DELTA}"]
"""


def _uv_lock_project(home: Path, extra: str = "") -> Path:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(UV_PROJECT + extra)
    r = subprocess.run([find_uv(), "lock", "--python", need_python("3.12")], cwd=project, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    return project


def test_no_default_groups_in_config_is_passed_to_uv_sync(home: Path, offline: Path) -> None:
    project = _uv_lock_project(home, "\n[tool.venvd]\nno-default-groups = true\n")
    said = export(project)
    assert "unknown setting" not in said, said
    got = packages(project)
    assert got[BETA] == "1.1" and DELTA not in got, said
    assert any("--no-default-groups" in line for line in offline.read_text().splitlines())
    (project / "venvd.toml").write_text('only-groups = ["dev"]\n')
    export(project)
    got = packages(project)
    assert got.get(DELTA) == "1.0" and BETA not in got, "only the dev group"


def test_a_uv_variable_that_changes_what_uv_sync_installs_is_followed(home: Path, offline: Path) -> None:
    project = _uv_lock_project(home)
    export(project)
    assert packages(project)[DELTA] == "1.0"
    said = export(project, UV_NO_DEFAULT_GROUPS="1")
    assert "synced" in said, said
    assert DELTA not in packages(project)
    assert "synced" not in export(project, UV_NO_DEFAULT_GROUPS="1"), "unchanged: nothing runs"
    export(project)
    assert packages(project)[DELTA] == "1.0", "unset again: the default group is back"


@pytest.mark.parametrize(("setting", "needle"), [
    ("no-default-groups = \"yes\"", "no-default-groups must be true or false"),
    ("lock = \"requirements.txt\"", "is not a lockfile venvd syncs"),
    ("lock = \"pdm.lock\"\nrequirements = [\"requirements.txt\"]", "name one of them"),
])
def test_a_wrong_selection_setting_is_one_line(home: Path, offline: Path, setting: str, needle: str) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    (project / "venvd.toml").write_text(setting + "\n")
    said = _export_raw(project).stderr
    assert needle in said and said.count("venvd:") <= 3, said


def test_checking_uvs_variables_at_a_prompt_loads_nothing_when_none_is_set(
        home: Path, offline: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UV_NO_CONFIG")  # HOME and XDG dirs are the test's own: no user config to avoid
    project = _uv_lock_project(home)
    export(project)
    code = (
        "import os, sys; from venvd.export import compute; compute(os.environ); "
        "print(' '.join(sorted(m for m in ('_blake2', 'hashlib', 'tomllib', 'tomli', 'subprocess', "
        "'venvd.sync.inputs') if m in sys.modules)))"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project)))
    assert r.returncode == 0 and r.stdout.strip() == "", r.stdout + r.stderr


def _pipfile_lock(project: Path, wheelhouse: Path, pins: dict[str, str]) -> None:
    import hashlib

    def digest(name: str, version: str) -> str:
        wheel = wheelhouse / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        return "sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest()

    source = {"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}  # never reached: PIP_NO_INDEX
    (project / "Pipfile").write_text('[[source]]\nname = "pypi"\nurl = "https://pypi.org/simple"\n'
                                     'verify_ssl = true\n\n[packages]\n'
                                     + "".join(f'{name} = "*"\n' for name in pins))
    lock = {"_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {}, "sources": [source]},
            "default": {name: {"hashes": [digest(name, v)], "version": f"=={v}"} for name, v in pins.items()},
            "develop": {}}
    (project / "Pipfile.lock").write_text(json.dumps(lock))


def test_lock_picks_a_pipfile_lock_over_pylock_toml_and_pipenv_syncs_it_as_by_hand(
        home: Path, offline: Path, wheelhouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.toolbox import put_on_path
    from venvd.installers import SEED_PACKAGES
    from venvd.sync.envstate import snapshot

    pipenv = put_on_path("pipenv", tmp_path / "pipenvbin", monkeypatch)
    project = make_project(home / "proj", "3.12")
    _pylock(project, home, f"{BETA}==1.0\n")
    _pipfile_lock(project, wheelhouse, {ALPHA: "1.1", BETA: "1.1"})
    export(project)
    assert packages(project)[BETA] == "1.0", "pylock.toml comes first by default"
    (project / "venvd.toml").write_text('lock = "Pipfile.lock"\n')
    said = export(project)
    assert "with pipenv" in said and "Pipfile.lock" in said, said
    by_hand = tmp_path / "by-hand"
    subprocess.run([need_python("3.12"), "-m", "venv", str(by_hand)], check=True, capture_output=True)
    env = dict(os.environ, VIRTUAL_ENV=str(by_hand), PATH=f"{by_hand / 'bin'}{os.pathsep}{os.environ['PATH']}",
               PIPENV_VERBOSITY="-1", PIPENV_YES="1")
    subprocess.run([pipenv, "sync"], cwd=project, env=env, check=True, capture_output=True)

    def dists(venv: Path) -> dict[str, str]:
        return {n: v for n, v in snapshot(str(venv)).items() if n not in SEED_PACKAGES}

    assert dists(project / ".venv") == dists(by_hand) == {ALPHA: "1.1", BETA: "1.1"}, said
    # Exact: what the new Pipfile.lock does not name goes (a package installed by hand too).
    subprocess.run([find_uv(), "pip", "install", "--python", str(project / ".venv" / "bin" / "python"), GAMMA],
                   check=True, capture_output=True)
    _pipfile_lock(project, wheelhouse, {ALPHA: "1.0"})
    said = export(project)
    assert dists(project / ".venv") == {ALPHA: "1.0"}, said


@pytest.mark.parametrize(("setting", "expected"), [
    ("no-default-groups = true", {GAMMA: "0.1"}),
    ('only-groups = ["test"]', {ALPHA: "1.0", BETA: "1.0"}),
    ("all-extras = true", {GAMMA: "0.1", DELTA: "1.0", ALPHA: "1.0"}),
    ("all-groups = true", {GAMMA: "0.1", ALPHA: "1.0", BETA: "1.0"}),
])
def test_the_selection_settings_apply_to_project_dependencies_too(home: Path, offline: Path, setting: str,
                                                                  expected: dict[str, str]) -> None:
    from venvd.installers import SEED_PACKAGES

    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\ndependencies = ["{GAMMA}"]\n\n'
        f'[project.optional-dependencies]\nfast = ["{GAMMA}[fast]"]\n\n'
        f'[dependency-groups]\ndev = ["{ALPHA}==1.0"]\ntest = [{{include-group = "dev"}}, "{BETA}==1.0"]\n\n'
        f"[tool.venvd]\n{setting}\n")
    said = export(project)
    assert "unknown setting" not in said, said
    got = {n: v for n, v in packages(project).items() if n not in SEED_PACKAGES}
    assert got == expected, said


@pytest.mark.parametrize(("present", "kind"), [
    (["Pipfile.lock", "pdm.lock", "requirements.txt"], "pipenv"),
    (["pdm.lock", "requirements.txt", "pyproject.toml"], "pdm"),
    (["setup.py", "requirements.txt"], "requirements"),
])
def test_pdm_lock_takes_its_place_in_the_priority(tmp_path: Path, present: list[str], kind: str) -> None:
    from tests.test_sync_units import plan_for

    (tmp_path / ".python-version").write_text("3.12\n")
    for name in present:
        text = '[project]\nname = "x"\ndependencies = ["a"]\n' if name == "pyproject.toml" else "a==1\n"
        (tmp_path / name).write_text(text)
    assert plan_for(tmp_path).kind == kind
