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
from tests.test_zero_process_cd import transition_projects, warm_both
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
    shell.send_raw("$global:_VENVD_STAMP = ''; sh -c 'exit 5'")  # forces venvd at this prompt
    assert shell.send_raw("Write-Output $LASTEXITCODE").splitlines()[-1] == "5"
    shell.send_raw("$global:_VENVD_STAMP = ''; Get-Item -LiteralPath /no/such/file -ErrorAction SilentlyContinue")
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


# --- the activation cache (issue 12): entering and leaving with no process ---------------
# As tests/test_zero_process_cd.py does for bash, zsh and fish: two sessions run the same
# steps from the same environment. One has lost its core (an export there changes nothing),
# so what changes there is the cache's work; the other forgets its cache before each step,
# so it is the core's. They must leave exactly the same environment.

HOSTILE = "-it's $HOME $(New-Item pwned) \"q\" \\ `x` \u2019smart\u2018\nnl \U0001F600 ;=% end"
NO_CORE = "$global:_venvd_exe = 'false'; $global:_venvd_args = @()"  # `false export pwsh`: no code
FORGET = "$global:_venvd_cache.Clear()"


def goto(variable: str, below: str = "") -> str:
    """Set-Location to the directory in $env:<variable> (and *below* it): the test's paths
    reach pwsh through the environment, never through its parser."""
    target = f"$env:{variable}" if not below else f"(Join-Path $env:{variable} {q(below)})"
    return f"Set-Location -LiteralPath {target}"


def snapshot(shell: Pwsh, out: Path) -> tuple[dict[str, str], str]:
    """The session's environment as a child process sees it, and whether `deactivate` exists."""
    said = shell.run(f"sh -c 'env -0 > $1' sh {q(str(out))}; "
                     "if (Test-Path Function:deactivate) { 'has-deactivate' } else { 'no-deactivate' }")
    env = {}
    for item in out.read_bytes().split(b"\0"):
        if item:
            key, _, value = item.partition(b"=")
            env[key.decode()] = value.decode("utf-8", "surrogateescape")
    for noise in ("_", "PWD", "OLDPWD", "SHLVL"):  # sh's own
        env.pop(noise, None)
    return env, said.splitlines()[-1]


def warm(shell: Pwsh, projects: list[Path]) -> None:
    """Each project entered by the core, and left: the first entry creates the venv and
    says so (a decision that said something is not cached), the second is cached."""
    for project in projects:
        for _ in range(2):
            shell.run(cd(project))
            shell.run("Set-Location /")


def test_the_cache_gives_exactly_the_env_the_core_gives(open_pwsh, home: Path, tmp_path: Path):
    need_python("3.12")
    plain, hostile, pipless, env = transition_projects(home, HOSTILE)
    cached, core = open_pwsh(**env), open_pwsh(**env)
    warm_both((cached, core), [plain, hostile, pipless], pipless, warm)
    cached.run(NO_CORE)
    user_path = ("$env:PATH = '/user-first' + [IO.Path]::PathSeparator + $env:PATH + [IO.Path]::PathSeparator"
                 " + '/user-last'; Set-Location /tmp")
    steps = [goto("PLAIN_DIR"), "Set-Location ..", goto("HOSTILE_DIR"), goto("PLAIN_DIR", "src/pkg"),
             "Set-Location /", goto("PIPLESS_DIR"), goto("HOSTILE_DIR"), user_path, goto("PLAIN_DIR"),
             goto("PIPLESS_DIR"), "Set-Location ~"]
    seen = set()
    for number, step in enumerate(steps):
        core.run(FORGET)
        core.run(step)
        cached.run(step)
        want = snapshot(core, tmp_path / f"core-{number}")
        got = snapshot(cached, tmp_path / f"cached-{number}")
        assert got == want, (step, {k: (got[0].get(k), want[0].get(k)) for k in set(got[0]) | set(want[0])
                                    if got[0].get(k) != want[0].get(k)}, got[1], want[1])
        seen.add(want[0].get("VIRTUAL_ENV"))
    assert seen == {None, str(plain / ".venv"), str(hostile / ".venv"), str(pipless / ".venv")}
    env_now, deactivate = snapshot(cached, tmp_path / "last")
    sep = os.pathsep
    assert env_now["PATH"].startswith(f"/user-first{sep}") and env_now["PATH"].endswith(f"{sep}/user-last")
    # (An empty PYTHONHOME given back is removed before pwsh 7.5 and kept since, as `$env:X = ''` does.)
    assert env_now["VIRTUAL_ENV_PROMPT"] == "user's ;=% prompt" and env_now.get("PYTHONHOME", "") == ""
    assert "VENVD_DIFF" not in env_now and deactivate == "no-deactivate"
    assert not list(home.rglob("pwned"))


def _forks(lines: list[str]) -> list[str]:
    from tests.test_hot_path import _SPAWN

    return [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]


