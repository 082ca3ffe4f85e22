"""The project's own ``[tool.uv]`` steers ``uv pip`` in a requirements project: editing it is
a change of the sync's inputs, editing the rest of pyproject.toml is not (issue 9 point 3,
the sync's side). Real uv, offline, the index named only by config files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_project
from tests.test_installers_config import own_uv_config  # noqa: F401 - fixture
from tests.test_sync import ALPHA, export, offline, packages, venvd, wheelhouse  # noqa: F401 - fixtures
from tests.wheelhouse import write_wheel

pytestmark = pytest.mark.slow


def test_editing_the_projects_tool_uv_syncs_again_and_other_tables_do_not(
        home: Path, own_uv_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("VENVD_INSTALLER", "uv")
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==3.0\n")  # not in the user's wheelhouse
    (project / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    said = export(project)
    assert "sync failed" in said, said
    assert "sync" in export(project) and ALPHA not in packages(project)
    # The project points uv at its own wheel directory, where alpha 3.0 is.
    mine = tmp_path / "mine"
    mine.mkdir()
    write_wheel(mine, ALPHA, "3.0")
    (project / "pyproject.toml").write_text(f'[tool.ruff]\nline-length = 100\n\n[tool.uv]\nfind-links = ["{mine}"]\n')
    said = export(project)
    assert "synced" in said, f"a [tool.uv] edit is a change of the inputs: {said}"
    assert packages(project)[ALPHA] == "3.0"
    # Another table of the same file decides nothing uv installs: no sync.
    (project / "pyproject.toml").write_text(f'[tool.ruff]\nline-length = 120\n\n[tool.uv]\nfind-links = ["{mine}"]\n')
    assert "sync" not in export(project)
    status = json.loads(venvd("status", "--json", cwd=project).stdout)
    assert status["state"] == "in step", status
    assert f"{project / 'pyproject.toml'} [tool.uv]" in status["inputs"]["installer_config"], status["inputs"]
    assert str(project / "pyproject.toml") not in status["inputs"]["files"]
    # The [tool.uv] table goes: uv reads the user's config alone again, a change.
    (project / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n")
    said = export(project)
    assert "sync" in said, said
