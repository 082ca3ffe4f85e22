"""A missing ecosystem tool fails a test whenever the run asked for the tools, not only under
``CI`` (which ``.ci/run`` never exports): ``VENVD_TEST_TOOLS`` or ``VENVD_REQUIRE_SHELLS``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.toolbox import REPO


@pytest.mark.parametrize(("setting", "outcome"), [
    ({"VENVD_TEST_TOOLS": "{tmp}/bin"}, "1 failed"),
    ({"VENVD_REQUIRE_SHELLS": "1"}, "1 failed"),
    ({"CI": "true"}, "1 failed"),
    ({}, "1 skipped"),
], ids=["VENVD_TEST_TOOLS", "VENVD_REQUIRE_SHELLS", "CI", "plain-local-run"])
def test_a_missing_tool_fails_when_the_run_requires_the_tools(tmp_path: Path, setting: dict[str, str],
                                                              outcome: str) -> None:
    test = tmp_path / "test_needs_a_tool.py"
    test.write_text("from tests.toolbox import real_tool\n\n\ndef test_it():\n    real_tool('no-such-tool')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "VENVD_TEST_TOOLS", "VENVD_REQUIRE_SHELLS")}
    env.update({k: v.replace("{tmp}", str(tmp_path)) for k, v in setting.items()})
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                        "--rootdir", str(REPO), str(test)], cwd=REPO, env=env, capture_output=True, text=True)
    assert outcome in r.stdout, r.stdout + r.stderr
    if "failed" in outcome:
        assert "no-such-tool is required" in r.stdout and ".ci/run installs it" in r.stdout, r.stdout