def test_entering_and_leaving_a_cached_project_starts_no_process(home: Path, tmp_path: Path):
    from tests.test_hot_path import _strace, _traced

    strace = _strace()
    need_python("3.12")
    first = make_project(home / "first", "3.12")
    second = make_project(home / HOSTILE, "3.12")
    (first / "src").mkdir()
    trace = tmp_path / "strace.txt"
    with _traced(Pwsh, strace, trace)(tmp_path / "rc", shell_env({"SECOND": str(second)}), home) as shell:
        warm(shell, [first, second])
        shell.run("Write-Output ready")
        before = len(trace.read_text(errors="replace").splitlines())
        for step in (cd(first), "Set-Location /", cd(first / "src"), goto("SECOND"), "Set-Location ~",
                     goto("SECOND"), cd(first), goto("SECOND"), "Write-Output same", "Set-Location /tmp",
                     "Set-Location /", "Write-Output same"):
            shell.run(step)  # the prompts after each: the state the cache left makes them no-ops
        lines = trace.read_text(errors="replace").splitlines()[before:]
        assert shell.getenv("VIRTUAL_ENV") is None
    spawned = _forks(lines)
    assert not spawned, "entering or leaving a cached project forked:\n" + "\n".join(spawned)


def test_a_new_session_enters_a_known_project_with_no_process(home: Path, tmp_path: Path):
    from tests.test_hot_path import _strace, _traced

    strace = _strace()
    need_python("3.12")
    project = make_project(home / HOSTILE, "3.12")
    with Pwsh(tmp_path / "rc-first", shell_env(), home) as shell:
        warm(shell, [project])  # the core saved the activation in the user's cache dir
    trace = tmp_path / "strace.txt"
    with _traced(Pwsh, strace, trace)(tmp_path / "rc", shell_env({"P": str(project)}), home) as shell:
        shell.run("Write-Output ready")
        before = len(trace.read_text(errors="replace").splitlines())
        shell.run(goto("P"))
        shell.run("Set-Location /")
        shell.run(goto("P"))
        lines = trace.read_text(errors="replace").splitlines()[before:]
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    spawned = _forks(lines)
    assert not spawned, "a new session's first entry into a known project forked:\n" + "\n".join(spawned)


def test_every_change_the_decision_depends_on_goes_to_the_core(open_pwsh, home: Path, tmp_path: Path):
    need_python("3.12")
    need_python("3.11")
    project = make_project(home / "proj", "3.12")
    venv = str(project / ".venv")
    other = make_project(home / "other", "3.12")
    shell = open_pwsh()
    warm(shell, [project, other])
    enter = cd(project)

    # An input edited while inside, after an entry the cache made: the watch list it left
    # in force sees it at the next prompt.
    shell.run(cd(other))
    assert shell.run(enter) == ""  # the cache's: nothing said
    shell.run("Write-Output next")
    (project / ".python-version").write_text("3.11\n")
    out = shell.run("Write-Output next")
    assert "3.11" in out and shell.getenv("VIRTUAL_ENV") == venv, out
    shell.run("Set-Location /")
    # An input edited while outside: the core runs on entering.
    (project / ".python-version").write_text("3.12\n")
    out = shell.run(enter)
    assert "3.12" in out and shell.getenv("VIRTUAL_ENV") == venv, out
    warm(shell, [project])

    # Trust withdrawn: not activated; given back: activated.
    subprocess.run([venvd_script(), "deny", str(project)], check=True, capture_output=True)
    shell.run(enter)
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run("Set-Location /")
    allow(project)
    shell.run(enter)
    assert shell.getenv("VIRTUAL_ENV") == venv
    warm(shell, [project])

    # `venvd off`: stays off on the next entry.
    shell.run(enter)
    shell.run("venvd off")
    shell.run("Set-Location /")
    shell.run(enter)
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run("venvd on")
    assert shell.getenv("VIRTUAL_ENV") == venv
    warm(shell, [project])

    # A venv activated by hand: left alone on entering.
    manual = tmp_path / "manual"
    subprocess.run([str(project / ".venv" / "bin" / "python"), "-m", "venv", "--without-pip", str(manual)],
                   check=True)
    shell.run(f". {q(str(manual / 'bin' / 'Activate.ps1'))}")
    shell.run(enter)
    assert shell.getenv("VIRTUAL_ENV") == str(manual)
    shell.run("deactivate; Set-Location /")
    shell.run(enter)
    assert shell.getenv("VIRTUAL_ENV") == venv
    shell.run("Set-Location /")

    # A root others can write (a mode change moves no mtime): refused by the core.
    os.chmod(project, 0o777)
    out = shell.run(enter)
    assert "writable by others" in out and shell.getenv("VIRTUAL_ENV") is None, out
    os.chmod(project, 0o755)
    shell.run("Set-Location /")
    shell.run(enter)
    assert shell.getenv("VIRTUAL_ENV") == venv
    shell.run("Set-Location /")

    # The venv removed: the core recreates it.
    subprocess.run(["rm", "-rf", venv], check=True)
    out = shell.run(enter)
    assert "creating" in out and shell.getenv("VIRTUAL_ENV") == venv, out


def test_a_broken_cache_entry_costs_the_process_never_the_prompt(open_pwsh, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_pwsh(P=str(project))
    warm(shell, [project])
    # An entry whose count of variables is not a number (its stamp, root, venv and bin real):
    # the cached path throws there, and the core decides.
    shell.run("$global:_venvd_cache[$env:P] = [string[]]@($env:P, (Join-Path $env:P '.venv'), "
              "(Join-Path $env:P '.venv/bin'), 'p', '', 'h', (Join-Path $env:P '.python-version'), 'n', 'x', 'y')")
    out = shell.run(cd(project))
    assert out == "" and shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), out
    shell.run("Set-Location /")
    assert shell.getenv("VIRTUAL_ENV") is None
