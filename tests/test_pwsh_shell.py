"""venvd in a real interactive pwsh: what a PowerShell user sees at the prompt.

Driven through the same pexpect harness as bash, zsh and fish. pwsh cannot be installed
on every machine that runs the tests, so without it on PATH these tests skip (in CI too).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable, Iterator, Optional

import pytest

from tests.conftest import allow, make_project, need_python, venvd_script
from tests.shellharness import PWSH, Pwsh, shell_env
from venvd.shells.pwsh import Pwsh as PwshSpelling

pytestmark = [pytest.mark.shells, pytest.mark.skipif(PWSH is None, reason="pwsh is not on PATH")]

q = PwshSpelling().quote  # PowerShell's quoting, from venvd itself: any path as one argument


@pytest.fixture
def open_pwsh(home: Path, tmp_path: Path) -> Iterator[Callable[..., Pwsh]]:
    opened: list[Pwsh] = []

    def open_(cwd: Optional[Path] = None, extra_rc: str = "", **env: str) -> Pwsh:
        shell = Pwsh(tmp_path / f"rc-{len(opened)}", shell_env(env), cwd or home, extra_rc)
        opened.append(shell)
        shell.start()
        return shell

    yield open_
    for shell in opened:
        shell.close()


def cd(path: Path) -> str:
    return f"Set-Location -LiteralPath {q(str(path))}"


def python_prefix(shell: Pwsh) -> str:
    return shell.run("python -c 'import sys; print(sys.prefix)'").splitlines()[-1]


def test_entering_a_trusted_project_activates_and_leaving_keeps_a_user_path_edit(open_pwsh, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_pwsh()
    assert shell.getenv("VIRTUAL_ENV") is None
    out = shell.run(cd(project))
    assert "creating" in out and ".venv" in out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    assert python_prefix(shell) == str(project / ".venv")
    shell.run("$env:PATH = '/opt/mine/bin' + [IO.Path]::PathSeparator + $env:PATH")
    shell.run(cd(home))
    assert shell.getenv("VIRTUAL_ENV") is None
    path = shell.getenv("PATH").split(os.pathsep)
    assert path[0] == "/opt/mine/bin"
    assert str(project / ".venv" / "bin") not in path


def test_a_cd_inside_a_command_line_is_seen_before_the_next_command(open_pwsh, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_pwsh()
    has_action = shell.run(
        "Write-Output ($null -ne $ExecutionContext.SessionState.InvokeCommand.PSObject.Properties['LocationChangedAction'])"
    ).splitlines()[-1] == "True"
    prefix = shell.run(f"{cd(project)}; python -c 'import sys; print(sys.prefix)'").splitlines()[-1]
    if has_action:  # 7.2+: LocationChangedAction ran the hook inside Set-Location
        assert prefix == str(project / ".venv")
    assert python_prefix(shell) == str(project / ".venv"), "the prompt catches up in any version"


def test_a_prompt_where_nothing_changed_starts_no_process(open_pwsh, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_pwsh(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    # From here on starting venvd fails loudly: a quiet prompt proves none was started.
    shell.run(f"$global:_venvd_exe = {q(str(home / 'no-such-venvd'))}")
    for _ in range(3):
        assert "venvd:" not in shell.run("Write-Output quiet")
    # A watched input changed: now the hook must start venvd.
    later = (project / ".python-version").stat().st_mtime + 10
    os.utime(project / ".python-version", (later, later))
    assert "venvd: cannot run" in shell.run("Write-Output changed")


def test_off_and_deactivate_turn_the_project_off_until_on(open_pwsh, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_pwsh(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run("venvd off")
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run(f"Set-Location ..; {cd(project)}")
    assert shell.getenv("VIRTUAL_ENV") is None, "off holds for the whole shell session"
    shell.run("venvd on")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run("deactivate")
    assert shell.getenv("VIRTUAL_ENV") is None
    assert shell.run("Write-Output (Test-Path Function:deactivate)").splitlines()[-1] == "False"
    shell.run(f"Set-Location ..; {cd(project)}")
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run("venvd on")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")


def test_a_venv_activated_with_activate_ps1_is_left_alone(open_pwsh, home: Path, tmp_path: Path):
    python = need_python("3.11")
    need_python("3.12")
    manual = tmp_path / "manual-venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(manual)], check=True)
    project = make_project(home / "proj", "3.12")
    shell = open_pwsh(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    # Activate.ps1 first calls `deactivate -NonDestructive`: venvd's, which steps back.
    shell.run(f". {q(str(manual / 'bin' / 'Activate.ps1'))}")
    shell.run("Write-Output next-prompt")
    assert shell.getenv("VIRTUAL_ENV") == str(manual)
    assert python_prefix(shell) == str(manual)
    assert str(project / ".venv" / "bin") not in shell.getenv("PATH").split(os.pathsep)
    shell.run("deactivate")  # Activate.ps1's own
    shell.run("Write-Output next-prompt")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), "after the user's deactivate venvd takes over"


def test_the_exit_status_the_user_sees_is_their_commands(open_pwsh, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_pwsh()
    shell.send_raw("sh -c 'exit 7'")
    assert shell.send_raw("Write-Output $LASTEXITCODE").splitlines()[-1] == "7"
    # The hook runs venvd between these two lines (inside Set-Location and at the prompt).
    shell.send_raw(f"{cd(project)}; sh -c 'exit 3'")
    assert shell.send_raw("Write-Output $LASTEXITCODE").splitlines()[-1] == "3"
    shell.send_raw("$global:_VENVD_PWD = ''; sh -c 'exit 5'")  # forces venvd at this prompt
    assert shell.send_raw("Write-Output $LASTEXITCODE").splitlines()[-1] == "5"
    shell.send_raw("$global:_VENVD_PWD = ''; Get-Item -LiteralPath /no/such/file -ErrorAction SilentlyContinue")
    assert shell.send_raw("Write-Output $?").splitlines()[-1] == "False"
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")


@pytest.mark.parametrize(
    "name",
    ["it's \"quoted\"", "$(New-Item pwned)", "`$(New-Item pwned)`", "new\nline", "emoji 🐍 ’smart‘ ‚low‛",
     "; New-Item pwned; #", "'; New-Item pwned; '"],
    ids=["quotes", "subexpression", "backticks", "newline", "emoji-smart-quotes", "semicolon", "quote-break"],
)
def test_a_directory_with_a_hostile_name_activates_and_runs_nothing(open_pwsh, home: Path, name: str):
    python = need_python("3.12")
    project = home / name
    project.mkdir()
    # A user-made venv keeps this test about quoting (venvd activates it as it is).
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    allow(project)
    shell = open_pwsh(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run(cd(home))
    assert shell.getenv("VIRTUAL_ENV") is None
    assert not list(home.rglob("pwned")) and not list(Path("/").glob("pwned"))


def test_the_users_prompt_and_location_action_keep_working_and_the_hook_is_added_once(open_pwsh, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    rc = (
        "$global:mine = 0\n"
        "if ($ExecutionContext.SessionState.InvokeCommand.PSObject.Properties['LocationChangedAction']) {\n"
        "    $ExecutionContext.SessionState.InvokeCommand.LocationChangedAction = "
        "[EventHandler[System.Management.Automation.LocationChangedEventArgs]] { $global:mine++ }\n"
        "}\n"
    )
    shell = open_pwsh(extra_rc=rc)  # the harness's own prompt function is the user's prompt
    shell.run(cd(project))
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    has_action = shell.run("Write-Output ($global:mine -gt 0)").splitlines()[-1] == "True"
    script = venvd_script().replace("'", "''")
    shell.run(f"Invoke-Expression (& '{script}' hook pwsh | Out-String)")  # a reloaded profile
    # (Printing the prompt's text would print the harness's prompt marker: ask about it instead.)
    saved = "$global:_venvd_user_prompt.ToString()"
    assert shell.run(f"Write-Output ({saved}.Contains('venvd-test') -and -not {saved}.Contains('_venvd_hook'))"
                     ).splitlines()[-1] == "True", "the user's prompt is wrapped, never venvd's own wrapper"
    if has_action:
        handlers = shell.run(
            "Write-Output $ExecutionContext.SessionState.InvokeCommand.LocationChangedAction.GetInvocationList().Count"
        )
        assert handlers.splitlines()[-1] == "2", "the user's handler and venvd's, once"
    shell.run(cd(home))
    assert shell.getenv("VIRTUAL_ENV") is None
