"""The test wheelhouse is real: real pip and real uv install and lock from it, offline."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.wheelhouse import (
    FAILING_REQUIREMENT,
    bench_name,
    build_many,
    build_wheelhouse,
    find_uv,
    uv_env,
)

BASE_PYTHON = "/root/.pyenv/versions/3.11.7/bin/python"
if not os.path.exists(BASE_PYTHON):  # elsewhere: any real interpreter will do
    BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


@pytest.fixture(scope="session")
def wheelhouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return uv_env(tmp_path / "uv-cache")


def make_venv(path: Path) -> Path:
    subprocess.run([BASE_PYTHON, "-m", "venv", "--without-pip", str(path)], check=True)
    return path / "bin" / "python"


def versions(python: Path, *modules: str) -> list[str]:
    code = "import importlib,sys; print(*(importlib.import_module(m).__version__ " \
           "for m in sys.argv[1:]))"  # fmt: skip
    out = subprocess.run([str(python), "-c", code, *modules], check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return out.split()


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]


def test_wheels_are_well_formed(wheelhouse_dir: Path) -> None:
    wheels = sorted(p.name for p in wheelhouse_dir.glob("*.whl"))
    assert len(wheels) == 7
    assert "venvd_demo_beta-1.1-py3-none-any.whl" in wheels
    for whl in wheelhouse_dir.glob("*.whl"):
        with zipfile.ZipFile(whl) as zf:
            info = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
            for row in zf.read(info).decode().splitlines():
                name, digest, size = row.split(",")
                if name == info:
                    assert digest == size == ""
                    continue
                data = zf.read(name)
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
                assert digest == "sha256=" + expected.rstrip(b"=").decode()
                assert int(size) == len(data)


def test_rebuild_reuses_existing_wheels(tmp_path: Path) -> None:
    build_wheelhouse(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.whl")}
    marked = tmp_path / "venvd_demo_alpha-1.0-py3-none-any.whl"
    os.utime(marked, ns=(1, 1))
    build_wheelhouse(tmp_path)
    assert marked.stat().st_mtime_ns == 1  # not rewritten
    # Deterministic: a fresh build is byte-identical (stable hashes in lockfiles).
    other = build_wheelhouse(tmp_path / "again")
    assert {p.name: p.read_bytes() for p in other.glob("*.whl")} == before


@pytest.mark.slow
def test_pip_installs_from_wheelhouse(tmp_path: Path, wheelhouse_dir: Path) -> None:
    python = make_venv(tmp_path / "venv")
    # pip >= 22.3 installs into another environment with --python; the venv has no pip.
    r = run([sys.executable, "-m", "pip", "--python", str(python), "install",
             "--no-index", "--find-links", str(wheelhouse_dir), "--no-cache-dir",
             "--disable-pip-version-check", "venvd-demo-beta==1.1"],
            env=dict(os.environ, PIP_CONFIG_FILE=os.devnull))  # fmt: skip
    assert r.returncode == 0, r.stderr
    beta, alpha = versions(python, "venvd_demo_beta", "venvd_demo_alpha")
    assert beta == "1.1"
    assert alpha in ("1.1", "2.0")  # beta 1.1 requires alpha>=1.1


@pytest.mark.slow
def test_uv_installs_from_wheelhouse(tmp_path: Path, wheelhouse_dir: Path,
                                     env: dict[str, str]) -> None:  # fmt: skip
    python = make_venv(tmp_path / "venv")
    r = run([find_uv(), "pip", "install", "--python", str(python), "--offline", "--no-index",
             "--find-links", str(wheelhouse_dir), "venvd-demo-beta==1.1",
             "venvd-demo-alpha<2", "venvd-demo-gamma[fast]"], env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert versions(python, "venvd_demo_beta", "venvd_demo_alpha", "venvd_demo_gamma",
                    "venvd_demo_delta") == ["1.1", "1.1", "0.1", "1.0"]  # fmt: skip


@pytest.mark.slow
def test_failing_requirement_fails(tmp_path: Path, wheelhouse_dir: Path,
                                   env: dict[str, str]) -> None:  # fmt: skip
    python = make_venv(tmp_path / "venv")
    r = run([find_uv(), "pip", "install", "--python", str(python), "--offline", "--no-index",
             "--find-links", str(wheelhouse_dir), FAILING_REQUIREMENT], env=env)  # fmt: skip
    assert r.returncode != 0
    assert "venvd-demo-alpha" in r.stderr


@pytest.mark.slow
def test_uv_lock_and_sync_offline(tmp_path: Path, wheelhouse_dir: Path,
                                  env: dict[str, str]) -> None:  # fmt: skip
    project = tmp_path / "proj"
    project.mkdir()
    # No [build-system]: uv treats the project as virtual and installs only its deps.
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\n'
        'dependencies = ["venvd-demo-beta"]\n'
    )
    offline = ["--offline", "--no-index", "--find-links", str(wheelhouse_dir),
               "--python", BASE_PYTHON]  # fmt: skip
    r = run([find_uv(), "lock", *offline], cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    lock = (project / "uv.lock").read_text()
    assert 'name = "venvd-demo-beta"\nversion = "1.1"' in lock
    r = run([find_uv(), "sync", "--locked", *offline], cwd=project, env=env)
    assert r.returncode == 0, r.stderr
    python = project / ".venv" / "bin" / "python"
    assert versions(python, "venvd_demo_beta", "venvd_demo_alpha") == ["1.1", "2.0"]

    # The same through the environment alone (how a sync test can drive venvd's own uv).
    env2 = dict(env, UV_NO_INDEX="1", UV_FIND_LINKS=str(wheelhouse_dir), UV_PYTHON=BASE_PYTHON,
                UV_PROJECT_ENVIRONMENT=str(tmp_path / "env2"))  # fmt: skip
    r = run([find_uv(), "sync", "--locked"], cwd=project, env=env2)
    assert r.returncode == 0, r.stderr
    assert versions(tmp_path / "env2" / "bin" / "python", "venvd_demo_beta") == ["1.1"]


@pytest.mark.slow
def test_build_many_installs(tmp_path: Path, env: dict[str, str]) -> None:
    wh = build_many(tmp_path / "bench", n=25)
    assert len(list(wh.glob("*.whl"))) == 25
    python = make_venv(tmp_path / "venv")
    names = [bench_name(i) for i in range(1, 26)]
    r = run([find_uv(), "pip", "install", "--python", str(python), "--offline", "--no-index",
             "--find-links", str(wh), *names], env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert versions(python, "venvd_bench_01", "venvd_bench_25") == ["1.0", "1.0"]
