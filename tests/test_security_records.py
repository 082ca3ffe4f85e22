"""venvd's records are read and written safely whatever was planted where they live.

Before a venv is created, venvd reads the record of the last failed attempt (its state dir,
``failed-creations/``), so a failure is not retried at every prompt. That read, and the
write after a new failure, must not hang on a FIFO or read ``/dev/zero`` without end: the
record is read with ``safeio`` (regular file, non-blocking, capped) and written by
replacing it, never by opening what is there (issue 9 point 1). Every process runs under a
timeout.

The records of a sync live in the venv (``.venvd/``), and a venv can come with the repo: a
link planted at the temporary name a record is written to first never takes the write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python, venvd_script
from tests.test_installers_additive import users_venv
from tests.test_sync import ALPHA, DELTA, offline, packages, wheelhouse  # noqa: F401  (fixtures)
from tests.wheelhouse import find_uv

TIMEOUT = 30  # a read that blocks on a FIFO never returns at all


def export(project: Path) -> tuple[dict, str]:
    r = subprocess.run([sys.executable, "-I", "-m", "venvd", "export", "json"], cwd=project, capture_output=True,
                       text=True, timeout=TIMEOUT, env=dict(os.environ, PWD=str(project)), stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return json.loads(r.stdout), r.stderr


def plant_record(project: Path, kind: str) -> Path:
    from venvd.venv import _failure_file

    record = Path(_failure_file(str(project / ".venv")))  # the home fixture's state dir
    record.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(record)
    else:
        record.symlink_to("/dev/zero")
    return record


@pytest.mark.parametrize("kind", ["fifo", "devzero"])
def test_a_failure_record_that_is_no_file_does_not_hang_the_creation(home: Path, kind: str) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    record = plant_record(project, kind)
    data, err = export(project)
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv"), err
    assert not os.path.lexists(record), "a creation that worked forgets the failure"


@pytest.mark.parametrize("kind", ["fifo", "devzero"])
def test_a_failed_creation_replaces_such_a_record_and_is_remembered(home: Path, tmp_path: Path, kind: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    need_python("3.12")
    broken = tmp_path / "brokenbin"
    broken.mkdir()
    (broken / "uv").write_text(f'#!/bin/sh\n[ "$1" = venv ] && {{ echo "error: disk on fire"; exit 1; }}\n'
                               f'exec "{find_uv()}" "$@"\n')
    (broken / "uv").chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.environ['PATH']}")
    project = make_project(home / "proj", "3.12")
    record = plant_record(project, kind)
    data, err = export(project)
    assert "disk on fire" in err and "VIRTUAL_ENV" not in data["set"], err
    assert record.is_file() and not record.is_symlink(), "the record is venvd's own file now"
    data, err = export(project)
    assert err.count("venvd:") == 1 and "disk on fire) before" in err and "with Python" not in err, err


def test_a_link_planted_where_a_sync_writes_its_records_is_not_written_through(
        home: Path, offline: Path, wheelhouse: Path) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    users_venv(project, wheelhouse, f"{DELTA}==1.0")  # a venv venvd did not make, as one a repo ships
    records = project / ".venv" / ".venvd"
    records.mkdir()
    victim = home / ".bashrc"
    victim.write_text("# the user's own\n")
    # Links at the names the sync writes beside its record and input memo before renaming them
    # over (<name>.<pid>.tmp): planted for the very pid the sync will have, as `$$` is the
    # shell's pid and stays venvd's once it execs venvd.
    plant = "".join(f'ln -s "$VICTIM" "$RECORDS/{name}.$$.tmp" && ' for name in ("synced", "inputs"))
    r = subprocess.run(["sh", "-c", plant + 'exec "$0" export json', venvd_script()], cwd=project,
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, PWD=str(project), VICTIM=str(victim), RECORDS=str(records)))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "synced" in r.stderr, r.stderr
    assert victim.read_text() == "# the user's own\n"
    assert (records / "synced").is_file() and not (records / "synced").is_symlink()
    assert packages(project)[ALPHA] == "1.0"
    assert json.loads(r.stdout)["set"]["VIRTUAL_ENV"] == str(project / ".venv")
    assert not [p.name for p in records.iterdir() if p.name.endswith(".tmp")], sorted(p.name for p in records.iterdir())
