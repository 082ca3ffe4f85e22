"""The hooks under the user's own shell options, traps and functions (issue 9, points 13, 14).

A user's rc file sets options before and after the hook line (`set -u`, `failglob`,
`emulate sh`, `KSH_ARRAYS`, `fish_private_mode`…), defines its own INT trap and its own
`deactivate`, and sometimes sources a stdlib `activate` by hand. None of it may break
entering or leaving a project, print an error, change `$?` or close the shell.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import allow, make_project, need_python
from tests.shellharness import SHELLS, Shell, shell_env

pytestmark = pytest.mark.shells

# What a user's rc file sets before the hook line, per shell (one option or a few at a time).
OPTIONS = [
    ("bash", "shopt -s failglob"),
    ("bash", "set -u"),
    ("bash", "set -e"),
    ("bash", "shopt -s nullglob"),
    ("bash", "shopt -s extglob"),
    ("bash", "set -eu; shopt -s failglob nullglob extglob"),
    ("bash", "set -f; shopt -s nocasematch"),
    ("zsh", "setopt SH_GLOB"),
    ("zsh", "emulate sh"),
    ("zsh", "setopt NO_BARE_GLOB_QUAL"),
    ("zsh", "setopt WARN_CREATE_GLOBAL"),
    ("zsh", "setopt KSH_ARRAYS"),
    ("zsh", "setopt NO_UNSET"),
    ("zsh", "setopt ERR_EXIT"),
    ("zsh", "setopt KSH_ARRAYS NO_UNSET WARN_CREATE_GLOBAL SH_WORD_SPLIT NO_BARE_GLOB_QUAL NULL_GLOB"),
    ("fish", "set -g fish_private_mode 1"),
]


def _said(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip()]


def _only_venvd_lines(out: str) -> None:
    for line in _said(out):
        assert line.startswith("venvd: ") and "error" not in line.lower(), out


@pytest.mark.parametrize(("shell_name", "options"), OPTIONS, ids=[f"{s}-{o}" for s, o in OPTIONS])
def test_entering_and_leaving_a_project_under_the_users_shell_options(
        shell_name: str, options: str, home: Path, tmp_path: Path) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    (project / "requirements-dev.txt").write_text("")  # a glob in the hook matches something
    (project / "src").mkdir()
    (home / "plain").mkdir()
    with SHELLS[shell_name](tmp_path / "rc", shell_env(), home, options) as shell:
        out = shell.run(f"cd {project}")
        _only_venvd_lines(out)
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        assert shell.run("true") == "", "a no-op prompt says nothing"
        # `! true`: a status of 1 that does not trip `set -e` / ERR_EXIT by itself.
        assert shell.status_after("cd src; ! true") == 1
        out = shell.run(f"cd {home / 'plain'}")
        _only_venvd_lines(out)
        assert shell.getenv("VIRTUAL_ENV") is None
        assert shell.status_after(f"cd {project}; ! true") == 1
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        # `venvd off` and venvd's `deactivate` run in the user's options too.
        assert shell.run("venvd off").startswith("venvd: off for")
        assert shell.getenv("VIRTUAL_ENV") is None
        _only_venvd_lines(shell.run("venvd on"))
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        shell.run("deactivate")
        assert shell.getenv("VIRTUAL_ENV") is None
        _only_venvd_lines(shell.run("venvd on"))
        assert shell.status_after("cd /; ! true") == 1
        assert shell.getenv("VIRTUAL_ENV") is None
        assert shell.child is not None and shell.child.isalive(), "the shell is still there"
        assert shell.run("echo alive") == "alive"


def test_bash_set_e_keeps_the_shell_after_a_status_left_by_a_negated_command(home: Path, tmp_path: Path) -> None:
    # `! true` leaves $? = 1 without tripping errexit; the hook hands that status back
    # and must not let bash take it as a failed command and exit.
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    with SHELLS["bash"](tmp_path / "rc", shell_env(), project, "set -e") as shell:
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        assert shell.status_after("! true") == 1
        assert shell.status_after("cd /; ! true") == 1
        assert shell.getenv("VIRTUAL_ENV") is None
        assert shell.run("echo alive") == "alive"


# -- the user's INT trap --------------------------------------------------------------------

TRAP = {
    "bash": "trap 'echo user-int-trap' INT",
    "zsh": "trap 'echo user-int-trap' INT",
    "fish": "function user_int --on-signal INT; echo user-int-trap; end",
}
SHOW_TRAP = {"bash": "trap -p INT", "zsh": "trap", "fish": "functions user_int"}


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_an_int_trap_set_after_the_hook_line_is_kept(shell_name: str, home: Path, tmp_path: Path) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    with SHELLS[shell_name](tmp_path / "rc", shell_env(), home) as shell:
        shell.run(TRAP[shell_name])  # after the hook line: at the prompt
        shell.run(f"cd {project}")  # export runs, with Ctrl-C held off around its eval
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        shell.run("cd ~")
        assert shell.getenv("VIRTUAL_ENV") is None
        assert "user-int-trap" in shell.run(SHOW_TRAP[shell_name])
        assert shell.child is not None
        shell.child.sendintr()  # Ctrl-C at the prompt runs the user's trap
        shell.child.expect_exact("user-int-trap")
        assert shell.run("echo alive") == "alive"


def test_bash_no_int_trap_set_after_the_hook_stays_none(home: Path, tmp_path: Path) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    with SHELLS["bash"](tmp_path / "rc", shell_env(), home, "trap 'echo old-trap' INT") as shell:
        shell.run("trap - INT")  # the user removes the trap they had before the hook line
        shell.run(f"cd {project}")
        shell.run("cd ~")
        assert "old-trap" not in shell.run("trap -p INT"), "a removed trap is not brought back"


# -- the user's deactivate ------------------------------------------------------------------

DEACTIVATE = {
    "bash": "deactivate() { echo users-own-deactivate; }",
    "zsh": "deactivate() { echo users-own-deactivate; }",
    "fish": "function deactivate; echo users-own-deactivate; end",
}


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_the_users_own_deactivate_is_kept_when_venvds_venv_is_left(
        shell_name: str, where: str, home: Path, tmp_path: Path) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    rc = DEACTIVATE[shell_name] if where == "before" else ""
    with SHELLS[shell_name](tmp_path / "rc", shell_env(), home, rc) as shell:
        if where == "after":
            shell.run(DEACTIVATE[shell_name])
        shell.run(f"cd {project}")
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        shell.run("deactivate")  # venvd's, while its venv is active: turns the project off
        assert shell.getenv("VIRTUAL_ENV") is None
        assert shell.run("deactivate") == "users-own-deactivate", "the user's function is back"
        shell.run("venvd on")
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        shell.run("cd ~")  # leaving the project
        assert shell.getenv("VIRTUAL_ENV") is None
        assert shell.run("deactivate") == "users-own-deactivate"


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_a_deactivate_the_user_defines_while_venvds_is_active_is_theirs_to_keep(
        shell_name: str, home: Path, tmp_path: Path) -> None:
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    with SHELLS[shell_name](tmp_path / "rc", shell_env(), project) as shell:
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        shell.run(DEACTIVATE[shell_name])  # replaces venvd's while its venv is active
        shell.run("cd ~")
        assert shell.getenv("VIRTUAL_ENV") is None
        assert shell.run("deactivate") == "users-own-deactivate", "leaving does not delete the user's"


# -- a stdlib activate taking over ----------------------------------------------------------


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_a_stdlib_activate_inside_an_active_project_takes_over_without_venvds_bin(
        shell_name: str, home: Path, tmp_path: Path) -> None:
    python = need_python("3.11")
    need_python("3.12")
    other = tmp_path / "other-venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(other)], check=True)
    project = make_project(home / "proj", "3.12")
    venvd_bin = str(project / ".venv" / "bin")
    with SHELLS[shell_name](tmp_path / "rc", shell_env(), home) as shell:
        before = shell.getenv("PATH")
        shell.run(f"cd {project}")
        assert shell.getenv("PATH").split(":")[0] == venvd_bin
        suffix = ".fish" if shell_name == "fish" else ""
        out = shell.run(f"source {other}/bin/activate{suffix}")
        assert "error" not in out.lower(), out
        assert shell.getenv("VIRTUAL_ENV") == str(other)
        path = shell.getenv("PATH").split(":")
        assert path[0] == str(other / "bin")
        assert venvd_bin not in path, "venvd's bin is not left behind the activated venv"
        shell.run("true")  # a prompt: venvd leaves the hand-activated venv alone
        assert shell.getenv("VIRTUAL_ENV") == str(other)
        assert venvd_bin not in shell.getenv("PATH").split(":")
        shell.run("deactivate")  # the activate script's own
        shell.run("cd ~")
        assert shell.getenv("VIRTUAL_ENV") is None
        assert shell.getenv("PATH") == before, "the user's PATH, without venvd's entry"


def test_bash_set_f_and_nocasematch_do_not_change_what_the_hook_sees(home: Path, tmp_path: Path) -> None:
    # set -f would leave the hook's requirements*.txt glob unexpanded (a project missed);
    # nocasematch would make ~/Proj and ~/proj one directory to the hook's [[ == ]].
    need_python("3.12")
    (home / "plain").mkdir()
    globbed = home / "plain" / "globbed"
    globbed.mkdir()
    (globbed / "requirements-dev.txt").write_text("")
    allow(globbed)
    lower = make_project(home / "proj", "3.12")
    upper = make_project(home / "Proj", "3.12")
    with SHELLS["bash"](tmp_path / "rc", shell_env(), home / "plain", "set -f; shopt -s nocasematch") as shell:
        shell.run("cd globbed")
        assert shell.getenv("VIRTUAL_ENV") == str(globbed / ".venv"), "a project known by a glob is found"
        shell.run(f"cd {lower}")
        assert shell.getenv("VIRTUAL_ENV") == str(lower / ".venv")
        shell.run("cd ../Proj")
        assert shell.getenv("VIRTUAL_ENV") == str(upper / ".venv"), "Proj is not proj"
        assert shell.run("echo /*") == "/*", "set -f is still on"
        assert shell.run("shopt -q nocasematch && echo still-set") == "still-set", "the user's options stay"


@pytest.mark.parametrize(("shell_name", "options"), [
    ("bash", "set -eu; shopt -s failglob nocasematch"),
    ("zsh", "emulate sh; setopt KSH_ARRAYS NO_UNSET"),
    ("fish", "set -g fish_private_mode 1"),
])
def test_a_no_op_prompt_forks_nothing_under_the_users_options(
        shell_name: str, options: str, home: Path, tmp_path: Path) -> None:
    from tests.test_hot_path import _SPAWN, _strace, _traced

    strace = _strace()
    python = need_python("3.12")
    project = make_project(home / "proj", "3.12")
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    trace = tmp_path / "strace.txt"
    with _traced(SHELLS[shell_name], strace, trace)(tmp_path / "rc", shell_env(), project, options) as shell:
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        shell.run("true")
        before = len(trace.read_text(errors="replace").splitlines())
        for _ in range(5):
            shell.run("true")
        lines = trace.read_text(errors="replace").splitlines()[before:]
    spawned = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
    assert not spawned, f"{shell_name} under {options!r} forked at a no-op prompt:\n" + "\n".join(spawned)
