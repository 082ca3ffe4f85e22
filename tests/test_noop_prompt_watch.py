"""What the no-op prompt's compiled test notices, now that it asks fewer stat calls (issue 6's
budget: a no-op prompt adds at most 0.1 ms), in real bash, zsh and fish.

The trust store's directory is watched one way (only venvd writes it, by renaming lists in):
bash compares it with its own stamp, not with the newest one, so a watched file dated in
the future does not hide a trust change, and asks -e, as no watched directory sees it go;
zsh reads every stamped path's mtime with one zstat (UTC, so no time zone file is read)
and compares it with the stamp's name exactly.
"""

from __future__ import annotations

import calendar
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python, venvd_script, which_shell

pytestmark = pytest.mark.shells

HOOKED = ["bash", "zsh", "fish"]


def _venvd(*args: str) -> None:
    subprocess.run([venvd_script(), *args], check=True, capture_output=True)


@pytest.mark.parametrize("shell_name", HOOKED)
def test_a_trust_change_made_elsewhere_is_seen_at_the_next_prompt_beside_a_file_dated_in_the_future(
        open_shell, home: Path, shell_name: str) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    # A file from a machine whose clock runs ahead: the newest stamp is a week from now.
    ahead = time.time_ns() + 7 * 86400 * 10**9
    os.utime(project / ".python-version", ns=(ahead, ahead))
    venv = str(project / ".venv")
    shell = open_shell(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == venv
    assert shell.run("true") == "", "settled: a no-op prompt"
    _venvd("deny", str(project))  # another process: nothing this shell runs itself
    said = shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") is None, said
    _venvd("allow", str(project))
    shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") == venv


@pytest.mark.parametrize("shell_name", HOOKED)
def test_the_trust_store_removed_is_seen_at_the_next_prompt_and_nothing_else_is_said(
        open_shell, home: Path, shell_name: str) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    venv = str(project / ".venv")
    shell = open_shell(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == venv
    assert shell.run("true") == ""
    shutil.rmtree(os.environ["VENVD_DATA_DIR"])  # every allow gone
    said = shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") is None, said
    assert "zstat" not in said and "zsh:" not in said, "a watched path gone is the core's to say, in its words"


def test_zsh_reads_mtimes_the_same_in_any_time_zone_and_forks_nothing(home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env
    from tests.test_hot_path import _SPAWN, _strace, _traced

    strace = _strace()
    python = need_python("3.12")
    which_shell("zsh")
    project = make_project(home / "proj", "3.12")
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    # An mtime whose date differs between UTC and New York (late evening there, next day
    # in UTC), with nanoseconds: zstat -g reads it as UTC, as the stamp's name is spelled.
    late = calendar.timegm((2024, 1, 1, 4, 30, 0)) * 10**9 + 123456789  # 2023-12-31 23:30 there
    os.utime(project / ".python-version", ns=(late, late))
    trace = tmp_path / "strace.txt"
    env = shell_env({"TZ": "America/New_York"})
    with _traced(SHELLS["zsh"], strace, trace)(tmp_path / "rc", env, project) as shell:
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        assert shell.run("true") == ""
        before = len(trace.read_text(errors="replace").splitlines())
        for _ in range(5):
            shell.run("true")
        lines = trace.read_text(errors="replace").splitlines()[before:]
        spawned = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
        assert not spawned, "the no-op test must pass in New York time:\n" + "\n".join(spawned)
        # And a move of that mtime by one nanosecond, backwards, is still seen.
        os.utime(project / ".python-version", ns=(late - 1, late - 1))
        shell.run("true")
        lines = trace.read_text(errors="replace").splitlines()[before:]
    assert any(_SPAWN.match(line) for line in lines), "a 1 ns move of a watched file's mtime goes to the core"


@pytest.mark.parametrize("shell_name", HOOKED)
def test_a_watched_file_removed_leaves_the_users_next_error_whole(open_shell, home: Path, shell_name: str) -> None:
    # zsh's no-op test reads every watched path with one zstat, whose error on a path that is
    # gone must go nowhere; with its stderr closed (2>&-) zsh marked its own stderr as failed:
    # the user's next error came out as "zsh: write error", their message lost.
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text("")
    shell = open_shell(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    assert shell.run("true") == ""
    (project / "requirements.txt").unlink()
    shell.run("true")
    after = shell.run("cd /nonexistent-venvd-dir")
    assert "nonexistent-venvd-dir" in after and "write error" not in after, after
