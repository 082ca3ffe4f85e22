"""bash's walk remembers a parent directory newer than the core's clock stamp (/tmp, $HOME:
written all the time) against a clock file of its own, made with a redirection (issue 12:
a cd out of a project reads none of them again), and forgets it as soon as the directory
changes, even within the clock tick it was read in. In a real bash under strace: the
directory read or not, and the project a marker makes, as the user sees it."""

from __future__ import annotations

import shlex
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import allow
from tests.dirreads import dirs_read as _read, spawned as _spawned, trace_lines as _lines, traced_shell
from tests.test_venv_ownership import read_only  # noqa: F401  (a fixture)

if TYPE_CHECKING:
    from tests.shellharness import Shell

pytestmark = pytest.mark.shells


def _bash_traced(tmp_path: Path, cwd: Path, env: "dict[str, str] | None" = None) -> "tuple[Shell, Path]":
    return traced_shell("bash", tmp_path, cwd, env)


def _newer_tree(home: Path, name: str) -> "tuple[Path, Path]":
    """A parent made after the hook loaded (newer than its clock stamp, as /tmp or $HOME
    usually are) with a plain directory two levels down."""
    parent = home / name
    deep = parent / "a" / "b"
    deep.mkdir(parents=True)
    time.sleep(0.05)  # a later clock tick than the parent's mtime
    return parent, deep


def test_a_parent_newer_than_the_clock_stamp_is_read_once_and_a_marker_in_it_is_noticed(
        home: Path, tmp_path: Path) -> None:
    shell, trace = _bash_traced(tmp_path, home)
    try:
        shell.run("true")
        parent, deep = _newer_tree(home, "newer")
        for _ in range(2):  # walked up from deep: each parent read, then remembered
            shell.run("cd /")
            shell.run(f"cd {shlex.quote(str(deep))}")
            time.sleep(0.02)
        start = len(_lines(trace))
        for _ in range(3):
            shell.run("cd /")
            shell.run(f"cd {shlex.quote(str(deep))}")
        lines = _lines(trace)[start:]
        read = _read(lines)
        assert not read & {str(parent), str(parent / "a"), str(home)}, sorted(read)
        assert not _spawned(lines), _spawned(lines)
        assert shell.getenv("VIRTUAL_ENV") is None

        # A marker in the remembered parent: its mtime moves, so the next walk reads it again.
        (parent / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
        allow(parent)
        shell.run("cd /")
        out = shell.run(f"cd {shlex.quote(str(deep))}")
        assert shell.getenv("VIRTUAL_ENV") == str(parent / ".venv"), out
    finally:
        shell.close()


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
            shell.run("cd /")
            out = shell.run(f"cd {shlex.quote(str(deep))}")
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
            shell.run("cd /")
            shell.run(f"cd {shlex.quote(str(deep))}")
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
