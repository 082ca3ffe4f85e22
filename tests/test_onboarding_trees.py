"""Trusted trees in the user config (issue 11 point 1): `trust = [...]`, `venvd allow --tree`.

Every project under a trusted tree is allowed with no `venvd allow`, unless another user
owns or can write the tree, a directory in it, or the project (a real second user,
`mallory`, tests/users.py), and `venvd deny` still wins for one project.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import need_python, venvd_script
from tests.test_export import export_json
from venvd import trust


@pytest.fixture(autouse=True)
def _runuser_on_path(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`home` narrows PATH to the bin dirs; `mallory.run` needs runuser from sbin."""
    monkeypatch.setenv("PATH", os.environ["PATH"] + os.pathsep + "/usr/sbin:/sbin")


def config_file(home: Path) -> Path:
    return home / ".config" / "venvd" / "config.toml"  # XDG_CONFIG_HOME of the `home` fixture


def venvd(*args: str, cwd: "Path | None" = None) -> subprocess.CompletedProcess:
    return subprocess.run([venvd_script(), *args], capture_output=True, text=True, cwd=cwd)


def new_project(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / ".python-version").write_text("3.12\n")
    return path


@pytest.mark.shells
def test_a_project_under_a_trusted_tree_is_activated_with_no_allow(open_shell, home: Path):
    need_python("3.12")
    tree = home / "src" / "mycompany"
    tree.mkdir(parents=True)
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text('trust = ["~/src/mycompany"]\n')
    project = new_project(tree / "team" / "app")
    outside = new_project(home / "elsewhere")
    shell = open_shell()
    out = shell.run(f"cd {project}")
    assert "not allowed" not in out, out
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv"), out
    assert shell.run("python -c 'import sys; print(sys.prefix)'").splitlines()[-1] == str(project / ".venv")
    out = shell.run(f"cd {outside}")
    assert "is not allowed" in out and shell.getenv("VIRTUAL_ENV") is None, "only what is under the tree"


def test_allow_tree_writes_the_config_keeping_what_the_user_wrote(home: Path):
    tree = home / "src" / "co"
    tree.mkdir(parents=True)
    other = home / "work"
    other.mkdir()
    config = config_file(home)
    config.parent.mkdir(parents=True)
    original = '# my settings\npython-downloads = "automatic"  # yes, download\n'
    config.write_text(original)
    out = venvd("allow", "--tree", str(tree))
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("venvd:") == 1 and "trusted the tree" in out.stderr, out.stderr
    text = config.read_text()
    assert text.endswith(original), "the user's lines and comments are kept"
    import tomllib

    assert tomllib.loads(text) == {"python-downloads": "automatic", "trust": [str(tree)]}
    out = venvd("allow", "--tree", str(other))
    assert out.returncode == 0, out.stderr
    assert tomllib.loads(config.read_text())["trust"] == [str(other), str(tree)]
    assert config.read_text().endswith(original)
    again = venvd("allow", "--tree", str(tree))
    assert again.returncode == 0 and "already a trusted tree" in again.stderr, again.stderr
    project = new_project(tree / "p")
    assert trust.decide(str(project)) == ("allowed", f"tree:{tree}")
    shown = venvd("status", str(project))
    assert "under the trusted tree" in shown.stdout, shown.stdout


def test_allow_tree_refuses_a_tree_others_can_write(home: Path, shared_tmp: Path):
    tree = shared_tmp / "open"
    tree.mkdir()
    tree.chmod(0o777)
    out = venvd("allow", "--tree", str(tree))
    assert out.returncode != 0 and "writable by others" in out.stderr, out.stderr
    assert out.stderr.count("venvd:") == 1 and "Traceback" not in out.stderr
    assert not config_file(home).exists()


def test_deny_of_a_project_under_a_tree_wins(home: Path):
    need_python("3.12")
    tree = home / "src"
    project = new_project(tree / "p")
    assert venvd("allow", "--tree", str(tree)).returncode == 0
    assert venvd("deny", str(project)).returncode == 0
    data, err = export_json(project)
    assert "VIRTUAL_ENV" not in data["set"] and err == "", err
    assert not (project / ".venv").exists()
    sibling = new_project(tree / "q")
    assert trust.status(str(sibling)) == "allowed", "the rest of the tree stays trusted"


