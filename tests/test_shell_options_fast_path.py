"""The fast path notices an input replaced by an OLDER file (issue 9, point 17).

`cp -p old new`, `touch -d '2 days ago'` or a `git checkout` of an older blob moves a
file's mtime backwards: "newer than the stamp" never fires for it. The hook compares each
watched path with a stamp of exactly its own mtime, so any change of mtime is noticed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.conftest import make_project
from tests.test_sync import ALPHA, installs, offline, wheelhouse  # noqa: F401 - fixtures
from venvd.watch import Watch

pytestmark = [pytest.mark.shells, pytest.mark.slow]


def alpha_version(shell) -> str:  # noqa: ANN001 - tests.shellharness.Shell
    return shell.run("python -c 'import venvd_demo_alpha as a; print(a.__version__)'").splitlines()[-1]


def test_a_pin_change_written_with_an_older_mtime_is_synced_at_the_next_prompt(
        open_shell, home: Path, offline: Path, shell_name: str) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    requirements = project / "requirements.txt"
    requirements.write_text(f"{ALPHA}==1.0\n")
    shell = open_shell(cwd=project)
    assert alpha_version(shell) == "1.0"
    assert shell.run("true") == ""
    count = len(installs(offline))
    # As `git checkout` of an older blob, or `cp -p`: new content, an mtime a day back.
    day_ago = time.time_ns() - 86400 * 10**9
    requirements.write_text(f"{ALPHA}==1.1\n")
    os.utime(requirements, ns=(day_ago, day_ago))
    out = shell.run("true")
    assert "synced 1 package" in out, out
    assert alpha_version(shell) == "1.1"
    assert len(installs(offline)) > count
    assert shell.run("true") == "", "and the prompt after it is a no-op again"


def test_a_python_version_replaced_by_an_older_file_is_noticed(open_shell, home: Path, shell_name: str) -> None:
    from tests.conftest import need_python

    need_python("3.12")
    need_python("3.11")
    project = make_project(home / "proj", "3.12")
    shell = open_shell(cwd=project)
    assert shell.run("python -c 'import sys; print(sys.version_info[:2])'") == "(3, 12)"
    version_file = project / ".python-version"
    old = version_file.stat().st_mtime_ns - 2 * 86400 * 10**9
    version_file.write_text("3.11\n")
    os.utime(version_file, ns=(old, old))
    out = shell.run("true")
    assert "recreating" in out, out
    assert shell.run("python -c 'import sys; print(sys.version_info[:2])'") == "(3, 11)"


def test_each_watched_path_has_a_stamp_of_exactly_its_mtime(tmp_path: Path) -> None:
    a, b, missing = tmp_path / "a", tmp_path / "b", tmp_path / "missing"
    a.write_text("1")
    b.write_text("2")
    os.utime(a, ns=(10**18, 10**18))
    os.utime(b, ns=(2 * 10**18, 2 * 10**18))
    watch = Watch()
    watch.add_input(str(a))
    watch.add(str(b))
    watch.add(str(missing))
    newest = watch.stamp(str(tmp_path / "stamps"))
    stamps = watch.stamps
    assert len(stamps) == len(watch.paths) == 3
    assert os.stat(stamps[0]).st_mtime_ns == 10**18
    assert os.stat(stamps[1]).st_mtime_ns == 2 * 10**18 and stamps[1] == newest
    assert stamps[2] == "", "a missing path has no stamp: the hook checks that it is still missing"


def test_an_input_rewritten_with_its_old_mtime_kept_is_synced_on_the_next_entry(
        home: Path, offline: Path) -> None:  # noqa: F811
    # Same size, same inode, the very same mtime (a tool that restores mtimes): only the
    # ctime says the bytes changed, so the memo of the sync check must compare it too.
    from tests.test_sync import export, packages

    project = make_project(home / "proj", "3.12")
    requirements = project / "requirements.txt"
    requirements.write_text(f"{ALPHA}==1.0\n")
    assert "synced 1 package" in export(project)
    before = requirements.stat()
    with open(requirements, "r+") as f:  # in place: the inode stays
        f.write(f"{ALPHA}==1.1\n")
    os.utime(requirements, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = requirements.stat()
    assert (after.st_mtime_ns, after.st_size, after.st_ino) == (before.st_mtime_ns, before.st_size, before.st_ino)
    assert "synced 1 package" in export(project)
    assert packages(project)[ALPHA] == "1.1"


def test_the_config_cache_notices_a_pyproject_rewritten_with_its_old_mtime(tmp_path: Path) -> None:
    from venvd.config import load_config

    (tmp_path / "pyproject.toml").write_text("[tool.venvd]\nvenv = 'aa'\n")
    assert load_config(str(tmp_path)).get("venv") == "aa"
    before = (tmp_path / "pyproject.toml").stat()
    with open(tmp_path / "pyproject.toml", "r+") as f:
        f.write("[tool.venvd]\nvenv = 'bb'\n")
    os.utime(tmp_path / "pyproject.toml", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert load_config(str(tmp_path)).get("venv") == "bb"
