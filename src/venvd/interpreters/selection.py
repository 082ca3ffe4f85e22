"""``select``: which interpreter a request means, and the error line naming what was found.

An exact version means that version; a prefix or range the newest stable CPython that matches
(free-threaded, PyPy or a pre-release only when asked, or a pre-release when nothing stable
matches); ``system`` the first python3 on PATH outside pyenv; a name pyenv's versions dir;
no request what ``python3`` on PATH stands for (pyenv's shim looked through, as pyenv would
resolve it), else the newest stable CPython.
"""

from __future__ import annotations

import os

from ..errors import VenvdError
from ..versionrequest import VersionRequest, is_safe_name, parse_request
from .probe import Interpreter, probe_one
from .sources import (
    WINDOWS,
    in_venv,
    is_binary,
    is_shim_dir,
    is_venv_dir,
    pyenv_root,
    python3_on_path,
    shim_dirs,
    under,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def _by_path(interpreters: list[Interpreter], path: str) -> Interpreter | None:
    for interp in interpreters:
        if interp.path == path:
            return interp
    return None


def _newest(request: VersionRequest, interpreters: list[Interpreter]) -> Interpreter | None:
    """Newest match; stable preferred unless the request names a pre-release; ties: first found."""
    found = [i for i in interpreters if i.matches(request)]
    if not request.allows_prereleases:
        found = [i for i in found if not i.prerelease] or found
    return max(found, key=Interpreter.sort_key) if found else None


def _newest_stable_cpython(interpreters: list[Interpreter]) -> Interpreter | None:
    return _newest(VersionRequest("cpython", "default", "version"), interpreters)


def _found_list(interpreters: list[Interpreter]) -> str:
    labels = sorted({i.label: i for i in interpreters}.items(), key=lambda kv: (kv[1].implementation, kv[1].sort_key()))
    return ", ".join(label for label, _ in labels) or "none"


def _not_found(request: VersionRequest, interpreters: list[Interpreter], detail: str = "") -> VenvdError:
    want = request.canonical
    if request.kind == "range":
        hint = f"install one (e.g. uv python install '{want}')"
    elif request.kind == "named":
        hint = f"install it (e.g. 'pyenv install {want}') or name an installed version"
    else:
        hint = f"install it (e.g. 'uv python install {want}' or 'pyenv install {want}')"
    return VenvdError(
        f"no Python matching '{request.raw}' (from {request.source}){detail}; "
        f"found: {_found_list(interpreters)} \u2014 {hint}"
    )


def _system(interpreters: list[Interpreter], env: Mapping[str, str]) -> Interpreter | None:
    """The first real python3 on PATH outside pyenv (shims, venvs and scripts skipped)."""
    root = pyenv_root(env)
    shims = shim_dirs(env)
    for d, path in python3_on_path(env):
        if is_shim_dir(d, shims) or is_venv_dir(d) or under(os.path.realpath(d), root):
            continue
        real = os.path.realpath(path)
        if under(real, root) or in_venv(real) or not is_binary(real):
            continue
        found = _by_path(interpreters, real) or probe_one(real)
        if found:
            return found
    return None


def _pyenv_named(
    name: str, interpreters: list[Interpreter], env: Mapping[str, str], source: str
) -> Interpreter | None:
    """``$PYENV_ROOT/versions/<name>``'s python; None if absent. Never leaves the versions dir."""
    if not is_safe_name(name):  # parse_request already refused these; never trust a caller
        raise VenvdError(f"pyenv version name {name!r} (from {source}) is not a plain name")
    versions = os.path.join(pyenv_root(env), "versions")
    base = os.path.join(versions, name)
    exes = ("python.exe",) if WINDOWS else (os.path.join("bin", "python"), os.path.join("bin", "python3"))
    for exe in exes:
        path = os.path.join(base, exe)
        if not os.path.isfile(path):
            continue
        real = os.path.realpath(path)
        if not under(real, versions):
            raise VenvdError(f"pyenv version '{name}' (from {source}) resolves outside {versions}; refusing to use it")
        if in_venv(real):
            raise VenvdError(
                f"pyenv version '{name}' (from {source}) is a virtualenv with a copied interpreter; "
                "name the Python it was made from instead (venvd never builds a venv on a venv)"
            )
        found = _by_path(interpreters, real) or probe_one(real)
        if found is None:
            raise VenvdError(f"pyenv version '{name}' (from {source}): {real} does not run")
        return found
    return None


def _pyenv_global(interpreters: list[Interpreter], env: Mapping[str, str]) -> Interpreter | None:
    """What the pyenv shim would run outside any project: PYENV_VERSION, else the global."""
    root = pyenv_root(env)
    name = (env.get("PYENV_VERSION") or "").split(":")[0].strip()
    source = "PYENV_VERSION"
    if not name:
        source = os.path.join(root, "version")
        from ..safeio import LIMIT_SMALL, read_bytes

        try:
            text = read_bytes(source, LIMIT_SMALL).decode("utf-8", "replace")
        except (OSError, VenvdError):  # VenvdError: safeio's UnsafeFile (a FIFO, a huge file)
            return None
        for line in text.splitlines():
            words = line.split()
            if words and not words[0].startswith("#"):
                name = words[0]
                break
    if not name:
        return None
    if name == "system":
        return _system(interpreters, env)
    try:
        found = _pyenv_named(name, interpreters, env, source)
        if found is None:
            # pyenv resolves a prefix like "3.12" to the newest installed 3.12.x.
            request = parse_request(name, source)
            found = _newest(request, [i for i in interpreters if under(i.path, os.path.join(root, "versions"))])
    except VenvdError:
        return None
    return found


def _default(interpreters: list[Interpreter], env: Mapping[str, str]) -> Interpreter | None:
    """What ``python3`` on PATH stands for (an active venv is looked through)."""
    pyenv_shims = os.path.normcase(os.path.normpath(os.path.join(pyenv_root(env), "shims")))
    shims = shim_dirs(env)
    for d, path in python3_on_path(env):
        if os.path.normcase(os.path.normpath(d)) == pyenv_shims:
            return _pyenv_global(interpreters, env)
        if is_shim_dir(d, shims):
            return None  # asdf/mise: can't know without running them
        if is_venv_dir(d):
            continue  # e.g. the venv venvd activated for the previous project
        real = os.path.realpath(path)
        if in_venv(real):
            continue
        if not is_binary(real):
            return None  # a wrapper script: can't see through it
        return _by_path(interpreters, real) or probe_one(real)
    return None


def select(
    request: VersionRequest | None, interpreters: list[Interpreter], environ: Mapping[str, str] | None = None
) -> Interpreter:
    """The interpreter ``request`` asks for among ``interpreters``; VenvdError if none fits.

    Exact version: that version. Prefix or range: the newest stable CPython that matches
    (free-threaded/PyPy/pre-release only when asked, or pre-release when nothing stable
    matches). ``system``: first python3 on PATH outside pyenv. Named: pyenv's versions dir.
    None: what python3 on PATH stands for, else the newest stable CPython.
    """
    env = os.environ if environ is None else environ
    if request is None:
        found = _default(interpreters, env) or _newest_stable_cpython(interpreters)
        if found is None:
            raise VenvdError(
                "no Python found on PATH, in pyenv or uv \u2014 install one (e.g. 'uv python install 3.13')"
            )
        return found
    if request.kind == "system":
        found = _system(interpreters, env)
        if found is None:
            raise VenvdError(
                f"no system Python for '{request.raw}' (from {request.source}): no python3 on PATH "
                f"outside pyenv; found: {_found_list(interpreters)} \u2014 name one of those versions instead"
            )
        return found
    if request.kind == "named":
        found = _pyenv_named(request.name, interpreters, env, request.source)
        if found is None:
            versions = os.path.join(pyenv_root(env), "versions")
            raise _not_found(request, interpreters, f": not in {versions}")
        return found
    found = _newest(request, interpreters)
    if found is None:
        raise _not_found(request, interpreters)
    return found
