"""`prompt = true` in the user config (issue 11 point 6): the hook shows "(name) " before
the prompt while one of venvd's venvs is active, the way the stdlib's activate does, and
gives the user's prompt back exactly; default off changes nothing.

Real bash, zsh and fish through the pty harness: what is asserted is the text the shell
draws in front of the harness's prompt marker, and the prompt itself (PS1, fish_prompt)
byte for byte. PowerShell cannot run here: its hook is read with tree-sitter instead.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import make_project, venvd_script
from tests.shellharness import _ANSI, _FISH_NO_NEWLINE, PROMPT, SHELLS, shell_env

CONFIG = Path(".config") / "venvd" / "config.toml"  # under the test's HOME (VENVD_CONFIG_DIR)
# What the shell was told to draw, as it holds it: PS1, or fish's prompt function.
SHOW_PS1 = {"bash": "printf '<%s>\\n' \"$PS1\"", "zsh": "printf '<%s>\\n' \"$PS1\"",
            "fish": "functions fish_prompt | string match -v '#*'"}
NO_CORE = {"bash": "_venvd_command=(false)", "zsh": "_venvd_command=(false)", "fish": "set -g __venvd_command false"}
HOOK_AGAIN = {"bash": f"eval \"$('{venvd_script()}' hook bash)\"", "zsh": f"eval \"$('{venvd_script()}' hook zsh)\"",
              "fish": f"'{venvd_script()}' hook fish | source"}
# A directory name that is code in every prompt language venvd writes to: quotes,
# command substitutions, zsh's % escapes and !, bash's \u, parameter expansions.
HOSTILE = "it's \"q\" $(echo RAN) `echo RAN` %n %F{red}x%f ${HOME} \\u \\\\ ! !! {a} end"


def write_config(home: Path, text: str) -> None:
    path = home / CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def step(shell, command: str) -> tuple[str, str]:
    """Run *command* at the prompt: (its output, the prefix drawn before the next prompt's
    marker, i.e. what venvd added to it)."""
    child = shell.child
    child.sendline(f"printf '%s%s\\n' '@@be' 'gin@@'; {command}; printf '%s%s\\n' '@@e' 'nd@@'")
    child.expect_exact("@@begin@@")
    child.expect_exact("@@end@@")
    out = _text(child.before)
    child.expect_exact(PROMPT)
    drawn = _text(child.before)
    return out.strip("\n"), drawn.rsplit("\n", 1)[-1]


def _text(raw: str) -> str:
    return _FISH_NO_NEWLINE.sub("", _ANSI.sub("", raw)).replace("\r\n", "\n").replace("\r", "")


def prefix(shell, command: str = "true") -> str:
    return step(shell, command)[1]


def ps1(shell) -> str:
    return step(shell, SHOW_PS1[shell.name])[0]


def env_var(shell, name: str) -> str:
    return step(shell, f"printenv {name}; echo")[0]


def cd(path: Path) -> str:
    return f"cd {shlex.quote(str(path))}"


@pytest.fixture
def prompt_shell(open_shell: Callable, home: Path) -> Callable:
    """A shell like the user's: VIRTUAL_ENV_DISABLE_PROMPT not set (the harness sets it)."""
    def open_(cwd: "Path | None" = None, extra_rc: str = "", **env: str):
        env.setdefault("VIRTUAL_ENV_DISABLE_PROMPT", "")
        return open_shell(cwd, extra_rc, **env)
    return open_


