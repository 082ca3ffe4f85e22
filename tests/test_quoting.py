"""Exact spelling per shell, and values that survive a round trip through the real shell."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import which_shell
from venvd.envdiff import Change
from venvd.errors import VenvdError
from venvd.shells import get_shell

HOSTILE = ["plain", "it's", 'say "hi"', "$(touch pwned)", "`touch pwned`", "a\nb", "tab\there", "’smart’ 🐍",
           "back\\slash", "; exit 1; #", "*glob?", "~", "-n", ""]


def test_bash_and_zsh_spelling():
    sh = get_shell("bash")
    assert sh.quote("it's") == "'it'\\''s'"
    change = Change({"PATH": "/v/bin:/usr/bin", "VIRTUAL_ENV": "/v", "PYTHONHOME": None},
                    {"_VENVD_WATCH": ["/p", "/p/x y"], "_VENVD_PWD": "/p"}, True)
    assert sh.export(change) == (
        "export PATH='/v/bin:/usr/bin'\n"
        "unset PYTHONHOME\n"
        "export VIRTUAL_ENV='/v'\n"
        "_VENVD_PWD='/p'\n"
        "_VENVD_WATCH=('/p' '/p/x y')\n"
        "_venvd_own_deactivate\n"  # the hook's function: keeps a user's deactivate aside
    )
    assert get_shell("/usr/bin/zsh").export(Change({}, {}, False)) == "_venvd_give_back_deactivate\n"


def test_fish_spelling():
    sh = get_shell("-fish")
    assert sh.quote("it's a \\") == "'it\\'s a \\\\'"
    change = Change({"PATH": "/v/bin:/usr/bin", "PYTHONHOME": None}, {"_VENVD_WATCH": []}, None)
    assert sh.export(change) == "set -gx PATH '/v/bin' '/usr/bin'\nset -e -g PYTHONHOME\nset -g _VENVD_WATCH\n"


def test_bad_variable_names_are_rejected():
    with pytest.raises(ValueError):
        get_shell("bash").export(Change({"A;rm -rf ~": "x"}))
    with pytest.raises(ValueError):
        get_shell("fish").export(Change({}, {"1x": "y"}))


def test_unknown_shell_is_one_clear_error():
    with pytest.raises(VenvdError, match="unknown shell 'tcsh'.*bash"):
        get_shell("tcsh")


@pytest.mark.parametrize("name", ["bash", "zsh", "fish"])
def test_values_round_trip_through_the_real_shell(name: str, tmp_path):
    shell = which_shell(name)
    sh = get_shell(name)
    code = sh.export(Change({f"V{i}": v for i, v in enumerate(HOSTILE)}))
    script = code + "".join(f"printf '%s\\0' \"$V{i}\"\n" for i in range(len(HOSTILE)))
    out = subprocess.run([shell, "-c", script], cwd=tmp_path, capture_output=True, check=True).stdout
    assert out.decode().split("\0")[:-1] == HOSTILE
    assert not list(tmp_path.iterdir()), "quoting ran a command"


def test_json_is_for_export_only(home):
    import subprocess

    from tests.conftest import venvd_script

    r = subprocess.run([venvd_script(), "hook", "json"], capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("venvd: json has no hook") and "Traceback" not in r.stderr
