"""Virtual environments: their layout, whether venvd made them, and creating them.

venvd marks a venv it created with ``<venv>/.venvd/created``.  Only such a venv is
ever recreated or removed; a venv the user made is used as it is.
"""

from __future__ import annotations

import os
import time
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

from .envdiff import decode_pairs, encode_pairs
from .errors import VenvdError

STATE_DIR = ".venvd"  # inside the venv: venvd's marker and sync records
CREATED = "created"


def is_windows() -> bool:
    return os.name == "nt"


def bin_dir(venv: str, windows: Optional[bool] = None) -> str:
    windows = is_windows() if windows is None else windows
    return os.path.join(venv, "Scripts" if windows else "bin")


def python_path(venv: str, windows: Optional[bool] = None) -> str:
    windows = is_windows() if windows is None else windows
    return os.path.join(bin_dir(venv, windows), "python.exe" if windows else "python")


def read_pyvenv_cfg(venv: str) -> Optional[dict[str, str]]:
    """The ``key = value`` pairs of ``pyvenv.cfg``, or None when there is none."""
    from .safeio import LIMIT_SMALL, UnsafeFile, read_text

    try:
        lines = read_text(os.path.join(venv, "pyvenv.cfg"), LIMIT_SMALL, errors="replace").splitlines()
    except (OSError, UnsafeFile):
        return None  # a FIFO or huge pyvenv.cfg (safeio) is no venv's either
    cfg = {}
    for line in lines:
        key, eq, value = line.partition("=")
        if eq:
            cfg[key.strip().lower()] = value.strip()
    return cfg


def cfg_version(cfg: dict[str, str]) -> Optional[str]:
    # stdlib venv writes `version`, virtualenv and uv write `version_info`.
    return cfg.get("version") or cfg.get("version_info")


def read_marker(venv: str) -> Optional[dict[str, str]]:
    """venvd's record of having created *venv*, or None for a venv venvd did not make."""
    from .safeio import LIMIT_SMALL, UnsafeFile, read_text

    try:
        text = read_text(os.path.join(venv, STATE_DIR, CREATED), LIMIT_SMALL).strip()
    except (OSError, UnicodeDecodeError, UnsafeFile):
        return None  # venvd writes UTF-8 regular files: anything else is not its marker
    return {k: v or "" for k, v in decode_pairs(text)}


def write_marker(venv: str, **fields: str) -> None:
    directory = os.path.join(venv, STATE_DIR)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, CREATED)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(encode_pairs(sorted(fields.items())) + "\n")
    os.replace(tmp, path)


def _failure_file(venv: str) -> str:
    from .paths import path_key, state_dir

    return os.path.join(state_dir(), "failed-creations", path_key(os.path.abspath(venv)))


def remembered_failure(venv: str, attempt: str) -> Optional[str]:
    """What went wrong when creating *venv* for the same *attempt* (request and
    interpreter) before, or None. Like a failed sync, a failed or interrupted creation
    is not retried on every prompt: only when the request changes or on `venvd sync`."""
    try:
        with open(_failure_file(venv), encoding="utf-8") as f:
            fields = dict(decode_pairs(f.read().rstrip("\n")))
    except OSError:
        return None
    if fields.get("venv") != os.path.abspath(venv) or fields.get("attempt") != attempt:
        return None
    return fields.get("error") or "failed"


def remember_failure(venv: str, attempt: str, error: str) -> None:
    path = _failure_file(venv)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(encode_pairs([("venv", os.path.abspath(venv)), ("attempt", attempt), ("error", error)]) + "\n")
    except OSError:
        pass  # remembering is a courtesy; the next prompt would simply try again


def forget_failure(venv: str) -> None:
    try:
        os.unlink(_failure_file(venv))
    except OSError:
        pass


def is_usable(venv: str) -> bool:
    return read_pyvenv_cfg(venv) is not None and os.path.exists(python_path(venv))


def bundled_pip_dir(interpreter_path: str, version: str) -> Optional[str]:
    """The directory of the pip wheel bundled with the interpreter's ensurepip."""
    import glob

    prefix = os.path.dirname(os.path.dirname(os.path.realpath(interpreter_path)))
    major_minor = ".".join(version.split(".")[:2])
    for pattern in (
        os.path.join(prefix, "lib", f"python{major_minor}*", "ensurepip", "_bundled", "pip-*.whl"),
        os.path.join(prefix, "Lib", "ensurepip", "_bundled", "pip-*.whl"),
    ):
        found = glob.glob(pattern)
        if found:
            return os.path.dirname(found[0])
    return None


def find_uv() -> Optional[str]:
    """uv from PATH, or from the ``venvd[uv]`` extra installed next to venvd."""
    import shutil

    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]

        return str(find_uv_bin())
    except Exception:  # noqa: BLE001 - the extra is optional and may be broken
        return None


