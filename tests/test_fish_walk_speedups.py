"""fish's walk remembers a parent directory newer than the core's clock stamp (/tmp, $HOME:
written all the time) by its mtime, with fish 3.6's `path mtime` (issue 12: a cd out of a
project reads none of them again), and forgets it as soon as the directory changes, even
within the second it was looked into; and it reads a directory once for the glob markers.
In a real fish under strace: the directory read or not, and the project a marker makes,
as the user sees it."""

from __future__ import annotations

import shlex
import time
from pathlib import Path

import pytest

from tests.conftest import allow
from tests.dirreads import dirs_read_since as _read_since, settle, there_and_back, trace_length, traced_shell, tree

pytestmark = pytest.mark.shells


def test_a_marker_made_in_the_second_a_parent_was_looked_into_is_noticed(home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["fish"](tmp_path / "rc", shell_env(), home) as shell:
        parent, deep = tree(home, "fresh")
        shell.run(f"cd {shlex.quote(str(deep))}")
        for _ in range(10):
            shell.run("cd /")
            while time.time() % 1 > 0.3:  # at the start of a second
                time.sleep(0.01)
            (parent / "touched").write_text("")  # the parent's mtime: this second
            second = int(parent.stat().st_mtime)
            shell.run(f"cd {shlex.quote(str(deep))}")  # looked into in the same second
            (parent / ".python-version").write_text("3.12\n")  # and a marker made in it
            (parent / "touched").unlink()
            if int(parent.stat().st_mtime) == second and int(time.time()) == second:
                break
            (parent / ".python-version").unlink()  # the second turned meanwhile: again
        else:
            pytest.skip("this machine never did a cd within one second")
        allow(parent)
        out = there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out


def test_outside_a_project_pwd_newer_than_the_clock_stamp_is_not_read_at_each_prompt_until_it_changes(
        home: Path, tmp_path: Path) -> None:
    shell, trace = traced_shell("fish", tmp_path, home)
    try:
        here = home / "plain"
        here.mkdir()  # after the hook loaded: newer than its clock stamp
        settle()
        shell.run(f"cd {shlex.quote(str(here))}")
        shell.run("true")
        start = trace_length(trace)
        for _ in range(3):  # the no-op prompt outside a project
            shell.run("true")
        assert str(here) not in _read_since(trace, start)
        allow(here)
        (here / "requirements-dev.txt").write_text("")  # a marker of the glob kind
        shell.run("true")
        assert shell.getenv("VIRTUAL_ENV") == str(here / ".venv")
    finally:
        shell.close()


def test_without_path_mtime_the_walk_reads_a_newer_parent_and_notices_a_marker(home: Path, tmp_path: Path) -> None:
    # fish before 3.6 has no `path mtime`: such a parent is looked into at each walk.
    shell, trace = traced_shell("fish", tmp_path, home)
    try:
        shell.run("set -g __venvd_mtime ''")
        parent = home / "newer"
        deep = parent / "a"
        deep.mkdir(parents=True)
        settle()
        for _ in range(2):
            there_and_back(shell, deep)
        start = trace_length(trace)
        there_and_back(shell, deep)
        assert str(parent) in _read_since(trace, start)
        (parent / ".python-version").write_text("3.12\n")
        allow(parent)
        there_and_back(shell, deep)
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv")
    finally:
        shell.close()


def test_the_glob_markers_are_found_in_one_read_and_near_misses_are_not_projects(home: Path, tmp_path: Path) -> None:
    # requirements*.txt and pylock.*.toml are looked for with one glob of the directory: each
    # makes a project (venvd speaks up: not allowed yet); a near miss asks nothing of it.
    from tests.shellharness import SHELLS, shell_env
    from tests.test_hot_path import _SPAWN, _strace, _traced

    names = {"requirements-ci.txt": True, "requirements.txt": True, "pylock.dev.toml": True, "pylock..toml": True,
             "requirements.txt.bak": False, "xrequirements.txt": False, "pylock.toml.orig": False,
             "pylock.tomlx": False, "notes.txt": False, "pkg.tar.gz": False, "requirements.txt\n": False}
    dirs = {}
    for number, (name, _) in enumerate(names.items()):
        dirs[name] = home / f"d{number}"
        dirs[name].mkdir()
        (dirs[name] / name).write_text("")
    trace = tmp_path / "strace.txt"
    with _traced(SHELLS["fish"], _strace(), trace)(tmp_path / "rc", shell_env(), home) as shell:
        shell.run("true")
        for name, is_project in names.items():
            before = len(trace.read_text(errors="replace").splitlines())
            out = shell.run(f"cd {shlex.quote(str(dirs[name]))}")
            lines = trace.read_text(errors="replace").splitlines()[before:]
            asked = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
            assert bool(asked) == is_project and ("venvd:" in out) == is_project, (name, out, asked)
            shell.run("cd ~")


def test_the_functions_a_cd_runs_are_defined_each_from_a_text_of_its_own(home: Path, tmp_path: Path) -> None:
    # fish counts the text before a function's definition at each call of it that runs a block
    # or a call: from the end of the hook's text (30 KB, mostly comments) that was about 25 µs a
    # call, several per cd. Defined again from a text of their own, they start at its line 2.
    from tests.shellharness import SHELLS, shell_env

    hot = ["__venvd_hook", "__venvd_unchanged", "__venvd_walk", "__venvd_cached", "__venvd_has_marker",
           "__venvd_add_chain", "__venvd_own_deactivate", "__venvd_give_back_deactivate", "__venvd_is_ours"]
    with SHELLS["fish"](tmp_path / "rc", shell_env(), home) as shell:
        out = shell.run("for f in " + " ".join(hot) + "; printf '%s %s\\n' $f (functions --details --verbose $f)[3]; end")
    lines = dict(line.split() for line in out.splitlines() if line.strip())
    assert set(lines) == set(hot), out
    assert all(int(at) <= 2 for at in lines.values()), lines
