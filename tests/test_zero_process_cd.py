"""Entering and leaving a ready project with builtins alone (issue 12 part 1), in real
shells: the environment the hook's cache gives is exactly the one ``venvd export`` gives,
and everything the decision depends on sends the hook back to the core.

Two shells run the same steps from the same environment. In one the core is taken away
(``_venvd_command=(false)``: an export there changes nothing), so what changes there is
the cache's work; the other forgets its cache before each step, so it is the core's.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project, venvd_script
from tests.test_sync import offline, wheelhouse  # noqa: F401 - fixtures
from tests.wheelhouse import FAILING_REQUIREMENT

HOSTILE = "-it's $HOME \"q\" \\ `x`\nnl \U0001F600 ;=% end"
# How each shell is told to forget its cache, and to lose its core (export does nothing).
FORGET = {"bash": "_VENVD_CI=()", "zsh": "_VENVD_CI=()", "fish": "set -g __venvd_croots"}
NO_CORE = {"bash": "_venvd_command=(false)", "zsh": "_venvd_command=(false)", "fish": "set -g __venvd_command false"}
HAS_DEACTIVATE = {"bash": "typeset -f deactivate >/dev/null", "zsh": "typeset -f deactivate >/dev/null",
                  "fish": "functions -q deactivate"}
USER_PATH = {"bash": "PATH=/user-first:$PATH:/user-last", "zsh": "PATH=/user-first:$PATH:/user-last",
             "fish": "set PATH /user-first $PATH /user-last"}
CACHED_SHELLS = ["bash", "zsh", "fish"]


def snapshot(shell, out: Path) -> tuple[dict[str, str], str]:
    """The shell's exported environment (as a child process sees it) and its deactivate."""
    said = shell.run(f"env -0 > {shlex.quote(str(out))}; "
                     + (f"if {HAS_DEACTIVATE[shell.name]}; echo has-deactivate; else; echo no-deactivate; end"
                        if shell.name == "fish" else
                        f"if {HAS_DEACTIVATE[shell.name]}; then echo has-deactivate; else echo no-deactivate; fi"))
    env = {}
    for item in out.read_bytes().split(b"\0"):
        if item:
            key, _, value = item.partition(b"=")
            env[key.decode()] = value.decode("utf-8", "surrogateescape")
    env.pop("_", None)
    env.pop("ZDOTDIR", None)  # each test shell has its own rc dir
    return env, said.splitlines()[-1]


def warm(shell, projects: list[Path]) -> None:
    """Each project entered by the core, and left: the first entry creates the venv and
    says so (a decision that said something is not cached), the second is cached."""
    for project in projects:
        for _ in range(2):
            shell.run(f"cd {shlex.quote(str(project))}")
            shell.run("cd /")


def transition_projects(home: Path, hostile_name: str = HOSTILE) -> tuple[Path, Path, Path, dict[str, str]]:
    """The projects the cache-versus-core comparisons step through (plain, *hostile_name*,
    one whose venv will have no pip) and the environment both shells start with."""
    plain = make_project(home / "plain", "3.12")
    hostile = make_project(home / hostile_name, "3.12")
    (plain / "src" / "pkg").mkdir(parents=True)
    # A pipless venv (PIP_REQUIRE_VIRTUALENV while active): venvd makes uv.lock venvs without pip.
    pipless = make_project(home / "pipless", "3.12")
    env = {"HOSTILE_DIR": str(hostile), "PLAIN_DIR": str(plain), "PIPLESS_DIR": str(pipless),
           "PYTHONHOME": "", "VIRTUAL_ENV_PROMPT": "user's ;=% prompt"}
    return plain, hostile, pipless, env


