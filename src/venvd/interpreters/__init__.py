"""Find real Python interpreters (never shims, never venvs) and pick the one a project asks for.

- sources.py: where to look (PATH, ``$PYENV_ROOT/versions``, uv-managed pythons, the Windows
  ``py`` launcher) and what is skipped there (shims, venvs, scripts);
- probe.py: ``Interpreter``, and running a binary once to learn its version and build;
- discovery.py: ``discover``, those two with a cache per directory (inode, mtime) and per
  binary (inode, size, mtime, ctime), so a ``cd`` costs a few dozen ``stat`` calls and no
  process; only what changed is rescanned or re-probed;
- selection.py: ``select``, the one a request means, or the error naming what was found.

``find_interpreter`` (here) ties them together. ``subprocess`` and ``platformdirs`` are
imported only on the slow path.
"""

from __future__ import annotations

import os

from ..errors import VenvdError
from .discovery import CACHE_FILE, default_cache_dir, discover, scan
from .probe import Interpreter
from .selection import select
from .sources import parse_py_list_paths, pyenv_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..versionrequest import VersionRequest

__all__ = [
    "CACHE_FILE",
    "Interpreter",
    "default_cache_dir",
    "discover",
    "find_interpreter",
    "parse_py_list_paths",
    "pyenv_root",
    "select",
]


def find_interpreter(
    request: VersionRequest | None, environ: Mapping[str, str] | None = None, cache_dir: str | None = None,
    provide: bool = False, retry: bool = False,
) -> Interpreter:
    """Discover (cached) and select. On failure, rescan every directory once before giving up,
    so a Python installed since the cache was written is found (unchanged binaries are not re-run).
    Still none: with *provide*, uv installs it when the user allows that (provision.py;
    *retry*: even when that install failed before); otherwise the error names the exact command.
    """
    env = os.environ if environ is None else environ
    interpreters = scan(env, cache_dir, reuse_dirs=True, reuse_probes=True)
    try:
        return select(request, interpreters, env)
    except VenvdError:
        interpreters = scan(env, cache_dir, reuse_dirs=False, reuse_probes=True)
        try:
            return select(request, interpreters, env)
        except VenvdError as exc:
            from .. import provision

            if not provide:
                raise provision.explain(request, env, exc) from None
            provision.provide(request, env, exc, retry=retry)  # returns only once uv installed it
        return select(request, scan(env, cache_dir, reuse_dirs=False, reuse_probes=True), env)
