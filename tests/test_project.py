"""Finding the project a directory belongs to."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvd.project import find_project


@pytest.mark.parametrize("marker", [".python-version", ".python-versions", "pyproject.toml", "requirements.txt",
                                    "requirements-dev.txt", "uv.lock", "venvd.toml", "pylock.toml",
                                    "pylock.dev.toml", "poetry.lock", "Pipfile", "Pipfile.lock"])
def test_each_marker_makes_a_project(tmp_path: Path, marker: str):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / marker).write_text("")
    (tmp_path / "p" / "src" / "pkg").mkdir(parents=True)
    found = find_project(str(tmp_path / "p" / "src" / "pkg"), home="/nonexistent")
    assert found is not None and found.root == str(tmp_path / "p")


def test_an_existing_venv_dir_is_a_marker_but_a_file_named_venv_is_not(tmp_path: Path):
    (tmp_path / "a" / ".venv").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / ".venv").write_text("")
    assert find_project(str(tmp_path / "a"), home="/x").root == str(tmp_path / "a")
    assert find_project(str(tmp_path / "b"), home="/x") is None


def test_nearest_marker_wins(tmp_path: Path):
    (tmp_path / "outer" / "inner" / "deep").mkdir(parents=True)
    (tmp_path / "outer" / "pyproject.toml").write_text("")
    (tmp_path / "outer" / "inner" / "requirements.txt").write_text("")
    assert find_project(str(tmp_path / "outer" / "inner" / "deep"), home="/x").root == str(tmp_path / "outer" / "inner")


def test_no_marker_up_to_root_is_no_project(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    assert find_project(str(tmp_path / "empty"), home="/x") is None


def test_a_lone_python_version_in_home_is_pyenvs_default_not_a_project(tmp_path: Path):
    (tmp_path / ".python-version").write_text("3.12\n")
    (tmp_path / "notes").mkdir()
    assert find_project(str(tmp_path / "notes"), home=str(tmp_path)) is None
    assert find_project(str(tmp_path / "notes"), home="/elsewhere").root == str(tmp_path)


def test_a_uv_workspace_member_uses_the_workspace_root(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "packages" / "api" / "src").mkdir(parents=True)
    (root / "packages" / "loose").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "ws"\n[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/loose"]\n'
    )
    (root / "packages" / "api" / "pyproject.toml").write_text('[project]\nname = "api"\n')
    (root / "packages" / "loose" / "pyproject.toml").write_text('[project]\nname = "loose"\n')
    member = find_project(str(root / "packages" / "api" / "src"), home="/x")
    assert member.root == str(root) and member.member == str(root / "packages" / "api")
    excluded = find_project(str(root / "packages" / "loose"), home="/x")
    assert excluded.root == str(root / "packages" / "loose") and excluded.member is None


def test_an_unreadable_directory_on_the_way_up_is_passed_over(tmp_path: Path):
    (tmp_path / "proj" / "locked").mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("")
    locked = tmp_path / "proj" / "locked"
    locked.chmod(0o311)  # not listable (root can still list; then it simply has no markers)
    try:
        assert find_project(str(locked), home="/x").root == str(tmp_path / "proj")
    finally:
        locked.chmod(0o755)
