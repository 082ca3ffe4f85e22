"""kill -9 of venvd mid-creation or mid-sync leaves nothing running that venvd started
(issue 9 point 16).

The command venvd runs dies with it, and so does everything *that* command started: the
stdlib ``venv`` module's ensurepip and the pip it runs, an installer's build backends. A
grandchild still writing into the venv after venvd died would write into the venv the next
entry makes in its place. Real grandchildren: a ``uv`` on PATH whose ``uv venv`` or
``uv pip`` starts a writer (one that never stops on its own) before doing its work, and the
stdlib path's real ensurepip. Each time the next entry leaves a working venv and no debris.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python
from tests.test_export import export_json
from tests.test_sync import ALPHA, offline, wheelhouse  # noqa: F401 - fixtures
from tests.test_venv_ownership import alive, children, venvs_in
from tests.wheelhouse import find_uv
from venvd.sync.envstate import snapshot

# A uv that, for the subcommand $VENVD_TEST_WRITER_ON, first starts a child appending to
# $VENVD_TEST_WRITER_LOG every 20 ms, forever, and then takes its time; else plain uv.
FAKE_UV = """#!/bin/sh
if [ -n "$VENVD_TEST_WRITER_ON" ] && [ "$1" = "$VENVD_TEST_WRITER_ON" ]; then
    ( while :; do echo x >> "$VENVD_TEST_WRITER_LOG"; sleep 0.02; done ) &
    echo $! > "$VENVD_TEST_WRITER_PID"
    sleep 60
fi
exec "{uv}" "$@"
"""


@pytest.fixture
def fake_uv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The uv above, first on PATH; returns the file its writer's pid goes to."""
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "uv").write_text(FAKE_UV.format(uv=find_uv()))
    (fake / "uv").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "writer.pid"


def kill_9_while_writing(project: Path, pidfile: Path, log: Path, on: str) -> None:
    """Start an entry whose `uv <on>` starts the writer, kill -9 venvd once it writes, and
    check that the writer died with it and nothing writes any more."""
    venvd = start_export(project, VENVD_TEST_WRITER_ON=on, VENVD_TEST_WRITER_PID=str(pidfile),
                         VENVD_TEST_WRITER_LOG=str(log))
    writer = None
    try:
        wait_for(lambda: size(log) > 0 and pidfile.exists() and pidfile.read_text().strip())
        writer = int(pidfile.read_text())
        assert alive(writer)
        os.kill(venvd.pid, signal.SIGKILL)
        venvd.wait()
        wait_for(lambda: not alive(writer), seconds=5)  # before: it wrote on, forever
        written = size(log)
        time.sleep(0.3)
        assert size(log) == written, "nothing writes into the venv after venvd died"
    finally:
        venvd.kill()
        if writer is not None and alive(writer):
            os.kill(writer, signal.SIGKILL)


def wait_for(condition, seconds: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def start_export(project: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-I", "-m", "venvd", "export", "json"], cwd=project,
                            env=dict(os.environ, PWD=str(project), **env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_kill_9_during_creation_kills_the_installers_own_children_too(home: Path, fake_uv: Path) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    log = project / ".venv" / "writer.log"
    kill_9_while_writing(project, fake_uv, log, on="venv")
    data, err = export_json(project)  # the next entry, uv as it is
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv"), err
    assert venvs_in(project) == [".venv"], "no .venv.venvd-old-* debris"
    assert not log.exists(), "the half-made venv was replaced, not added to"
    assert (project / ".venv" / "bin" / "python").exists()


def test_kill_9_during_a_sync_kills_what_the_installer_started(home: Path, offline: Path,  # noqa: F811
                                                               fake_uv: Path) -> None:
    """uv's build backends and the like: a sync's installer is tied to venvd the same way."""
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    export_json(project)
    (project / "requirements.txt").write_text(f"{ALPHA}==1.1\n")
    log = project / ".venv" / "writer.log"
    kill_9_while_writing(project, fake_uv, log, on="pip")
    data, err = export_json(project)
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv"), err
    assert snapshot(str(project / ".venv"))[ALPHA] == "1.1", err


CREATE = """
import sys
from venvd.venv import create
create(sys.argv[1], sys.argv[2], "3.12", "proj", sys.argv[3], uv=None, seed_pip=True)
"""


def test_kill_9_during_the_venv_modules_ensurepip_kills_the_pip_it_runs(home: Path) -> None:
    """The stdlib path: venvd -> python -m venv -> ensurepip -> pip, all real."""
    py = need_python("3.12")
    project = make_project(home / "proj", "3.12")
    export_json(project)  # a venv venvd made: the creation below replaces it (old one set aside)
    venvd = subprocess.Popen([sys.executable, "-I", "-c", CREATE, str(project / ".venv"), py, "another request"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    running: list[int] = []
    try:
        # ensurepip runs under `python -m venv`: wait for venvd's grandchild.
        wait_for(lambda: any("ensurepip" in cmdline(pid) for pid in descendants(venvd.pid)), seconds=60)
        running = descendants(venvd.pid)
        os.kill(venvd.pid, signal.SIGKILL)
        venvd.wait()
        assert any(n.startswith(".venv.venvd-old-") for n in venvs_in(project)), "the old venv is set aside"
        wait_for(lambda: not any(alive(pid) for pid in running), seconds=0.5)  # pip takes seconds
        data, err = export_json(project)
        assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv"), err
        assert venvs_in(project) == [".venv"], "no .venv.venvd-old-* debris"
        check = subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.prefix)"],
                               capture_output=True, text=True)
        assert check.stdout.strip() == str(project / ".venv"), check.stderr
    finally:
        venvd.kill()
        for pid in running:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
