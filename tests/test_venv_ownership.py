"""Which venvs are venvd's, proven by its state dir; real-path locks; moved projects; kill -9.

Issue 9 points 4, 6, 11, 12, 15 (read-only project), 16 and issue 10 point 8.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import allow, make_project, need_python
from tests.test_export import applied, export, export_json
from tests.test_sync import offline, wheelhouse  # noqa: F401 - fixtures
from venvd.envdiff import encode_pairs

ALPHA = "venvd-demo-alpha"


def venvs_in(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if p.name.startswith(".venv"))


# -- point 4: the PATH separator ------------------------------------------------------------

@pytest.mark.shells
@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_a_venv_path_holding_the_path_separator_is_refused(open_shell, home: Path):
    need_python("3.12")
    project = make_project(home / "a:b", "3.12")
    shell = open_shell()
    before = shell.getenv("PATH")
    out = shell.run(f"cd '{project}'")
    assert "separates PATH entries" in out and out.count("venvd:") == 1, out
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run("cd ..")
    assert shell.getenv("PATH") == before, "PATH after leaving is exactly as before"
    assert not (project / ".venv").exists()


# -- point 6: one writer per venv, however the project is reached -------------------------

def test_a_project_reached_through_a_symlink_and_its_real_path_has_one_writer(home: Path, offline: Path):
    for trial in range(6):
        real = make_project(home / f"real{trial}", "3.12")
        (real / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
        link = home / f"link{trial}"
        link.symlink_to(real)
        procs = [subprocess.Popen([sys.executable, "-I", "-m", "venvd", "export", "json"], cwd=where,
                                  env=dict(os.environ, PWD=str(where)), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for where in (link, real)]
        results = [(p.returncode, *p.communicate(timeout=300)) for p in procs]
        results = [(p.returncode, out, err) for p, (_code, out, err) in zip(procs, results)]
        for (code, out, err), where in zip(results, (link, real)):
            assert code == 0 and "Error" not in err and "internal error" not in err, (trial, err)
            assert json.loads(out)["set"]["VIRTUAL_ENV"] == str(where / ".venv"), (trial, err)
        assert venvs_in(real) == [".venv"], trial
        assert (real / ".venv" / "pyvenv.cfg").exists()
        made = [line for line in offline.read_text().splitlines() if line.startswith("venv ")]
        assert len(made) == trial + 1, "one `uv venv` per project"


# -- point 11: a marker that came with the repo -------------------------------------------

def forged_marker(venv: Path, **extra: str) -> None:
    (venv / ".venvd").mkdir(parents=True)
    fields = {"state": "ok", "request": "forged", "interpreter": "/usr/bin/python3.11", "version": "3.11.2",
              "token": "0" * 32, "made_for": str(venv), **extra}
    (venv / ".venvd" / "created").write_text(encode_pairs(sorted(fields.items())) + "\n")


def test_a_forged_marker_in_a_configured_venv_dir_never_gets_it_deleted(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text("[tool.venvd]\nvenv = \"src\"\n")
    src = project / "src"
    src.mkdir()
    (src / "app.py").write_text("print('precious')\n")
    # Looks like a working venv venvd made, for another request: old venvd rebuilt it.
    (src / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.2\n")
    (src / "bin").mkdir()
    (src / "bin" / "python").symlink_to("/usr/bin/python3.11")
    forged_marker(src)
    data, err = export_json(project)
    assert (src / "app.py").read_text() == "print('precious')\n", "never deleted"
    assert "recreating" not in err and "creating" not in err, err
    assert data["set"]["VIRTUAL_ENV"] == str(src), "used as the user's venv, as it is"


def test_a_forged_marker_in_a_broken_dir_is_reported_not_replaced(home: Path):
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text("[tool.venvd]\nvenv = \"src\"\n")
    src = project / "src"
    src.mkdir()
    (src / "app.py").write_text("print('precious')\n")
    forged_marker(src, state="creating")
    data, err = export_json(project)
    assert "not a working venv" in err and "VIRTUAL_ENV" not in data["set"], err
    assert (src / "app.py").exists()


def test_venvds_venv_is_proven_by_its_state_dir_and_old_markers_are_the_users(home: Path):
    from venvd.venv import read_marker

    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    export_json(project)
    marker = read_marker(str(project / ".venv"))
    assert marker is not None and marker["state"] == "ok" and len(marker["token"]) == 32
    records = list(Path(os.environ["VENVD_STATE_DIR"], "venvs").iterdir())
    assert len(records) == 1 and str(project / ".venv") in records[0].read_text()
    # A marker as venvd before the state-dir record wrote it: the venv is the user's.
    (project / ".venv" / ".venvd" / "created").write_text(
        "interpreter=/x/python;request=;state=ok;version=3.12.1\n")
    assert read_marker(str(project / ".venv")) is None


# -- issue 10 point 8: a moved project -------------------------------------------------------

@pytest.mark.shells
@pytest.mark.parametrize("shell_name", ["bash"])
def test_a_moved_project_gets_a_working_venv(open_shell, home: Path, offline: Path):
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    shell = open_shell()
    shell.run(f"cd {project}")
    assert str(project / ".venv") in shell.run("pip --version")
    shell.run("cd ~")
    moved = home / "renamed"
    project.rename(moved)
    allow(moved)
    out = shell.run(f"cd {moved}")
    assert "moved here" in out and "recreat" in out, out
    pip = shell.run("pip --version")
    assert "required file not found" not in pip and "bad interpreter" not in pip, pip
    assert str(moved / ".venv") in pip, pip
    assert ALPHA in shell.run("pip list 2>/dev/null"), "synced again"
    assert venvs_in(moved) == [".venv"]


def test_a_moved_venv_the_user_made_gets_one_line_and_is_left_alone(home: Path):
    py = need_python("3.12")
    project = make_project(home / "proj", "3.12")
    subprocess.run([py, "-m", "venv", str(project / ".venv")], check=True)
    moved = home / "renamed"
    project.rename(moved)
    allow(moved)
    pip = (moved / ".venv" / "bin" / "pip").read_bytes()
    data, err = export_json(moved)
    assert "moved here" in err and str(project) in err.replace("~", str(home)) and err.count("venvd:") == 1, err
    assert (moved / ".venv" / "bin" / "pip").read_bytes() == pip, "left alone"
    assert data["set"]["VIRTUAL_ENV"] == str(moved / ".venv")


# -- point 15: a read-only project -----------------------------------------------------------

@pytest.fixture
def read_only(tmp_path: Path):
    """A read-only bind mount (root ignores mode bits, so chmod cannot make one)."""
    mounted: list[Path] = []

    def make(path: Path) -> Path:
        if subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True).returncode != 0:
            pytest.skip("cannot bind-mount here (needs CAP_SYS_ADMIN)")
        mounted.append(path)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True, capture_output=True)
        return path

    yield make
    for path in mounted:
        subprocess.run(["umount", "--lazy", str(path)], capture_output=True)  # a shell may still stand in it


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", ["bash"])
def test_a_read_only_project_is_one_line_remembered(open_shell, home: Path, read_only):
    need_python("3.12")
    project = read_only(make_project(home / "proj", "3.12"))
    shell = open_shell()
    out = shell.run(f"cd {project}")
    assert "Read-only file system" in out and out.count("venvd:") == 2, out  # "creating", then why not
    assert "internal error" not in out
    assert shell.run("true") == ""
    shell.run("cd /")
    again = shell.run(f"cd {project}")
    assert "creating ~/proj/.venv with" not in again and "before" in again and again.count("venvd:") == 1, again
    assert shell.getenv("VIRTUAL_ENV") is None


# -- point 16: kill -9 during creation -------------------------------------------------------

def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def installers(pid: int) -> list[int]:
    """The children of venvd but the watchdog it starts beside each command (venv.ChildGuard)."""
    def cmdline(child: int) -> str:
        try:
            return Path(f"/proc/{child}/cmdline").read_text(errors="replace")
        except OSError:
            return ""

    return [c for c in children(pid) if "kill -9" not in cmdline(c)]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_kill_9_during_creation_leaves_no_debris_and_no_orphan_writing(home: Path, offline: Path):
    need_python("3.11")
    project = make_project(home / "proj", "3.12")
    export_json(project)
    (project / ".python-version").write_text("3.11\n")  # a recreation: the old venv is set aside
    proc = subprocess.Popen([sys.executable, "-I", "-m", "venvd", "export", "json"], cwd=project,
                            env=dict(os.environ, PWD=str(project), VENVD_TEST_UV_SLEEP="60"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert "recreating" in proc.stderr.readline()
    deadline = time.monotonic() + 60
    while not installers(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    (child,) = installers(proc.pid)  # the uv wrapper, sleeping before it would write the venv
    assert any(n.startswith(".venv.venvd-old-") for n in venvs_in(project)), venvs_in(project)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    deadline = time.monotonic() + 20
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "the creation's child died with venvd instead of going on writing"
    data, err = export_json(project)
    assert venvs_in(project) == [".venv"], "no .venv.venvd-old-* debris after the next entry"
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv")
    assert "= 3.11." in (project / ".venv" / "pyvenv.cfg").read_text()


def test_debris_venvd_did_not_set_aside_is_never_removed(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    planted = project / ".venv.venvd-old-99999"
    planted.mkdir()
    (planted / "mine.txt").write_text("keep")
    export_json(project)
    assert (planted / "mine.txt").read_text() == "keep"


# -- point 12: a project whose name starts with "-" ---------------------------------------

@pytest.mark.shells
@pytest.mark.parametrize("shell_name", ["bash"])
def test_a_project_named_with_a_leading_dash_gets_its_venv(open_shell, home: Path):
    need_python("3.12")
    project = make_project(home / "-dash", "3.12")
    shell = open_shell()
    out = shell.run("cd -- ~/-dash")
    assert "ready" in out and "failed" not in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    assert shell.getenv("VIRTUAL_ENV_PROMPT") == "-dash"


def test_the_venv_module_takes_a_leading_dash_name_too(home: Path):
    from venvd.venv import create, read_pyvenv_cfg

    py = need_python("3.12")
    venv = home / "-dash" / ".venv"
    venv.parent.mkdir()
    create(str(venv), py, "3.12", "-dash", "k", uv=None, seed_pip=False)
    # The venv module writes the prompt as a Python literal.
    assert read_pyvenv_cfg(str(venv)).get("prompt") == "'-dash'"
    assert (venv / "bin" / "python").exists()


def test_an_empty_venv_dir_left_by_a_kill_before_its_record_is_created_into(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    (project / ".venv").mkdir()  # venvd killed between mkdir and writing its record
    data, err = export_json(project)
    assert "not a working venv" not in err, err
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv")
    assert (project / ".venv" / "bin" / "python").exists()


def test_ctrl_c_as_the_venv_dir_is_made_leaves_no_directory(home: Path, monkeypatch: pytest.MonkeyPatch):
    # The real-shell Ctrl-C test (test_shells.py) presses it once "creating" shows; it can
    # land as mkdir returns, before the creation knows it made the directory. Here it does.
    from venvd import venv as venv_module

    py = need_python("3.12")
    venv = home / "proj" / ".venv"
    venv.parent.mkdir()
    real_makedirs = os.makedirs

    def makedirs_then_ctrl_c(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        real_makedirs(path, *args, **kwargs)
        if os.fspath(path) == str(venv):
            raise KeyboardInterrupt

    monkeypatch.setattr(venv_module.os, "makedirs", makedirs_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        venv_module.create(str(venv), py, "3.12", "proj", "k", uv=None, seed_pip=False)
    assert not venv.exists()
    monkeypatch.undo()
    venv_module.create(str(venv), py, "3.12", "proj", "k", uv=None, seed_pip=False)  # and made next time
    assert (venv / "bin" / "python").exists()


def test_a_venv_made_under_umask_000_is_not_writable_by_others(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    made = subprocess.run([sys.executable, "-I", "-m", "venvd", "export", "json"], cwd=project,
                          env=dict(os.environ, PWD=str(project)), capture_output=True, text=True,
                          preexec_fn=lambda: os.umask(0))
    assert json.loads(made.stdout)["set"]["VIRTUAL_ENV"] == str(project / ".venv"), made.stderr
    assert not (project / ".venv").stat().st_mode & 0o002
    assert not (project / ".venv" / "bin").stat().st_mode & 0o002
    data, err = export_json(project)
    assert "writable by others" not in err, "venvd does not refuse the venv it made"
