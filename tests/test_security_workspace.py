"""venvd and uv take the same workspace root, and uv never takes one another user planted
(issue 9, points 3 and 9).

uv, run in a project, reads the nearest parent's pyproject.toml, and when its
``[tool.uv.workspace]`` lists the project, that parent is the workspace root: its uv.lock,
its ``[tool.uv.sources]``, its indexes. No uv option turns that search off. A real second
user (``mallory``) plants such a parent in a shared, world-writable directory above the
victim's locked project, written so that venvd's old byte test (``workspace``) or tomllib
misses it while uv reads it, with a lock and a source naming her wheel (alpha 9.9). The
victim's venv must never get her wheel.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python
from tests.test_sync import ALPHA, export, offline, packages, wheelhouse  # noqa: F401 - fixtures
from tests.wheelhouse import find_uv, wheel_filename, write_wheel

pytestmark = pytest.mark.slow

PROJECT = f'[project]\nname = "proj"\nversion = "0.1"\nrequires-python = ">=3.8"\ndependencies = ["{ALPHA}"]\n'
SOURCES = f'[tool.uv.sources]\n{ALPHA} = {{ path = "evil/{wheel_filename(ALPHA, "9.9")}" }}\n'
# Each one lists "proj" as a member, as uv 0.13 reads it.
PARENTS = {
    # A quoted key spelled with an escape: no "workspace" in the bytes.
    "escaped-key": '[tool.uv]\n"w\\u006frkspace" = { members = ["proj"] }\n' + SOURCES,
    # TOML 1.1 (a multi-line inline table): uv reads it, Python's tomllib does not.
    "toml-1.1": '[tool.uv]\nworkspace = {\n  members = ["proj"],\n}\n' + SOURCES,
    # Plain, but another user's.
    "plain": '[tool.uv.workspace]\nmembers = ["proj"]\n' + SOURCES,
}


def uv(*args: str, cwd: Path) -> None:
    r = subprocess.run([find_uv(), *args], cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def lock_of_planted_workspace(tmp_path: Path) -> str:
    """mallory's uv.lock: her workspace (the parent) locked with her source, made aside."""
    aside = tmp_path / "mallory-aside"
    (aside / "proj").mkdir(parents=True)
    (aside / "proj" / "pyproject.toml").write_text(PROJECT)
    (aside / "pyproject.toml").write_text(PARENTS["plain"])  # what uv reads of each of them
    (aside / "evil").mkdir()
    write_wheel(aside / "evil", ALPHA, "9.9")
    uv("lock", "--python", need_python("3.12"), cwd=aside)
    return (aside / "uv.lock").read_text()


@pytest.fixture
def victims_project(home: Path, offline: Path, shared_tmp: Path) -> Path:  # noqa: F811
    """The victim's project in the shared directory, locked by him (alpha 2.0)."""
    project = make_project(shared_tmp / "proj", "3.12")
    (project / "pyproject.toml").write_text(PROJECT)
    uv("lock", "--python", need_python("3.12"), cwd=project)
    assert f'name = "{ALPHA}"\nversion = "2.0"' in (project / "uv.lock").read_text()
    return project


def plant(mallory, shared_tmp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
          parent: str) -> None:
    """mallory's workspace root above the victim's project: pyproject.toml, uv.lock, wheel."""
    monkeypatch.setenv("PATH", f"{os.environ['PATH']}{os.pathsep}/usr/sbin{os.pathsep}/sbin")  # runuser
    lock = lock_of_planted_workspace(tmp_path)
    evil = shared_tmp / "evil"
    mallory.mkdir(evil)
    wheel = write_wheel(evil, ALPHA, "9.9")
    os.chown(wheel, mallory.uid, mallory.gid)
    mallory.write(shared_tmp / "uv.lock", lock)
    mallory.write(shared_tmp / "pyproject.toml", PARENTS[parent])


def uv_takes_the_parent(project: Path) -> bool:
    """What uv itself makes of the layout (the premise of each case)."""
    r = subprocess.run([find_uv(), "workspace", "dir", "--no-config"], cwd=project, capture_output=True,
                       text=True)
    return r.stdout.strip() == str(project.parent)


@pytest.mark.parametrize("parent", list(PARENTS))
def test_a_workspace_another_user_plants_above_the_project_never_reaches_its_venv(
        mallory, shared_tmp: Path, tmp_path: Path, victims_project: Path, monkeypatch: pytest.MonkeyPatch,
        parent: str) -> None:
    plant(mallory, shared_tmp, tmp_path, monkeypatch, parent)
    assert uv_takes_the_parent(victims_project), "uv would take mallory's workspace"
    said = export(victims_project, VENVD_INSTALLER="uv")
    venv = victims_project / ".venv"
    got = packages(victims_project) if venv.exists() else {}
    assert got.get(ALPHA) != "9.9", f"mallory's wheel reached the victim's venv: {said}"
    about = [line for line in said.splitlines() if "pyproject.toml" in line]
    assert about and "venvd-mallory" in about[-1], said
    assert "not syncing" in said and len(about) <= 2, said
    assert "internal error" not in said and "Traceback" not in said
    # Her uv.lock was never written to, and nothing of hers is taken as the project.
    assert (shared_tmp / "uv.lock").stat().st_uid == mallory.uid


def test_the_users_own_workspace_above_is_still_used(home: Path, offline: Path, tmp_path: Path) -> None:  # noqa: F811
    """The same layout, all the user's: the member syncs from the workspace root's lock."""
    root = home / "ws"
    member = make_project(root / "proj", "3.12")
    (member / "pyproject.toml").write_text(PROJECT)
    (root / "pyproject.toml").write_text('[tool.uv]\n"w\\u006frkspace" = { members = ["proj"] }\n')
    make_project(root, "3.12")
    uv("lock", "--python", need_python("3.12"), cwd=root)
    said = export(member, VENVD_INSTALLER="uv")
    assert "not syncing" not in said, said
    assert packages(root)[ALPHA] == "2.0", "the workspace root's venv, synced from its lock"


