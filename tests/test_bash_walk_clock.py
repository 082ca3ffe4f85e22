"""bash's walk remembers a parent directory newer than the core's clock stamp (/tmp, $HOME:
written all the time) against a clock file of its own, made with a redirection (issue 12:
a cd out of a project reads none of them again), and forgets it as soon as the directory
changes, even within the clock tick it was read in. In a real bash: the project a marker
makes, as the user sees it (what is read, under strace, for every shell alike:
test_walk_memo.py)."""

from __future__ import annotations

import shlex
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import allow
from tests.dirreads import there_and_back, tree
from tests.test_venv_ownership import read_only  # noqa: F401  (a fixture)

pytestmark = pytest.mark.shells


def _newer_tree(home: Path, name: str) -> "tuple[Path, Path]":
    """A parent made after the hook loaded (newer than its clock stamp, as /tmp or $HOME
    usually are) with a plain directory two levels down."""
    parent, deep = tree(home, name)
    time.sleep(0.05)  # a later clock tick than the parent's mtime
    return parent, deep


def test_a_marker_made_in_the_clock_tick_a_parent_was_read_in_is_noticed(home: Path, tmp_path: Path) -> None:
    """The case the probe guards: a clock file made in the walk that then reads the parent,
    and the marker in the same tick. (A kernel with multigrain timestamps, 6.13+, stamps a
    change of a directory just looked at with the fine clock, so there this passes even
    without the probe; elsewhere the coarse tick is shared.)"""
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["bash"](tmp_path / "rc", shell_env(), home) as shell:
        # Run after the hook at each prompt (PROMPT_COMMAND's later entries): makes the file
        # $_mk names, microseconds after the hook's walk read the parent, in its clock tick.
        shell.run("set -o noclobber; _mk() { if [[ -n ${_MK-} ]]; then : >| \"$_MK\"; _MK=; fi; }; "
                  "PROMPT_COMMAND+=('_mk')")
        for n in range(3):
            parent, deep = _newer_tree(home, f"fresh{n}")
            shell.run(f"cd {shlex.quote(str(deep))}")
            shell.run("cd /")
            time.sleep(0.02)
            # deep changes: the walk from it finds it newer than the shell's clock and makes a
            # new one, then reads the parent in that same tick; the marker follows at once.
            (deep / "touched").write_text("")
            shell.run(f"_MK={shlex.quote(str(parent / 'requirements.txt'))}; cd {shlex.quote(str(deep))}")
            assert (parent / "requirements.txt").exists()
            assert shell.getenv("VIRTUAL_ENV") is None  # (the walk ran before the marker was made)
            allow(parent)
            out = there_and_back(shell, deep)
            assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out
            subprocess.run(["rm", "-rf", str(parent / ".venv")], check=True)
            shell.run("cd /")
            (parent / "requirements.txt").unlink()


def test_with_a_read_only_stamps_directory_nothing_is_printed_and_the_walk_is_right(
        home: Path, tmp_path: Path, read_only) -> None:
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["bash"](tmp_path / "rc", shell_env(), home) as shell:
        shell.run("true")
        stamps = Path(shell.run('printf "%s\\n" "${_VENVD_NOW%/*}"').strip())
        assert stamps.is_dir(), stamps
        read_only(stamps)
        parent, deep = _newer_tree(home, "newer")
        for _ in range(3):  # newer than the core's clock: the shell's clock cannot be written
            assert shell.run("cd /") == ""
            assert shell.run(f"cd {shlex.quote(str(deep))}") == ""
        assert shell.getenv("VIRTUAL_ENV") is None
        (parent / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
        shell.run("cd /")
        out = shell.run(f"cd {shlex.quote(str(deep))}")  # a project: venvd is asked (not allowed yet)
        assert "is not allowed" in out, out
        # Nothing of the hook's own (a failed redirection is "bash: <file>: Read-only file
        # system"); what the core says of the read-only cache is the core's.
        assert "bash:" not in out and "/bash." not in out, out


def test_after_the_clock_files_come_round_a_marker_in_a_remembered_parent_is_noticed(
        home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env

    with SHELLS["bash"](tmp_path / "rc", shell_env(), home) as shell:
        parent, deep = _newer_tree(home, "round")
        other = home / "other" / "x"
        other.mkdir(parents=True)
        for _ in range(2):  # the parent remembered against the shell's clock file of now
            there_and_back(shell, deep)
            time.sleep(0.02)
        (parent / ".python-version").write_text("3.12\n")  # a project now
        allow(parent)
        shell.run("cd /")
        # Elsewhere, a directory that changes before each walk: a new clock file at each,
        # more than there are names, so the one the parent's memo names is written again.
        for n in range(20):
            (other / f"t{n}").write_text("")
            shell.run(f"cd {shlex.quote(str(other))}")
            shell.run("cd /")
            time.sleep(0.005)
        out = shell.run(f"cd {shlex.quote(str(deep))}")
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out
