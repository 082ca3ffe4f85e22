"""Shared fixtures: an isolated home for venvd, real interpreters, real shells."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest

from tests.wheelhouse import find_uv

PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
IN_CI = bool(os.environ.get("CI"))
# Shells are required in CI (a missing one fails); locally a missing one skips.
REQUIRE_SHELLS = IN_CI or bool(os.environ.get("VENVD_REQUIRE_SHELLS"))
# The ecosystem tools (pdm, poetry, pipenv: tests/toolbox.py) likewise, and wherever a run
# named where they are (VENVD_TEST_TOOLS): .ci/run sets that and VENVD_REQUIRE_SHELLS, not CI.
REQUIRE_TOOLS = REQUIRE_SHELLS or bool(os.environ.get("VENVD_TEST_TOOLS"))


def pyenv_python(prefix: str) -> Optional[str]:
    """The real pyenv interpreter whose version starts with *prefix* (newest), or None."""
    found = sorted(
        glob.glob(os.path.join(PYENV_ROOT, "versions", f"{prefix}*", "bin", "python")),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.split("/")[-3].split(".")],
    )
    return found[-1] if found else None


def need_python(prefix: str) -> str:
    path = pyenv_python(prefix)
    if path is None:
        pytest.skip(f"no pyenv Python {prefix} on this machine")
    return path


def venvd_script() -> str:
    """The installed `venvd` console script of the interpreter running the tests."""
    script = os.path.join(os.path.dirname(sys.executable), "venvd")
    assert os.path.exists(script), f"venvd is not installed next to {sys.executable}"
    return script


@pytest.fixture(scope="session")
def tool_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PATH directory holding just uv (so tests do not put the test venv's python on PATH)."""
    directory = tmp_path_factory.mktemp("toolbin")
    uv = find_uv()
    if uv:
        os.symlink(uv, directory / "uv")
    return directory


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def home(tmp_path: Path, tool_bin: Path, uv_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated user: HOME and every venvd directory inside tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "VENVD_DATA_DIR": str(tmp_path / "venvd-data"),
        "VENVD_STATE_DIR": str(tmp_path / "venvd-state"),
        "VENVD_CACHE_DIR": str(tmp_path / "venvd-cache"),
        "VENVD_RUNTIME_DIR": str(tmp_path / "venvd-run"),
        # Where platformdirs would put it under XDG_CONFIG_HOME below, named so no test needs platformdirs.
        "VENVD_CONFIG_DIR": str(home / ".config" / "venvd"),
        "PYENV_ROOT": PYENV_ROOT,
        "PATH": os.pathsep.join([str(tool_bin), "/usr/local/bin", "/usr/bin", "/bin"]),
        "UV_CACHE_DIR": str(uv_cache),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv-python"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    for key in ("VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "VENVD_DIFF", "PYTHONHOME", "PYENV_VERSION",
                "UV_PROJECT_ENVIRONMENT", "_VENVD_DIRS", "_VENVD_OFF", "_VENVD_TOLD"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return home


def which_shell(name: str) -> str:
    path = shutil.which(name, path="/usr/local/bin:/usr/bin:/bin")
    if path is None:
        if REQUIRE_SHELLS:
            pytest.fail(f"{name} is required in CI but is not installed")
        pytest.skip(f"{name} is not installed")
    return path


def allow(path: Path) -> None:
    subprocess.run([venvd_script(), "allow", str(path)], check=True, capture_output=True)


def make_project(path: Path, python: str = "3.12", trusted: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / ".python-version").write_text(f"{python}\n")
    if trusted:
        allow(path)
    return path


@pytest.fixture(params=["bash", "fish", "zsh"])
def shell_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def open_shell(home: Path, tmp_path: Path, shell_name: str) -> Iterator[Callable[..., "Shell"]]:
    """Open a real interactive shell (the one *shell_name* names) with the hook installed."""
    from tests.shellharness import SHELLS, shell_env

    opened: list = []

    def open_(cwd: Optional[Path] = None, extra_rc: str = "", **env: str):
        shell = SHELLS[shell_name](tmp_path / f"rc-{len(opened)}", shell_env(env), cwd or home, extra_rc)
        opened.append(shell)
        return shell.start()

    yield open_
    for shell in opened:
        shell.close()




# The second local user of the shared-machine tests (tests/users.py): `mallory`, `shared_tmp`.
from tests.users import mallory, shared_tmp  # noqa: E402,F401
