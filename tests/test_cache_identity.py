"""The activation cache (issue 12) keeps issue 9's promise: trust is bound to the directory
that was allowed and to its owner, also when the hook enters a project with builtins alone.

A real second user (``mallory``) puts her own copy of the victim's project in its place, every
mtime forged to match (``cp -a``), so each stamp the cache compares still holds; and the victim
makes their own venv writable by others, which changes no mtime at all.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project
from tests.test_zero_process_cd import CACHED_SHELLS, NO_CORE, warm


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
def test_a_project_another_user_put_in_place_with_the_same_mtimes_is_not_entered_from_the_cache(
        open_shell, home: Path, mallory, shared_tmp: Path, shell_name: str) -> None:  # noqa: ANN001
    project = make_project(shared_tmp / "proj", "3.12")
    os.chmod(project, 0o755)
    shell = open_shell()
    warm(shell, [project])  # the core made the venv; the second entry was the cache's
    enter = f"cd {shlex.quote(str(project))}"
    assert shell.run(enter) == "" and shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run("cd /")

    # The victim removes the project; mallory recreates it from a copy, mtimes and all.
    copy = shared_tmp / "copy"
    subprocess.run(["cp", "-a", str(project), str(copy)], check=True)
    subprocess.run(["rm", "-rf", str(project)], check=True)
    mallory.run("cp", "-a", str(copy), str(project))
    assert project.stat().st_uid == mallory.uid
    assert (project / ".venv" / "bin").stat().st_mtime_ns == (copy / ".venv" / "bin").stat().st_mtime_ns

    out = shell.run(enter)
    assert shell.getenv("VIRTUAL_ENV") is None, out
    assert "venvd:" in out, out  # the core said why (not trusted / owned by another user)

    # Without the core (an export changes nothing), the cache alone must not enter it either.
    shell.run("cd /")
    shell.run(NO_CORE[shell_name])
    shell.run(enter)
    assert shell.getenv("VIRTUAL_ENV") is None


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
def test_a_new_shell_gets_no_saved_activation_of_a_venv_others_can_write(open_shell, home: Path,
                                                                         shell_name: str) -> None:
    project = make_project(home / "proj", "3.12")
    first = open_shell()
    warm(first, [project])  # the core saved the activation for new shells
    first.close()
    bindir = project / ".venv" / "bin"
    os.chmod(bindir, 0o777)  # a ctime change: no mtime the cache compares moves

    shell = open_shell()
    out = shell.run(f"cd {shlex.quote(str(project))}")
    assert shell.getenv("VIRTUAL_ENV") is None, out
    assert "writable by others" in out, out
    os.chmod(bindir, 0o755)