@pytest.mark.shells
def test_the_name_is_shown_inside_and_the_prompt_given_back_exactly(prompt_shell, home: Path, shell_name: str):
    write_config(home, "prompt = true\n")
    project = make_project(home / "proj", "3.12")
    (project / "src").mkdir()
    shell = prompt_shell()
    original = ps1(shell)
    assert prefix(shell) == ""
    assert prefix(shell, cd(project)) == "(proj) "
    assert prefix(shell) == "(proj) "  # a prompt where nothing changed: still one
    assert prefix(shell, "cd src") == "(proj) "
    assert prefix(shell, "cd /") == ""
    assert ps1(shell) == original

    assert prefix(shell, cd(project)) == "(proj) "
    assert prefix(shell, "venvd off") == ""
    assert ps1(shell) == original
    assert prefix(shell, "venvd on") == "(proj) "
    assert prefix(shell, "deactivate") == ""
    assert ps1(shell) == original
    assert env_var(shell, "VIRTUAL_ENV") == ""
    assert prefix(shell, "venvd on") == "(proj) "

    # Loading the hook again (or the whole rc file) adds no second prefix.
    assert prefix(shell, HOOK_AGAIN[shell_name]) == "(proj) "
    assert prefix(shell) == "(proj) "
    assert prefix(shell, "cd /") == ""
    assert ps1(shell) == original


@pytest.mark.shells
def test_a_prompt_the_user_changed_inside_is_kept(prompt_shell, home: Path, shell_name: str):
    write_config(home, "prompt = true\n")
    project = make_project(home / "proj", "3.12")
    shell = prompt_shell()
    assert prefix(shell, cd(project)) == "(proj) "
    if shell_name == "fish":
        mine = f"function fish_prompt; printf 'mine %s ' '{PROMPT}'; end"
        assert prefix(shell, mine) == "mine "  # their own function now: venvd's wrapper is gone
        assert prefix(shell, "cd /") == "mine "
        assert "printf 'mine %s '" in ps1(shell)
        assert prefix(shell, cd(project)) == "(proj) mine "  # their new prompt, wrapped
        assert prefix(shell, "cd /") == "mine "
        return
    assert prefix(shell, 'PS1="mine $PS1"') == "(proj) mine "
    assert prefix(shell, "cd /") == "mine "
    assert ps1(shell) == f"<mine {PROMPT} >"
    assert prefix(shell, cd(project)) == "(proj) mine "
    assert prefix(shell, f"PS1='{PROMPT} '") == "(proj) "  # replaced outright: prefixed again
    assert prefix(shell, "cd /") == ""
    assert ps1(shell) == f"<{PROMPT} >"


# The user's prompt options (which decide how a name must be spelled) and the rc options
# the hook must work under (tests/test_shell_options.py).
HOSTILE_CASES = [("bash", ""), ("bash", "shopt -u promptvars"), ("bash", "set -o posix; shopt -u promptvars"),
                 ("bash", "set -eu; shopt -s failglob nullglob extglob nocasematch"),
                 ("zsh", ""), ("zsh", "setopt prompt_subst prompt_bang"), ("zsh", "unsetopt prompt_percent"),
                 ("zsh", "emulate sh"), ("zsh", "setopt KSH_ARRAYS NO_UNSET WARN_CREATE_GLOBAL SH_WORD_SPLIT ERR_EXIT"),
                 ("fish", ""), ("fish", "set -g fish_private_mode 1")]


@pytest.mark.shells
@pytest.mark.parametrize("shell_name, options", HOSTILE_CASES)
def test_a_hostile_name_is_shown_as_it_is_never_run(home: Path, tmp_path: Path, shell_name: str, options: str):
    write_config(home, "prompt = true\n")
    project = make_project(home / HOSTILE, "3.12")
    env = shell_env({"VIRTUAL_ENV_DISABLE_PROMPT": "", "HOSTILE_DIR": str(project)})
    with SHELLS[shell_name](tmp_path / "rc", env, home, options) as shell:
        original = ps1(shell)
        said, shown = step(shell, 'cd "$HOSTILE_DIR"')
        assert all(line.startswith("venvd: ") for line in said.splitlines() if line.strip()), said
        assert env_var(shell, "VIRTUAL_ENV_PROMPT") == HOSTILE
        assert shown == f"({HOSTILE}) ", shown
        assert step(shell, "true") == ("", f"({HOSTILE}) ")
        assert step(shell, "deactivate")[1] == ""
        assert ps1(shell) == original
        assert prefix(shell, "venvd on") == f"({HOSTILE}) "
        assert step(shell, "cd ~") == ("", "")
        assert ps1(shell) == original
        assert shell.child.isalive()


