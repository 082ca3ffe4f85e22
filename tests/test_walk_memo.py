"""The hooks remember directories they found no project marker in (issue 12: a cd that walks
up past /tmp or $HOME reads none of them again), and forget that as soon as a directory
changes: a marker created in a remembered parent is a project at the next cd and prompt.
(How each shell remembers, and its edge cases: test_{bash,zsh,fish}_walk_*.py.)"""

from __future__ import annotations

import shlex
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import allow, venvd_script
from tests.dirreads import dirs_read, settle, spawned, there_and_back, trace_lines, traced_shell, tree
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


# A marker of each kind the walk looks for: a file, a glob (requirements*.txt), a pyproject.
MARKERS = {
    ".python-version": "3.12\n",
    "requirements.txt": "",
    "pyproject.toml": '[project]\nname = "p"\nversion = "1"\n',
}


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
@pytest.mark.parametrize("marker", sorted(MARKERS))
def test_a_parent_newer_than_the_clock_stamp_is_read_once_and_a_marker_in_it_is_noticed(
        home: Path, tmp_path: Path, shell_name: str, marker: str) -> None:
    # /tmp and $HOME are written all the time: newer than the core's clock stamp, they are
    # remembered against each shell's own clock (bash: clock files; zsh and fish: their
    # mtimes). Under strace: read once, then neither read nor a process started per cd.
    shell, trace = traced_shell(shell_name, tmp_path, home)
    try:
        shell.run("true")
        # Made after the hook loaded: newer than its clock stamp (as /tmp or $HOME usually are).
        parent, deep = tree(home, "newer")
        settle()
        for _ in range(2):  # walked up from deep: each parent looked into once, then remembered
            there_and_back(shell, deep)
            time.sleep(0.02)  # the next walk in a later clock tick (bash's clock files)
        start = len(trace_lines(trace))
        for _ in range(3):
            there_and_back(shell, deep)
        lines = trace_lines(trace)[start:]
        read = dirs_read(lines)
        assert not read & {str(parent), str(parent / "a"), str(deep), str(home)}, sorted(read)
        assert not spawned(lines), spawned(lines)
        assert shell.getenv("VIRTUAL_ENV") is None

        # A marker in the remembered parent: its mtime moves, so the next walk looks again
        # (not allowed yet: venvd says so).
        (parent / marker).write_text(MARKERS[marker])
        out = there_and_back(shell, deep)
        assert "venvd:" in out and str(parent) in dirs_read(trace_lines(trace)[start:]), out
        allow(parent)
        out = there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out
    finally:
        shell.close()
