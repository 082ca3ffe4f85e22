"""The hooks' small items: the `_VENVD_HOOK` marker `venvd doctor` reads (issue 11), and
bash's opt-in `cd` wrapper (issue 11 point 8), in real shells."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.conftest import make_project
from tests.test_commands_everyday import doctor_lines
from tests.test_pwsh_syntax import syntax_errors


@pytest.mark.shells
def test_doctor_typed_in_a_shell_with_the_hook_sees_the_hook(open_shell, home: Path, shell_name: str) -> None:
    shell = open_shell()
    out = shell.run("venvd doctor")
    lines = doctor_lines(out)
    assert lines["hook"].startswith("ok ") and f"loaded in this {shell_name}" in lines["hook"], out
    assert lines["shell"].startswith("ok ") and f"{shell_name} " in lines["shell"], out
    # Never exported: the shell's own environment does not hold it afterwards.
    assert shell.getenv("_VENVD_HOOK") is None


def test_pwsh_venvd_function_passes_the_marker_only_to_the_command() -> None:
    from venvd.shells import get_shell

    text = get_shell("pwsh").hook(["/usr/bin/venvd"], "")
    function = text[text.index("function global:venvd {"):text.index("function global:_venvd_export")]
    assert "$env:_VENVD_HOOK='pwsh'" in function
    assert "finally { Remove-Item Env:_VENVD_HOOK -ErrorAction SilentlyContinue }" in function
    assert syntax_errors(text) == []
