"""venvd's record of a failed creation is read like every other record (issue 9 point 1).

Before a venv is created, venvd reads the record of the last failed attempt (its state dir,
``failed-creations/``), so a failure is not retried at every prompt. That read, and the
write after a new failure, must not hang on a FIFO or read ``/dev/zero`` without end: the
record is read with ``safeio`` (regular file, non-blocking, capped) and written by
replacing it, never by opening what is there. Every process runs under a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python
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
