"""A second, real local user for the shared-machine tests (not a test module).

The tests run as the victim (the user running pytest, root in CI); ``mallory`` is a real
account made with ``useradd`` that plants files as another user would on a shared
machine: in a world-writable directory like /tmp, or in a parent of the victim's project.
Without root (no useradd) the tests that need her skip, saying why.

    def test_x(mallory, shared_tmp):
        mallory.run("mkdir", str(shared_tmp / "proj"))      # made by her uid
        mallory.write(shared_tmp / "uv.toml", "index-url = 'http://evil/'\n")
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

NAME = "venvd-mallory"
# By absolute path: the tests' narrowed PATH (the `home` fixture) has no /usr/sbin.
RUNUSER = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin") or "runuser"
USERADD = shutil.which("useradd", path="/usr/sbin:/sbin:/usr/bin:/bin") or "useradd"


class OtherUser:
    """A real account other than the one running the tests."""

    def __init__(self, entry: pwd.struct_passwd):
        self.name = entry.pw_name
        self.uid = entry.pw_uid
        self.gid = entry.pw_gid

    def run(self, *argv: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
        """Run *argv* as this user (runuser: no password, no PAM session needed as root)."""
        return subprocess.run([RUNUSER, "-u", self.name, "--", *argv], check=check, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, **kwargs)

    def sh(self, script: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("sh", "-c", script, check=check)

    def write(self, path: "str | os.PathLike[str]", text: str, mode: int = 0o644) -> None:
        """Create *path* as this user, with *text* and *mode* (its directory must let her)."""
        self.run("sh", "-c", 'umask 022; printf %s "$1" > "$2"; chmod "$3" "$2"', "sh", text, str(path),
                 format(mode, "o"))

    def mkdir(self, path: "str | os.PathLike[str]", mode: int = 0o755) -> None:
        self.run("mkdir", "-p", "-m", format(mode, "o"), str(path))


def _ensure_user() -> OtherUser:
    if os.geteuid() != 0 or not os.path.isabs(USERADD) or not os.path.isabs(RUNUSER):
        pytest.skip("needs root with useradd and runuser to create a second local user")
    try:
        entry = pwd.getpwnam(NAME)
    except KeyError:
        subprocess.run([USERADD, "--no-create-home", "--shell", "/bin/sh", NAME], check=True,
                       capture_output=True)
        entry = pwd.getpwnam(NAME)
    return OtherUser(entry)


@pytest.fixture(scope="session")
def mallory() -> OtherUser:
    """Another local user, real (useradd), who plants files."""
    return _ensure_user()


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory like /tmp: world-writable with the sticky bit, where any user may create
    entries. (pytest's tmp_path is private to the victim, so mallory could not reach it.)"""
    path = Path(tempfile.mkdtemp(prefix="venvd-shared-", dir="/tmp"))
    os.chmod(path, 0o1777)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
