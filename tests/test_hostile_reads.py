"""No file venvd reads can hang it, exhaust its memory or crash it (issue 9, points 1, 9, 15).

Every process runs under a timeout, so a regression (a read that blocks on a FIFO or never
ends on /dev/zero) fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import allow, make_project, need_python, venvd_script

TIMEOUT = 30  # generous for a loaded machine; a blocking read never returns at all
PYPROJECT = '[project]\nname = "b"\nversion = "0"\n'


def venvd(cwd: Path, *args: str, extra: Optional[dict] = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PWD=str(cwd), **(extra or {}))
    return subprocess.run([sys.executable, "-I", "-m", "venvd", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def export(cwd: Path, extra: Optional[dict] = None) -> tuple[dict, list[str]]:
    """The export a shell would apply and the lines it said; checked to be no crash."""
    result = venvd(cwd, "export", "json", extra=extra)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert all(line.startswith("venvd: ") for line in lines), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout), lines


def active_venv(data: dict) -> Optional[str]:
    return data["set"].get("VIRTUAL_ENV")


def plant(path: Path, kind: str) -> None:
    """What a hostile repo or user leaves where venvd reads."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "devzero":
        os.symlink("/dev/zero", path)
    elif kind == "dir":
        path.mkdir()
    else:
        raise AssertionError(kind)


def project_with_pyproject(path: Path) -> Path:
    project = make_project(path, "3.12")
    (project / "pyproject.toml").write_text(PYPROJECT)
    return project


# -- point 1: a FIFO or /dev/zero where venvd reads ------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "devzero", "dir"])
def test_a_parent_pyproject_that_is_not_a_file_is_ignored_for_the_workspace_lookup(home: Path, kind: str):
    need_python("3.12")
    project = project_with_pyproject(home / "outer" / "proj")
    plant(home / "outer" / "pyproject.toml", kind)
    data, lines = export(project)
    assert active_venv(data) == str(project / ".venv")
    assert len(lines) <= 3  # creating, ready, and at most one line about the parent
    about_parent = [line for line in lines if "outer/pyproject.toml" in line]
    assert len(about_parent) <= 1


@pytest.mark.parametrize("kind", ["fifo", "devzero"])
@pytest.mark.parametrize("command", ["status", "deny", "allow"])
def test_commands_do_not_hang_on_a_planted_parent_pyproject(home: Path, kind: str, command: str):
    project = make_project(home / "outer" / "proj", "3.12", trusted=False)
    (project / "pyproject.toml").write_text(PYPROJECT)
    plant(home / "outer" / "pyproject.toml", kind)
    result = venvd(project, command)
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr
    if command == "status":
        assert f"project:      ~/outer/proj" in result.stdout
    else:
        assert "~/outer/proj" in result.stderr


@pytest.mark.parametrize(("name", "kind"), [("pyproject.toml", "fifo"), ("pyproject.toml", "devzero"),
                                            ("uv.lock", "fifo"), ("uv.lock", "devzero"),
                                            (".python-version", "fifo"), (".python-version", "devzero"),
                                            ("venvd.toml", "devzero"), ("requirements.txt", "devzero")])
def test_a_planted_input_in_the_project_is_one_line_under_export(home: Path, name: str, kind: str):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    if name != "pyproject.toml":
        (project / "pyproject.toml").write_text(PYPROJECT)
    if name == ".python-version":
        (project / name).unlink()
    plant(project / name, kind)
    data, lines = export(project)
    mentions = [line for line in lines if name in line]
    assert len(mentions) == 1, lines
    assert "not a regular file" in mentions[0]


@pytest.mark.parametrize(("name", "kind"), [("uv.lock", "fifo"), ("uv.lock", "devzero"),
                                            (".python-version", "fifo"), (".python-version", "devzero"),
                                            ("pyproject.toml", "devzero")])
@pytest.mark.parametrize("command", ["status", "deny", "allow"])
def test_commands_answer_at_once_with_the_reason(home: Path, name: str, kind: str, command: str):
    project = make_project(home / "proj", "3.12")
    if name != "pyproject.toml":
        (project / "pyproject.toml").write_text(PYPROJECT)
    if name == ".python-version":
        (project / name).unlink()
    plant(project / name, kind)
    result = venvd(project, command)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    if command == "status":
        assert result.returncode == 0, result.stderr
        assert name in result.stdout and "not a regular file" in result.stdout, result.stdout
        assert result.stderr == ""
    else:
        assert result.returncode == 0, result.stderr
        assert "~/proj" in result.stderr