@pytest.mark.shells
def test_entries_from_the_cache_show_and_drop_the_name(prompt_shell, home: Path, tmp_path: Path, shell_name: str):
    """No core: the activation cache enters and leaves, and the prefix follows; a new shell
    whose first entry comes from the saved entries shows it too (`venvd hook` embedded it)."""
    from tests.test_zero_process_cd import warm

    write_config(home, "prompt = true\n")
    first, second = make_project(home / "first", "3.12"), make_project(home / "second", "3.12")
    shell = prompt_shell()
    original = ps1(shell)
    warm(shell, [first, second])
    shell.run(NO_CORE[shell_name])
    assert prefix(shell, cd(first)) == "(first) "
    assert prefix(shell, cd(second)) == "(second) "
    assert env_var(shell, "VIRTUAL_ENV") == str(second / ".venv")
    assert prefix(shell, "cd /") == ""
    assert env_var(shell, "VIRTUAL_ENV") == ""
    assert ps1(shell) == original

    class NoCore(SHELLS[shell_name]):  # type: ignore[misc, valid-type]
        def rc_text(self) -> str:  # the core is gone before the first prompt
            return super().rc_text() + NO_CORE[shell_name] + "\n"

    with NoCore(tmp_path / "rc-new", shell_env({"VIRTUAL_ENV_DISABLE_PROMPT": ""}), second) as new:
        assert prefix(new) == "(second) "
        assert env_var(new, "VIRTUAL_ENV") == str(second / ".venv")
        assert prefix(new, "cd /") == ""


@pytest.mark.shells
def test_off_by_default_and_the_config_file_decides_at_the_next_prompt(prompt_shell, home: Path, shell_name: str):
    project = make_project(home / "proj", "3.12")
    shell = prompt_shell()
    original = ps1(shell)
    assert prefix(shell, cd(project)) == ""
    assert env_var(shell, "VIRTUAL_ENV") == str(project / ".venv")
    assert ps1(shell) == original
    write_config(home, "prompt = false\n")
    assert prefix(shell) == ""
    write_config(home, "# show it\nprompt = true\n")  # the config file is watched: no new shell needed
    assert prefix(shell) == "(proj) "
    write_config(home, "prompt = false\n")
    assert prefix(shell) == ""
    assert ps1(shell) == original


@pytest.mark.shells
def test_virtual_env_disable_prompt_is_respected(prompt_shell, home: Path, shell_name: str):
    write_config(home, "prompt = true\n")
    project = make_project(home / "proj", "3.12")
    shell = prompt_shell(VIRTUAL_ENV_DISABLE_PROMPT="1")
    original = ps1(shell)
    assert prefix(shell, cd(project)) == ""
    assert env_var(shell, "VIRTUAL_ENV") == str(project / ".venv")
    setting = {"fish": "set -gx VIRTUAL_ENV_DISABLE_PROMPT {}"}.get(shell_name, "VIRTUAL_ENV_DISABLE_PROMPT={}")
    assert prefix(shell, setting.format("''")) == "(proj) "  # empty counts as unset, as in activate
    assert prefix(shell, setting.format("yes")) == ""
    assert ps1(shell) == original


