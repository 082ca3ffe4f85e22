"""Trust that follows the repository (issue 11 point 2): a `git worktree add` of an
allowed repository and an allowed project moved with `mv` keep their trust; a `git
clone` does not, nor does a `.git` file planted to name the victim's repository.

Real git, real shells; the attacker of the planted-.git test is a real second user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import allow, need_python, venvd_script
from tests.test_export import export_json
from venvd import trust


@pytest.fixture(autouse=True)
def _runuser_on_path(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.environ["PATH"] + os.pathsep + "/usr/sbin:/sbin")
    for key, value in {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                       "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(key, value)


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def repo(path: Path, subdir: str = "") -> Path:
    """A git repository whose project is at *subdir*; allowed there; returns the project."""
    path.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=path)
    project = path / subdir if subdir else path
    project.mkdir(parents=True, exist_ok=True)
    (project / ".python-version").write_text("3.12\n")
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "init", cwd=path)
    allow(project)
    return project


@pytest.mark.shells
def test_a_worktree_of_an_allowed_repo_is_allowed(open_shell, home: Path):
    need_python("3.12")
    main = repo(home / "app")
    git("worktree", "add", "-q", "-b", "feature", str(home / "app-feature"), cwd=main)
    worktree = home / "app-feature"
    assert trust.decide(str(worktree)) == ("allowed", f"worktree:{main}")
    shell = open_shell()
    out = shell.run(f"cd {worktree}")
    assert "not allowed" not in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(worktree / ".venv"), out
    status = subprocess.run([venvd_script(), "status", str(worktree)], capture_output=True, text=True)
    assert "a checkout of the repository allowed at" in status.stdout, status.stdout


def test_a_project_inside_a_worktree_follows_only_at_the_same_place(home: Path):
    project = repo(home / "mono", "services/api")
    (home / "mono" / "tools").mkdir()
    (home / "mono" / "tools" / ".python-version").write_text("3.12\n")
    git("add", "-A", cwd=home / "mono")
    git("commit", "-q", "-m", "tools", cwd=home / "mono")
    git("worktree", "add", "-q", str(home / "wt"), cwd=project)
    assert trust.status(str(home / "wt" / "services" / "api")) == "allowed"
    assert trust.status(str(home / "wt" / "tools")) == "unknown", "another project of the repo: not allowed"


@pytest.mark.shells
def test_an_allowed_project_moved_with_mv_stays_allowed(open_shell, home: Path):
    need_python("3.12")
    project = repo(home / "old-name")
    plain = home / "plain"
    plain.mkdir()
    (plain / ".python-version").write_text("3.12\n")
    allow(plain)
    subprocess.run(["mv", str(project), str(home / "new-name")], check=True)
    subprocess.run(["mv", str(plain), str(home / "plain-moved")], check=True)
    shell = open_shell()
    for moved in (home / "new-name", home / "plain-moved"):
        out = shell.run(f"cd {moved}")
        assert "not allowed" not in out and "not the directory" not in out, out
        assert shell.getenv("VIRTUAL_ENV") == str(moved / ".venv"), out
        shell.run("cd /")


def test_a_clone_of_an_allowed_repo_is_not_allowed(home: Path):
    main = repo(home / "app")
    subprocess.run(["git", "clone", "-q", str(main), str(home / "clone")], check=True, capture_output=True)
    subprocess.run(["git", "clone", "-q", "--shared", str(main), str(home / "shared")], check=True,
                   capture_output=True)
    for clone in (home / "clone", home / "shared"):
        assert trust.status(str(clone)) == "unknown"
        data, err = export_json(clone)
        assert "VIRTUAL_ENV" not in data["set"] and "is not allowed" in err, err


def test_a_git_file_planted_to_name_the_victims_repository_gives_no_trust(home: Path, mallory, shared_tmp: Path):
    main = repo(home / "app")
    git("worktree", "add", "-q", str(home / "wt"), cwd=main)
    entry = main / ".git" / "worktrees" / "wt"
    assert trust.status(str(home / "wt")) == "allowed"
    # A hostile download the victim unpacked: their own directory, a .git file naming
    # the real worktree entry (which lists ~/wt, not this directory).
    download = home / "Downloads" / "evil"
    download.mkdir(parents=True)
    (download / ".python-version").write_text("3.12\n")
    (download / ".git").write_text(f"gitdir: {entry}\n")
    assert trust.status(str(download)) == "unknown"
    # Pointing straight at the main .git (no worktree entry to list it back): nothing either.
    (download / ".git").write_text(f"gitdir: {main / '.git'}\n")
    assert trust.status(str(download)) == "unknown"
    # A worktree entry of the attacker's own that lists the download back and names the
    # victim's .git as its common dir: not an entry of that repository.
    fake = home / "Downloads" / "fake-entry"
    fake.mkdir()
    (fake / "gitdir").write_text(f"{download / '.git'}\n")
    (fake / "commondir").write_text(f"{main / '.git'}\n")
    (download / ".git").write_text(f"gitdir: {fake}\n")
    assert trust.status(str(download)) == "unknown"
    data, err = export_json(download)
    assert "VIRTUAL_ENV" not in data["set"] and "is not allowed" in err, err
    # Mallory's clone in a shared directory, with the same planted file.
    theirs = shared_tmp / "theirs"
    mallory.mkdir(theirs)
    mallory.write(theirs / ".python-version", "3.12\n")
    mallory.write(theirs / ".git", f"gitdir: {entry}\n")
    assert trust.status(str(theirs)) == "unknown"


@pytest.mark.parametrize("kind", ["git", "plain"])
def test_a_new_directory_that_took_the_freed_inode_is_not_the_moved_one(home: Path, kind: str):
    if kind == "git":
        project = repo(home / "app")
    else:
        project = home / "app"
        project.mkdir()
        (project / ".python-version").write_text("3.12\n")
        allow(project)
    moved = home / "moved"
    subprocess.run(["mv", str(project), str(moved)], check=True)
    assert trust.decide(str(moved)) == ("allowed", f"moved:{project}")
    before = os.stat(moved).st_ino
    shutil.rmtree(moved)
    # ext4 hands the freed inode number to the next directory made: a download, a clone.
    fresh = home / "download"
    fresh.mkdir()
    (fresh / ".python-version").write_text("3.12\n")
    if kind == "git":
        git("init", "-q", cwd=fresh)
    reused = os.stat(fresh).st_ino == before  # usually true here; the answer must not depend on it
    assert trust.status(str(fresh)) == "unknown", f"inode reused: {reused}"


def test_deny_of_a_worktree_wins(home: Path):
    main = repo(home / "app")
    git("worktree", "add", "-q", str(home / "wt"), cwd=main)
    subprocess.run([venvd_script(), "deny", str(home / "wt")], check=True, capture_output=True)
    assert trust.status(str(home / "wt")) == "denied"
    assert trust.status(str(main)) == "allowed"
