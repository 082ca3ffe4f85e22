"""Failures name their real cause, keep the installer's full output in a log, and a
missing tool is noticed once it is installed (issue 10.7); Python 2.7 (issue 10.11)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project, need_python, venvd_script
from tests.test_sync import (ALPHA, FAILING_REQUIREMENT, backend, export, offline, packages,  # noqa: F401
                             venvd, wheelhouse)

pytestmark = pytest.mark.slow


def log_named(said: str) -> Path:
    found = re.search(r"full output: (\S+)\)", said)
    assert found, said
    return Path(os.path.expanduser(found.group(1)))


def test_no_version_satisfies_names_the_input_and_keeps_a_log(home: Path, backend: str) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{FAILING_REQUIREMENT}\n")
    said = export(project)
    line = [x for x in said.splitlines() if "sync failed" in x]
    assert len(line) == 1, said
    assert "no version satisfies" in line[0] and "fix requirements.txt" in line[0], line[0]
    assert "9.9" in line[0], "the installer's own words are shown"
    log = log_named(line[0])
    text = log.read_text()
    assert "9.9" in text and len(text.splitlines()) >= 2, text
    status = venvd("status", cwd=project)
    assert f"full output:  {line[0].split('full output: ')[1].rstrip(')')}" in status.stdout, status.stdout


def test_an_unreachable_index_is_said_to_be_the_network(home: Path, backend: str,  # noqa: F811
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("UV_OFFLINE", "UV_NO_INDEX", "UV_FIND_LINKS", "PIP_NO_INDEX", "PIP_FIND_LINKS"):
        monkeypatch.delenv(key, raising=False)
    # A local port nothing listens on: connection refused, at once, no real network needed.
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "1")  # pip says why it retries: the connection error
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    said = export(project)
    line = [x for x in said.splitlines() if "sync failed" in x]
    assert len(line) == 1, said
    assert "no network / index unreachable" in line[0], line[0]
    assert "fix requirements.txt" not in line[0]


def test_a_build_failure_shows_the_builds_own_error(home: Path, backend: str) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    pkg = project / "pkg"
    pkg.mkdir()
    (pkg / "pyproject.toml").write_text(
        '[project]\nname = "broken"\nversion = "1.0"\n\n'
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n')
    (pkg / "backend.py").write_text(
        "def _fail(*args, **kwargs):\n"
        "    raise RuntimeError('linker `cc` not found (cargo could not build the extension)')\n"
        "build_wheel = build_sdist = build_editable = prepare_metadata_for_build_wheel = _fail\n")
    (project / "requirements.txt").write_text("./pkg\n")
    said = export(project)
    line = [x for x in said.splitlines() if "sync failed" in x]
    assert len(line) == 1, said
    assert "a package failed to build" in line[0] and "linker `cc` not found" in line[0], line[0]


# A build that fetches what it needs from the network, as maturin's runs cargo: real cargo
# when this machine has it, else real curl, against a host under .invalid (RFC 6761: it
# never resolves, anywhere), so the build fails for lack of network on any machine.
CARGO = shutil.which("cargo")
RUSTUP_HOME = os.environ.get("RUSTUP_HOME") or os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".rustup")
FETCHING_BACKEND = r'''
import os, subprocess, sys, tempfile


def _build(*args, **kwargs):
    print("Running `maturin pep517 build-wheel -i python --compatibility off --editable`")
    cargo = os.environ.get("VENVD_TEST_CARGO")
    env = dict(os.environ, CARGO_HOME=tempfile.mkdtemp(), CARGO_NET_RETRY="0")
    if cargo:
        env["PATH"] = os.path.dirname(cargo) + os.pathsep + env.get("PATH", "")
        argv = [cargo, "metadata", "--format-version", "1", "--manifest-path", "Cargo.toml"]
    else:
        argv = ["curl", "-sS", "-o", os.devnull, "https://index.crates.invalid/config.json"]
    if subprocess.run(argv, env=env, stdout=subprocess.DEVNULL).returncode:
        sys.stderr.write("maturin failed\n  Caused by: Cargo metadata failed. Does your crate compile with `cargo build`?\n")
        sys.exit(1)


build_wheel = build_sdist = build_editable = _build
'''


@pytest.mark.parametrize("fetcher", ["cargo", "curl"])
def test_a_build_that_cannot_reach_the_network_says_so_with_the_builds_own_error(
        home: Path, backend: str, fetcher: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    if fetcher == "cargo":
        if CARGO is None:
            pytest.skip("cargo is not installed here (the curl case runs instead)")
        monkeypatch.setenv("VENVD_TEST_CARGO", CARGO)
        monkeypatch.setenv("RUSTUP_HOME", RUSTUP_HOME)  # HOME is the test's own
    elif shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1"\n\n'
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n')
    (project / "backend.py").write_text(FETCHING_BACKEND)
    (project / "Cargo.toml").write_text(
        '[package]\nname = "demo"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\npath = "lib.rs"\n\n'
        '[dependencies]\npyo3 = { version = "0.22", registry-index = "sparse+https://index.crates.invalid/" }\n')
    (project / "lib.rs").write_text("")
    said = export(project)
    line = [x for x in said.splitlines() if "sync failed" in x]
    assert len(line) == 1, said
    assert "no network for a package's build" in line[0] and "retries once the network is back" in line[0], line[0]
    assert "Could not resolve host: index.crates.invalid" in line[0], "the root cause, from deep in the output"
    if fetcher == "cargo":
        assert "error: failed to get `pyo3` as a dependency of package" in line[0], "cargo's own error"
    if backend == "uv":
        assert "Call to `backend.build_editable` failed" in line[0], line[0]
    assert "[stdout]" not in line[0] and "fix pyproject.toml" not in line[0], line[0]
    log = log_named(line[0]).read_text()
    assert "Could not resolve host: index.crates.invalid" in log and "maturin failed" in log, log


def test_sync_v_streams_the_installers_output(home: Path, offline: Path) -> None:  # noqa: F811
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    r = venvd("sync", "-v", cwd=project)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^\s*\+ venvd-demo-alpha==1\.0", r.stderr, re.M), r.stderr


def test_a_missing_tool_is_noticed_at_the_next_entry_once_installed(home: Path, offline: Path,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (project / "poetry.lock").write_text("# a lockfile\n")
    said = export(project)
    assert "not on PATH" in said
    # poetry appears on PATH. (A stand-in that records its call: what is under test is that
    # venvd notices and runs it; test_inputs_poetry.py syncs a real lock with the real poetry.)
    tools = tmp_path / "tools"
    tools.mkdir()
    ran = tmp_path / "poetry-ran"
    (tools / "poetry").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" > "{ran}"\n')
    (tools / "poetry").chmod(0o755)
    said = export(project, PATH=f"{tools}{os.pathsep}{os.environ['PATH']}")
    assert ran.exists(), said
    assert "synced" in said, said


def test_python_2_7_gets_a_line_saying_what_is_supported(home: Path, offline: Path) -> None:  # noqa: F811
    need_python("2.7")
    project = make_project(home / "proj", "2.7")
    said = export(project)
    lines = [x for x in said.splitlines() if "2.7" in x and "supported" in x]
    assert len(lines) == 1, said
    assert "with uv" in lines[0] and "without uv" in lines[0] and "3.6" in lines[0], lines[0]
    assert "-I" not in said and "cause:" not in said, said
    assert not (project / ".venv").exists()
