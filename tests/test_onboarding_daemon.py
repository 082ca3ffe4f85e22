"""Venvs ready before the first cd (issue 11 point 3): with the daemon running, a project
that appears under a trusted tree (a real `git clone`, offline against the wheelhouse) is
created and synced in the background; the first real shell to enter finds it ready, and
its first prompt says it was prepared."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import need_python
from tests.test_daemon import daemon, status, wait_for  # noqa: F401
from tests.test_sync import ALPHA, BETA, offline, packages, wheelhouse  # noqa: F401
from tests.wheelhouse import find_uv

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                       "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(key, value)


def locked_repo(path: Path) -> Path:
    """A git repository of a uv project with a uv.lock (locked offline from the wheelhouse)."""
    path.mkdir(parents=True)
    (path / ".python-version").write_text("3.12\n")
    (path / "pyproject.toml").write_text(
        f'[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.12"\ndependencies = ["{BETA}"]\n')
    subprocess.run([find_uv(), "lock", "--offline", "--python", need_python("3.12")], cwd=path, check=True,
                   capture_output=True, timeout=120)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    return path


def trust_tree(home: Path, tree: Path) -> None:
    tree.mkdir(parents=True, exist_ok=True)
    config = home / ".config" / "venvd" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'trust = ["{tree}"]\n')


def idle() -> None:
    wait_for("the daemon to go idle", lambda: not status()["running"] and not status()["queued"])


@pytest.mark.shells
def test_a_clone_under_a_trusted_tree_is_ready_before_the_first_cd(open_shell, home: Path, daemon) -> None:
    source = locked_repo(home / "upstream" / "app")
    tree = home / "src"
    trust_tree(home, tree)
    (tree / "existing").mkdir()
    (tree / "existing" / ".python-version").write_text("3.12\n")  # there before: waits for its cd
    daemon()
    idle()
    subprocess.run(["git", "clone", "-q", str(source), str(tree / "team" / "app")], check=True, capture_output=True)
    clone = tree / "team" / "app"
    # No shell has entered it: the daemon makes the venv and syncs the lock.
    try:
        wait_for("the daemon to prepare the clone's venv", lambda: packages(clone).get(BETA) == "1.1"
                 if (clone / ".venv" / "bin" / "python").exists() else False)
    except AssertionError as exc:
        from venvd.daemon.control import log_path

        raise AssertionError(f"{exc}\ndaemon.log:\n{Path(log_path()).read_text()}") from None
    assert packages(clone)[ALPHA] == "2.0"
    idle()
    assert not (tree / "existing" / ".venv").exists(), "a project the tree already held is left to its first cd"
    shell = open_shell()
    out = shell.run(f"cd {clone}")
    lines = [line for line in out.splitlines() if line.startswith("venvd:")]
    assert len(lines) == 1 and "prepared in the background" in lines[0], out
    assert "creating" not in out and "syncing" not in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(clone / ".venv")
    assert shell.run("python -c 'import sys; print(sys.prefix)'").splitlines()[-1] == str(clone / ".venv")
    shell.run("cd /")
    assert "venvd:" not in shell.run(f"cd {clone}"), "said once"


def test_a_clone_outside_the_trees_or_denied_is_not_prepared(home: Path, daemon) -> None:
    source = locked_repo(home / "upstream" / "app")
    tree = home / "src"
    trust_tree(home, tree)
    daemon()  # and clone at once: while the daemon may still be setting up its watches
    outside = home / "elsewhere" / "app"
    subprocess.run(["git", "clone", "-q", str(source), str(outside)], check=True, capture_output=True)
    deep = tree / "a" / "b" / "c" / "app"  # deeper than the daemon looks
    subprocess.run(["git", "clone", "-q", str(source), str(deep)], check=True, capture_output=True)
    marker = tree / "marker"
    subprocess.run(["git", "clone", "-q", str(source), str(marker)], check=True, capture_output=True)
    wait_for("the daemon to prepare a clone it does watch", lambda: (marker / ".venv" / "bin" / "python").exists())
    idle()
    assert not (outside / ".venv").exists() and not (deep / ".venv").exists()


def test_uv_init_under_a_trusted_tree_is_prepared(home: Path, daemon) -> None:
    tree = home / "src"
    trust_tree(home, tree)
    daemon()
    idle()
    made = subprocess.run([find_uv(), "init", "-q", "--offline", "--python", need_python("3.12"), "--no-workspace",
                           str(tree / "fresh")], capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    fresh = tree / "fresh"
    wait_for("the daemon to prepare the uv init project", lambda: (fresh / ".venv" / "bin" / "python").exists())
    wait_for("its record", lambda: str(fresh) in status().get("prepared", []))
    from tests.test_sync import export

    said = export(fresh)
    assert "prepared in the background" in said and "creating" not in said, said