def test_uv_is_not_run_under_a_parent_reached_only_through_the_real_path(
        mallory, shared_tmp: Path, tmp_path: Path, victims_project: Path, home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The shell's path goes through a symlink (no planted parent on that path); uv runs
    in the real directory, under mallory's workspace: venvd checks the real parents."""
    plant(mallory, shared_tmp, tmp_path, monkeypatch, "plain")
    link = home / "proj"
    link.symlink_to(victims_project)
    make_project(link, "3.12")
    said = export(link, VENVD_INSTALLER="uv")
    got = packages(link) if (victims_project / ".venv").exists() else {}
    assert got.get(ALPHA) != "9.9", said
    assert "not syncing" in said and "venvd-mallory" in said, said


def test_a_parent_pyproject_of_another_user_that_lists_nothing_still_stops_uv(
        mallory, shared_tmp: Path, tmp_path: Path, victims_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """She can rewrite it into a workspace at any moment, between venvd's look and uv's."""
    monkeypatch.setenv("PATH", f"{os.environ['PATH']}{os.pathsep}/usr/sbin{os.pathsep}/sbin")
    mallory.write(shared_tmp / "pyproject.toml", '[project]\nname = "innocent"\nversion = "1"\n')
    said = export(victims_project, VENVD_INSTALLER="uv")
    assert "not syncing" in said and "owned by venvd-mallory" in said, said


# -- venvd's rule is uv's: the same root for every layout (uv itself is asked) ----------------

MEMBER = '[project]\nname = "{name}"\nversion = "0.1"\nrequires-python = ">=3.8"\n'
LAYOUTS = {
    # name: (the parent's pyproject.toml, an intermediate a/pyproject.toml or None)
    "star-is-one-level": ('[tool.uv.workspace]\nmembers = ["*"]\n', None),
    "dir-star": ('[tool.uv.workspace]\nmembers = ["a/*"]\n', None),
    "double-star": ('[tool.uv.workspace]\nmembers = ["**/proj"]\n', None),
    "dot-dot": ('[tool.uv.workspace]\nmembers = ["x/../a/proj"]\n', None),
    "dot-slash-trailing": ('[tool.uv.workspace]\nmembers = ["./a//proj/"]\n', None),
    "case": ('[tool.uv.workspace]\nmembers = ["A/proj"]\n', None),
    "class": ('[tool.uv.workspace]\nmembers = ["a/[p]ro?"]\n', None),
    "excluded": ('[tool.uv.workspace]\nmembers = ["a/*"]\nexclude = ["a/pro*"]\n', None),
    "suffix": ('[tool.uv.workspace]\nmembers = ["*oj"]\n', None),
    # uv 0.13 matches an exclude pattern against the whole path: its "*" crosses "/".
    "exclude-star-crosses": ('[tool.uv.workspace]\nmembers = ["a/proj"]\nexclude = ["*"]\n', None),
    "exclude-suffix": ('[tool.uv.workspace]\nmembers = ["a/proj"]\nexclude = ["*oj"]\n', None),
    "exclude-parent-only": ('[tool.uv.workspace]\nmembers = ["a/proj"]\nexclude = ["a"]\n', None),
    "exclude-normalised": ('[tool.uv.workspace]\nmembers = ["a/proj"]\nexclude = ["x/../a/proj/"]\n', None),
    "escaped-key": ('[tool.uv]\n"w\\u006frkspace" = { members = ["a/proj"] }\n', None),
    "literal-key": ("[tool.uv]\n'workspace' = { members = ['a/proj'] }\n", None),
    # uv reads the nearest parent's pyproject.toml only: a project between ends the search.
    "project-between": ('[tool.uv.workspace]\nmembers = ["a/proj"]\n', '[project]\nname = "a"\nversion = "1"\n'),
    "other-tool-between": ('[tool.uv.workspace]\nmembers = ["a/proj"]\n', "[tool.black]\nline-length = 99\n"),
    "workspace-between": ('[tool.uv.workspace]\nmembers = ["a/proj"]\n', '[tool.uv.workspace]\nmembers = ["b"]\n'),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_venvd_takes_the_workspace_root_uv_takes(tmp_path: Path, layout: str) -> None:
    from venvd.project import find_project

    top, between = LAYOUTS[layout]
    ws = tmp_path / "ws"
    member = ws / "a" / "proj"
    for path in (member, ws / "x", ws / "b"):
        path.mkdir(parents=True)
        (path / "pyproject.toml").write_text(MEMBER.format(name=path.name))
    (ws / "pyproject.toml").write_text(top)
    if between is not None:
        (ws / "a" / "pyproject.toml").write_text(between)
    r = subprocess.run([find_uv(), "workspace", "dir", "--no-config"], cwd=member, capture_output=True, text=True,
                       env=dict(os.environ, UV_PYTHON_DOWNLOADS="never"))
    assert r.returncode == 0, r.stderr
    assert find_project(str(member), home="/nonexistent").root == r.stdout.strip()


def test_a_member_that_is_its_own_workspace_root_is_not_mapped_up(tmp_path: Path) -> None:
    from venvd.project import find_project

    member = tmp_path / "ws" / "proj"
    member.mkdir(parents=True)
    (tmp_path / "ws" / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["proj"]\n')
    for own in ('[tool.uv.workspace]\nmembers = []\n', "[tool.uv]\nmanaged = false\n"):
        (member / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n' + own)
        assert find_project(str(member), home="/x").root == str(member)
