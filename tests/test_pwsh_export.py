"""PowerShell spelling, exactly: quoting, each kind of statement, the hook's placeholders."""

from __future__ import annotations

import pytest

from venvd.envdiff import Change
from venvd.shells import get_shell
from venvd.shells.pwsh import Pwsh, verbatim


@pytest.fixture
def pwsh() -> Pwsh:
    return get_shell("pwsh")


@pytest.mark.parametrize("name", ["pwsh", "powershell", "pwsh.exe", "powershell.exe", "PowerShell.EXE",
                                  "/usr/bin/pwsh", "-pwsh"])
def test_every_name_of_powershell_is_the_pwsh_shell(name: str):
    assert isinstance(get_shell(name), Pwsh)


@pytest.mark.parametrize(
    "value, quoted",
    [
        ("", "''"),
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("''", "''''''"),
        ('"double" $HOME $(whoami) ${x} @args `n #', """'"double" $HOME $(whoami) ${x} @args `n #'"""),
        (";exit 1;", "';exit 1;'"),
        ("C:\\Program Files\\x", "'C:\\Program Files\\x'"),
    ],
)
def test_printable_ascii_is_one_single_quoted_string(pwsh: Pwsh, value: str, quoted: str):
    assert pwsh.quote(value) == quoted


@pytest.mark.parametrize(
    "value, quoted",
    [
        ("a\nb", "('a' + [char]0x000A + 'b')"),
        ("\r\n", "('' + [char]0x000D + [char]0x000A)"),
        ("tab\t", "('tab' + [char]0x0009)"),
        ("caf\u00e9", "('caf' + [char]0x00E9)"),
        ("\U0001F40D", "('' + [char]0xD83D + [char]0xDC0D)"),
        ("py \U0001F40D!", "('py ' + [char]0xD83D + [char]0xDC0D + '!')"),
        ("\u2018it\u2019s\u2019", "('' + [char]0x2018 + 'it' + [char]0x2019 + 's' + [char]0x2019)"),
        ("\u201a\u201b'", "('' + [char]0x201A + [char]0x201B + '''')"),
        ("\x7f", "('' + [char]0x007F)"),
    ],
)
def test_anything_else_is_spelled_with_char_casts(pwsh: Pwsh, value: str, quoted: str):
    assert pwsh.quote(value) == quoted
    assert quoted.isascii()


def test_all_five_single_quotes_are_doubled_in_a_verbatim_string():
    assert verbatim("'\u2018\u2019\u201a\u201b") == "'''\u2018\u2018\u2019\u2019\u201a\u201a\u201b\u201b'"
    assert verbatim('"`$') == "'\"`$'"


def test_each_kind_of_statement(pwsh: Pwsh):
    assert pwsh.set_env("VIRTUAL_ENV", "/p/.venv") == "$env:VIRTUAL_ENV = '/p/.venv'"
    assert pwsh.set_env("PATH", "C:\\p\\.venv\\Scripts;C:\\Windows") == "$env:PATH = 'C:\\p\\.venv\\Scripts;C:\\Windows'"
    assert pwsh.unset_env("PYTHONHOME") == "Remove-Item Env:PYTHONHOME -ErrorAction Ignore"
    assert pwsh.set_state("_VENVD_PWD", "/p") == "$global:_VENVD_PWD = '/p'"
    assert pwsh.set_state("_VENVD_WATCH", ["/p", "/p/it's"]) == "$global:_VENVD_WATCH = @('/p', '/p/it''s')"
    assert pwsh.set_state("_VENVD_WATCH", ["/p"]) == "$global:_VENVD_WATCH = @('/p')"
    assert pwsh.set_state("_VENVD_WATCH", []) == "$global:_VENVD_WATCH = @()"
    assert pwsh.define_deactivate() == "function global:deactivate { _venvd_deactivate @args }"
    assert pwsh.remove_deactivate() == "Remove-Item Function:deactivate -ErrorAction Ignore"


@pytest.mark.parametrize("name", ["", "1A", "A-B", "A B", "A:B", "A;B", "env:X", "A$", "\u00c4", "A}"])
def test_a_bad_variable_name_is_refused(pwsh: Pwsh, name: str):
    with pytest.raises(ValueError):
        pwsh.set_env(name, "x")
    with pytest.raises(ValueError):
        pwsh.unset_env(name)
    with pytest.raises(ValueError):
        pwsh.set_state(name, "x")
    with pytest.raises(ValueError):
        pwsh.export(Change(env={name: "x"}))


def test_export_is_sorted_env_then_state_then_deactivate(pwsh: Pwsh):
    change = Change(
        env={"VIRTUAL_ENV": "/p/.venv", "PATH": "/p/.venv/bin:/usr/bin", "PYTHONHOME": None},
        state={"_VENVD_WATCH": ["/p", "/p/pyproject.toml"], "_VENVD_PWD": "/p"},
        deactivate=True,
    )
    assert pwsh.export(change) == (
        "$env:PATH = '/p/.venv/bin:/usr/bin'\n"
        "Remove-Item Env:PYTHONHOME -ErrorAction Ignore\n"
        "$env:VIRTUAL_ENV = '/p/.venv'\n"
        "$global:_VENVD_PWD = '/p'\n"
        "$global:_VENVD_WATCH = @('/p', '/p/pyproject.toml')\n"
        "function global:deactivate { _venvd_deactivate @args }\n"
    )
    assert pwsh.export(Change(deactivate=False)) == "Remove-Item Function:deactivate -ErrorAction Ignore\n"
    assert pwsh.export(Change()) == ""