def _run(argv: list[str], what: str) -> None:
    import subprocess

    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        raise VenvdError(f"{what} failed: cannot run {argv[0]}: {exc.strerror}") from None
    if result.returncode != 0:
        from .sync.progress import meaningful

        output = result.stdout.decode("utf-8", "replace").strip().splitlines()
        shown = " | ".join(meaningful(output, limit=3)) or f"exit status {result.returncode}"
        raise VenvdError(f"{what} failed: {shown}")


# What venvd can make a venv for; said whenever an interpreter is outside it.
UV_MINIMUM = (3, 6)  # uv inspects interpreters with `-I` (3.4+) and supports 3.6 and newer
VENV_MINIMUM = (3, 3)  # the standard library's venv module


def _version_tuple(version: str) -> tuple[int, int]:
    parts = [int(p) if p.isdigit() else 0 for p in (version.split(".") + ["0"])[:2]]
    return parts[0], parts[1]


def unsupported(version: str, interpreter_path: str) -> str:
    return (f"Python {version} ({interpreter_path}) is not supported: venvd makes venvs for Python 3, "
            f"{UV_MINIMUM[0]}.{UV_MINIMUM[1]} or newer with uv, {VENV_MINIMUM[0]}.{VENV_MINIMUM[1]} or newer "
            "without uv (the venv module); ask for a Python 3 in .python-version (a venv you make "
            "yourself, e.g. with virtualenv, is used as it is)")


def _create_in_place(venv: str, interpreter_path: str, version: str, prompt: str, uv: Optional[str],
                     seed_pip: bool) -> None:
    if _version_tuple(version) < VENV_MINIMUM:
        raise VenvdError(unsupported(version, interpreter_path))
    if uv and _version_tuple(version) < UV_MINIMUM:
        uv = None  # uv cannot inspect it; the venv module can
    if uv:
        # --no-config: no uv.toml from the project's parents (another user's /tmp) is read.
        try:
            _run([uv, "venv", "--no-config", "--quiet", "--allow-existing", "--python", interpreter_path,
                  "--prompt", prompt, venv], f"creating {venv} with uv")
        except VenvdError as exc:
            if "inspect python interpreter" not in str(exc).lower() and "can't use python" not in str(exc).lower():
                raise
            uv = None  # an interpreter uv cannot use: the venv module makes it
        else:
            pip_dir = bundled_pip_dir(interpreter_path, version)
            if not seed_pip:
                pass  # a uv.lock venv: exactly what `uv sync --locked` installs (no pip)
            elif pip_dir:
                # pip inside the venv, so `pip install` there never reaches a global
                # site-packages; the wheel ensurepip bundles installs offline in ~0.1 s.
                _run([uv, "pip", "install", "--no-config", "--quiet", "--python", python_path(venv), "--offline",
                      "--no-index", "--find-links", pip_dir, "pip"], "installing pip into the venv")
            else:
                _run([python_path(venv), "-m", "ensurepip", "--default-pip"], "installing pip into the venv")
    if not uv:
        named = ["--prompt", prompt] if _version_tuple(version) >= (3, 6) else []  # --prompt came in 3.6
        _run([interpreter_path, "-m", "venv", *named, venv], f"creating {venv}")
        gitignore = os.path.join(venv, ".gitignore")
        if not os.path.exists(gitignore):
            with open(gitignore, "w", encoding="utf-8") as f:
                f.write("# created by venvd\n*\n")


def create(venv: str, interpreter_path: str, version: str, prompt: str, request: str, uv: Optional[str],
           seed_pip: bool = True) -> None:
    """Create *venv* from the interpreter (or replace the venvd-made venv there), with
    *uv* when given, else the standard library's venv module. Without *seed_pip* (a
    uv.lock sync follows, which would remove pip and put it back) pip is left to the sync.

    The venv that was there stays in place until the new one is complete, so a
    failed creation leaves the previous environment working.
    """
    import shutil

    from .locking import FileLock, venv_lock_path

    with FileLock(venv_lock_path(venv)):
        marker = read_marker(venv)
        if marker is not None and marker.get("request") == request and marker.get("interpreter") == interpreter_path \
                and is_usable(venv):
            return  # another shell made it while we waited for the lock
        old = None
        if os.path.lexists(venv):
            if marker is None:
                raise VenvdError(f"{venv} exists and was not made by venvd; it is left alone")
            old = f"{venv}.venvd-old-{os.getpid()}"
            os.rename(venv, old)
        try:
            os.makedirs(venv)
            write_marker(venv, state="creating", request=request, interpreter=interpreter_path, version=version)
            _create_in_place(venv, interpreter_path, version, prompt, uv, seed_pip)
            write_marker(venv, state="ok", request=request, interpreter=interpreter_path, version=version,
                         created=str(int(time.time())))
        except BaseException:
            shutil.rmtree(venv, ignore_errors=True)
            if old is not None:
                os.rename(old, venv)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
