"""A Python the project asks for and the machine lacks: installed by uv when the user allows it.

Imported only when no interpreter matches a request. Whether venvd may download one is
the user's choice, never a project's: ``python-downloads`` in the user config
(userconfig.py) or ``UV_PYTHON_DOWNLOADS`` as uv reads it. ``never`` in either wins;
otherwise ``automatic`` in either lets venvd run ``uv python install REQUEST``; otherwise
(``manual``, the default) the error line names that exact command.
"""

from __future__ import annotations

import os
from typing import Mapping, Optional

from .errors import VenvdError
from .versionrequest import VersionRequest

# uv's spellings of UV_PYTHON_DOWNLOADS (it rejects anything else)
UV_VALUES = {"automatic": "automatic", "auto": "automatic", "true": "automatic",
              "manual": "manual", "never": "never", "false": "never"}
FAILED_FILE = "python-install-failed"


def downloads_mode(environ: Mapping[str, str]) -> tuple[str, str]:
    """``("automatic" | "manual" | "never", where that comes from)``."""
    from . import userconfig

    env_value = (environ.get("UV_PYTHON_DOWNLOADS") or "").strip().lower()
    from_env = UV_VALUES.get(env_value)
    config = userconfig.load()["python-downloads"]
    shown_config = f'python-downloads = "{config}" in {_shown(userconfig.config_file())}'
    shown_env = f"UV_PYTHON_DOWNLOADS={env_value}"
    if from_env == "never":
        return "never", shown_env
    if config == "never":
        return "never", shown_config
    if from_env == "automatic":
        return "automatic", shown_env
    if config == "automatic":
        return "automatic", shown_config
    return "manual", shown_config


def installable(request: Optional[VersionRequest]) -> bool:
    """Whether ``uv python install`` understands the request (a version or a range;
    not ``system`` or a pyenv name)."""
    return request is not None and request.kind in ("version", "range")


def install_argv(uv: str, request: VersionRequest) -> list[str]:
    return [uv, "python", "install", request.canonical]


def _shown(path: str) -> str:
    from .ui import display_path

    return display_path(path)


def _command_text(request: VersionRequest, uv: Optional[str]) -> str:
    import shlex
    import shutil

    # The user types `uv` when it is on their PATH; venvd's bundled uv is named by path.
    word = "uv" if uv is None or shutil.which("uv") == uv else shlex.quote(uv)
    return f"{word} python install {shlex.quote(request.canonical)}"


def _with_hint(error: VenvdError, hint: str) -> VenvdError:
    """The 'no Python matching …; found: …' line with its advice replaced by *hint*."""
    text = str(error)
    head = text.split(" \u2014 ", 1)[0]
    return VenvdError(f"{head} \u2014 {hint}")


def explain(request: Optional[VersionRequest], environ: Mapping[str, str], error: VenvdError) -> VenvdError:
    """The error to show when venvd will not install the interpreter itself."""
    if not installable(request):
        return error
    assert request is not None
    from .venv import find_uv

    try:
        mode, why = downloads_mode(environ)
    except VenvdError as exc:  # a broken user config: say so, with the original problem
        return VenvdError(f"{error} (and {exc})")
    uv = find_uv()
    if mode == "never":
        return _with_hint(error, f"Python downloads are off ({why}); install it yourself (e.g. 'pyenv install "
                                 f"{request.canonical}')")
    if uv is None:
        return _with_hint(error, f"install it (e.g. 'pyenv install {request.canonical}'), or install uv and "
                                 f"run 'uv python install {request.canonical}'")
    if mode == "automatic":  # only status gets here: export would have installed it
        return _with_hint(error, f"venvd installs it with '{_command_text(request, uv)}' when it creates the "
                                 f"venv ({why})")
    return _with_hint(error, f"run: {_command_text(request, uv)} (or set python-downloads = \"automatic\" in "
                             f"{_shown(userconfig_file())} and venvd runs it for you)")


def userconfig_file() -> str:
    from .userconfig import config_file

    return config_file()


def provide(request: Optional[VersionRequest], environ: Mapping[str, str], error: VenvdError,
            retry: bool = False) -> None:
    """Install the interpreter *request* asks for with uv when the user allows it; return
    when it is installed (the caller discovers it again). Raise the error to show otherwise.
    *retry* (`venvd sync`): try again an install that failed before."""
    if not installable(request):
        raise error
    assert request is not None
    from .venv import find_uv

    try:
        mode, why = downloads_mode(environ)
    except VenvdError as exc:
        raise VenvdError(f"{error} (and {exc})") from None
    uv = find_uv()
    if mode != "automatic" or uv is None:
        raise explain(request, environ, error)
    argv = install_argv(uv, request)
    attempt = " ".join(argv + [environ.get("UV_PYTHON_INSTALL_DIR", "")])
    if not retry:
        before = _remembered(attempt)
        if before is not None:
            raise VenvdError(f"installing Python {request.canonical} with uv failed before ({before}); "
                             "'venvd sync' tries again")
    _install(argv, request, why, environ, attempt)


def _install(argv: list[str], request: VersionRequest, why: str, environ: Mapping[str, str], attempt: str) -> None:
    import subprocess
    import time

    from .paths import cache_dir
    from .ui import say

    env = dict(environ)
    # Not into ~/.local/bin as well (uv's default): venvd finds uv's Pythons where uv keeps
    # them, and a cd should not put new commands on the user's PATH.
    env.setdefault("UV_PYTHON_INSTALL_BIN", "0")
    # uv reads uv.toml from its working directory up: run it in venvd's own cache dir, not in
    # the project, so no file in a project or a parent (a shared /tmp) picks the mirror.
    cwd = cache_dir()
    os.makedirs(cwd, exist_ok=True)
    say(f"installing Python {request.canonical} with uv ({why})")
    started = time.monotonic()
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env, cwd=cwd)
    except OSError as exc:
        raise VenvdError(f"installing Python {request.canonical} failed: cannot run {argv[0]}: {exc.strerror}") \
            from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit status {result.returncode}"
        _remember(attempt, last)
        raise VenvdError(f"installing Python {request.canonical} failed: uv python install said: {last}")
    _forget()
    say(f"installed Python {request.canonical} in {time.monotonic() - started:.1f}s")


def _failed_path() -> str:
    from .paths import cache_dir

    return os.path.join(cache_dir(), FAILED_FILE)


def _remembered(attempt: str) -> Optional[str]:
    from .safeio import LIMIT_SMALL, read_optional

    try:
        data = read_optional(_failed_path(), LIMIT_SMALL)
    except VenvdError:
        return None
    if not data:
        return None
    stored, _, error = data.decode("utf-8", "replace").partition("\n")
    return (error.strip() or "failed") if stored == attempt.replace("\n", " ") else None


def _remember(attempt: str, error: str) -> None:
    path = _failed_path()
    try:
        from .safewrite import replace_text

        replace_text(path, attempt.replace("\n", " ") + "\n" + error.replace("\n", " ") + "\n")
    except OSError:
        pass  # a courtesy: without it the next prompt tries again


def _forget() -> None:
    try:
        os.unlink(_failed_path())
    except OSError:
        pass