def test_one_statement_a_line_even_for_values_with_newlines(pwsh: Pwsh):
    # PowerShell splits a native command's output at CR and LF; the hook joins the lines
    # again, which is only lossless when no value holds a line break itself.
    code = pwsh.export(Change(env={"A": "1\r\n2\r3\n"}, state={"_VENVD_WATCH": ["x\ny"]}))
    assert code.splitlines() == [
        "$env:A = ('1' + [char]0x000D + [char]0x000A + '2' + [char]0x000D + '3' + [char]0x000A)",
        "$global:_VENVD_WATCH = @(('x' + [char]0x000A + 'y'))",
    ]


def test_the_hook_fills_in_the_launcher_as_an_array(pwsh: Pwsh):
    hook = pwsh.hook(["/opt/venvd/bin/python", "-I", "-m", "venvd"], "cache=/c;data=/d\u2019")
    assert "$global:_venvd_command = @('/opt/venvd/bin/python', '-I', '-m', 'venvd')\n" in hook
    assert "$global:_VENVD_DIRS = ('cache=/c;data=/d' + [char]0x2019)\n" in hook
    assert "@VENVD_" not in hook


# --- the activation cache (issue 12): the state the core hands the pwsh hook -------------


def test_the_entry_and_undo_state_are_spelled_exactly(pwsh: Pwsh):
    entry = ["/p/it's", "/p/it's/.venv", "/p/it's/.venv/bin", "it's \U0001F40D", "",
             "v=1;project=/p/it's;venv=/p/it's/.venv;bin=/p/it's/.venv/bin", "/c/stamps/15", "/c/stamps/0",
             "1", "HOME", "1", "/home/j\u2019", "2", "/p/it's", "/p/it's/uv.lock", "-/c/stamps/15", ""]
    assert pwsh.set_state("_VENVD_ENTRY", entry) == (
        "$global:_VENVD_ENTRY = @('/p/it''s', '/p/it''s/.venv', '/p/it''s/.venv/bin', "
        "('it''s ' + [char]0xD83D + [char]0xDC0D), '', "
        "'v=1;project=/p/it''s;venv=/p/it''s/.venv;bin=/p/it''s/.venv/bin', '/c/stamps/15', '/c/stamps/0', "
        "'1', 'HOME', '1', ('/home/j' + [char]0x2019), '2', '/p/it''s', '/p/it''s/uv.lock', '-/c/stamps/15', '')"
    )
    assert pwsh.set_state("_VENVD_ENTRY", ["/p"]) == "$global:_VENVD_ENTRY = @('/p')"  # forget /p
    assert pwsh.set_state("_VENVD_ENTRY", []) == "$global:_VENVD_ENTRY = @()"
    undo = ["v=1;project=/p;venv=/p/.venv;bin=/p/.venv/bin;$PYTHONHOME;$VIRTUAL_ENV;$VIRTUAL_ENV_PROMPT=a%3Db",
            "/p/.venv", "/p/.venv/bin", "PYTHONHOME", "0", "", "VIRTUAL_ENV", "0", "", "VIRTUAL_ENV_PROMPT", "1", "a=b"]
    assert pwsh.set_state("_VENVD_UNDO", undo) == (
        "$global:_VENVD_UNDO = @('v=1;project=/p;venv=/p/.venv;bin=/p/.venv/bin;$PYTHONHOME;$VIRTUAL_ENV;"
        "$VIRTUAL_ENV_PROMPT=a%3Db', '/p/.venv', '/p/.venv/bin', 'PYTHONHOME', '0', '', 'VIRTUAL_ENV', '0', '', "
        "'VIRTUAL_ENV_PROMPT', '1', 'a=b')"
    )


def _export_pwsh(cwd, env: dict) -> str:
    import os
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-I", "-m", "venvd", "export", "pwsh"], cwd=cwd,
                            env=dict(os.environ, PWD=str(cwd), **env), capture_output=True)
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    code = result.stdout.decode("ascii")  # printable ASCII only, whatever the names
    return code


def test_the_core_hands_pwsh_the_entry_it_saves_and_the_undo_of_its_record(home):
    from tests.conftest import make_project, need_python
    from tests.test_pwsh_syntax import assignments
    from venvd.activation_cache import saved, undo_state
    from venvd.envdiff import Record
    from venvd.paths import cache_dir

    need_python("3.12")
    project = make_project(home / "it's \u2019$(x)\U0001F40D", "3.12")
    pwsh = get_shell("pwsh")
    first = _export_pwsh(project, {})  # creates the venv and says so: not cached
    back = assignments(first)
    assert back["$global:_VENVD_ENTRY"] == [str(project)]
    env = {"PATH": back["$env:PATH"], "VIRTUAL_ENV": back["$env:VIRTUAL_ENV"], "VENVD_DIFF": back["$env:VENVD_DIFF"]}
    diff = env["VENVD_DIFF"]
    assert f"{pwsh.set_state('_VENVD_UNDO', undo_state(Record.decode(diff), diff))}\n" in first

    second = _export_pwsh(project, env)  # ready and plain: its activation is handed over and saved
    lines = second.splitlines()
    (entry,) = saved(cache_dir())
    assert pwsh.set_state("_VENVD_ENTRY", entry) in lines
    assert pwsh.set_state("_VENVD_UNDO", undo_state(Record.decode(diff), diff)) in lines
    venv, bindir = str(project / ".venv"), str(project / ".venv" / "bin")
    assert entry[:6] == [str(project), venv, bindir, project.name, "",
                         Record(str(project), venv, bindir, {}).encode()]
    undo = assignments(second)["$global:_VENVD_UNDO"]
    assert undo[:3] == [diff, venv, bindir]
    assert Record.decode(undo[0]).saved == {k: (None if f == "0" else v)
                                            for k, f, v in zip(undo[3::3], undo[4::3], undo[5::3])}