# Prompt tools that build the prompt themselves at each prompt and show the venv's name.
TOOL = {
    "bash": "tool() { PS1=\"${VIRTUAL_ENV_PROMPT:+%s}@@venvd-test-prompt@@ \"; }",
    "zsh": "tool() { PS1=\"${VIRTUAL_ENV_PROMPT:+%s}@@venvd-test-prompt@@ \"; }",
    "fish": "function fish_prompt; set -q VIRTUAL_ENV_PROMPT; and printf %s $VIRTUAL_ENV_PROMPT; "
            "printf '%%s ' @@venvd-test-prompt@@; end",
}
TOOL_BEFORE = {"bash": 'PROMPT_COMMAND="tool;$PROMPT_COMMAND"', "zsh": "precmd_functions=(tool $precmd_functions)"}
TOOL_AFTER = {"bash": 'PROMPT_COMMAND="$PROMPT_COMMAND;tool"', "zsh": "precmd_functions+=(tool)"}


def _tool(shell_name: str, shows: str) -> str:
    if shell_name == "fish":
        return TOOL["fish"] % shlex.quote(shows.replace("NAME", "%s"))
    return TOOL[shell_name] % shows.replace("NAME", "$VIRTUAL_ENV_PROMPT")


@pytest.mark.shells
@pytest.mark.parametrize("order", ["before", "after"])
def test_a_prompt_tool_that_shows_the_name_gets_no_second(prompt_shell, home: Path, shell_name: str, order: str):
    if shell_name == "fish" and order == "after":
        pytest.skip("fish has one prompt function: the tool's is the one wrapped")
    write_config(home, "prompt = true\n")
    project = make_project(home / "proj", "3.12")
    shell = prompt_shell(extra_rc=_tool(shell_name, "(NAME) "))
    if shell_name != "fish":
        shell.run((TOOL_BEFORE if order == "before" else TOOL_AFTER)[shell_name])
    assert prefix(shell) == ""
    assert prefix(shell, cd(project)) == "(proj) "
    assert prefix(shell) == "(proj) "
    left = prefix(shell, "cd /")
    if shell_name == "bash" and order == "before":
        # Its own lag: bash has no chpwd, so a PROMPT_COMMAND before venvd's still sees the venv.
        assert left == "(proj) "
        left = prefix(shell)
    assert left == ""


@pytest.mark.shells
@pytest.mark.parametrize("tool", ["starship", "p10k"])
def test_starship_and_powerlevel10k_are_left_to_show_the_venv(prompt_shell, home: Path, shell_name: str, tool: str):
    """They show the venv in their own way (not "(name)"): venvd adds nothing."""
    if tool == "p10k" and shell_name != "zsh":
        pytest.skip("powerlevel10k is for zsh")
    write_config(home, "prompt = true\n")
    project = make_project(home / "proj", "3.12")
    rc = _tool(shell_name, "via NAME ")
    if tool == "starship":
        rc += "\n" + ("set -gx STARSHIP_SHELL fish" if shell_name == "fish" else f"export STARSHIP_SHELL={shell_name}")
    else:
        rc += "\n_p9k_precmd() { tool; }"
    shell = prompt_shell(extra_rc=rc)
    if shell_name != "fish":
        shell.run(TOOL_AFTER[shell_name].replace("tool", "_p9k_precmd" if tool == "p10k" else "tool"))
        shell.run(TOOL_BEFORE[shell_name].replace("tool", "_p9k_precmd" if tool == "p10k" else "tool"))
    assert prefix(shell, cd(project)) == "via proj "
    assert prefix(shell) == "via proj "
    assert prefix(shell, "cd /") == ""


