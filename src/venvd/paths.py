"""Where venvd keeps its own files: trust store, caches, registry, logs.

Each directory can be set by an environment variable (``VENVD_DATA_DIR``,
``VENVD_STATE_DIR``, ``VENVD_CACHE_DIR``, ``VENVD_RUNTIME_DIR``) so tests never
touch the real home.  Otherwise platformdirs decides.  Importing platformdirs costs
~14 ms (pathlib, re, tempfile), so the shell hook resolves the directories once when
it is installed and hands them to every ``venvd export`` in ``_VENVD_DIRS``.
"""

from __future__ import annotations

import os

# "config": the user config dir (config.toml, see userconfig.py), read on the cd path for
# its trusted trees (trees.py), so the hook embeds it too.
KINDS = ("data", "state", "cache", "runtime", "config")
EMBEDDED_VAR = "_VENVD_DIRS"


def _platform_dir(kind: str) -> str:
    import warnings

    import platformdirs

    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR platformdirs warns and falls back to a temp dir,
        # which is what we want: the runtime dir only holds the daemon's socket/pid.
        warnings.simplefilter("ignore")
        return str(getattr(platformdirs, f"user_{kind}_dir")("venvd"))


def user_dir(kind: str) -> str:
    """The directory for *kind* (one of KINDS); not created."""
    override = os.environ.get(f"VENVD_{kind.upper()}_DIR")
    if override:
        return override
    embedded = os.environ.get(EMBEDDED_VAR)
    if embedded:
        from .envdiff import decode_pairs

        found = dict(decode_pairs(embedded)).get(kind)
        if found:
            return found
    return _platform_dir(kind)


def all_dirs() -> dict[str, str]:
    return {kind: user_dir(kind) for kind in KINDS}


def data_dir() -> str:
    return user_dir("data")


def state_dir() -> str:
    return user_dir("state")


def cache_dir() -> str:
    return user_dir("cache")


def runtime_dir() -> str:
    return user_dir("runtime")


def config_dir() -> str:
    """The user config dir (``config.toml``, see userconfig.py): ``VENVD_CONFIG_DIR``, else
    the one the hook embedded, else platformdirs'."""
    return user_dir("config")


def path_key(path: str) -> str:
    """A short, stable file name for *path* (crc32 and length): names venvd's per-project
    and per-venv files. hashlib would load OpenSSL (~3 ms) on the cd path; a collision
    only makes two paths share a cache entry or a lock, and every reader checks the path
    stored inside where that matters."""
    import zlib

    key = path.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(key):08x}-{len(key)}"
