"""The real ecosystem tools (pdm, poetry, pipenv) for tests: found, never simulated.

``.ci/run`` installs them from PyPI into ``.tools/`` (a venv of their own, gitignored);
``VENVD_TEST_TOOLS`` may name another bin directory. A missing tool fails the test when
the run asked for the tools (``VENVD_TEST_TOOLS`` set, as ``.ci/run`` does) or requires what
CI requires (``VENVD_REQUIRE_SHELLS`` or ``CI``); otherwise (a plain local run) it skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_TOOLS

REPO = Path(__file__).resolve().parent.parent


def tools_dir() -> Path:
    return Path(os.environ.get("VENVD_TEST_TOOLS") or REPO / ".tools" / "bin")


def real_tool(name: str) -> str:
    """The path of the real *name* tool, or skip (fail when required) when it is not installed."""
    path = tools_dir() / name
    if not os.access(path, os.X_OK):
        if REQUIRE_TOOLS:
            pytest.fail(f"{name} is required (VENVD_TEST_TOOLS, VENVD_REQUIRE_SHELLS or CI is set) but {path} "
                        "is missing (.ci/run installs it)")
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
