"""The sync's fingerprint does not depend on the path a project is reached by."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_sync import ALPHA, BETA, export, installs, offline, packages, project_with, wheelhouse  # noqa: F401

pytestmark = pytest.mark.slow


def test_a_project_through_a_symlink_and_its_real_path_is_synced_once(home: Path, offline: Path) -> None:  # noqa: F811
    project = project_with(home / "real", f"{BETA}==1.1\n{ALPHA}==2.0\n")
    link = home / "link"
    link.symlink_to(project)
    said = export(link)
    assert "synced 2 packages" in said
    assert len(installs(offline)) == 1
    # The same bytes written again (a checkout, an editor's save): the quick check cannot
    # prove it unchanged, so the fingerprint is computed again, now through the real path.
    requirements = project / "requirements.txt"
    requirements.write_text(requirements.read_text())
    os.utime(requirements, ns=(1, 1))
    said = export(project)
    assert said == "", said
    assert len(installs(offline)) == 1, "no installer runs for inputs already synced"
    assert packages(project)[BETA] == "1.1"
