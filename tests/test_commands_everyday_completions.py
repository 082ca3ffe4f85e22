"""`venvd completions SHELL`: commands, their options and choices, and directories are
completed in real bash, fish and zsh; the PowerShell script parses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.conftest import venvd_script, which_shell

COMMANDS = ["allow", "completions", "daemon", "deny", "doctor", "exec", "export", "hook", "list", "off", "on",
            "prune", "status", "sync"]


def script(shell: str) -> str:
    out = subprocess.run([venvd_script(), "completions", shell], capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return out.stdout


@pytest.fixture
def dirs(tmp_path: Path) -> Path:
    """A working directory with two directories (one with a space) and a file."""
    (tmp_path / "my dir").mkdir()
    (tmp_path / "mydir2").mkdir()
    (tmp_path / "myfile").write_text("")
    return tmp_path


def bash_complete(where: Path, *words: str) -> list[str]:
    """What bash's completion of venvd offers for the line *words* (the last one being typed),
    as bash runs it on TAB: COMP_WORDS/COMP_CWORD set, the registered function called."""
    path = where / "venvd.bash"
    path.write_text(script("bash"))
    argv = " ".join("'" + w.replace("'", "'\\''") + "'" for w in ("venvd",) + words)
    code = (f"source '{path}'; spec=$(complete -p venvd); fn=${{spec#*-F }}; fn=${{fn%% *}}; "
            f"COMP_WORDS=({argv}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMPREPLY=(); \"$fn\"; "
            "printf '%s\\n' \"${COMPREPLY[@]}\"")
    out = subprocess.run([which_shell("bash"), "--norc", "--noprofile", "-c", code], cwd=where, capture_output=True,
                         text=True, check=True)
    assert out.stderr == ""
    return [line for line in out.stdout.splitlines() if line]


def test_bash_registers_a_completion_for_venvd(dirs: Path) -> None:
    path = dirs / "venvd.bash"
    path.write_text(script("bash"))
    out = subprocess.run([which_shell("bash"), "--norc", "-c", f"source '{path}'; complete -p venvd"],
                         capture_output=True, text=True, check=True)
    assert re.fullmatch(r"complete -F \S+ venvd\n", out.stdout)


def test_bash_completes_commands_options_choices_and_directories(dirs: Path) -> None:
    assert bash_complete(dirs, "") == COMMANDS or sorted(bash_complete(dirs, "")) == COMMANDS
    assert bash_complete(dirs, "st") == ["status"]
    assert bash_complete(dirs, "pr") == ["prune"]
    assert sorted(bash_complete(dirs, "daemon", "")) == ["install", "run", "start", "status", "stop", "uninstall"]
    assert bash_complete(dirs, "daemon", "start", "") == [], "one argument only"
    assert bash_complete(dirs, "status", "--j") == ["--json"]
    assert bash_complete(dirs, "prune", "--d") == ["--dry-run"]
    assert sorted(bash_complete(dirs, "list", "--")) == ["--help", "--json"]
    assert sorted(bash_complete(dirs, "completions", "")) == ["bash", "fish", "powershell", "pwsh", "zsh"]
    # A directory argument completes directories, not files; a name with a space is one word.
    assert sorted(bash_complete(dirs, "allow", "my")) == ["my dir", "mydir2"]
    assert sorted(bash_complete(dirs, "status", "")) == ["my dir", "mydir2"]
    assert bash_complete(dirs, "daemon", "--workers", "") == [], "an option's value is not completed"
    # exec DIR -- COMMAND: a command name after --
    assert "bash" in bash_complete(dirs, "exec", ".", "--", "bas")


def fish_complete(where: Path, line: str) -> list[str]:
    path = where / "venvd.fish"
    path.write_text(script("fish"))
    out = subprocess.run([which_shell("fish"), "--no-config", "-c", f"source '{path}'; complete -C '{line}'"],
                         cwd=where, capture_output=True, text=True, check=True)
    assert out.stderr == ""
    return [entry.split("\t")[0] for entry in out.stdout.splitlines()]


def test_fish_completes_commands_options_choices_and_directories(dirs: Path) -> None:
    assert sorted(fish_complete(dirs, "venvd ")) == COMMANDS
    assert fish_complete(dirs, "venvd st") == ["status"]
    assert sorted(fish_complete(dirs, "venvd daemon ")) == ["install", "run", "start", "status", "stop",
                                                            "uninstall"]
    assert fish_complete(dirs, "venvd daemon status ") == [], "'status' here is the daemon's action"
    assert fish_complete(dirs, "venvd status --j") == ["--json"]
    assert fish_complete(dirs, "venvd prune --d") == ["--dry-run"]
    assert sorted(fish_complete(dirs, "venvd allow my")) == ["my dir/", "mydir2/"]
    assert sorted(fish_complete(dirs, "venvd completions ")) == ["bash", "fish", "powershell", "pwsh", "zsh"]
    assert "bash" in fish_complete(dirs, "venvd exec . -- bas")


@pytest.mark.shells
def test_zsh_completes_with_compinit_in_a_real_interactive_zsh(dirs: Path) -> None:
    path = dirs / "venvd.zsh"
    path.write_text(script("zsh"))
    child = pexpect.spawn(which_shell("zsh"), ["-f", "-i"], cwd=str(dirs), encoding="utf-8", timeout=20,
                          env={"TERM": "dumb", "PATH": "/usr/bin:/bin", "HOME": str(dirs)}, dimensions=(40, 200))
    try:
        child.sendline(f"PS1='@P@ '; autoload -Uz compinit; compinit -u -D; source '{path}'")
        child.expect_exact("@P@ ")
        child.expect_exact("@P@ ")

        def tab(line: str, expect: str) -> None:
            child.send(line + "\t")
            child.expect(expect)
            child.send("\x15\r")  # kill the line, new prompt
            child.expect_exact("@P@ ")

        tab("venvd st", r"venvd status ")  # the only match, inserted with a space
        tab("venvd daemon st", r"start +status +stop")  # listed
        tab("venvd status --j", r"venvd status --json ")
        tab("venvd allow my", r"my\\ dir/ +mydir2/")  # directories only, the space quoted
        tab("venvd completions p", r"powershell +pwsh")
    finally:
        child.close(force=True)


def test_the_powershell_script_parses_and_names_every_command() -> None:
    pwsh_syntax = pytest.importorskip("tests.test_pwsh_syntax")
    code = script("pwsh")
    assert pwsh_syntax.syntax_errors(code) == []
    assert "Register-ArgumentCompleter -Native -CommandName @('venvd', 'venvd.exe')" in code
    keys = re.findall(r"^        '([a-z]+)' = @\{", code, re.M)
    assert sorted(keys) == COMMANDS
    assert "'--dry-run'" in code and "'install', 'uninstall'" in code


def test_powershell_is_also_accepted_as_the_shell_name() -> None:
    assert script("powershell") == script("pwsh")


def test_zsh_without_compinit_gets_one_line_saying_what_to_add(tmp_path: Path) -> None:
    path = tmp_path / "venvd.zsh"
    path.write_text(script("zsh"))
    out = subprocess.run([which_shell("zsh"), "-f", "-c", f"source '{path}'; echo status=$?"], capture_output=True,
                         text=True)
    assert out.stderr == ("venvd: zsh completions need compinit first: put 'autoload -Uz compinit && compinit' "
                          "before this line\n")
    assert out.stdout == "status=0\n"


def test_powershell_help_texts_are_verbatim_strings_for_all_five_quote_characters() -> None:
    pwsh_syntax = pytest.importorskip("tests.test_pwsh_syntax")
    from venvd.commands.completions import _ps_quote

    text = "venvd\u2019s 'own' \u2018help\u2019 \u201a\u201b"
    literal = _ps_quote(text)
    assert pwsh_syntax.syntax_errors(f"$x = {literal}") == []
    assert pwsh_syntax.unquote_verbatim(literal) == text
