"""How a hook starts this venvd: the absolute interpreter, never a shim or bare python3."""

from __future__ import annotations

import os
import site
import sys


def launcher() -> list[str]:
    """The argv prefix that runs venvd with the interpreter it is installed in.

    ``-I`` keeps the current directory off ``sys.path``: a project could otherwise
    plant a ``venvd`` package that runs before it is trusted. It also ignores
    PYTHON* variables and the user site; when venvd lives in the user site (``pip
    install --user``), that directory is put back explicitly.
    """
    package_dir = os.path.dirname(os.path.abspath(__file__))
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    prefix = ""
    if user_site and package_dir.startswith(os.path.join(user_site, "")):
        prefix = f"sys.path.insert(0, {user_site!r}); "
    # `-c` rather than `-m venvd`: runpy costs ~4 ms of imports on every directory change.
    return [sys.executable, "-I", "-c", f"import sys; {prefix}from venvd.cli import main; sys.exit(main())"]
