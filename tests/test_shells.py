"""venvd in real interactive bash, zsh and fish: what a user sees at the prompt."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import allow, make_project, need_python, venvd_script
from tests.test_sync import offline, wheelhouse  # noqa: F401 - fixtures
from tests.shellharness import PROMPT, SHELLS, Shell, shell_env

pytestmark = pytest.mark.shells


def python_info(shell: Shell) -> tuple[str, str]:
    out = shell.run("python -c 'import sys; print(sys.prefix); print(\"%d.%d\" % sys.version_info[:2])'")
    prefix, version = out.splitlines()[-2:]
    return prefix, version


def test_entering_a_trusted_project_activates_its_venv_and_leaving_deactivates(open_shell, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_shell()
    assert shell.getenv("VIRTUAL_ENV") is None
    out = shell.run(f"cd {project}")
    assert "creating" in out and ".venv" in out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    assert python_info(shell) == (str(project / ".venv"), "3.12")
    assert (project / ".venv" / "bin" / "pip").exists(), "pip must be inside the venv"
    # A PATH edit the user makes inside the project survives leaving it.
    shell.run("PATH=/opt/mine/bin:$PATH" if shell.name != "fish" else "set -gx PATH /opt/mine/bin $PATH")
    shell.run("cd ..")
    assert shell.getenv("VIRTUAL_ENV") is None
    path = shell.getenv("PATH").split(":")
    assert path[0] == "/opt/mine/bin"
    assert str(project / ".venv" / "bin") not in path


def test_switching_between_nested_projects(open_shell, home: Path):
    need_python("3.12")
    need_python("3.11")
    outer = make_project(home / "outer", "3.12")
    inner = make_project(outer / "libs" / "inner", "3.11")
    shell = open_shell(cwd=outer)
    assert python_info(shell) == (str(outer / ".venv"), "3.12")
    shell.run("cd libs/inner")
    assert python_info(shell) == (str(inner / ".venv"), "3.11")
    path = shell.getenv("PATH").split(":")
    assert str(outer / ".venv" / "bin") not in path, "switching replaces the venv in one step"
    shell.run("cd ../..")
    assert python_info(shell) == (str(outer / ".venv"), "3.12")


def test_an_untrusted_project_is_untouched_and_announced_once(open_shell, home: Path):
    project = make_project(home / "cloned", "3.12", trusted=False)
    # A repo that ships a .venv/bin could shadow commands: it must never reach PATH.
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    shell = open_shell()
    first = shell.run(f"cd {project}")
    assert "not allowed" in first and "venvd allow" in first
    assert shell.getenv("VIRTUAL_ENV") is None
    assert str(project / ".venv" / "bin") not in shell.getenv("PATH")
    shell.run("cd ..")
    again = shell.run(f"cd {project}")
    assert "not allowed" not in again, "one notice per project per shell session"
    assert not (project / ".venv" / "bin" / "python").exists()


def test_allowing_takes_effect_at_the_next_prompt(open_shell, home: Path):
    need_python("3.12")
    project = make_project(home / "later", "3.12", trusted=False)
    shell = open_shell(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run("venvd allow")
    shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run("venvd deny")
    shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") is None


def test_a_venv_activated_by_hand_is_left_alone(open_shell, home: Path, tmp_path: Path):
    python = need_python("3.11")
    need_python("3.12")
    manual = tmp_path / "manual-venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(manual)], check=True)
    project = make_project(home / "proj", "3.12")
    shell = open_shell()
    activate = f"source {manual}/bin/activate" + (".fish" if shell.name == "fish" else "")
    shell.run(activate)
    shell.run(f"cd {project}")
    assert shell.getenv("VIRTUAL_ENV") == str(manual)
    assert python_info(shell)[0] == str(manual)
    shell.run("deactivate")
    shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), "after the user's deactivate venvd takes over"


def test_off_and_deactivate_turn_the_project_off_until_on(open_shell, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_shell(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run("venvd off")
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run("cd .. && cd proj")
    assert shell.getenv("VIRTUAL_ENV") is None, "off holds for the whole shell session"
    shell.run("venvd on")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run("deactivate")
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run("cd .. && cd proj")
    assert shell.getenv("VIRTUAL_ENV") is None
    shell.run("venvd on")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")


def test_the_exit_status_the_user_sees_is_their_commands(open_shell, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    shell = open_shell()
    assert shell.status_after("false") == 1
    assert shell.status_after(f"cd {project}; false") == 1  # the hook runs export here
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    assert shell.status_after("sh -c 'exit 7'") == 7
    assert shell.status_after("cd ..; sh -c 'exit 3'") == 3  # and here, deactivating


@pytest.mark.parametrize(
    "name",
    ["it's \"quoted\"", "$(touch pwned)", "`touch pwned`", "new\nline", "emoji 🐍 ’smart’", "; touch pwned; #"],
    ids=["quotes", "dollar-paren", "backticks", "newline", "emoji", "semicolon"],
)
def test_a_directory_with_a_hostile_name_activates_and_runs_nothing(open_shell, home: Path, name: str):
    python = need_python("3.12")
    project = home / name
    project.mkdir()
    # A user-made venv keeps this test about quoting (venvd activates it as it is).
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    allow(project)
    shell = open_shell(cwd=project)
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run("cd ~")
    assert shell.getenv("VIRTUAL_ENV") is None
    assert not list(home.rglob("pwned")) and not list(Path("/").glob("pwned"))


def test_hook_works_under_set_u_and_keeps_prompt_command(home: Path, tmp_path: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    rc = "set -u\nPROMPT_COMMAND='echo mine >> ~/pc.log'\n"
    with SHELLS["bash"](tmp_path / "rc", shell_env(), home, rc) as shell:
        shell.run(f"cd {project}")
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        assert (home / "pc.log").read_text().count("mine") >= 2, "the existing PROMPT_COMMAND still runs"
        shell.run(f'eval "$(\'{venvd_script()}\' hook bash)"')  # a second eval adds nothing
        assert shell.run("echo \"$PROMPT_COMMAND\"").splitlines()[-1].count("_venvd_hook") == 1


def test_hook_joins_an_array_prompt_command(home: Path, tmp_path: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    rc = "PROMPT_COMMAND=('echo one >> ~/pc.log' 'echo two >> ~/pc.log')\n"
    with SHELLS["bash"](tmp_path / "rc", shell_env(), home, rc) as shell:
        shell.run(f"cd {project}")
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        log = (home / "pc.log").read_text()
        assert "one" in log and "two" in log
        assert shell.run('echo "${#PROMPT_COMMAND[@]}"').splitlines()[-1] == "3"


def test_bad_input_is_one_line_and_the_prompt_keeps_working(open_shell, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "not-a-version!")
    shell = open_shell()
    out = shell.run(f"cd {project}")
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("venvd: ") and "not-a-version!" in lines[0], out
    assert shell.run("echo still-here") == "still-here", "nothing repeats at the next prompt"
    (project / ".python-version").write_text("3.12\n")
    shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), "fixing the file is noticed"


def test_other_prompt_hooks_keep_running(shell_name: str, home: Path, tmp_path: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    rc = {
        "bash": "PROMPT_COMMAND='echo mine >> ~/hook.log'",
        "zsh": "mine() { echo mine >> ~/hook.log }; autoload -Uz add-zsh-hook; add-zsh-hook precmd mine",
        "fish": "function mine --on-event fish_prompt; echo mine >> ~/hook.log; end",
    }[shell_name]
    with SHELLS[shell_name](tmp_path / "rc", shell_env(), home, rc) as shell:
        shell.run(f"cd {project}")
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        assert (home / "hook.log").read_text().count("mine") >= 2
        shell.run(f"cd {home}")
        assert shell.getenv("VIRTUAL_ENV") is None


def test_entering_a_subdirectory_keeps_the_env_and_leaving_a_deleted_project_cleans_up(open_shell, home: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    (project / "src" / "pkg").mkdir(parents=True)
    shell = open_shell(cwd=project)
    shell.run("cd src/pkg")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    shell.run(f"cd {home} && rm -rf {project}")
    assert shell.getenv("VIRTUAL_ENV") is None
    assert str(project) not in shell.getenv("PATH")


def test_a_marker_created_where_the_shell_stands_is_noticed(open_shell, home: Path):
    need_python("3.12")
    need_python("3.11")
    outer = make_project(home / "outer", "3.12")
    (outer / "sub" / "deeper").mkdir(parents=True)
    shell = open_shell(cwd=outer)
    shell.run("cd sub/deeper")  # decided by the hook alone: still the outer project
    assert shell.getenv("VIRTUAL_ENV") == str(outer / ".venv")
    make_project(outer / "sub", "3.11")  # the directory above becomes a project of its own
    shell.run("true")
    assert python_info(shell) == (str(outer / "sub" / ".venv"), "3.11")


def test_ctrl_c_while_creating_leaves_nothing_half_done_and_is_not_retried(open_shell, home: Path, offline: Path):
    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    # The logging uv wrapper of the `offline` fixture sleeps first: time to press Ctrl-C.
    shell = open_shell(VENVD_TEST_UV_SLEEP="30")
    assert shell.child is not None
    shell.child.sendline(f"cd {project}")
    shell.child.expect_exact("venvd: creating")
    shell.child.sendintr()
    shell.child.expect_exact(PROMPT)
    assert shell.getenv("VIRTUAL_ENV") is None
    assert str(project / ".venv") not in shell.getenv("PATH")
    assert not (project / ".venv").exists(), "an interrupted creation is removed"
    out = shell.run("true")
    assert "creating" not in out.replace("creating ~/proj/.venv was interrupted", ""), out
    assert not (project / ".venv").exists(), "the next prompt does not start it again"
    shell.run("export VENVD_TEST_UV_SLEEP=0" if shell.name != "fish" else "set -gx VENVD_TEST_UV_SLEEP 0")
    shell.run("venvd sync")
    shell.run("true")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
