"""Trust lives in the user's data dir, keyed by real path; project files cannot grant it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import venvd_script
from venvd import trust


def test_allow_and_deny_by_real_path(home: Path, tmp_path: Path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    assert trust.status(str(real)) == "unknown"
    trust.set_status(str(link), True)
    assert trust.is_allowed(str(real)) and trust.status(str(link)) == "allowed"
    trust.set_status(str(real), False)
    assert trust.status(str(link)) == "denied" and not trust.is_allowed(str(real))


def test_paths_with_newlines_are_stored_safely(home: Path, tmp_path: Path):
    odd = tmp_path / "a\nb%0A"
    odd.mkdir()
    trust.set_status(str(odd), True)
    assert trust.is_allowed(str(odd))
    assert not trust.is_allowed(str(tmp_path / "a"))
    assert trust.allowed_projects() == [str(odd)]


def test_the_store_is_in_the_data_dir_not_the_project(home: Path, tmp_path: Path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.venvd]\nallowed = true\n")
    sub = project / "src"
    sub.mkdir()
    out = subprocess.run([venvd_script(), "allow", str(sub)], capture_output=True, text=True, check=True)
    assert "allowed" in out.stderr and out.stdout == ""
    assert trust.allowed_projects() == [str(project)], "allow trusts the project root the directory is in"
    assert Path(os.environ["VENVD_DATA_DIR"], "allowed").exists()
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml", "src"]


def test_a_directory_name_that_is_not_utf8_can_be_allowed_and_registered(home: Path, tmp_path: Path):
    from venvd.daemon import registry

    odd = os.path.join(os.fsdecode(bytes(tmp_path)), os.fsdecode(b"caf\xe9"))  # Latin-1, not UTF-8
    os.mkdir(odd)
    trust.set_status(odd, True)
    assert trust.is_allowed(odd)
    assert registry.register(odd) and not registry.register(odd)
    assert registry.projects() == [odd]
    registry.forget({odd})
    assert registry.projects() == []
