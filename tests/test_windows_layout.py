"""The core on Windows, tested on any OS: ``Scripts\\python.exe``, ``;`` between PATH
entries, ``Path`` spelled in any case, and undo that keeps the user's PATH edits."""

from __future__ import annotations

import ntpath
import os
from types import SimpleNamespace

import pytest

from venvd import venv as venv_module
from venvd.envdiff import DIFF_VAR, Record, Target, env_change, remove_path_entry

PROJECT = "C:\\Users\\J\u00f6rg\\src\\api"
VENV = PROJECT + "\\.venv"
SCRIPTS = VENV + "\\Scripts"
SYSTEM_PATH = "C:\\Windows\\system32;C:\\Windows;C:\\Program Files\\Git\\cmd"


@pytest.fixture
def on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """venv.py as it runs on Windows: its os.path is ntpath and os.name is "nt"."""
    monkeypatch.setattr(venv_module, "os", SimpleNamespace(name="nt", path=ntpath))


def test_a_windows_venv_keeps_python_in_scripts(on_windows):
    assert venv_module.bin_dir(VENV, windows=True) == SCRIPTS
    assert venv_module.python_path(VENV, windows=True) == SCRIPTS + "\\python.exe"
    # The default follows the OS venvd runs on.
    assert venv_module.is_windows()
    assert venv_module.bin_dir(VENV) == SCRIPTS
    assert venv_module.python_path(VENV) == SCRIPTS + "\\python.exe"


def test_windows_layout_can_be_asked_for_on_any_os():
    assert os.path.basename(venv_module.bin_dir("v", windows=True)) == "Scripts"
    assert os.path.basename(venv_module.python_path("v", windows=True)) == "python.exe"
    assert os.path.basename(venv_module.bin_dir("v", windows=False)) == "bin"
    assert os.path.basename(venv_module.python_path("v", windows=False)) == "python"


def windows_target(project: str = PROJECT) -> Target:
    return Target(project, project + "\\.venv", project + "\\.venv\\Scripts", "api")


def activate(environ: dict) -> dict:
    """*environ* after venvd activated the project (as the shell would apply it)."""
    change = env_change(environ, None, windows_target(), sep=";", ignore_case=True)
    after = {k: v for k, v in environ.items() if k.upper() not in {n.upper() for n in change}}
    after.update({k: v for k, v in change.items() if v is not None})
    return after


def test_activation_puts_scripts_first_on_a_path_spelled_path():
    environ = {"Path": SYSTEM_PATH, "PYTHONHOME": "C:\\Python312"}
    change = env_change(environ, None, windows_target(), sep=";", ignore_case=True)
    assert change["PATH"] == SCRIPTS + ";" + SYSTEM_PATH
    assert change["VIRTUAL_ENV"] == VENV
    assert change["VIRTUAL_ENV_PROMPT"] == "api"
    assert change["PYTHONHOME"] is None
    record = Record.decode(change[DIFF_VAR])
    assert record is not None
    assert (record.project, record.venv, record.bindir) == (PROJECT, VENV, SCRIPTS)
    assert record.saved == {"PYTHONHOME": "C:\\Python312", "VIRTUAL_ENV": None, "VIRTUAL_ENV_PROMPT": None}


def test_drive_letters_are_not_path_separators():
    path = SCRIPTS + ";C:\\Windows;D:\\tools"
    assert remove_path_entry(path, SCRIPTS, sep=";") == "C:\\Windows;D:\\tools"
    assert remove_path_entry(path, "C", sep=";") == path


def test_leaving_keeps_a_path_edit_the_user_made_meanwhile():
    environ = activate({"Path": SYSTEM_PATH})
    record = Record.decode(environ[DIFF_VAR])
    # The user puts their own tools first and appends another directory.
    environ["PATH"] = "C:\\mine;" + environ["PATH"] + ";D:\\later"
    change = env_change(environ, record, None, sep=";", ignore_case=True)
    assert change["PATH"] == "C:\\mine;" + SYSTEM_PATH + ";D:\\later"
    assert change["VIRTUAL_ENV"] is None and change["VIRTUAL_ENV_PROMPT"] is None
    assert change[DIFF_VAR] is None


def test_leaving_restores_what_activation_replaced():
    environ = activate({"Path": SYSTEM_PATH, "PYTHONHOME": "C:\\Python312", "VIRTUAL_ENV_PROMPT": "mine"})
    change = env_change(environ, Record.decode(environ[DIFF_VAR]), None, sep=";", ignore_case=True)
    assert change["PYTHONHOME"] == "C:\\Python312"
    assert change["VIRTUAL_ENV_PROMPT"] == "mine"
    assert change["PATH"] == SYSTEM_PATH


def test_switching_projects_replaces_the_scripts_dir_in_one_step():
    environ = activate({"Path": SYSTEM_PATH})
    other = "C:\\Users\\J\u00f6rg\\src\\web"
    change = env_change(environ, Record.decode(environ[DIFF_VAR]), windows_target(other), sep=";", ignore_case=True)
    assert change["PATH"] == other + "\\.venv\\Scripts;" + SYSTEM_PATH
    assert change["VIRTUAL_ENV"] == other + "\\.venv"
    assert Record.decode(change[DIFF_VAR]).saved["VIRTUAL_ENV"] is None, "the state before venvd, not the first venv"


def test_names_are_case_insensitive_on_windows():
    environ = {"Path": SYSTEM_PATH, "PythonHome": "C:\\Python312"}
    change = env_change(environ, None, windows_target(), sep=";", ignore_case=True)
    assert change["PYTHONHOME"] is None, "PythonHome is PYTHONHOME: it is unset"
    assert Record.decode(change[DIFF_VAR]).saved["PYTHONHOME"] == "C:\\Python312"
    # The same activation over an environment spelled in other cases changes nothing.
    active = {k.lower().title(): v for k, v in activate(environ).items()}
    assert "Path" in active and "Virtual_Env" in active
    record = Record.decode(active["Venvd_Diff"])
    assert env_change(active, record, windows_target(), sep=";", ignore_case=True) == {}


def test_names_stay_case_sensitive_on_posix():
    environ = {"Path": "/not/the/path", "PATH": "/usr/bin"}
    target = Target("/p", "/p/.venv", "/p/.venv/bin", "p")
    change = env_change(environ, None, target, sep=":", ignore_case=False)
    assert change["PATH"] == "/p/.venv/bin:/usr/bin"
    # The default is the running OS's rule.
    assert env_change(environ, None, target, sep=":") == env_change(
        environ, None, target, sep=":", ignore_case=os.name == "nt"
    )


def test_the_undo_record_holds_windows_paths_with_separators_in_them():
    record = Record("C:\\a;b=c%d", "C:\\a;b=c%d\\.venv", "C:\\a;b=c%d\\.venv\\Scripts", {"PYTHONHOME": "C:\\x;y"})
    back = Record.decode(record.encode())
    assert back is not None
    assert (back.project, back.venv, back.bindir, back.saved) == (
        record.project, record.venv, record.bindir, record.saved
    )
