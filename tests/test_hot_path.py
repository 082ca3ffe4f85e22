"""The hot path stays cheap: what a directory change imports, what a prompt forks.

No timings here (benchmarks/ measures time); these tests pin down the two things that
decide it: a directory change runs one short Python process that imports only what it
needs, and a prompt where nothing changed starts no process at all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import IN_CI, make_project, need_python, which_shell

# What the interpreter imports by itself is measured (``-c pass``, same flags) and always
# allowed; on top of that a directory change may import only these.
CHEAP_STDLIB = frozenset({"__future__", "marshal", "zlib", "errno"})
# What site would have imported anyway; with -S (no site) venvd imports os itself.
OS_MODULES = frozenset({"os", "stat", "_stat", "posixpath", "genericpath", "_collections_abc"})
# What `python -m` costs (runpy and its imports), allowed while the hook launches venvd
# with -m (benchmarks/results.md shows what dropping -m would save).
RUNPY = frozenset({  # kept for a -m launcher; the hook uses -c
    "runpy", "importlib", "importlib.util", "importlib.machinery", "importlib._abc", "importlib._bootstrap",
    "contextlib", "collections", "_collections", "functools", "_functools", "operator", "_operator",
    "keyword", "reprlib", "itertools", "types", "warnings", "pkgutil",
})
# venvd's own modules that belong on the hot path (the daemon's registry: entering a
# project records it, one small file read; safewrite: how that and the caches are
# written, os only); everything else in venvd (interpreter
# discovery, TOML, locking, installers, commands, the daemon itself) is for when
# something changes.
VENVD_HOT = re.compile(
    r"venvd(\.(__main__|cli|errors|ui|paths|pathlist|safeio|safewrite|trust|ownership|provenance|config|envdiff|project|venv|watch|export"
    r"|versionfile|versionrequest|pep440|frozen"
    r"|shells|shells\.base|shells\.posix|shells\.fish|sync|sync\.engine|sync\.fingerprint|sync\.record|sync\.options|sync\.settled|sync\.candidates"
    r"|daemon|daemon\.registry|daemon\.prepared|trees|repoidentity|activation_cache))?$"
)
# Named in the failure message: these must never be on the hot path.
NEVER = ("tomllib", "tomli", "packaging", "subprocess", "json", "re", "argparse", "watchfiles", "filelock",
         "platformdirs", "hashlib", "pathlib", "typing", "enum")


def _imports(argv: list[str], cwd: Path, env: dict[str, str]) -> list[tuple[str, Optional[str]]]:
    """The modules a real process imports (``-X importtime``), each with the module
    whose import pulled it in (None for a top-level import)."""
    argv = [argv[0], "-X", "importtime"] + argv[1:]
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    rows = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "imported package" not in line:
            name = line.rsplit("|", 1)[1]
            depth = (len(name) - len(name.lstrip(" "))) // 2
            rows.append((depth, name.strip()))
    # importtime lists a module after the ones it imported, one level deeper.
    found: list[tuple[str, Optional[str]]] = []
    for i, (depth, name) in enumerate(rows):
        parent = next((n for d, n in rows[i + 1:] if d < depth), None) if depth else None
        found.append((name, parent))
    return found


def _launcher() -> list[str]:
    from venvd.launcher import launcher

    return launcher()


def _hook_env(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    """The environment the hook gives ``venvd export``: the shell's, plus _VENVD_DIRS."""
    from venvd.envdiff import encode_pairs
    from venvd.paths import all_dirs

    env = dict(os.environ)
    env["_VENVD_DIRS"] = encode_pairs(sorted(all_dirs().items()))
    env.update(extra or {})
    return env


