"""A uv workspace member's inputs are watched (issue 10 point 9): editing a member's
pyproject.toml is noticed at the next prompt of a real shell, and followed once the
lock is updated."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_project, need_python
from tests.test_sync import ALPHA, DELTA, offline, packages, wheelhouse  # noqa: F401 - fixtures
from tests.wheelhouse import find_uv

pytestmark = [pytest.mark.shells, pytest.mark.slow]

MEMBER = """[project]
name = "m1"
version = "0"
requires-python = ">=3.9"
dependencies = [{deps}]
"""


def _workspace(home: Path) -> Path:
    root = make_project(home / "ws", "3.12")
    (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    member = root / "packages" / "m1"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text(MEMBER.format(deps=f'"{ALPHA}==1.0"'))
    return root


def test_editing_a_workspace_members_dependencies_is_noticed_at_the_next_prompt(
        open_shell, home: Path, offline: Path, shell_name: str) -> None:  # noqa: F811
    root = _workspace(home)
    python = need_python("3.12")
    shell = open_shell(cwd=home)
    out = shell.run(f"cd {root} && '{find_uv()}' lock -q --python '{python}'")
    assert "synced" in out, out
    assert packages(root).get(ALPHA) == "1.0"
    # The member's dependencies change; uv.lock does not (yet): uv sync --locked says so.
    edited = MEMBER.format(deps=f'"{ALPHA}==1.1", "{DELTA}"').replace("\n", "\\n")
    out = shell.run(f"printf '{edited}' > packages/m1/pyproject.toml")
    assert "sync failed" in out and "uv lock" in out, out
    assert packages(root).get(ALPHA) == "1.0", "the env that worked stays"
    # The lock is updated: the next prompt syncs the member's new dependencies.
    out = shell.run(f"'{find_uv()}' lock -q --python '{python}'")
    assert "synced" in out, out
    got = packages(root)
    assert got.get(ALPHA) == "1.1" and got.get(DELTA) == "1.0"
