"""The everyday commands: `venvd list`, `venvd prune`, `venvd doctor`, `venvd daemon install|uninstall`."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import allow, make_project, need_python, venvd_script
from tests.test_sync import ALPHA, export, offline, project_with, wheelhouse  # noqa: F401 - fixtures
from tests.wheelhouse import FAILING_REQUIREMENT


def venvd(*args: str, cwd: "Path | None" = None, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ, **env)
    if cwd is not None:
        environ["PWD"] = str(cwd)
    return subprocess.run([venvd_script(), *args], capture_output=True, text=True, cwd=cwd, env=environ, timeout=120)


# ---------------------------------------------------------------- list


@pytest.mark.slow
def test_list_shows_every_known_project_with_trust_venv_state_last_sync_and_size(home: Path, offline: Path) -> None:
    ready = project_with(home / "ready", f"{ALPHA}==1.0\n")
    export(ready)
    stale = project_with(home / "stale", f"{ALPHA}==1.0\n")
    export(stale)
    (stale / "requirements.txt").write_text(f"{ALPHA}==1.1\n")  # as after a `git pull`
    failed = project_with(home / "failed", f"{ALPHA}==1.0\n")
    export(failed)
    (failed / "requirements.txt").write_text(f"{FAILING_REQUIREMENT}\n")
    export(failed)  # the sync fails; the old env stays
    fresh = make_project(home / "fresh", "3.12")  # allowed, never entered
    gone = make_project(home / "gone", "3.12")
    shutil.rmtree(gone)
    denied = make_project(home / "denied", "3.12", trusted=False)
    assert venvd("deny", str(denied)).returncode == 0

    out = venvd("list", "--json")
    assert out.returncode == 0, out.stderr
    rows = {Path(row["path"]).name: row for row in json.loads(out.stdout)}
    assert sorted(rows) == ["denied", "failed", "fresh", "gone", "ready", "stale"]
    assert rows["ready"]["state"] == "ready" and rows["ready"]["trust"] == "allowed"
    assert rows["ready"]["venv"] == str(ready / ".venv") and rows["ready"]["made_by_venvd"] is True
    assert rows["stale"]["state"] == "out of date"
    assert rows["failed"]["state"] == "failed"
    assert rows["fresh"]["state"] == "missing" and rows["fresh"]["detail"] == "no venv yet"
    assert rows["gone"]["state"] == "missing" and rows["gone"]["detail"] == "the directory is gone"
    assert rows["denied"]["trust"] == "denied"
    # Numbers are numbers: a size as `du` counts it, a sync time in seconds since the epoch.
    size = rows["ready"]["size_bytes"]
    du = int(subprocess.run(["du", "-s", "-B1", str(ready / ".venv")], capture_output=True, text=True,
                            check=True).stdout.split()[0])
    assert isinstance(size, int) and abs(size - du) <= du * 0.02, (size, du)
    assert isinstance(rows["ready"]["last_sync"], float) and abs(rows["ready"]["last_sync"] - time.time()) < 600
    assert rows["gone"]["size_bytes"] is None and rows["gone"]["last_sync"] is None

    table = venvd("list").stdout.splitlines()
    assert table[0].split() == ["STATE", "TRUST", "SIZE", "LAST", "SYNC", "PROJECT"]
    line = next(line for line in table if line.endswith("~/ready"))
    assert line.startswith("ready ") and " allowed " in line and "M " in line
    assert next(line for line in table if "~/gone" in line).startswith("missing ")
    assert "[the directory is gone]" in next(line for line in table if "~/gone" in line)
    assert next(line for line in table if "~/stale" in line).startswith("out of date ")


def test_list_with_nothing_known_says_so(home: Path) -> None:
    out = venvd("list")
    assert out.returncode == 0 and "no projects yet" in out.stdout
    assert json.loads(venvd("list", "--json").stdout) == []


# ---------------------------------------------------------------- prune


@pytest.mark.slow
def test_prune_forgets_vanished_projects_and_removes_only_venvs_venvd_made(home: Path, offline: Path) -> None:
    keep = project_with(home / "keep", f"{ALPHA}==1.0\n")
    export(keep)
    gone = project_with(home / "gone", f"{ALPHA}==1.0\n")
    export(gone)  # registered too
    shutil.rmtree(gone)
    denied_gone = make_project(home / "denied-gone", "3.12", trusted=False)
    venvd("deny", str(denied_gone))
    shutil.rmtree(denied_gone)
    # Its files are gone but the venv venvd made is left: the project is gone.
    emptied = project_with(home / "emptied", f"{ALPHA}==1.0\n")
    export(emptied)
    (emptied / "requirements.txt").unlink()
    (emptied / ".python-version").unlink()
    # The same, but the user made this venv: never removed.
    mine = make_project(home / "mine", "3.12")
    subprocess.run([need_python("3.12"), "-m", "venv", "--without-pip", str(mine / ".venv")], check=True)
    export(mine)
    (mine / ".python-version").unlink()

    # Allowed, then replaced by another directory of the same name: the entry grants nothing.
    replaced = make_project(home / "replaced", "3.12")
    replaced.rename(home / "old-replaced")  # kept meanwhile, so the new one gets another inode
    replaced.mkdir()
    (replaced / ".python-version").write_text("3.12\n")
    shutil.rmtree(home / "old-replaced")
    assert json.loads(venvd("status", str(replaced), "--json").stdout)["trust"] == "changed"

    dry = venvd("prune", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    expected = {
        "trust entry: ~/gone (the directory is gone)",
        "registry row: ~/gone (the directory is gone)",
        "trust entry: ~/denied-gone (the directory is gone)",
        "venv: ~/emptied/.venv (the project's files are gone; only the venv venvd made is left)",
        "trust entry: ~/emptied (the project's files are gone; only the venv venvd made is left)",
        "registry row: ~/emptied (the project's files are gone; only the venv venvd made is left)",
        "trust entry: ~/replaced (the directory allowed is gone; this one is another)",
    }
    assert set(dry.stdout.splitlines()) == {f"would remove {e}" for e in expected}
    assert (emptied / ".venv").is_dir(), "--dry-run removes nothing"
    assert str(gone) in venvd("list", "--json").stdout

    out = venvd("prune")
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.splitlines()) == {f"removed {e}" for e in expected}
    assert not (emptied / ".venv").exists()
    assert (mine / ".venv" / "bin" / "python").exists(), "a venv venvd did not make is never removed"
    assert (keep / ".venv" / "bin" / "python").exists()
    names = sorted(Path(row["path"]).name for row in json.loads(venvd("list", "--json").stdout))
    assert names == ["keep", "mine"]  # ~/replaced: no entry left (it was never entered)
    assert venvd("status", str(keep), "--json").returncode == 0
    assert json.loads(venvd("status", str(keep), "--json").stdout)["trust"] == "allowed"
    again = venvd("prune")
    assert again.stdout == "nothing to prune\n"


def test_prune_keeps_a_venv_reached_through_a_symlink(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere-venv"
    (elsewhere / ".venvd").mkdir(parents=True)
    (elsewhere / ".venvd" / "created").write_text("state=ok\n")  # looks like venvd's marker
    project = home / "linked"
    project.mkdir()
    (project / ".python-version").write_text("3.12\n")
    allow(project)
    (project / ".venv").symlink_to(elsewhere)
    (project / ".python-version").unlink()
    out = venvd("prune")
    assert out.stdout == "nothing to prune\n"
    assert (elsewhere / ".venvd" / "created").exists()


# ---------------------------------------------------------------- doctor


def doctor_lines(out: str) -> dict[str, str]:
    """{check name: its whole line} from `venvd doctor`'s output."""
    lines = {}
    for line in out.splitlines():
        status, rest = line.split(None, 1)
        name = rest.split("  ", 1)[0].strip()
        lines[name] = line
    return lines