def _assert_light(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    launcher = _launcher()
    flags = []  # the interpreter options before -c CODE / -m venvd
    for arg in launcher[1:]:
        if arg in ("-c", "-m"):
            break
        flags.append(arg)
    baseline_argv = [launcher[0], *flags, "-c", "pass"]
    baseline = {name for name, _ in _imports(baseline_argv, cwd, env)}
    allowed = baseline | CHEAP_STDLIB | OS_MODULES | (RUNPY if "-m" in launcher else frozenset())
    imported = _imports(argv, cwd, env)
    extra = [(name, parent) for name, parent in imported if name not in allowed and not VENVD_HOT.match(name)]
    if extra:
        lines = [f"  {name}  (imported " + (f"by {parent})" if parent else "at run time)") for name, parent in extra]
        named = sorted({name for name, _ in extra} & set(NEVER))
        pytest.fail("a directory change imports modules outside the hot-path allow-list"
                    + (f" (never allowed: {', '.join(named)})" if named else "") + ":\n" + "\n".join(lines))


def _export(shell: str = "bash") -> list[str]:
    return _launcher() + ["export", shell]


@pytest.fixture
def ready_project(home: Path, request: pytest.FixtureRequest) -> Path:
    """A trusted project whose venv exists (made by hand, or made by venvd) and that venvd
    has entered once already: what every later ``cd`` into it finds."""
    python = need_python("3.12")
    project = make_project(home / "proj", "3.12")
    if request.param == "by-hand":
        subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    subprocess.run(_export(), cwd=project, env=_hook_env(), check=True, capture_output=True)
    assert (project / ".venv" / "bin" / "python").exists()
    return project


@pytest.mark.parametrize("ready_project", ["by-hand", "by-venvd"], indirect=True)
def test_entering_a_ready_project_imports_only_the_hot_path(ready_project: Path) -> None:
    _assert_light(_export(), ready_project, _hook_env())


@pytest.mark.parametrize("ready_project", ["by-venvd"], indirect=True)
def test_a_prompt_after_a_change_in_an_active_project_imports_only_the_hot_path(ready_project: Path) -> None:
    # The project is already active in this shell (the record and VIRTUAL_ENV are set).
    active = _active_env(ready_project)
    _assert_light(_export(), ready_project, active)


def test_cd_to_a_non_project_dir_imports_only_the_hot_path(home: Path) -> None:
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    _assert_light(_export(), elsewhere, _hook_env())


@pytest.mark.parametrize("ready_project", ["by-venvd"], indirect=True)
def test_leaving_a_project_imports_only_the_hot_path(ready_project: Path, home: Path) -> None:
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    _assert_light(_export(), elsewhere, _active_env(ready_project))


def _active_env(project: Path) -> dict[str, str]:
    """The environment of a shell in which *project* was just activated (via ``export json``)."""
    import json

    out = subprocess.run(_export("json"), cwd=project, env=_hook_env(), check=True, capture_output=True, text=True)
    change = json.loads(out.stdout)
    env = _hook_env(change["set"])
    for name in change["unset"]:
        env.pop(name, None)
    for name, value in change["state"].items():
        if isinstance(value, str):
            env[name] = value
    return env


# -- forks per no-op prompt, in the real shells ---------------------------------------------

NO_OP_PROMPTS = 30


def _strace() -> str:
    found = shutil.which("strace", path="/usr/local/bin:/usr/bin:/bin")
    if found is None:
        if IN_CI:
            pytest.fail("strace is required in CI (apt-get install strace) to count forks per prompt")
        pytest.skip("strace is not installed")
    return found


_SPAWN = re.compile(r"^\d+\s+(?:clone3?|v?fork)\(")


def _traced(shell_class: type, strace: str, trace: Path) -> type:
    """*shell_class* started under strace, which writes every fork and exec to *trace* as it
    happens (strace as the parent: no ptrace permission beyond the default is needed)."""

    class Traced(shell_class):  # type: ignore[misc, valid-type]
        def argv(self) -> list[str]:
            return [strace, "-f", "-o", str(trace), "-e", "trace=clone,clone3,fork,vfork,execve", "--",
                    *super().argv()]

    return Traced


@pytest.mark.shells
@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_a_no_op_prompt_forks_no_process(name: str, home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env

    strace = _strace()
    python = need_python("3.12")
    which_shell(name)
    project = make_project(home / "proj", "3.12")
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    trace = tmp_path / "strace.txt"
    with _traced(SHELLS[name], strace, trace)(tmp_path / "rc", shell_env(), project) as shell:
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), "the project must be active first"
        shell.run("true")  # the prompt after printenv: the fast path is settled
        before = len(trace.read_text(errors="replace").splitlines())
        # Each run is two prompts (the command, then a marker printed with a builtin),
        # and returns only after the second prompt's hook has run.
        for _ in range(NO_OP_PROMPTS // 2):
            shell.run("true")
        lines = trace.read_text(errors="replace").splitlines()[before:]
    spawned = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
    execs = [line for line in lines if "execve(" in line]
    assert not spawned and not execs, (
        f"{len(spawned)} processes forked over {NO_OP_PROMPTS} no-op prompts in {name}:\n"
        + "\n".join(spawned + execs)
    )


@pytest.mark.shells
@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_a_cd_within_a_project_or_between_non_project_dirs_forks_no_process(
        name: str, home: Path, tmp_path: Path) -> None:
    from tests.shellharness import SHELLS, shell_env

    strace = _strace()
    python = need_python("3.12")
    which_shell(name)
    project = make_project(home / "proj", "3.12")
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "docs").mkdir()
    plain = tmp_path / "plain"
    (plain / "a" / "b").mkdir(parents=True)
    trace = tmp_path / "strace.txt"
    with _traced(SHELLS[name], strace, trace)(tmp_path / "rc", shell_env(), project) as shell:
        assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
        shell.run("true")
        before = len(trace.read_text(errors="replace").splitlines())
        for step in ("cd src", "cd pkg", "cd ../../docs", "cd ..", "cd src/pkg"):
            shell.run(step)
        lines = trace.read_text(errors="replace").splitlines()[before:]
        spawned = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
        assert not spawned, f"{name}: a cd within the project forked:\n" + "\n".join(spawned)
        shell.run(f"cd {plain}")  # leaving: one export, deactivating
        assert shell.getenv("VIRTUAL_ENV") is None
        shell.run("true")
        before = len(trace.read_text(errors="replace").splitlines())
        for step in ("cd a", "cd b", "cd ..", f"cd {plain}/a/b", "cd /"):
            shell.run(step)
        lines = trace.read_text(errors="replace").splitlines()[before:]
    spawned = [line for line in lines if _SPAWN.match(line) and "CLONE_THREAD" not in line]
    assert not spawned, f"{name}: a cd between non-project dirs forked:\n" + "\n".join(spawned)
