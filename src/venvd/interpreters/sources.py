"""Where real Pythons live: PATH, ``$PYENV_ROOT/versions``, uv's pythons, the ``py`` launcher.

What is never a candidate: a shim (pyenv, asdf, mise: a script that runs a version manager),
a venv's copy or link of its base interpreter, a ``#!`` script, a relative PATH entry (it
would resolve inside the untrusted project), a Windows Store alias. Everything here is
``os.stat``/``os.listdir``; only the ``py`` launcher is run, and only on Windows.
"""

from __future__ import annotations

import os

from .probe import NO_WINDOW, PROBE_TIMEOUT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

WINDOWS = os.name == "nt"


def _home(env: Mapping[str, str]) -> str:
    home = env.get("HOME") or (env.get("USERPROFILE") if WINDOWS else None)
    return home or os.path.expanduser("~")


def _data_home(env: Mapping[str, str]) -> str:
    xdg = env.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return xdg
    return os.path.join(_home(env), ".local", "share")


def pyenv_root(environ: Mapping[str, str] | None = None) -> str:
    """``$PYENV_ROOT``, else ``~/.pyenv`` (pyenv-win: ``~/.pyenv/pyenv-win``)."""
    env = os.environ if environ is None else environ
    root = env.get("PYENV_ROOT")
    if root and os.path.isabs(root):
        return root
    if WINDOWS:
        return os.path.join(_home(env), ".pyenv", "pyenv-win")
    return os.path.join(_home(env), ".pyenv")


def uv_python_dir(env: Mapping[str, str]) -> str:
    """Where ``uv python install`` puts its Pythons (``$UV_PYTHON_INSTALL_DIR``, else uv's data dir)."""
    d = env.get("UV_PYTHON_INSTALL_DIR")
    if d and os.path.isabs(d):
        return d
    if WINDOWS and env.get("APPDATA"):
        return os.path.join(env["APPDATA"], "uv", "data", "python")
    return os.path.join(_data_home(env), "uv", "python")


def shim_dirs(env: Mapping[str, str]) -> set[str]:
    """The shim dirs of pyenv, asdf and mise, normalised for comparison."""
    dirs = [os.path.join(pyenv_root(env), "shims")]
    asdf = env.get("ASDF_DATA_DIR")
    dirs.append(os.path.join(asdf, "shims") if asdf else os.path.join(_home(env), ".asdf", "shims"))
    mise = env.get("MISE_DATA_DIR")
    dirs.append(os.path.join(mise, "shims") if mise else os.path.join(_data_home(env), "mise", "shims"))
    return {os.path.normcase(os.path.normpath(d)) for d in dirs}


def is_shim_dir(d: str, shims: set[str]) -> bool:
    """Whether ``d`` holds shims: one of ``shims`` (from ``shim_dirs``), or any dir named so."""
    norm = os.path.normcase(os.path.normpath(d))
    # pyenv, asdf, mise, rbenv, pyenv-win all call it "shims"; a shim can't tell us which
    # Python it stands for without running a version manager.
    return norm in shims or os.path.basename(norm) == "shims"


def is_venv_dir(bin_dir: str) -> bool:
    """Whether ``bin_dir`` is a venv's bin/Scripts dir (pyvenv.cfg next to it or one up)."""
    return os.path.isfile(os.path.join(os.path.dirname(bin_dir), "pyvenv.cfg")) or os.path.isfile(
        os.path.join(bin_dir, "pyvenv.cfg")
    )


def under(path: str, root: str) -> bool:
    """Whether the resolved ``path`` lies inside ``root`` (resolved here)."""
    path = os.path.normcase(path)
    root = os.path.normcase(os.path.realpath(root)).rstrip(os.sep) + os.sep
    return path.startswith(root)


def path_dirs(env: Mapping[str, str]) -> list[str]:
    """PATH entries worth scanning, in order."""
    shims = shim_dirs(env)
    out = []
    seen = set()
    for d in env.get("PATH", os.defpath).split(os.pathsep):
        # A relative entry ("", ".", "bin") would resolve inside the (untrusted) project.
        if not d or d in seen or not os.path.isabs(d):
            continue
        seen.add(d)
        if is_shim_dir(d, shims) or is_venv_dir(d):
            continue
        if WINDOWS and os.path.basename(os.path.normpath(d)).lower() == "windowsapps":
            continue  # Store "app execution alias" stubs: running one may open the Store
        out.append(d)
    return out


