"""A Python the project asks for and the machine lacks is installed by uv — when the user
allows it — and the venv is made with it. Otherwise the line names the exact command.

Nothing is downloaded: the test builds a mirror uv's real download code installs from,
offline. It packages a pyenv Python already on this machine (trimmed: no test suite, no
site-packages) in the python-build-standalone "install_only" layout (``python/bin/python3.X``,
``python/lib/...``) as a .tar.gz, and describes it in a downloads JSON that
``UV_PYTHON_DOWNLOADS_JSON_URL`` points at (uv reads that file instead of its built-in list),
with a ``file://`` URL and the archive's sha256. The test machine "lacks" that Python
because ``PYENV_ROOT`` points at an empty directory, so only /usr/bin's python3.11 is found.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import PYENV_ROOT, make_project, need_python, venvd_script

pytestmark = pytest.mark.slow

SKIP_DIRS = {"test", "site-packages", "__pycache__", "idlelib", "tkinter", "turtledemo", "lib2to3"}


def _pyenv_39() -> tuple[Path, str]:
    python = Path(need_python("3.9"))
    version = python.parent.parent.name  # e.g. 3.9.18
    return python.parent.parent, version


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(downloads JSON, the version it offers)."""
    prefix, version = _pyenv_39()
    major, minor, patch = (int(p) for p in version.split("."))
    where = tmp_path_factory.mktemp("python-mirror")
    archive = where / f"cpython-{version}+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz"

    def keep(info: tarfile.TarInfo) -> "tarfile.TarInfo | None":
        return None if SKIP_DIRS & set(info.name.split("/")) or "/config-" in info.name else info

    lib = f"python{major}.{minor}"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(prefix / "bin" / lib, f"python/bin/{lib}")
        for name in ("python3", "python"):
            link = tarfile.TarInfo(f"python/bin/{name}")
            link.type, link.linkname = tarfile.SYMTYPE, lib
            tar.addfile(link)
        for shared in (prefix / "lib").glob("libpython*.so*"):
            tar.add(shared, f"python/lib/{shared.name}")
        tar.add(prefix / "lib" / lib, f"python/lib/{lib}", filter=keep)
    sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
    key = f"cpython-{version}-linux-x86_64-gnu"
    downloads = {key: {
        "name": "cpython", "arch": {"family": "x86_64", "variant": None}, "os": "linux", "libc": "gnu",
        "major": major, "minor": minor, "patch": patch, "prerelease": "", "url": archive.as_uri(),
        "sha256": sha256, "variant": None, "build": "20990101",
    }}
    path = where / "downloads.json"
    path.write_text(json.dumps(downloads))
    return path, version