def warm_both(shells: tuple, projects: list[Path], pipless: Path, warm_one=None) -> None:  # noqa: ANN001
    """Each shell enters every project twice (*warm_one*: its shell's way), then pip leaves
    *pipless*'s venv and each shell enters it again: the core sees pip gone once and caches that."""
    warm_one = warm_one or warm
    for shell in shells:
        warm_one(shell, projects)
    subprocess.run([str(pipless / ".venv" / "bin" / "python"), "-m", "pip", "uninstall", "-y", "-q", "pip"],
                   check=True, capture_output=True)
    for shell in shells:
        warm_one(shell, [pipless])


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
def test_the_cache_gives_exactly_the_env_the_core_gives(open_shell, home: Path, tmp_path: Path,
                                                        shell_name: str) -> None:
    plain, hostile, pipless, env = transition_projects(home)
    cached, core = open_shell(**env), open_shell(**env)
    warm_both((cached, core), [plain, hostile, pipless], pipless)
    cached.run(NO_CORE[shell_name])
    steps = ['cd "$PLAIN_DIR"', "cd ..", 'cd "$HOSTILE_DIR"', 'cd "$PLAIN_DIR/src/pkg"', "cd /",
             'cd "$PIPLESS_DIR"', 'cd "$HOSTILE_DIR"', f"{USER_PATH[shell_name]}; cd /tmp",
             'cd "$PLAIN_DIR"', 'cd "$PIPLESS_DIR"', "cd ~"]
    seen = set()
    for number, step in enumerate(steps):
        core.run(FORGET[shell_name])
        core.run(step)
        cached.run(step)
        want = snapshot(core, tmp_path / f"core-{number}")
        got = snapshot(cached, tmp_path / f"cached-{number}")
        assert got == want, (step, {k: (got[0].get(k), want[0].get(k)) for k in set(got[0]) | set(want[0])
                                    if got[0].get(k) != want[0].get(k)}, got[1], want[1])
        seen.add(want[0].get("VIRTUAL_ENV"))
    assert seen == {None, str(plain / ".venv"), str(hostile / ".venv"), str(pipless / ".venv")}
    # The user's PATH edits survive leaving; the previous values came back.
    env_now, deactivate = snapshot(cached, tmp_path / "last")
    assert env_now["PATH"].startswith("/user-first:") and env_now["PATH"].endswith(":/user-last")
    assert env_now["VIRTUAL_ENV_PROMPT"] == "user's ;=% prompt" and env_now["PYTHONHOME"] == ""
    assert "VENVD_DIFF" not in env_now and deactivate == "no-deactivate"