def _is_python_name(name: str) -> bool:
    """python, python3, python3.12, python3.13t, pypy, pypy3, pypy3.10 (+ .exe on Windows)."""
    if WINDOWS:
        name = name.lower()
        if not name.endswith(".exe"):
            return False
        name = name[:-4]
    if name.startswith("python"):
        rest = name[6:]
        if rest.endswith("t"):
            rest = rest[:-1]
    elif name.startswith("pypy"):
        rest = name[4:]
    else:
        return False
    if not rest:
        return True
    major, dot, minor = rest.partition(".")
    return major.isdigit() and major.isascii() and (not dot or (minor.isdigit() and minor.isascii()))


def is_binary(path: str) -> bool:
    """An executable regular file that is not a ``#!`` script (pyenv/asdf shims are scripts)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if (st.st_mode & 0o170000) != 0o100000:
        return False
    if not WINDOWS and not os.access(path, os.X_OK):
        return False
    from ..safeio import UnsafeFile, read_prefix

    try:
        return read_prefix(path, 2) != b"#!"
    except (OSError, UnsafeFile):
        return False


def in_venv(binary: str) -> bool:
    """Whether ``binary`` sits in a venv's bin/Scripts dir."""
    return is_venv_dir(os.path.dirname(binary))


def scan_bin_dir(d: str) -> list[str]:
    """Real paths of the Python binaries in ``d``, de-duplicated, sorted by name."""
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return []
    out: list[str] = []
    for name in names:
        if not _is_python_name(name):
            continue
        real = os.path.realpath(os.path.join(d, name))
        if real in out or not is_binary(real) or in_venv(real):
            continue
        out.append(real)
    return out


def scan_tree(root: str) -> list[str]:
    """The bin dirs of the installations in ``root`` (pyenv versions dir, uv python dir)."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    out = []
    for name in names:
        if name.startswith("."):  # uv's .lock, .temp, .cache
            continue
        # pyenv-win and uv on Windows put python.exe in the installation dir itself.
        bin_dir = os.path.join(root, name) if WINDOWS else os.path.join(root, name, "bin")
        if os.path.isdir(bin_dir):
            out.append(bin_dir)
    return out


def parse_py_list_paths(text: str) -> list[str]:
    """Paths from ``py --list-paths`` output (both the 3.11+ and the older launcher format).

    New: `` -V:3.12 *        C:\\Python312\\python.exe``; old: `` -3.9-64        C:\\...\\python.exe *``.
    """
    out = []
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) != 2 or not parts[0].startswith("-"):
            continue
        rest = parts[1].strip()
        if rest.startswith("*"):
            rest = rest[1:].strip()
        if rest.endswith(" *"):
            rest = rest[:-2].rstrip()
        if rest.lower().endswith(".exe") and rest not in out:
            out.append(rest)
    return out


def py_launcher_paths(env: Mapping[str, str]) -> list[str]:
    """The Pythons the Windows ``py`` launcher knows (``py --list-paths``); [] without one."""
    import shutil
    import subprocess

    py = shutil.which("py", path=env.get("PATH"))
    if not py:
        return []
    try:
        res = subprocess.run(
            [py, "--list-paths"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT,
            creationflags=NO_WINDOW,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [os.path.realpath(p) for p in parse_py_list_paths(res.stdout.decode("utf-8", "replace"))]


def python3_on_path(env: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(dir, file) for each absolute PATH dir holding an executable ``python3``, in order."""
    name = "python.exe" if WINDOWS else "python3"
    seen = set()
    for d in env.get("PATH", os.defpath).split(os.pathsep):
        if not d or d in seen or not os.path.isabs(d):
            continue
        seen.add(d)
        path = os.path.join(d, name)
        if os.path.isfile(path) and (WINDOWS or os.access(path, os.X_OK)):
            yield d, path
