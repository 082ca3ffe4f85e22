"""Trust is bound to the directory that was allowed and to its owner; StrictModes-like checks.

Issue 9 points 2 and 15 (the trust store's part). The attacker is a real second local user
(`mallory`, tests/users.py) planting files in a world-writable sticky directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import allow, need_python, venvd_script
from tests.test_export import export, export_json
from venvd import trust


@pytest.fixture(autouse=True)
def _runuser_on_path(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`home` narrows PATH to the bin dirs; `mallory.run` needs runuser from sbin."""
    monkeypatch.setenv("PATH", os.environ["PATH"] + os.pathsep + "/usr/sbin:/sbin")


def plant_venv(mallory, root: Path) -> None:
    """What another user leaves at *root*: a project whose .venv/bin shadows `ls`."""
    mallory.mkdir(root / ".venv" / "bin")
    mallory.write(root / ".venv" / "pyvenv.cfg", "home = /usr/bin\nversion = 3.11.2\n")
    mallory.write(root / ".venv" / "bin" / "ls", "#!/bin/sh\necho PWNED-by-mallory\n", mode=0o755)
    mallory.run("ln", "-s", "/usr/bin/python3.11", str(root / ".venv" / "bin" / "python"))


@pytest.mark.shells
def test_a_project_recreated_by_another_user_is_not_trusted(open_shell, home: Path, mallory, shared_tmp: Path):
    project = shared_tmp / "proj"
    project.mkdir()
    allow(project)
    shutil.rmtree(project)
    mallory.mkdir(project)
    plant_venv(mallory, project)
    shell = open_shell()
    out = shell.run(f"cd {project}")
    assert "not the directory you allowed" in out, out
    assert len([line for line in out.splitlines() if line.startswith("venvd:")]) == 1, out
    assert "PWNED" not in shell.run("ls")
    assert shell.getenv("VIRTUAL_ENV") is None
    assert str(project / ".venv" / "bin") not in shell.getenv("PATH")
    assert "venvd:" not in shell.run("cd / && cd " + str(project)), "said once per shell"


def test_a_replaced_directory_of_the_same_owner_is_not_trusted_either(home: Path):
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    trust.set_status(str(project), True)
    assert trust.status(str(project)) == "allowed"
    shutil.rmtree(project)
    assert trust.status(str(project)) == "changed", "gone: not trust"
    (home / "takes-the-freed-inode").mkdir()  # filesystems hand a freed inode number out again
    project.mkdir()
    assert trust.status(str(project)) == "changed", "another directory at the same path: not trust"
    trust.set_status(str(project), True)
    assert trust.status(str(project)) == "allowed"


def test_an_entry_written_without_identity_asks_to_allow_again(home: Path):
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    store = Path(os.environ["VENVD_DATA_DIR"])
    store.mkdir(parents=True)
    (store / "allowed").write_text(f"{project}\n")  # what venvd before identities wrote
    assert trust.status(str(project)) == "changed"
    data, err = export_json(project)
    assert "VIRTUAL_ENV" not in data["set"]
    assert "venvd allow" in err and "again" in err and len(err.splitlines()) == 1, err


def test_allow_refuses_a_directory_another_user_owns(home: Path, mallory, shared_tmp: Path):
    theirs = shared_tmp / "theirs"
    mallory.mkdir(theirs)
    mallory.write(theirs / "pyproject.toml", "[project]\nname = 't'\n")
    out = subprocess.run([venvd_script(), "allow", str(theirs)], capture_output=True, text=True)
    assert out.returncode != 0
    assert out.stderr.count("venvd:") == 1 and "owned by venvd-mallory" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert trust.status(str(theirs)) == "unknown"


@pytest.mark.parametrize("mode", [0o777, 0o757])
def test_allow_refuses_a_world_writable_project(home: Path, mode: int):
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    project.chmod(mode)
    out = subprocess.run([venvd_script(), "allow", str(project)], capture_output=True, text=True)
    assert out.returncode != 0 and "writable by others" in out.stderr, out.stderr
    assert trust.status(str(project)) == "unknown"


def test_group_writable_is_accepted_only_for_a_group_of_the_owner_alone(home: Path, mallory):
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    project.chmod(0o775)
    # The victim's own group (root here) has no other member: like a user-private group.
    private = subprocess.run([venvd_script(), "allow", str(project)], capture_output=True, text=True)
    assert private.returncode == 0, private.stderr
    os.chown(project, -1, mallory.gid)  # a group mallory is in
    out = subprocess.run([venvd_script(), "allow", str(project)], capture_output=True, text=True)
    assert out.returncode != 0 and "writable by group venvd-mallory" in out.stderr, out.stderr


