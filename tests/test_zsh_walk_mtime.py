"""zsh's walk remembers a parent directory newer than the core's clock stamp (/tmp, $HOME:
written all the time) by its mtime, read with zstat before the look (issue 12: a cd out of
a project reads none of them again), only when that mtime is old enough that any later
change gets another one, and forgets it as soon as the directory changes. In a real zsh,
under strace where it matters: the directory read or not, and the project a marker makes,
as the user sees it."""

from __future__ import annotations

import os
import shlex
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import allow
from tests.dirreads import dirs_read_since as _read_since, traced_shell

if TYPE_CHECKING:
    from tests.shellharness import Shell

pytestmark = pytest.mark.shells


def _zsh_traced(tmp_path: Path, cwd: Path) -> "tuple[Shell, Path]":
    return traced_shell("zsh", tmp_path, cwd)


def _lines(trace: Path) -> int:
    return len(trace.read_text(errors="replace").splitlines())


def _settle() -> None:
    """Past the margin after which a directory's mtime (with nanoseconds) is remembered:
    more than a second before a whole-second clock read before the look."""
    time.sleep(2.2)


def _there_and_back(shell: "Shell", deep: Path) -> str:
    shell.run("cd /")
    return shell.run(f"cd {shlex.quote(str(deep))}")


@pytest.mark.parametrize("marker", ["requirements.txt", "pyproject.toml"])
def test_a_parent_newer_than_the_clock_stamp_is_read_once_and_a_marker_in_it_is_noticed(
        home: Path, tmp_path: Path, marker: str) -> None:
    shell, trace = _zsh_traced(tmp_path, home)
    try:
        shell.run("true")
        # Made after the hook loaded: newer than its clock stamp (as /tmp or $HOME usually are).
        parent = home / "newer"
        deep = parent / "a" / "b"
        deep.mkdir(parents=True)
        _settle()
        _there_and_back(shell, deep)  # each parent looked into once, and remembered
        start = _lines(trace)
        for _ in range(3):
            _there_and_back(shell, deep)
        read = _read_since(trace, start)
        assert not read & {str(parent), str(parent / "a"), str(deep), str(home)}, sorted(read)
        assert shell.getenv("VIRTUAL_ENV") is None

        # A marker in the remembered parent: its mtime moves, so the next walk looks again
        # (not allowed yet: venvd says so).
        (parent / marker).write_text("" if marker.endswith(".txt") else '[project]\nname = "p"\nversion = "1"\n')
        out = _there_and_back(shell, deep)
        assert "venvd:" in out and str(parent) in _read_since(trace, start), out
        allow(parent)
        out = _there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out
    finally:
        shell.close()


def test_a_marker_made_right_after_the_look_is_noticed(home: Path, tmp_path: Path) -> None:
    # The parent's mtime is younger than the margin at the look, so it is not remembered:
    # a marker made just after (within the same clock tick, on a coarse clock) still counts.
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["zsh"](tmp_path / "rc", shell_env(), home) as shell:
        parent = home / "fresh"
        deep = parent / "a" / "b"
        deep.mkdir(parents=True)
        shell.run("cd /")
        (parent / "touched").write_text("")  # the parent's mtime: now
        shell.run(f"cd {shlex.quote(str(deep))}")  # looked into at once
        (parent / "requirements.txt").write_text("")  # and a marker made in it right after
        allow(parent)
        out = _there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out


def test_a_whole_second_mtime_is_remembered_only_when_older_than_the_coarser_margin(
        home: Path, tmp_path: Path) -> None:
    # A file system that keeps whole (FAT: even) seconds gives a change made a second or two
    # after the look the same mtime as before it. Such an mtime (no nanoseconds) two
    # seconds old is not trusted: the change is noticed although the mtime did not move.
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["zsh"](tmp_path / "rc", shell_env(), home) as shell:
        parent = home / "coarse"
        deep = parent / "a" / "b"
        deep.mkdir(parents=True)
        shell.run("cd /")
        time.sleep(3.2)  # the clock stamp (the hook's load) older than the mtime below
        second = int(time.time()) - 2
        os.utime(parent, ns=(second * 10**9, second * 10**9))
        shell.run(f"cd {shlex.quote(str(deep))}")  # looked into: no marker
        (parent / "requirements.txt").write_text("")
        os.utime(parent, ns=(second * 10**9, second * 10**9))  # as the coarse file system stamps it
        allow(parent)
        out = _there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out


def test_a_remembered_parent_removed_prints_nothing_and_the_walk_finds_what_is_there(
        home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["zsh"](tmp_path / "rc", shell_env(), home) as shell:
        parent = home / "gone"
        deep = parent / "a" / "b"
        deep.mkdir(parents=True)
        _settle()
        _there_and_back(shell, deep)
        _there_and_back(shell, deep)  # remembered, and standing in it
        shutil.rmtree(parent)
        assert shell.run("true") == ""  # $PWD and its parents gone: nothing on the terminal
        assert shell.run("cd /") == ""
        assert "no such file or directory" in shell.run("cd /venvd-no-such-dir")  # and the user's errors still show
        assert shell.getenv("VIRTUAL_ENV") is None
        # Made again, a project now: the walk looks into it.
        deep.mkdir(parents=True)
        (parent / ".python-version").write_text("3.12\n")
        allow(parent)
        out = shell.run(f"cd {shlex.quote(str(deep))}")
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out


@pytest.mark.parametrize("options", ["setopt KSH_ARRAYS NO_UNSET ERR_EXIT WARN_CREATE_GLOBAL SH_WORD_SPLIT NULL_GLOB",
                                     "emulate sh; setopt KSH_ARRAYS NO_UNSET"])
def test_the_mtime_memo_under_the_users_options(home: Path, tmp_path: Path, options: str) -> None:
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["zsh"](tmp_path / "rc", shell_env(), home, extra_rc=options) as shell:
        parent = home / "newer"
        deep = parent / "a" / "b"
        deep.mkdir(parents=True)
        _settle()
        for _ in range(3):  # looked into, remembered by its mtime, then not read
            assert _there_and_back(shell, deep) == ""
        assert shell.run("print -r -- ${_VENVD_NM[" + shlex.quote(str(parent)) + "]}").endswith(")")
        (parent / "requirements.txt").write_text("")
        allow(parent)
        out = _there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out