@pytest.mark.shells
def test_a_project_another_user_made_in_a_shared_trusted_tree_is_refused(open_shell, home: Path, mallory,
                                                                         shared_tmp: Path):
    tree = shared_tmp / "team"
    tree.mkdir()
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text(f'trust = ["{tree}"]\n')
    tree.chmod(0o1777)  # made shared after it was trusted: sticky, world-writable
    planted = tree / "evil"
    mallory.mkdir(planted)
    mallory.write(planted / ".python-version", "3.12\n")
    mallory.mkdir(planted / ".venv" / "bin")
    mallory.write(planted / ".venv" / "pyvenv.cfg", "home = /usr/bin\nversion = 3.11.2\n")
    mallory.write(planted / ".venv" / "bin" / "ls", "#!/bin/sh\necho PWNED-by-mallory\n", mode=0o755)
    shell = open_shell()
    out = shell.run(f"cd {planted}")
    lines = [line for line in out.splitlines() if line.startswith("venvd:")]
    assert len(lines) == 1 and "trusted tree" in lines[0] and "writable by others" in lines[0], out
    assert shell.getenv("VIRTUAL_ENV") is None
    assert "PWNED" not in shell.run("ls")
    # The tree made private again: mallory's project is still hers, still refused.
    tree.chmod(0o755)
    shell.run("cd /")
    out = shell.run(f"cd {planted}")
    assert "owned by venvd-mallory" in out and shell.getenv("VIRTUAL_ENV") is None, out


def test_a_config_file_another_user_could_write_trusts_no_tree(home: Path):
    tree = home / "src"
    project = new_project(tree / "p")
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text(f'trust = ["{tree}"]\n')
    assert trust.status(str(project)) == "allowed"
    config_file(home).chmod(0o666)
    data, err = export_json(project)
    assert "VIRTUAL_ENV" not in data["set"]
    assert err.count("venvd:") == 1 and "writable by others" in err, err


def test_a_cd_into_a_tree_project_reads_the_trees_from_the_cache_not_toml(home: Path):
    from tests.test_hot_path import _assert_light, _export, _hook_env

    python = need_python("3.12")
    tree = home / "src"
    project = new_project(tree / "p")
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text(f'trust = ["{tree}"]\n')
    env = _hook_env({"PWD": str(project)})
    first = subprocess.run(_export(), cwd=project, env=env, capture_output=True, text=True, check=True)
    assert f"VIRTUAL_ENV={project / '.venv'}" in first.stdout.replace("'", ""), first
    _assert_light(_export(), project, env)  # the next cd: a stat and the cache, no tomllib


def test_status_and_list_say_a_project_in_an_unsafe_tree_is_refused(home: Path, shared_tmp: Path):
    tree = shared_tmp / "team"
    project = new_project(tree / "p")
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text(f'trust = ["{tree}"]\n')
    tree.chmod(0o777)
    shown = venvd("status", str(project))
    assert shown.returncode == 0, shown.stderr
    assert "refused" in shown.stdout and "writable by others" in shown.stdout, shown.stdout


@pytest.mark.parametrize("before, after", [
    ('trust = []\n', None),
    ('# trees\ntrust = [\n  "~/old",  # the old one\n]\npython-downloads = "never"\n', "~/old"),
    ('trust=["/opt/x"]\n', "/opt/x"),
])
def test_allow_tree_patches_the_trust_array_the_user_wrote(home: Path, before: str, after: "str | None"):
    import tomllib

    tree = home / "t"
    tree.mkdir()
    config = config_file(home)
    config.parent.mkdir(parents=True)
    config.write_text(before)
    out = venvd("allow", "--tree", str(tree))
    assert out.returncode == 0, out.stderr
    trees = tomllib.loads(config.read_text())["trust"]
    assert trees == [str(tree)] + ([after] if after else [])
    if "# the old one" in before:
        assert "# the old one" in config.read_text() and "# trees" in config.read_text()


def test_allow_tree_says_what_to_do_when_it_cannot_patch_safely(home: Path):
    tree = home / "t"
    tree.mkdir()
    config = config_file(home)
    config.parent.mkdir(parents=True)
    config.write_text('"trust" = ["/opt/x"]\n')  # a quoted key: not the line it knows how to patch
    out = venvd("allow", "--tree", str(tree))
    assert out.returncode != 0 and out.stderr.count("venvd:") == 1 and "by hand" in out.stderr, out.stderr
    assert config.read_text() == '"trust" = ["/opt/x"]\n', "left as it was"
