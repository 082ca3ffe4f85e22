"""A poetry.lock is synced by the real poetry into venvd's venv, and the env is the one
``poetry sync`` builds by hand, distribution by distribution (issue 10, "Tests").

poetry reads packages only from an index over HTTP: a directory of wheels is no source for
it (python-poetry/poetry#5983, #8919). So the test wheelhouse is served as a PEP 503 simple
index on the loopback interface by a server in this process, the project's only source
(a primary source turns PyPI off): no network is used, only 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import html
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import make_project, need_python
from tests.test_sync import ALPHA, BETA, DELTA, GAMMA, export, offline, packages, wheelhouse  # noqa: F401
from tests.toolbox import put_on_path
from tests.wheelhouse import write_wheel
from venvd.installers import SEED_PACKAGES
from venvd.sync.envstate import snapshot

pytestmark = pytest.mark.slow


def _index_handler(wheels: Path) -> type[http.server.BaseHTTPRequestHandler]:
    class Index(http.server.BaseHTTPRequestHandler):
        """``/simple/<name>/``: the wheels of <name> in *wheels* now (a wheel added later is
        listed from then on); ``/files/<wheel>``: the wheel."""

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if len(parts) == 2 and parts[0] == "simple":
                name = parts[1].lower().replace("_", "-").replace(".", "-")
                links = "".join(
                    f'<a href="/files/{html.escape(w.name)}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
                    f"{html.escape(w.name)}</a>\n"
                    for w in sorted(wheels.glob("*.whl")) if w.name.split("-")[0].replace("_", "-") == name)
                self._send(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode(), "text/html")
            elif len(parts) == 2 and parts[0] == "files" and (wheels / parts[1]).is_file():
                self._send((wheels / parts[1]).read_bytes(), "application/octet-stream")
            else:
                self.send_error(404)

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Index


@pytest.fixture
def served(tmp_path: Path, wheelhouse: Path) -> Iterator[tuple[Path, str]]:  # noqa: F811
    """(the wheel directory, the URL of its simple index on 127.0.0.1). Alpha 2.0 is left
    out: a test adds it after locking, so a fresh resolution would differ from the lock."""
    wheels = tmp_path / "served"
    wheels.mkdir()
    for wheel in wheelhouse.iterdir():
        if "alpha-2.0" not in wheel.name:
            shutil.copy(wheel, wheels)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _index_handler(wheels))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield wheels, f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def poetry(home: Path, offline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    """The real poetry first on PATH, with its cache and config in the test's own dirs."""
    tool = put_on_path("poetry", tmp_path / "poetrybin", monkeypatch)
    for key, value in {"POETRY_CACHE_DIR": str(tmp_path / "poetry-cache"),
                       "POETRY_CONFIG_DIR": str(tmp_path / "poetry-config"),
                       "POETRY_DATA_DIR": str(tmp_path / "poetry-data"),
                       # no keyring daemon to ask for the source's (absent) credentials
                       "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
                       "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}.items():
        monkeypatch.setenv(key, value)
    return tool


def _pyproject(project: Path, index: str, dependencies: list[str]) -> None:
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.9"\ndependencies = [{deps}]\n\n'
        '[tool.poetry]\npackage-mode = false\n\n'
        f'[tool.poetry.group.dev.dependencies]\n"{DELTA}" = "*"\n\n'
        f'[[tool.poetry.source]]\nname = "wheelhouse"\nurl = "{index}"\npriority = "primary"\n')


def _poetry(poetry: str, *args: str, cwd: Path, venv: Path) -> None:
    env = dict(os.environ, VIRTUAL_ENV=str(venv), POETRY_VIRTUALENVS_CREATE="false",
               PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
    r = subprocess.run([poetry, *args, "--no-interaction"], cwd=cwd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _by_hand(poetry: str, project: Path, where: Path) -> dict[str, str]:
    """The env `poetry sync` builds from the lock by hand, in a fresh venv of the same Python."""
    if where.exists():
        shutil.rmtree(where)
    subprocess.run([need_python("3.12"), "-m", "venv", str(where)], check=True, capture_output=True)
    _poetry(poetry, "sync", cwd=project, venv=where)
    return _without_seeds(snapshot(str(where)))


def _without_seeds(dists: dict[str, str]) -> dict[str, str]:
    return {name: version for name, version in dists.items() if name not in SEED_PACKAGES}


def test_a_poetry_lock_is_synced_by_poetry_as_poetry_sync_builds_it(
        poetry: str, served: tuple[Path, str], home: Path, tmp_path: Path) -> None:
    wheels, index = served
    project = make_project(home / "proj", "3.12")
    _pyproject(project, index, [BETA, f"{GAMMA}[fast]"])
    lock_venv = tmp_path / "lock-venv"
    subprocess.run([need_python("3.12"), "-m", "venv", str(lock_venv)], check=True, capture_output=True)
    _poetry(poetry, "lock", cwd=project, venv=lock_venv)
    write_wheel(wheels, ALPHA, "2.0")  # after the lock: poetry must follow the lock's 1.1

    said = export(project)
    assert "with poetry" in said and "poetry.lock" in said and "synced" in said, said
    expected = _by_hand(poetry, project, tmp_path / "by-hand")
    assert expected == {ALPHA: "1.1", BETA: "1.1", GAMMA: "0.1", DELTA: "1.0"}, "main and dev, as locked"
    assert _without_seeds(packages(project)) == expected, "distribution by distribution"
    assert sorted(p.name for p in project.iterdir()) == [".python-version", ".venv", "poetry.lock", "pyproject.toml"]

    # Exact: a new lock is followed, and what it no longer names goes (beta, and the alpha
    # only beta required), as `poetry sync` removes it by hand.
    _pyproject(project, index, [f"{GAMMA}[fast]"])
    _poetry(poetry, "lock", cwd=project, venv=lock_venv)
    said = export(project)
    assert "synced" in said, said
    expected = _by_hand(poetry, project, tmp_path / "by-hand")
    assert _without_seeds(packages(project)) == expected == {GAMMA: "0.1", DELTA: "1.0"}, said