@pytest.mark.shells
def test_an_activate_script_taking_over_keeps_one_name_and_gives_the_prompt_back(
        prompt_shell, home: Path, shell_name: str):
    write_config(home, "prompt = true\n")
    project = make_project(home / "proj", "3.12")
    shell = prompt_shell()
    original = ps1(shell)
    assert prefix(shell, cd(project)) == "(proj) "
    manual = home / "manual"
    subprocess.run([str(project / ".venv" / "bin" / "python"), "-m", "venv", "--without-pip", str(manual)],
                   check=True)
    activate = manual / "bin" / ("activate.fish" if shell_name == "fish" else "activate")
    # activate saves the prompt with venvd's prefix in it and puts its own first: venvd,
    # stepping back, takes its own out.
    assert prefix(shell, f"source {shlex.quote(str(activate))}") == "(manual) "
    assert env_var(shell, "VIRTUAL_ENV") == str(manual)
    assert prefix(shell, "deactivate") == "(proj) "  # the saved prompt back, venvd's venv again
    assert prefix(shell, "cd /") == ""
    assert ps1(shell) == original
    # The same, deactivated outside the project: the saved copy of the prefix is taken out.
    assert prefix(shell, cd(project)) == "(proj) "
    assert prefix(shell, f"source {shlex.quote(str(activate))}") == "(manual) "
    assert prefix(shell, "cd /") == "(manual) "
    assert prefix(shell, "deactivate") == ""
    assert env_var(shell, "VIRTUAL_ENV") == ""
    assert ps1(shell) == original


@pytest.mark.shells
@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_with_the_prompt_on_a_no_op_prompt_and_a_cached_entry_fork_no_process(name: str, home: Path,
                                                                              tmp_path: Path):
    from tests.test_hot_path import _SPAWN, _strace, _traced
    from tests.test_zero_process_cd import warm

    strace = _strace()
    write_config(home, "prompt = true\n")
    first, second = make_project(home / "first", "3.12"), make_project(home / "second", "3.12")
    trace = tmp_path / "strace.txt"
    env = shell_env({"VIRTUAL_ENV_DISABLE_PROMPT": ""})
    with _traced(SHELLS[name], strace, trace)(tmp_path / "rc", env, home) as shell:
        warm(shell, [first, second])
        shell.run("true")
        before = len(trace.read_text(errors="replace").splitlines())
        shown = [prefix(shell, command) for command in
                 (cd(first), "true", "true", cd(second), "true", "cd /", "true", cd(first), "cd ~")]
        lines = trace.read_text(errors="replace").splitlines()[before:]
    assert shown == ["(first) ", "(first) ", "(first) ", "(second) ", "(second) ", "", "", "(first) ", ""]
    spawned = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
    assert not spawned, f"{name}: the prompt prefix forked:\n" + "\n".join(spawned)


# -- the setting itself ---------------------------------------------------------------------

def test_the_user_config_takes_prompt_as_a_boolean(tmp_path: Path):
    from venvd import userconfig
    from venvd.errors import VenvdError

    path = tmp_path / "config.toml"
    path.write_text("prompt = true\ntrust = []\n")
    assert userconfig.load(str(path))["prompt"] is True
    path.write_text("")
    assert userconfig.load(str(path))["prompt"] is False
    for bad in ('"true"', "1", '"yes"', "[true]"):
        path.write_text(f"prompt = {bad}\n")
        with pytest.raises(VenvdError) as raised:
            userconfig.load(str(path))
        message = str(raised.value)
        assert "\n" not in message and "prompt = " in message and "is not true or false" in message, message