@pytest.mark.shells
@pytest.mark.parametrize("name", CACHED_SHELLS)
def test_entering_and_leaving_a_cached_project_forks_no_process(name: str, home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env
    from tests.test_hot_path import _SPAWN, _strace, _traced

    strace = _strace()
    first = make_project(home / "first", "3.12")
    second = make_project(home / HOSTILE, "3.12")
    (first / "src").mkdir()
    trace = tmp_path / "strace.txt"
    with _traced(SHELLS[name], strace, trace)(tmp_path / "rc", shell_env({"SECOND": str(second)}), home) as shell:
        warm(shell, [first, second])
        shell.run("true")
        before = len(trace.read_text(errors="replace").splitlines())
        for step in (f"cd {shlex.quote(str(first))}", "cd /", f"cd {shlex.quote(str(first / 'src'))}",
                     'cd "$SECOND"', "cd ~", 'cd "$SECOND"', f"cd {shlex.quote(str(first))}", 'cd "$SECOND"',
                     "true", "true", "cd /tmp", "true"):
            shell.run(step)  # `true`: the state the cache left makes the next prompts no-ops
        lines = trace.read_text(errors="replace").splitlines()[before:]
        assert shell.getenv("VIRTUAL_ENV") is None
    spawned = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
    assert not spawned, f"{name}: entering or leaving a cached project forked:\n" + "\n".join(spawned)


def _active(shell) -> "str | None":
    return shell.getenv("VIRTUAL_ENV")


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
def test_every_change_the_decision_depends_on_goes_to_the_core(open_shell, home: Path, shell_name: str) -> None:
    project = make_project(home / "proj", "3.12")
    venv = str(project / ".venv")
    other = make_project(home / "other", "3.12")  # (allowing it changes the trust store)
    shell = open_shell()
    warm(shell, [project, other])
    enter = f"cd {shlex.quote(str(project))}"

    # An input edited while inside, after an entry the cache made from another project:
    # the watch list it left in force sees it at the next prompt.
    shell.run(f"cd {shlex.quote(str(other))}")
    assert shell.run(enter) == ""  # the cache's: nothing said
    shell.run("true")
    (project / ".python-version").write_text("3.11\n")
    out = shell.run("true")
    assert "3.11" in out and _active(shell) == venv, out
    shell.run("cd /")
    # An input edited while outside: the core runs on entering.
    (project / ".python-version").write_text("3.12\n")
    out = shell.run(enter)
    assert "3.12" in out and _active(shell) == venv, out
    shell.run("cd /")
    shell.run(enter)  # cached again (silent)
    shell.run("cd /")

    # Trust withdrawn: not activated.
    subprocess.run([venvd_script(), "deny", str(project)], check=True, capture_output=True)
    shell.run(enter)
    assert _active(shell) is None
    shell.run("cd /")
    subprocess.run([venvd_script(), "allow", str(project)], check=True, capture_output=True)
    shell.run(enter)
    assert _active(shell) == venv
    shell.run("cd /")
    shell.run(enter)
    shell.run("cd /")

    # `venvd off`: stays off on the next entry.
    shell.run(enter)
    shell.run("venvd off")
    shell.run("cd /")
    shell.run(enter)
    assert _active(shell) is None
    shell.run("venvd on")
    assert _active(shell) == venv
    shell.run("cd /")
    shell.run(enter)
    shell.run("cd /")

    # A manual venv: left alone on entering.
    manual = home / "manual"
    subprocess.run([str(project / ".venv" / "bin" / "python"), "-m", "venv", "--without-pip", str(manual)],
                   check=True)
    activate = manual / "bin" / ("activate.fish" if shell_name == "fish" else "activate")
    shell.run(f"source {shlex.quote(str(activate))}")
    shell.run(enter)
    assert _active(shell) == str(manual)
    shell.run("deactivate; cd /")
    shell.run(enter)
    assert _active(shell) == venv
    shell.run("cd /")

    # The venv removed: the core recreates it.
    subprocess.run(["rm", "-rf", venv], check=True)
    out = shell.run(enter)
    assert "creating" in out and _active(shell) == venv, out
    shell.run("cd /")


@pytest.mark.shells
@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
def test_a_failed_sync_is_said_again_not_cached(open_shell, home: Path, shell_name: str, offline) -> None:
    project = make_project(home / "proj", "3.12")
    shell = open_shell()
    warm(shell, [project])
    (project / "requirements.txt").write_text(f"{FAILING_REQUIREMENT}\n")
    enter = f"cd {shlex.quote(str(project))}"
    first = shell.run(enter)
    assert "venvd:" in first, first
    shell.run("cd /")
    again = shell.run(enter)
    assert "last sync" in again and "failed" in again, again
    shell.run("cd /")


@pytest.mark.shells
@pytest.mark.parametrize("name", CACHED_SHELLS)
def test_a_new_shell_enters_a_known_project_with_no_process(name: str, home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env
    from tests.test_hot_path import _SPAWN, _strace, _traced

    strace = _strace()
    project = make_project(home / HOSTILE, "3.12")
    with SHELLS[name](tmp_path / "rc-first", shell_env(), home) as shell:
        warm(shell, [project])  # the core saved the activation in the user's cache dir
    trace = tmp_path / "strace.txt"
    with _traced(SHELLS[name], strace, trace)(tmp_path / "rc", shell_env({"P": str(project)}), home) as shell:
        shell.run("true")
        before = len(trace.read_text(errors="replace").splitlines())
        shell.run('cd "$P"')
        shell.run("cd /")
        lines = trace.read_text(errors="replace").splitlines()[before:]
        shell.run('cd "$P"')
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    spawned = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
    assert not spawned, f"{name}: a new shell's first cd into a known project forked:\n" + "\n".join(spawned)


@pytest.mark.parametrize("shell_name", CACHED_SHELLS)
def test_saved_entries_hold_no_value_of_the_inputs_own_variables(home: Path, shell_name: str) -> None:
    from venvd.activation_cache import READ_VARIABLES, save, saved

    cache = home / "cache"
    # Real directories of the user's own: a new shell is handed only entries whose root,
    # venv and bin still pass the owner check (activation_cache.owned_by_user).
    for name in ("p", "q"):
        (home / name / ".venv" / "bin").mkdir(parents=True)
    p = str(home / "p")
    plain = [p, f"{p}/.venv", f"{p}/.venv/bin", "p", "", "v=1", "/s/1", "/s/0", str(len(READ_VARIABLES))]
    plain += [x for name in READ_VARIABLES for x in (name, "0", "")] + ["0"]
    save(plain, str(cache))
    secret = plain[:8] + [str(len(READ_VARIABLES) + 1)] + plain[9:-1] + ["TOKEN", "1", "s3cret", "0"]
    secret[0], secret[1], secret[2] = str(home / "q"), str(home / "q" / ".venv"), str(home / "q" / ".venv" / "bin")
    save(secret, str(cache))
    assert saved(str(cache)) == [plain]
    assert all(b"s3cret" not in f.read_bytes() for f in (cache / "activations").iterdir())