def test_an_allowed_project_that_became_world_writable_is_not_activated(home: Path):
    need_python("3.12")
    project = home / "proj"
    project.mkdir()
    (project / ".python-version").write_text("3.12\n")
    allow(project)
    data, _ = export_json(project)
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv")
    env = {**os.environ, **data["set"]}
    (project / ".venv" / "bin").chmod(0o777)
    data, err = export_json(project, {k: env[k] for k in ("PATH", "VIRTUAL_ENV", "VENVD_DIFF")})
    assert data["set"].get("VIRTUAL_ENV") is None and "VIRTUAL_ENV" in data["unset"], "refused: deactivated"
    assert "writable by others" in err and "proj/.venv/bin " in err and err.count("venvd:") == 1, err


def test_a_venv_bin_owned_by_another_user_is_refused(home: Path, mallory):
    need_python("3.12")
    project = home / "proj"
    project.mkdir()
    (project / ".python-version").write_text("3.12\n")
    allow(project)
    export_json(project)
    os.chown(project / ".venv" / "bin", mallory.uid, mallory.gid)
    data, err = export_json(project)
    assert "VIRTUAL_ENV" not in data["set"]
    assert "owned by venvd-mallory" in err and err.count("venvd:") == 1, err


def test_a_trust_store_writable_by_others_is_refused(home: Path):
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    trust.set_status(str(project), True)
    store = Path(os.environ["VENVD_DATA_DIR"])
    (store / "allowed").chmod(0o666)
    data, err = export_json(project)
    assert "VIRTUAL_ENV" not in data["set"]
    assert "trust store" in err and "writable by others" in err and err.count("venvd:") == 1, err
    (store / "allowed").chmod(0o644)
    store.chmod(0o777)
    _, err = export_json(project)
    assert "trust store" in err and "writable by others" in err, err


@pytest.mark.parametrize("kind", ["directory", "fifo", "unreadable", "not-utf8"])
def test_a_broken_trust_store_is_one_clear_line(home: Path, kind: str, mallory):
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    store = Path(os.environ["VENVD_DATA_DIR"])
    store.mkdir(parents=True)
    allowed = store / "allowed"
    if kind == "directory":
        allowed.mkdir()
    elif kind == "fifo":
        os.mkfifo(allowed)
    elif kind == "unreadable":
        allowed.write_text("x\n")
        os.chown(allowed, mallory.uid, mallory.gid)
        allowed.chmod(0o600)
    else:
        allowed.write_bytes(b"\xff\xfe\x00garbage\t1\t2\n\xc3\n")
    result = export(project, "json")
    assert result.returncode == 0 and "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "VIRTUAL_ENV" not in json.loads(result.stdout)["set"]
    if kind != "not-utf8":  # non-UTF-8 bytes are legal: directory names in another encoding
        assert result.stderr.count("venvd:") == 1 and "trust store" in result.stderr, result.stderr
    out = subprocess.run([venvd_script(), "allow", str(project)], capture_output=True, text=True)
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr
    if kind != "not-utf8":
        assert out.returncode != 0 and out.stderr.count("venvd:") == 1, out.stderr


def test_allow_refuses_a_project_whose_venv_another_user_owns(home: Path, mallory):
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / ".venv" / "bin").mkdir(parents=True)
    os.chown(project / ".venv", mallory.uid, mallory.gid)
    out = subprocess.run([venvd_script(), "allow", str(project)], capture_output=True, text=True)
    assert out.returncode != 0 and "proj/.venv is owned by venvd-mallory" in out.stderr, out.stderr
    assert trust.status(str(project)) == "unknown"


def test_a_trust_store_under_a_parent_others_can_write_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch):
    project = home / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    store = home / ".local" / "share" / "venvd"
    monkeypatch.setenv("VENVD_DATA_DIR", str(store))
    trust.set_status(str(project), True)
    assert trust.status(str(project)) == "allowed"
    (home / ".local").chmod(0o777)  # another user could swap share/venvd underneath
    data, err = export_json(project)
    assert "VIRTUAL_ENV" not in data["set"]
    assert "~/.local is writable by others" in err and err.count("venvd:") == 1, err
