"""``venvd exec``: a script or cron job never runs against an env that could not be made
or synced (issue 10 point 10), ``--allow-stale`` says it runs anyway; DIR without ``--``
(issue 11 point 7); the real working directory when $PWD lies (issue 9 point 10)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import make_project, venvd_script
from tests.test_sync import ALPHA, offline, packages, project_with, wheelhouse  # noqa: F401
from tests.wheelhouse import FAILING_REQUIREMENT

pytestmark = pytest.mark.slow

TOUCH = "import pathlib, sys; pathlib.Path(sys.argv[1]).write_text(sys.prefix)"


def run(*args: str, cwd: Path, pwd: "str | None" = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([venvd_script(), *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PWD=pwd or str(cwd)))


def venvd_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("venvd:")]


def test_a_failed_sync_fails_exec_and_the_command_does_not_run(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{FAILING_REQUIREMENT}\n")
    ran = home / "ran"
    r = run("exec", "--", "python", "-c", TOUCH, str(ran), cwd=project)
    assert r.returncode != 0, r.stderr
    assert not ran.exists(), "the command must not run against a broken env"
    assert "sync failed" in r.stderr and "--allow-stale" in venvd_lines(r.stderr)[-1], r.stderr
    # The failure is remembered (not retried for every cron run): still refused, with the reason.
    r = run("exec", "--", "python", "-c", TOUCH, str(ran), cwd=project)
    assert r.returncode != 0 and not ran.exists(), r.stderr
    assert "failed" in r.stderr and "--allow-stale" in r.stderr
    r = run("exec", "--allow-stale", "--", "python", "-c", TOUCH, str(ran), cwd=project)
    assert r.returncode == 0, r.stderr
    assert ran.read_text() == str(project / ".venv"), "run in the project's env as it is"
    assert any("as it is" in line for line in venvd_lines(r.stderr)), r.stderr


def test_a_missing_lockfile_tool_fails_exec(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0"\n')
    (project / "poetry.lock").write_text("# a lockfile\n")
    ran = home / "ran"
    r = run("exec", "--", "python", "-c", TOUCH, str(ran), cwd=project)
    assert r.returncode != 0 and not ran.exists(), r.stderr
    assert "poetry" in r.stderr, r.stderr


def test_an_untrusted_project_fails_exec_even_with_allow_stale(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.0\n")
    subprocess.run([venvd_script(), "deny", str(project)], check=True, capture_output=True)
    ran = home / "ran"
    r = run("exec", "--allow-stale", "--", "python", "-c", TOUCH, str(ran), cwd=project)
    assert r.returncode != 0 and not ran.exists() and "venvd allow" in r.stderr, r.stderr


def test_exec_dir_cmd_without_dashes_runs_in_dir(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.1\n")
    ran = home / "ran"
    r = run("exec", str(project), "python", "-c", TOUCH, str(ran), cwd=home)
    assert r.returncode == 0, r.stderr
    assert ran.read_text() == str(project / ".venv")
    r = run("exec", str(project), cwd=home)
    assert r.returncode == 2 and "no command" in r.stderr, r.stderr


def test_exec_uses_the_real_directory_when_pwd_names_another(home: Path, tmp_path: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.1\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ran = home / "ran"
    r = run("exec", "--", "python", "-c", TOUCH, str(ran), cwd=project, pwd=str(elsewhere))
    assert r.returncode == 0, r.stderr
    assert ran.read_text() == str(project / ".venv")


def test_an_env_that_cannot_be_created_fails_exec_even_with_allow_stale(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.99")  # no such Python here
    ran = home / "ran"
    for extra in ([], ["--allow-stale"]):
        r = run("exec", *extra, "--", "python", "-c", TOUCH, str(ran), cwd=project)
        assert r.returncode != 0 and not ran.exists(), r.stderr
        assert "3.99" in r.stderr and "Traceback" not in r.stderr, r.stderr


# --- which words are venvd's: [--allow-stale] [DIR] [--], then CMD's (issue 11 point 7) -----

ARGV = "import sys; print(sys.prefix); print(sys.argv[1:])"


def ran_with(r: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """(the prefix the command ran in, the arguments it got) from ARGV's output."""
    assert r.returncode == 0, r.stderr
    prefix, argv = r.stdout.splitlines()
    return prefix, argv


def test_a_dashdash_among_the_commands_arguments_is_the_commands(home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.1\n")
    venv = str(project / ".venv")
    for where, words in [
        (home, [str(project), "python", "-c", ARGV, "--", "a"]),  # DIR CMD ... -- ...
        (home, [str(project), "--", "python", "-c", ARGV, "--", "a"]),  # DIR -- CMD ... -- ...
        (home, ["--allow-stale", str(project), "--", "python", "-c", ARGV, "--", "a"]),
        (home, [str(project), "--allow-stale", "python", "-c", ARGV, "--", "a"]),
        (project, ["python", "-c", ARGV, "--", "a"]),  # CMD ... -- ... (no DIR: here)
        (project, ["--", "python", "-c", ARGV, "--", "a"]),  # -- CMD ... -- ...
        (project, ["--allow-stale", "python", "-c", ARGV, "--", "a"]),
    ]:
        r = run("exec", *words, cwd=where)
        assert ran_with(r) == (venv, "['--', 'a']"), (words, r.stderr)


def test_a_first_word_that_is_a_directory_is_dir_and_dashdash_makes_it_the_command(
        home: Path, offline: Path) -> None:
    project = project_with(home / "proj", f"{ALPHA}==1.1\n")
    venv = str(project / ".venv")
    (project / "python").mkdir()  # a directory here named like the command
    r = run("exec", "python", "-c", ARGV, cwd=project)
    assert r.returncode == 127 and "cannot run -c" in r.stderr, r.stderr  # DIR python, command "-c"
    assert ran_with(run("exec", "--", "python", "-c", ARGV, cwd=project)) == (venv, "[]")
    r = run("exec", "python", cwd=project)
    assert r.returncode == 2 and "no command to run in python" in r.stderr, r.stderr
    r = run("exec", str(project), "--", cwd=home)
    assert r.returncode == 2 and "no command to run" in r.stderr, r.stderr
    r = run("exec", str(home / "typo"), "--", "python", cwd=project)  # not a directory: the command
    assert r.returncode == 127 and "a DIR must be an existing directory" in r.stderr, r.stderr


def test_exec_help_states_which_words_are_venvds(home: Path) -> None:
    r = run("exec", "--help", cwd=home)
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert "existing directory" in text and "later '--' is COMMAND's" in text, r.stdout
