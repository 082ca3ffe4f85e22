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


PREFIX = "python -c 'import sys; print(\"prefix=\" + sys.prefix)'"


@pytest.mark.parametrize("shell_name", ["bash"])
def test_bash_cd_and_a_command_runs_it_in_the_venv_with_the_opt_in(open_shell, home: Path, shell_name: str) -> None:
    project = make_project(home / "proj", "3.12")
    shell = open_shell(extra_rc="VENVD_BASH_CD=1")
    shell.run(f"cd {shlex.quote(str(project))}")  # the first cd creates the venv
    shell.run("cd ~")
    out = shell.run(f"cd {shlex.quote(str(project))} && {PREFIX}")
    assert f"prefix={project / '.venv'}" in out, out
    # cd's own behaviour stays: its status, `cd -` and CDPATH's printed directory.
    assert shell.status_after("cd /nonexistent-dir") == 1
    out = shell.run("cd - && printf '[%s]\\n' \"${VIRTUAL_ENV-}\"")
    assert out.splitlines()[:2] == [str(home), "[]"], out  # cd - prints where it went
    out = shell.run(f"cd ~ && CDPATH={shlex.quote(str(home))} cd proj && {PREFIX}")
    assert str(project) in out.splitlines() and f"prefix={project / '.venv'}" in out, out
    out = shell.run(f"cd ~ && pushd {shlex.quote(str(project))} >/dev/null && {PREFIX}")
    assert f"prefix={project / '.venv'}" in out, out
    out = shell.run(f"popd >/dev/null && printf '[%s]\\n' \"${{VIRTUAL_ENV-}}\"")
    assert "[]" in out.splitlines(), out


@pytest.mark.parametrize("shell_name", ["bash"])
def test_bash_cd_opt_in_keeps_a_cd_wrapper_defined_before_the_hook(open_shell, home: Path, shell_name: str) -> None:
    project = make_project(home / "proj", "3.12")
    shell = open_shell(extra_rc='cd() { echo "user-cd"; builtin cd "$@"; }\nVENVD_BASH_CD=1')
    out = shell.run(f"cd {shlex.quote(str(project))} && printf '[%s]\\n' \"${{VIRTUAL_ENV-}}\"")
    assert "user-cd" in out and f"[{project / '.venv'}]" in out, out


@pytest.mark.parametrize("shell_name", ["bash"])
def test_bash_without_the_opt_in_activates_at_the_next_prompt(open_shell, home: Path, shell_name: str) -> None:
    # The README's stated limit: cd is not overridden by default, so `cd proj && cmd` runs
    # cmd before the prompt activates the venv.
    project = make_project(home / "proj", "3.12")
    shell = open_shell()
    assert shell.run("type -t cd") == "builtin"
    shell.run(f"cd {shlex.quote(str(project))}")
    shell.run("cd ~")
    out = shell.run(f"cd {shlex.quote(str(project))} && printf '[%s]\\n' \"${{VIRTUAL_ENV-}}\"")
    assert "[]" in out.splitlines(), out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
