"""zsh's walk remembers a parent directory newer than the core's clock stamp (/tmp, $HOME:
written all the time) by its mtime, read with zstat before the look (issue 12: a cd out of
a project reads none of them again), only when that mtime is old enough that any later
change gets another one, and forgets it as soon as the directory changes. In a real zsh:
the project a marker makes, as the user sees it (what is read, under strace, for every
shell alike: test_walk_memo.py)."""

from __future__ import annotations

import os
import shlex
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import allow
from tests.dirreads import settle, there_and_back, tree

pytestmark = pytest.mark.shells


def test_a_marker_made_right_after_the_look_is_noticed(home: Path, tmp_path: Path) -> None:
    # The parent's mtime is younger than the margin at the look, so it is not remembered:
    # a marker made just after (within the same clock tick, on a coarse clock) still counts.
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["zsh"](tmp_path / "rc", shell_env(), home) as shell:
        parent, deep = tree(home, "fresh")
        shell.run("cd /")
        (parent / "touched").write_text("")  # the parent's mtime: now
        shell.run(f"cd {shlex.quote(str(deep))}")  # looked into at once
        (parent / "requirements.txt").write_text("")  # and a marker made in it right after
        allow(parent)
        out = there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out


def test_a_whole_second_mtime_is_remembered_only_when_older_than_the_coarser_margin(
        home: Path, tmp_path: Path) -> None:
    # A file system that keeps whole (FAT: even) seconds gives a change made a second or two
    # after the look the same mtime as before it. Such an mtime (no nanoseconds) two
    # seconds old is not trusted: the change is noticed although the mtime did not move.
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["zsh"](tmp_path / "rc", shell_env(), home) as shell:
        parent, deep = tree(home, "coarse")
        shell.run("cd /")
        time.sleep(3.2)  # the clock stamp (the hook's load) older than the mtime below
        second = int(time.time()) - 2
        os.utime(parent, ns=(second * 10**9, second * 10**9))
        shell.run(f"cd {shlex.quote(str(deep))}")  # looked into: no marker
        (parent / "requirements.txt").write_text("")
        os.utime(parent, ns=(second * 10**9, second * 10**9))  # as the coarse file system stamps it
        allow(parent)
        out = there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out


def test_a_remembered_parent_removed_prints_nothing_and_the_walk_finds_what_is_there(
        home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["zsh"](tmp_path / "rc", shell_env(), home) as shell:
        parent, deep = tree(home, "gone")
        settle()
        there_and_back(shell, deep)
        there_and_back(shell, deep)  # remembered, and standing in it
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
        parent, deep = tree(home, "newer")
        settle()
        for _ in range(3):  # looked into, remembered by its mtime, then not read
            assert there_and_back(shell, deep) == ""
        assert shell.run("print -r -- ${_VENVD_NM[" + shlex.quote(str(parent)) + "]}").endswith(")")
        (parent / "requirements.txt").write_text("")
        allow(parent)
        out = there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out
