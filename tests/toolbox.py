"""The real ecosystem tools (pdm, poetry, pipenv) for tests: found, never simulated.

``.ci/run`` installs them from PyPI into ``.tools/`` (a venv of their own, gitignored);
``VENVD_TEST_TOOLS`` may name another bin directory. Locally a missing tool skips the
test; in CI (``CI`` set) it fails, like a missing shell in conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import IN_CI

REPO = Path(__file__).resolve().parent.parent


def tools_dir() -> Path:
    return Path(os.environ.get("VENVD_TEST_TOOLS") or REPO / ".tools" / "bin")


def real_tool(name: str) -> str:
    """The path of the real *name* tool, or skip (fail in CI) when it is not installed."""
    path = tools_dir() / name
    if not os.access(path, os.X_OK):
        if IN_CI:
            pytest.fail(f"{name} is required in CI but {path} is missing (.ci/run installs it)")
        pytest.skip(f"{name} is not installed in {tools_dir()} (.ci/run installs it)")
    return str(path)


def put_on_path(name: str, directory: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Put the real *name* (and nothing else) first on PATH; return its path."""
    tool = real_tool(name)
    directory.mkdir(exist_ok=True)
    link = directory / name
    if not link.exists():
        os.symlink(tool, link)
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    return tool