def test_doctor_reports_each_check_and_fails_on_a_broken_user_config(home: Path, tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "config.toml").write_text('python-downloads = "automatic"\n')
    # No $SHELL (as under CI): the hook's venvd function still names the shell.
    out = venvd("doctor", VENVD_CONFIG_DIR=str(config), _VENVD_HOOK="bash", UV_PYTHON_DOWNLOADS="", SHELL="")
    lines = doctor_lines(out.stdout)
    assert set(lines) >= {"shell", "hook", "interpreter", "installers", "trust store", "daemon", "user config"}
    assert lines["interpreter"].startswith("ok ") and os.path.realpath(venvd_script()) != "" and \
        "Python 3." in lines["interpreter"]
    assert "uv (" in lines["installers"] and "pip" in lines["installers"]
    assert lines["daemon"].startswith("ok ") and "not running" in lines["daemon"]
    assert "python-downloads = 'automatic'" in lines["user config"]
    assert lines["hook"].startswith("ok ")
    # pytest, not a shell, started this one: the shell is taken from $SHELL, or unknown.
    assert out.returncode == 0, out.stdout

    assert lines["python downloads"].startswith("ok ") and "automatic (python-downloads = \"automatic\" in" in \
        lines["python downloads"] and "installed with 'uv python install'" in lines["python downloads"]
    never = doctor_lines(venvd("doctor", VENVD_CONFIG_DIR=str(config), UV_PYTHON_DOWNLOADS="never").stdout)
    assert "never (UV_PYTHON_DOWNLOADS=never): a missing Python is never downloaded" in never["python downloads"]
    typo = doctor_lines(venvd("doctor", VENVD_CONFIG_DIR=str(config), UV_PYTHON_DOWNLOADS="yes").stdout)
    assert typo["python downloads"].startswith("warn ") and "set it to automatic, manual or never" in \
        typo["python downloads"]

    (config / "config.toml").write_text("python-downloads = 3\n")
    broken = venvd("doctor", VENVD_CONFIG_DIR=str(config), _VENVD_HOOK="bash")
    line = doctor_lines(broken.stdout)["user config"]
    assert line.startswith("FAIL ") and "python-downloads = 3 is not one of" in line and "fix or remove" in line
    assert broken.returncode == 1


