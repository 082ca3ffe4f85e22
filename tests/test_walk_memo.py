"""The hooks remember directories they found no project marker in (issue 12: a cd that walks
up past /tmp or $HOME reads none of them again), and forget that as soon as a directory
changes: a marker created in a remembered parent is a project at the next cd and prompt."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import allow, venvd_script
from tests.test_zero_process_cd import CACHED_SHELLS


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
def test_a_marker_created_in_a_remembered_parent_is_noticed(open_shell, home: Path, shell_name: str) -> None:
    deep = home / "tree" / "a" / "b"
    deep.mkdir(parents=True)
    parent = home / "tree" / "a"
    shell = open_shell(cwd=deep)
    # Walked up from deep (nothing found) a few times: the parents are remembered.
    for _ in range(3):
        shell.run("cd /")
        shell.run(f"cd {shlex.quote(str(deep))}")
    assert shell.getenv("VIRTUAL_ENV") is None

    (parent / ".python-version").write_text("3.12\n")  # a project now, one level up
    allow(parent)
    shell.run("cd /")
    out = shell.run(f"cd {shlex.quote(str(deep))}")  # the next walk up from deep finds it
    assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out

    # And gone again: the parent changes, so what was remembered of it is not used.
    subprocess.run([venvd_script(), "deny", str(parent)], check=True, capture_output=True)
    shell.run("cd /")
    (parent / ".python-version").unlink()
    subprocess.run(["rm", "-rf", str(parent / ".venv")], check=True)
    shell.run(f"cd {shlex.quote(str(deep))}")
    assert shell.getenv("VIRTUAL_ENV") is None


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
def test_outside_a_project_a_marker_appearing_here_is_noticed_at_the_next_prompt(
        open_shell, home: Path, shell_name: str) -> None:
    here = home / "plain"
    here.mkdir()
    shell = open_shell(cwd=here)
    for _ in range(3):  # the no-op prompt outside a project, with $PWD remembered
        shell.run("true")
    allow(here)
    (here / "requirements-dev.txt").write_text("")  # a marker of the glob kind
    shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") == str(here / ".venv")