# -- point 9: a malformed parent pyproject.toml never keeps the previous project active ------------

MALFORMED_PARENTS = {
    "not-toml": "[tool.uv.workspace\nmembers = ['*']\n",
    "tool-string": 'tool = "x"\n# workspace\n',
    "uv-int": "[tool]\nuv = 3\n# workspace\n",
    "workspace-list": "[tool.uv]\nworkspace = []\n",
    "members-string": '[tool.uv.workspace]\nmembers = "a"\n',
    "members-int": "[tool.uv.workspace]\nmembers = [1]\n",
    "exclude-table": '[tool.uv.workspace]\nmembers = ["*"]\nexclude = {}\n',
    "deep": "workspace = " + "[" * 10000 + "]" * 10000 + "\n",
    "big-int": "workspace = " + "9" * 5000 + "\n",
    "not-utf8": "[tool.uv.workspace]\nmembers = ['\xff']\n",
}


@pytest.mark.parametrize("content", list(MALFORMED_PARENTS.values()), ids=list(MALFORMED_PARENTS))
def test_a_malformed_parent_pyproject_does_not_keep_the_previous_venv(home: Path, content: str):
    need_python("3.12")
    a = make_project(home / "a", "3.12")
    b = project_with_pyproject(home / "outer" / "b")
    first, _ = export(a)
    assert active_venv(first) == str(a / ".venv")
    (home / "outer" / "pyproject.toml").write_bytes(content.encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    env = {k: v for k, v in first["set"].items()}
    data, lines = export(b, env)
    assert active_venv(data) == str(b / ".venv"), lines
    assert len([line for line in lines if "outer/pyproject.toml" in line]) <= 1, lines


def test_a_huge_parent_pyproject_is_ignored(home: Path):
    need_python("3.12")
    b = project_with_pyproject(home / "outer" / "b")
    with open(home / "outer" / "pyproject.toml", "wb") as f:
        f.write(b"# workspace\n")
        f.truncate(100 * 2**20)  # sparse: cheap to make, 100 MiB to read
    data, lines = export(b)
    assert active_venv(data) == str(b / ".venv")
    assert len([line for line in lines if "outer/pyproject.toml" in line]) <= 1, lines


def test_a_valid_workspace_still_maps_its_member(home: Path):
    outer = home / "ws"
    member = outer / "packages" / "m"
    member.mkdir(parents=True)
    (outer / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    (member / "pyproject.toml").write_text(PYPROJECT)
    result = venvd(member, "status")
    assert "project:      ~/ws\n" in result.stdout, result.stdout


# -- point 15: one line, not an internal error ------------------------------------------------------


@pytest.mark.parametrize(("name", "content"), [
    (".python-version", "3." + "1" * 5000 + "\n"),
    (".python-version", "cp3" + "1" * 5000 + "\n"),
    (".python-version", "3.12rc" + "1" * 5000 + "\n"),
    ("pyproject.toml", f'[project]\nname = "b"\nrequires-python = ">=3.{"1" * 5000}"\n'),
    ("pyproject.toml", f'[project]\nname = "b"\nrequires-python = ">=3.1,!=3.{"1" * 5000}.1.post1"\n'),
], ids=["version", "cp-tag", "pre-serial", "requires-python", "requires-python-packaging"])
def test_a_version_with_thousands_of_digits_is_one_line(home: Path, name: str, content: str):
    project = make_project(home / "proj", "3.12")
    (project / ".python-version").unlink()
    (project / name).write_text(content)
    data, lines = export(project)
    assert len(lines) == 1 and "unrecognised Python version" in lines[0], lines
    assert len(lines[0]) < 1000, "the line shows the start of the value, not all of it"


def test_deeply_nested_toml_in_the_project_is_one_line(home: Path):
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text("a = " + "[" * 10000 + "]" * 10000 + "\n")
    data, lines = export(project)
    assert len(lines) == 1 and "pyproject.toml" in lines[0] and "nested" in lines[0], lines


def test_a_huge_integer_in_the_project_toml_is_one_line(home: Path):
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text("a = " + "9" * 5000 + "\n")
    data, lines = export(project)
    assert len(lines) == 1 and "pyproject.toml" in lines[0], lines


@pytest.mark.parametrize("which", ["marker", "synced", "memo", "config-cache", "pyvenv.cfg"])
def test_non_utf8_records_are_not_an_internal_error(home: Path, tmp_path: Path, which: str):
    need_python("3.12")
    project = project_with_pyproject(home / "proj")
    first, _ = export(project)
    assert active_venv(first) == str(project / ".venv")
    state = project / ".venv" / ".venvd"
    if which == "marker":
        target = state / "created"
    elif which == "synced":
        target = state / "synced"
    elif which == "memo":
        target = state / "inputs"
    elif which == "pyvenv.cfg":
        target = project / ".venv" / "pyvenv.cfg"
    else:
        [target] = (tmp_path / "venvd-cache" / "config").iterdir()
    target.parent.mkdir(parents=True, exist_ok=True)
    original = target.read_bytes() if target.exists() else b""
    target.write_bytes(original + b"\xff\xfe bad \x80\n")
    # Touch an input so the prompt runs the full check, as after an edit.
    os.utime(project / "pyproject.toml")
    data, lines = export(project)
    assert active_venv(data) == str(project / ".venv"), lines


@pytest.mark.parametrize("redirect", [">&-", ">/dev/full"], ids=["closed", "full"])
@pytest.mark.parametrize("command", ["export bash", "hook bash", "status"])
def test_a_closed_or_full_stdout_is_one_line_and_a_failure(home: Path, redirect: str, command: str):
    project = make_project(home / "proj", "3.12", trusted=False)
    script = f'"$1" -I -m venvd {command} {redirect}'
    result = subprocess.run(["sh", "-c", script, "sh", sys.executable], cwd=project, capture_output=True,
                            text=True, timeout=TIMEOUT, env=dict(os.environ, PWD=str(project)))
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "not allowed" not in line]
    assert len(lines) == 1 and lines[0].startswith("venvd: ") and "stdout" in lines[0], result.stderr
    assert "Exception ignored" not in result.stderr and "internal error" not in result.stderr


# -- requirements files and their includes ----------------------------------------------------------


def test_a_100_mib_requirements_file_is_one_line(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    with open(project / "requirements.txt", "wb") as f:
        f.write(b"six\n")
        f.truncate(100 * 2**20)
    data, lines = export(project)
    mentions = [line for line in lines if "requirements.txt" in line]
    assert len(mentions) == 1 and "larger than" in mentions[0], lines
    assert active_venv(data) == str(project / ".venv")


@pytest.mark.parametrize("kind", ["fifo", "devzero", "cycle", "outside-fifo"])
def test_a_hostile_include_is_one_line(home: Path, tmp_path: Path, kind: str):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    if kind == "cycle":
        (project / "requirements.txt").write_text("-r more.txt\n")
        (project / "more.txt").write_text("-c requirements.txt\n")
        expected = "include each other"
    elif kind == "outside-fifo":
        os.mkfifo(tmp_path / "elsewhere.txt")
        (project / "requirements.txt").write_text(f"-r {tmp_path / 'elsewhere.txt'}\n")
        expected = "not a regular file"
    else:
        plant(project / "more.txt", kind)
        (project / "requirements.txt").write_text("-c more.txt\n")
        expected = "not a regular file"
    data, lines = export(project)
    mentions = [line for line in lines if expected in line]
    assert len(mentions) == 1, lines
    assert active_venv(data) == str(project / ".venv")


def test_a_diamond_of_includes_is_one_line_not_2_to_the_depth_reads(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    depth = 12  # each file includes the next twice: 4096 reads (40 levels would never end)
    (project / "requirements.txt").write_text("-r r1.txt\n")
    for level in range(1, depth):
        (project / f"r{level}.txt").write_text(f"-r r{level + 1}.txt\n-c r{level + 1}.txt\n")
    (project / f"r{depth}.txt").write_text("six\n")
    data, lines = export(project)
    mentions = [line for line in lines if "include each other more than" in line]
    assert len(mentions) == 1, lines
    assert active_venv(data) == str(project / ".venv")


def test_read_prefix_reads_the_start_of_a_large_file_and_never_a_fifo(tmp_path: Path):
    from venvd.safeio import LIMIT_SMALL, UnsafeFile, read_prefix

    big = tmp_path / "python"
    with open(big, "wb") as f:
        f.write(b"\x7fELF")
        f.truncate(LIMIT_SMALL * 4)
    assert read_prefix(str(big), 2) == b"\x7fE"
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UnsafeFile, match="FIFO"):
        read_prefix(str(tmp_path / "fifo"), 2)


def test_a_dangling_pyproject_link_is_no_file_not_an_error(home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    os.symlink(home / "gone.toml", project / "pyproject.toml")
    data, lines = export(project)
    assert active_venv(data) == str(project / ".venv"), lines
