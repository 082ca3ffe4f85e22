"""Only the user's, the machine's and the project's own installer config steer a sync (issue 9.3).

A real second user (``mallory``) plants a ``uv.toml`` in a shared, world-writable parent of
the victim's project, pointing uv at her own wheelhouse with a higher version of the
package the project needs. The victim's uv gets its index from his own
``~/.config/uv/uv.toml``; ``UV_NO_CONFIG`` (which the ``home`` fixture sets) is unset, so uv
would search the parents as it does for any user.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import make_project
from tests.test_sync import ALPHA, export, offline, packages, wheelhouse  # noqa: F401 - fixtures
from tests.wheelhouse import write_wheel

pytestmark = pytest.mark.slow


@pytest.fixture
def own_uv_config(home: Path, offline: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """uv as a real user runs it: config discovery on, the index from the user's own uv.toml."""
    for key in ("UV_NO_CONFIG", "UV_FIND_LINKS", "UV_NO_INDEX"):
        monkeypatch.delenv(key, raising=False)
    config = home / ".config" / "uv" / "uv.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'no-index = true\nfind-links = ["{wheelhouse}"]\n')
    return config


@pytest.fixture
def planted(mallory, shared_tmp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: ANN001
    """mallory's uv.toml in the shared parent, naming her wheelhouse (alpha 9.9)."""
    # tests/users.py runs `runuser` by name; the `home` fixture's PATH has no /usr/sbin.
    monkeypatch.setenv("PATH", f"{os.environ['PATH']}{os.pathsep}/usr/sbin{os.pathsep}/sbin")
    evil = shared_tmp / "evil"
    mallory.mkdir(evil)
    wheel = write_wheel(evil, ALPHA, "9.9")  # (written by the test, then handed to her)
    os.chown(wheel, mallory.uid, mallory.gid)
    mallory.write(shared_tmp / "uv.toml", f'find-links = ["{evil}"]\n')
    mallory.write(shared_tmp / "pip.conf", f"[global]\nfind-links = {evil}\n")
    return evil


def test_a_uv_toml_planted_in_a_parent_by_another_user_is_not_read(
        home: Path, own_uv_config: Path, planted: Path, shared_tmp: Path) -> None:
    project = make_project(shared_tmp / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}\n")
    said = export(project, VENVD_INSTALLER="uv")
    assert "synced" in said, said
    assert packages(project)[ALPHA] == "2.0", "installed from the user's own wheelhouse, not mallory's"


def test_the_projects_own_uv_toml_is_still_read(home: Path, own_uv_config: Path, planted: Path,
                                                shared_tmp: Path, tmp_path: Path) -> None:
    project = make_project(shared_tmp / "proj", "3.12")
    mine = tmp_path / "mine"
    mine.mkdir()
    write_wheel(mine, ALPHA, "3.0")
    (project / "uv.toml").write_text(f'find-links = ["{mine}"]\n')
    (project / "requirements.txt").write_text(f"{ALPHA}\n")
    export(project, VENVD_INSTALLER="uv")
    assert packages(project)[ALPHA] == "3.0", "the project's own uv.toml (with the user's) decides"


def test_pip_reads_no_pip_conf_from_a_parent(home: Path, offline: Path, planted: Path, shared_tmp: Path,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIP_CONFIG_FILE")
    project = make_project(shared_tmp / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}\n")
    export(project, VENVD_INSTALLER="pip")
    assert packages(project)[ALPHA] == "2.0"


def test_a_change_of_the_users_uv_config_is_a_change_of_the_inputs(home: Path, own_uv_config: Path,
                                                                   tmp_path: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}\n")
    export(project, VENVD_INSTALLER="uv")
    assert packages(project)[ALPHA] == "2.0"
    assert "sync" not in export(project, VENVD_INSTALLER="uv")
    newer = tmp_path / "newer"
    newer.mkdir()
    write_wheel(newer, ALPHA, "3.0")
    text = own_uv_config.read_text().replace("find-links = [", f'find-links = ["{newer}", ')
    own_uv_config.write_text(text)
    os.utime(own_uv_config, ns=(1, 1))  # even an older mtime: the bytes changed
    said = export(project, VENVD_INSTALLER="uv")
    assert "synced" in said, said


def test_installer_config_outside_the_project_is_hashed_not_watched_at_every_prompt(
        home: Path, own_uv_config: Path) -> None:
    """A dozen config paths and their directories (``/etc`` among them) would double the
    hook's per-prompt work; they are compared whenever venvd runs for the project instead."""
    import json
    import subprocess

    from tests.conftest import venvd_script

    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}\n")
    export(project, VENVD_INSTALLER="uv")
    r = subprocess.run([venvd_script(), "export", "json"], cwd=project, capture_output=True, text=True,
                       env=dict(os.environ, PWD=str(project), VENVD_INSTALLER="uv"))
    watched = json.loads(r.stdout)["state"]["_VENVD_WATCH"]
    assert str(project / "requirements.txt") in watched
    outside = [p for p in watched if p.endswith(("pip.conf", "pip.ini")) or p == str(own_uv_config)
               or p in ("/etc", "/etc/uv", "/etc/xdg/pip", str(own_uv_config.parent))]
    assert outside == [], watched
