"""Directory names that are not UTF-8, or that hold terminal escapes (issue 9, point 8).

A name is bytes: ``b"proj-\\xff"`` (a Latin-1 name on a UTF-8 system) must be activated once
and stay activated, prompt after prompt, under ``LANG=en_US.UTF-8`` and ``C.UTF-8``. A name
holding ESC, BEL, CR or a newline is shown escaped in every ``venvd:`` line: what reaches
the terminal is text, never a colour change, a bell or a line overwritten.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SHELLS, allow, make_project, need_python, venvd_script
from tests.shellharness import SHELLS, shell_env

pytestmark = pytest.mark.shells

NOT_UTF8 = os.fsdecode(b"proj-\xff")  # "proj-\udcff": the byte 0xFF, as Python spells it
HOSTILE = "red\x1b[31m-bell\x07-cr\r-nl\n-c1\x9b2J-end"
HOSTILE_SHOWN = "red\\x1b[31m-bell\\x07-cr\\r-nl\\n-c1\\x9b2J-end"


def _need_locale(lang: str) -> None:
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower().split()
    if lang.lower().replace("utf-8", "utf8") not in out:
        if REQUIRE_SHELLS:  # CI generates it (.ci/run): missing there is a failure
            pytest.fail(f"locale {lang} is required in CI but is not generated")
        pytest.skip(f"locale {lang} is not generated here (localedef -i en_US -f UTF-8 {lang})")


def _cd(shell_name: str) -> str:
    return "cd $P" if shell_name == "fish" else 'cd "$P"'


@pytest.mark.parametrize("lang", ["C.UTF-8", "en_US.UTF-8"])
def test_a_project_whose_name_is_not_utf8_is_activated_once_and_kept(
        open_shell, shell_name: str, home: Path, lang: str) -> None:
    need_python("3.12")
    _need_locale(lang)
    project = make_project(home / NOT_UTF8, "3.12")
    (home / "plain").mkdir()
    venv = home / "venvs" / "proj"  # uv and the venv module make venvs at UTF-8 paths only
    shell = open_shell(cwd=home / "plain", LANG=lang, LC_ALL="", LC_CTYPE="", P=str(project),
                       UV_PROJECT_ENVIRONMENT=str(venv))
    out = shell.run(_cd(shell_name))
    assert "creating ~/venvs/proj" in out and "Error" not in out and "internal" not in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(venv)
    made = (venv / "pyvenv.cfg").stat().st_ino
    marker = (venv / ".venvd" / "created").read_bytes()
    assert b"proj-\xff" in marker, "venvd's marker names the project by its real bytes"
    for _ in range(3):
        assert shell.run("true") == "", "nothing is said (and nothing recreated) at a later prompt"
    assert shell.run("cd .. && " + _cd(shell_name)) == ""
    assert (venv / "pyvenv.cfg").stat().st_ino == made, "the venv was not recreated"
    assert (venv / ".venvd" / "created").read_bytes() == marker
    shell.run("cd ~")
    assert shell.getenv("VIRTUAL_ENV") is None
    assert str(venv / "bin") not in shell.getenv("PATH")


@pytest.mark.parametrize("lang", ["C.UTF-8", "en_US.UTF-8"])
def test_a_venv_whose_path_is_not_utf8_is_activated_by_its_bytes(
        open_shell, shell_name: str, home: Path, lang: str) -> None:
    python = need_python("3.12")
    _need_locale(lang)
    project = home / NOT_UTF8
    project.mkdir()
    elsewhere = home / "made-by-hand"
    subprocess.run([python, "-m", "venv", "--without-pip", str(elsewhere)], check=True)
    (project / ".venv").symlink_to(elsewhere)  # the user's venv, reached by a non-UTF-8 path
    allow(project)
    shell = open_shell(cwd=home, LANG=lang, LC_ALL="", LC_CTYPE="", P=str(project))
    out = shell.run(_cd(shell_name))
    assert out == "", out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    assert shell.getenv("PATH").split(":")[0] == str(project / ".venv" / "bin")
    assert shell.run("python -c 'import os, sys; print(os.path.samefile(sys.prefix, sys.argv[1]))' "
                     + str(elsewhere)) == "True"
    assert shell.run("true") == ""
    shell.run("cd ~")
    assert shell.getenv("VIRTUAL_ENV") is None
    assert str(project / ".venv" / "bin") not in shell.getenv("PATH")


def test_a_venv_that_cannot_be_made_at_a_non_utf8_path_is_one_line_once(open_shell, home: Path) -> None:
    need_python("3.12")
    project = make_project(home / NOT_UTF8, "3.12")
    shell = open_shell(cwd=home, P=str(project))
    out = shell.run(_cd(shell.name))
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and "~/proj-\\xff/.venv" in lines[0] and "not valid UTF-8" in lines[0], out
    assert "internal error" not in out
    assert shell.run("true") == "", "not said again at every prompt"
    assert shell.getenv("VIRTUAL_ENV") is None
    assert not (project / ".venv").exists()


def test_messages_show_a_name_that_is_not_utf8_as_its_byte(home: Path) -> None:
    project = make_project(home / NOT_UTF8, "3.12", trusted=False)
    result = subprocess.run([venvd_script(), "export", "bash"], cwd=project, capture_output=True,
                            env=dict(os.environ, PWD=str(project), LANG="C.UTF-8"))
    said = result.stderr.decode("utf-8")  # strict: what reaches the terminal is valid text
    assert said == "venvd: ~/proj-\\xff is not allowed to run code here; " \
                   "'venvd allow' activates its venv (and creates it if needed)\n"
    assert b"\xff" in result.stdout, "the shell code names the directory by its real bytes"


def _venvd_lines(raw: str) -> list[str]:
    """The ``venvd:`` lines in raw terminal output (the pty ends each line with CR LF)."""
    return [line.removesuffix("\r") for line in raw.split("\n") if "venvd:" in line]


def test_escape_sequences_in_a_name_are_shown_escaped_in_every_line(open_shell, shell_name: str,
                                                                    home: Path) -> None:
    from tests.shellharness import PROMPT

    project = make_project(home / HOSTILE, "3.12", trusted=False)
    shell = open_shell(P=str(project))
    assert shell.child is not None
    raw = ""
    # The marker is printed from two halves so its echo never matches; what the hook says
    # comes between it and the prompt.
    for command in (_cd(shell_name), "venvd allow; venvd deny"):
        shell.child.sendline(f"{command}; printf '%s%s\\n' '@@do' 'ne@@'")
        shell.child.expect_exact("@@done@@")
        raw += shell.child.before
        shell.child.expect_exact(PROMPT)
        raw += shell.child.before
    lines = _venvd_lines(raw)
    assert len(lines) == 3, raw  # not allowed, allowed, denied
    assert all(HOSTILE_SHOWN in line for line in lines), lines
    for line in lines:
        assert not any(c in line for c in "\x1b\x07\r\x9b"), repr(line)
    # Nothing of the name reached the terminal raw, anywhere in what venvd printed.
    assert "\x1b[31m" not in raw and "\x07" not in raw and "\x9b" not in raw


@pytest.mark.parametrize("name", [HOSTILE, NOT_UTF8], ids=["escapes", "not-utf8"])
def test_status_and_allow_show_hostile_names_escaped(home: Path, name: str) -> None:
    project = make_project(home / name, "3.12", trusted=False)
    for argv in (["allow"], ["deny"], ["status"]):
        result = subprocess.run([venvd_script(), *argv], cwd=project, capture_output=True,
                                env=dict(os.environ, PWD=str(project), LANG="C.UTF-8"))
        shown = (result.stdout + result.stderr).decode("utf-8")
        assert not any(c in shown for c in "\x1b\x07\r\x9b"), (argv, shown)
        assert "internal error" not in shown, shown
    allow(project)


def test_the_prompt_name_venvd_sets_holds_no_terminal_escapes(open_shell, home: Path) -> None:
    # VIRTUAL_ENV_PROMPT is printed raw by prompt themes: a name with ESC or BEL in it
    # would retitle or recolour the terminal at every prompt.
    python = need_python("3.12")
    project = home / HOSTILE
    project.mkdir()
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    allow(project)
    shell = open_shell(cwd=project)
    # (VIRTUAL_ENV itself is the real path, escapes and all: compared inside Python.)
    assert shell.run("python -c 'import os, sys; print(sys.prefix == os.environ[\"VIRTUAL_ENV\"])'") == "True"
    assert shell.getenv("VIRTUAL_ENV_PROMPT") == HOSTILE_SHOWN


def test_venvds_own_directories_may_have_names_that_are_not_utf8(open_shell, home: Path, tmp_path: Path) -> None:
    # A home (and so venvd's cache, state and data dirs) named in another encoding: the
    # hook is printed, and stamps and records live there, by their bytes.
    need_python("3.12")
    cache = tmp_path / os.fsdecode(b"cache-\xe9")
    result = subprocess.run([venvd_script(), "hook", "bash"], capture_output=True,
                            env=dict(os.environ, VENVD_CACHE_DIR=str(cache), LANG="C.UTF-8"))
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert b"cache-\xe9" in result.stdout
    project = make_project(home / "proj", "3.12")
    shell = open_shell(cwd=home, VENVD_CACHE_DIR=str(cache), LANG="C.UTF-8")
    out = shell.run(f"cd {project}")
    assert "internal error" not in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    assert shell.run("true") == ""
    assert any(cache.joinpath("stamps").iterdir()), "the stamps are made in the non-UTF-8 cache dir"
