"""How a hook starts this venvd: the absolute interpreter, never a shim or bare python3."""

from __future__ import annotations

import os
import site
import sys


def import_roots() -> list[str]:
    """Where this installation's code lives: the directory ``venvd`` is imported from
    (``src/`` for an editable install), then the interpreter's site-packages (and the
    user site when venvd is installed there), for the dependencies the slow paths load."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    roots = [package_parent]
    candidates = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    for path in candidates:
        if path not in roots and os.path.isdir(path):
            roots.append(path)
    return roots


def launcher() -> list[str]:
    """The argv prefix that runs venvd with the interpreter it is installed in.

    ``-I`` keeps the current directory off ``sys.path`` (a project could otherwise plant
    a ``venvd`` package that runs before it is trusted) and ignores PYTHON* variables.
    ``-S`` skips the site module — ~3 ms of .pth processing on every directory change —
    so the hook names the import roots itself; they are appended after the standard
    library, as site would. Commands other than ``export`` run ``site.main()`` first
    (cli.py), so they see the full environment.
    """
    code = f"import sys; sys.path.extend({import_roots()!r}); from venvd.cli import launched; launched()"
    return [sys.executable, "-I", "-S", "-c", code]