@pytest.fixture
def lacking(home: Path, tmp_path: Path, mirror: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine without Python 3.9 (pyenv empty), uv pointed at the local mirror, no
    UV_PYTHON_DOWNLOADS; returns the user config dir."""
    empty = tmp_path / "pyenv-empty"
    (empty / "versions").mkdir(parents=True)
    monkeypatch.setenv("PYENV_ROOT", str(empty))
    monkeypatch.delenv("UV_PYTHON_DOWNLOADS", raising=False)
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS_JSON_URL", mirror[0].as_uri())
    config = tmp_path / "venvd-config"
    config.mkdir()
    monkeypatch.setenv("VENVD_CONFIG_DIR", str(config))
    return config


def project_asking(home: Path, request: str) -> Path:
    # make_project allows it with the real pyenv; the allow itself does not look for a Python.
    return make_project(home / "proj", request)


def cd(project: Path, **extra: str) -> subprocess.CompletedProcess:
    """`venvd export json` as the hook runs it on entering *project*."""
    env = dict(os.environ, PWD=str(project), **extra)
    return subprocess.run([sys.executable, "-I", "-m", "venvd", "export", "json"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


def venv_python(project: Path, code: str) -> str:
    out = subprocess.run([str(project / ".venv" / "bin" / "python"), "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def uv_pythons() -> list[str]:
    root = Path(os.environ["UV_PYTHON_INSTALL_DIR"])
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) if root.is_dir() else []


def test_with_python_downloads_automatic_the_missing_python_is_installed_and_the_venv_uses_it(
        lacking: Path, home: Path, mirror: tuple[Path, str]) -> None:
    version = mirror[1]
    (lacking / "config.toml").write_text('python-downloads = "automatic"\n')
    project = project_asking(home, "3.9")
    result = cd(project)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "venvd: installing Python 3.9 with uv" in result.stderr
    data = json.loads(result.stdout)
    assert data["set"]["VIRTUAL_ENV"] == str(project / ".venv")
    assert venv_python(project, "import sys; print('%d.%d.%d' % sys.version_info[:3])") == version
    base = venv_python(project, "import sys; print(sys.base_prefix)")
    assert base.startswith(os.environ["UV_PYTHON_INSTALL_DIR"]), base
    # Not also linked into ~/.local/bin (a cd adds no commands to the user's PATH).
    assert not (home / ".local" / "bin" / "python3.9").exists()
    # The next entry finds it installed: nothing is installed again.
    (project / ".venv" / "pyvenv.cfg").touch()
    again = cd(project)
    assert again.returncode == 0 and "installing" not in again.stderr, again.stderr


@pytest.mark.shells
def test_in_a_real_shell_cd_installs_the_python_and_activates_its_venv(
        lacking: Path, home: Path, mirror: tuple[Path, str], open_shell) -> None:  # noqa: ANN001
    (lacking / "config.toml").write_text('python-downloads = "automatic"\n')
    project = project_asking(home, "3.9")
    shell = open_shell()
    out = shell.run(f"cd {shlex.quote(str(project))}")
    assert "installing Python 3.9 with uv" in out and "installed Python 3.9" in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shown = shell.run("python -c 'import sys; print(sys.version.split()[0], sys.base_prefix)'").splitlines()[-1]
    assert shown.split()[0] == mirror[1]
    assert shown.split()[1].startswith(os.environ["UV_PYTHON_INSTALL_DIR"])


def test_UV_PYTHON_DOWNLOADS_automatic_also_allows_it_for_an_exact_version(
        lacking: Path, home: Path, mirror: tuple[Path, str]) -> None:
    version = mirror[1]
    project = project_asking(home, version)
    result = cd(project, UV_PYTHON_DOWNLOADS="automatic")
    assert result.returncode == 0, result.stderr
    assert f"installing Python {version} with uv (UV_PYTHON_DOWNLOADS=automatic)" in result.stderr
    assert venv_python(project, "import sys; print('%d.%d.%d' % sys.version_info[:3])") == version


def test_without_permission_the_line_names_the_exact_command_and_that_command_works(
        lacking: Path, home: Path, mirror: tuple[Path, str]) -> None:
    project = project_asking(home, "3.9")
    result = cd(project)
    assert uv_pythons() == [], "nothing is downloaded without the user's permission"
    lines = [line for line in result.stderr.splitlines() if line.startswith("venvd:")]
    assert len(lines) == 1, result.stderr
    assert "no Python matching '3.9'" in lines[0]
    assert "run: uv python install 3.9 (or set python-downloads = \"automatic\" in" in lines[0]
    assert str(lacking / "config.toml") in lines[0]
    assert not (project / ".venv").exists()
    # The command the line names, as the user would type it, makes the next cd work.
    command = lines[0].split("run: ", 1)[1].split(" (or set", 1)[0]
    subprocess.run(shlex.split(command), check=True, capture_output=True, cwd=home)
    again = cd(project)
    assert again.returncode == 0 and "creating" in again.stderr, again.stderr
    assert venv_python(project, "import sys; print('%d.%d.%d' % sys.version_info[:3])") == mirror[1]


@pytest.mark.parametrize(("config", "env"), [("automatic", "never"), ("never", "automatic"), ("never", None)],
                         ids=["env-never", "config-never", "config-never-alone"])
def test_never_in_either_place_means_never(lacking: Path, home: Path, config: str, env: "str | None") -> None:
    (lacking / "config.toml").write_text(f'python-downloads = "{config}"\n')
    project = project_asking(home, "3.9")
    result = cd(project, **({"UV_PYTHON_DOWNLOADS": env} if env else {}))
    assert uv_pythons() == []
    assert "installing" not in result.stderr
    assert "Python downloads are off" in result.stderr, result.stderr
    assert not (project / ".venv").exists()


def test_status_says_what_the_next_cd_will_do(lacking: Path, home: Path) -> None:
    project = project_asking(home, "3.9")
    (lacking / "config.toml").write_text('python-downloads = "automatic"\n')
    out = subprocess.run([venvd_script(), "status", str(project)], capture_output=True, text=True)
    assert "venvd installs it with 'uv python install 3.9' when it creates the venv" in out.stdout, out.stdout
    assert uv_pythons() == [], "status changes nothing"


def test_a_bad_user_config_is_one_line_naming_the_file(lacking: Path, home: Path) -> None:
    (lacking / "config.toml").write_text('python-downloads = "sometimes"\n')
    project = project_asking(home, "3.9")
    result = cd(project)
    assert "Traceback" not in result.stderr
    assert f"{lacking / 'config.toml'}: python-downloads = 'sometimes' is not one of" in result.stderr
    assert uv_pythons() == []


def test_a_user_config_writable_by_others_grants_nothing(lacking: Path, home: Path) -> None:
    path = lacking / "config.toml"
    path.write_text('python-downloads = "automatic"\n')
    path.chmod(0o666)
    project = project_asking(home, "3.9")
    result = cd(project)
    assert uv_pythons() == []
    assert "is writable by others" in result.stderr and "chmod go-w" in result.stderr, result.stderr


def test_a_failed_install_is_said_once_and_not_retried_at_every_prompt(
        lacking: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"cpython-3.9.99-linux-x86_64-gnu": {
        "name": "cpython", "arch": {"family": "x86_64", "variant": None}, "os": "linux", "libc": "gnu",
        "major": 3, "minor": 9, "patch": 99, "prerelease": "", "url": (tmp_path / "gone.tar.gz").as_uri(),
        "sha256": "0" * 64, "variant": None, "build": "20990101"}}))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS_JSON_URL", broken.as_uri())
    (lacking / "config.toml").write_text('python-downloads = "automatic"\n')
    project = project_asking(home, "3.9")
    first = cd(project)
    assert "installing Python 3.9 with uv" in first.stderr
    assert "installing Python 3.9 failed: uv python install said: " in first.stderr, first.stderr
    second = cd(project)
    assert "with uv (" not in second.stderr, "the next prompt does not start uv again"
    assert "installing Python 3.9 with uv failed before" in second.stderr and "'venvd sync' tries again" in \
        second.stderr, second.stderr
    retried = subprocess.run([venvd_script(), "sync", str(project)], capture_output=True, text=True)
    assert "venvd: installing Python 3.9 with uv (" in retried.stderr, retried.stderr
    assert retried.returncode != 0


def test_system_and_pyenv_names_are_never_sent_to_uv(lacking: Path, home: Path) -> None:
    (lacking / "config.toml").write_text('python-downloads = "automatic"\n')
    project = project_asking(home, "miniconda3-latest")
    result = cd(project)
    assert "installing" not in result.stderr and uv_pythons() == []
    assert "not in" in result.stderr and str(Path(os.environ["PYENV_ROOT"]) / "versions") in result.stderr


def test_the_mirror_really_is_a_python_not_on_this_test_machine(lacking: Path) -> None:
    from venvd.interpreters import discover

    assert PYENV_ROOT != os.environ["PYENV_ROOT"]
    assert not [i for i in discover(use_cache=False) if i.version.startswith("3.9")]


def test_the_command_names_venvd_s_own_uv_by_its_path_when_uv_is_not_on_path(
        lacking: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from venvd.venv import find_uv

    monkeypatch.setenv("PATH", "/usr/local/bin:/usr/bin:/bin")  # no uv here: the venvd[uv] extra's
    bundled = find_uv()
    if bundled is None:
        pytest.skip("uv is not installed with venvd here")
    project = project_asking(home, "3.9")
    result = cd(project)
    assert f"run: {shlex.quote(bundled)} python install 3.9 (or set" in result.stderr, result.stderr