def test_prompt_true_keeps_the_trusted_trees_and_doctor_shows_it(home: Path):
    from venvd import trees

    tree = home / "src"
    tree.mkdir()
    write_config(home, f"prompt = true\ntrust = [\"{tree}\"]\n")
    assert trees.trees() == [str(tree.resolve())]  # not "unknown setting": every tree dropped
    assert trees.show_prompt() is True
    assert trees.trees() == [str(tree.resolve())] and trees.show_prompt() is True  # from the cache
    doctor = subprocess.run([venvd_script(), "doctor"], capture_output=True, text=True)
    line = next(line for line in doctor.stdout.splitlines() if "user config" in line)
    assert line.split()[0] == "ok" and "prompt = true" in line, doctor.stdout
    write_config(home, "prompt = 'yes'\n")
    doctor = subprocess.run([venvd_script(), "doctor"], capture_output=True, text=True)
    line = next(line for line in doctor.stdout.splitlines() if "user config" in line)
    assert line.split()[0] == "FAIL" and "prompt = 'yes' is not true or false" in line, doctor.stdout
    assert "Traceback" not in doctor.stderr
    assert trees.show_prompt() is False


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "pwsh", "json"])
def test_export_and_hook_carry_the_setting(home: Path, shell: str):
    import json

    def export() -> str:
        return subprocess.run([venvd_script(), "export", shell], cwd=home, capture_output=True, text=True,
                              check=True).stdout

    def hook() -> str:
        return subprocess.run([venvd_script(), "hook", shell], capture_output=True, text=True).stdout

    spelled = {"bash": "_VENVD_SHOW_PROMPT={}", "zsh": "_VENVD_SHOW_PROMPT={}", "fish": "_VENVD_SHOW_PROMPT {}",
               "pwsh": "$global:_VENVD_SHOW_PROMPT = {}"}
    for text, value in (("", ""), ("prompt = true\n", "1"), ("prompt = false\n", "")):
        write_config(home, text)
        if shell == "json":
            assert json.loads(export())["state"]["_VENVD_SHOW_PROMPT"] == value
            continue
        line = spelled[shell].format(f"'{value}'")
        assert any(ln.endswith(line) for ln in export().splitlines()), line
        assert any(ln.endswith(line) for ln in hook().splitlines()), line


# -- PowerShell, read without PowerShell ------------------------------------------------------

def _ps1_function(text: str, name: str) -> str:
    start = text.index(f"function global:{name} {{")
    end = text.index("\n}\n", start)
    return text[start:end + 3]


def test_the_pwsh_hook_writes_the_prefix_before_the_users_prompt(home: Path):
    from tests.test_pwsh_syntax import assignments, syntax_errors
    from venvd.launcher import launcher
    from venvd.shells import get_shell

    write_config(home, "prompt = true\n")
    hook = get_shell("pwsh").hook(launcher(), "cache=/c")
    assert hook.isascii() and syntax_errors(hook) == []
    assert assignments(hook, only={"$global:_VENVD_SHOW_PROMPT"}) == {"$global:_VENVD_SHOW_PROMPT": "1"}
    write_config(home, "prompt = false\n")
    assert assignments(get_shell("pwsh").hook(launcher(), "cache=/c"),
                       only={"$global:_VENVD_SHOW_PROMPT"}) == {"$global:_VENVD_SHOW_PROMPT": ""}

    function = _ps1_function(hook, "_venvd_prompt")
    assert syntax_errors(function) == []
    # Shown only while venvd's venv is active, opt-in, unless disabled or starship is there.
    for needed in ("$global:_VENVD_SHOW_PROMPT", "'VIRTUAL_ENV'", "$global:_VENVD_VE", "'VENVD_DIFF'",
                   "'VIRTUAL_ENV_DISABLE_PROMPT'", "'STARSHIP_SHELL'"):
        assert needed in function, needed
    # The name is data: joined to literal strings, never inside an expandable string.
    assert "Write-Host -NoNewline -Object ('(' + $venvd_name + ') ')" in function
    assert '"' not in function.split("Write-Host", 1)[1]
    # The wrapper calls it once, after the hook decided and before the user's prompt runs,
    # and nothing of it becomes prompt text.
    wrapper = hook[hook.index("function global:prompt {"):]
    lines = [line.strip() for line in wrapper.splitlines()]
    at = lines.index(next(line for line in lines if line.startswith("_venvd_prompt")))
    assert lines[at - 1].startswith("$null = _venvd_hook")
    assert at < lines.index(next(line for line in lines if "& $global:_venvd_user_prompt" in line))
    assert sum(line.startswith("_venvd_prompt") for line in lines) == 1
    # Defined before the block that installs the wrapper runs.
    assert hook.index("function global:_venvd_prompt {") < hook.index("\n& {\n")


def test_the_readme_documents_the_setting():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^prompt = (true|false)", readme, re.M), "the config.toml example names prompt"
    assert "VIRTUAL_ENV_DISABLE_PROMPT" in readme