def test_doctor_fails_when_the_trust_store_cannot_be_read(home: Path) -> None:
    # Only the daemon's view matters here: the trust store as a directory is unreadable.
    data = Path(os.environ["VENVD_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    (data / "allowed").mkdir()  # a directory where the store's file belongs
    out = venvd("doctor", _VENVD_HOOK="bash")
    line = doctor_lines(out.stdout)["trust store"]
    assert line.startswith("FAIL ") and "cannot be read" in line
    assert out.returncode == 1


@pytest.mark.shells
def test_doctor_in_a_real_shell_names_the_shell_its_version_and_the_hook(open_shell, home: Path,
                                                                        shell_name: str) -> None:
    shell = open_shell()
    # As the hook's `venvd` function will pass it (see the report): only to the command it runs.
    out = shell.run(f"_VENVD_HOOK={shell_name} {shlex.quote(venvd_script())} doctor" if shell_name != "fish"
                    else f"env _VENVD_HOOK=fish {shlex.quote(venvd_script())} doctor")
    lines = doctor_lines(out)
    version = subprocess.run([shutil.which(shell_name), "--version"], capture_output=True, text=True).stdout
    assert lines["shell"].startswith("ok "), out
    assert f"{shell_name} " in lines["shell"] and "the shell running this command" in lines["shell"]
    assert lines["shell"].split()[3] in version, (lines["shell"], version)
    assert lines["hook"].startswith("ok ") and f"loaded in this {shell_name}" in lines["hook"]


@pytest.mark.shells
@pytest.mark.slow
def test_doctor_sees_the_hook_through_an_active_venv(open_shell, home: Path, shell_name: str) -> None:
    project = make_project(home / "proj", "3.12")
    shell = open_shell()
    shell.run(f"cd {shlex.quote(str(project))}")
    assert shell.getenv("VIRTUAL_ENV") == str(project / ".venv")
    out = shell.run(f"{shlex.quote(venvd_script())} doctor")
    assert doctor_lines(out)["hook"].startswith("ok "), out


@pytest.mark.shells
def test_doctor_in_a_shell_without_the_hook_fails_with_the_line_to_add(home: Path, tmp_path: Path,
                                                                        shell_name: str) -> None:
    from tests.shellharness import SHELLS, shell_env

    with SHELLS[shell_name](tmp_path / "rc", shell_env(), home, hook=False) as shell:
        out = shell.run(f"{shlex.quote(venvd_script())} doctor; echo status=$?" if shell_name != "fish"
                        else f"{shlex.quote(venvd_script())} doctor; echo status=$status")
    line = doctor_lines(out.rsplit("\n", 1)[0])["hook"]
    assert line.startswith("FAIL ") and "not loaded in this shell" in line
    expected = {"bash": "add 'eval \"$(venvd hook bash)\"' to ~/.bashrc",
                "zsh": "add 'eval \"$(venvd hook zsh)\"' to ~/.zshrc",
                "fish": "add 'venvd hook fish | source' to ~/.config/fish/config.fish"}[shell_name]
    assert expected in line
    assert out.splitlines()[-1] == "status=1"


# ---------------------------------------------------------------- daemon install / uninstall


def systemd_words(line: str) -> list[str]:
    """An ExecStart=/Environment= value split as systemd does for venvd's quoting: double
    quotes with \\\\ and \\" escapes, then %% and $$ undoubled."""
    words = shlex.split(line)
    return [w.replace("%%", "%").replace("$$", "$") for w in words]


@pytest.mark.slow
def test_daemon_install_writes_a_systemd_user_unit_whose_command_starts_the_daemon(home: Path) -> None:
    out = venvd("daemon", "install")
    assert out.returncode == 0, out.stderr
    unit = home / ".config" / "systemd" / "user" / "venvd.service"
    assert out.stderr == (f"venvd: wrote ~/.config/systemd/user/venvd.service; start it now and at every login "
                          "with: systemctl --user daemon-reload && systemctl --user enable --now venvd\n")
    text = unit.read_text()
    assert "\n[Service]\n" in text and "\nWantedBy=default.target\n" in text
    (exec_line,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    argv = systemd_words(exec_line[len("ExecStart="):])
    assert os.path.isabs(argv[0]) and argv[-2:] == ["daemon", "run"]
    assert "shims" not in argv[0]
    env_lines = [systemd_words(line[len("Environment="):])[0] for line in text.splitlines()
                 if line.startswith("Environment=")]
    environment = dict(pair.split("=", 1) for pair in env_lines)
    assert environment["VENVD_STATE_DIR"] == os.environ["VENVD_STATE_DIR"]
    assert environment["PATH"] == os.environ["PATH"]
    # Run the unit's command as systemd would: only the unit's environment, plus HOME.
    log = home / "unit.log"
    with open(log, "wb") as output:
        proc = subprocess.Popen(argv, env={**environment, "HOME": str(home)}, cwd="/", stdin=subprocess.DEVNULL,
                                stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = venvd("daemon", "status", "--json")
            if status.returncode == 0 and json.loads(status.stdout).get("pid") == proc.pid:
                break
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        else:
            raise AssertionError("the unit's command did not start the daemon")
    finally:
        venvd("daemon", "stop")
        proc.wait(timeout=30)

    again = venvd("daemon", "install")
    assert again.returncode == 0, "a unit venvd wrote is replaced"
    wants = unit.parent / "default.target.wants"
    wants.mkdir()
    (wants / "venvd.service").symlink_to(unit)  # what `systemctl --user enable` makes
    removed = venvd("daemon", "uninstall")
    assert removed.returncode == 0
    assert removed.stderr == ("venvd: removed ~/.config/systemd/user/venvd.service; to stop the daemon it started: "
                              "systemctl --user stop venvd; systemctl --user daemon-reload\n")
    assert not unit.exists() and not os.path.lexists(wants / "venvd.service")
    assert "nothing to remove" in venvd("daemon", "uninstall").stderr


def test_daemon_install_and_uninstall_leave_a_unit_venvd_did_not_write(home: Path) -> None:
    unit = home / ".config" / "systemd" / "user" / "venvd.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/usr/local/bin/my-venvd\n")
    for action in ("install", "uninstall"):
        out = venvd("daemon", action)
        # install says "venvd did not write it", uninstall "was not written by venvd": each exits 1
        assert out.returncode == 1 and ("venvd did not write it" in out.stderr
                                        or "not written by venvd" in out.stderr), (action, out.returncode, out.stderr)
    assert unit.read_text() == "[Service]\nExecStart=/usr/local/bin/my-venvd\n"


def test_the_launchd_agent_for_macos_runs_the_same_command(home: Path) -> None:
    import plistlib

    from venvd.daemon import unit

    path = unit.install(dict(os.environ), platform="darwin")
    assert path == str(home / "Library" / "LaunchAgents" / "io.github.venvd.daemon.plist")
    agent = plistlib.loads(Path(path).read_bytes())
    assert agent["ProgramArguments"] == unit.daemon_argv()
    assert agent["RunAtLoad"] is True and agent["EnvironmentVariables"]["PATH"] == os.environ["PATH"]
    assert unit.enable_command(path, "darwin") == f"launchctl bootstrap gui/$(id -u) {path}"
    assert unit.uninstall(dict(os.environ), platform="darwin") == path and not Path(path).exists()
