"""Sync at the prompt of real bash, zsh and fish: `git pull` changed a pin, the next
prompt has the new package; an unchanged project starts nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_project
from tests.test_sync import ALPHA, installs, offline, wheelhouse  # noqa: F401 - fixtures

pytestmark = [pytest.mark.shells, pytest.mark.slow]


def alpha_version(shell) -> str:  # noqa: ANN001 - tests.shellharness.Shell
    return shell.run("python -c 'import venvd_demo_alpha as a; print(a.__version__)'").splitlines()[-1]


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_pin_change_is_synced_at_the_next_prompt(open_shell, home: Path, offline: Path,  # noqa: F811
                                                   shell_name: str, installer: str) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    shell = open_shell(VENVD_INSTALLER=installer)
    out = shell.run(f"cd {project}")
    assert "synced 1 package" in out
    assert alpha_version(shell) == "1.0"
    count = len(installs(offline))
    # Prompts in an unchanged project: no sync, nothing said.
    assert shell.run("true") == ""
    assert len(installs(offline)) == count
    # As after `git pull`: the file changes; the prompt right after that command syncs.
    out = shell.run(f"printf '%s\\n' '{ALPHA}==1.1' > requirements.txt")
    assert "synced 1 package" in out and "1.1" in out
    assert alpha_version(shell) == "1.1"
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
