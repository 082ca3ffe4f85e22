"""The undo record: leaving removes exactly what venvd added."""

from __future__ import annotations

from venvd.envdiff import (
    DIFF_VAR, Record, Target, decode_list, decode_pairs, encode_list, encode_pairs, env_change, remove_path_entry,
)

TARGET = Target("/p", "/p/.venv", "/p/.venv/bin", "p")


def apply(environ: dict, change: dict) -> dict:
    out = dict(environ)
    for key, value in change.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_encoding_round_trips_every_awkward_character():
    pairs = [("a", "x;y=z%3B%25"), ("b", None), ("c=;%", ""), ("d", "new\nline ’ 🐍")]
    assert decode_pairs(encode_pairs(pairs)) == pairs
    assert decode_list(encode_list(["/a;b", "/c%3D", ""])) == ["/a;b", "/c%3D", ""]
    assert decode_pairs("") == []


def test_activating_prepends_the_venv_and_remembers_what_it_replaced():
    env = {"PATH": "/usr/bin:/bin", "PYTHONHOME": "/weird", "VIRTUAL_ENV_PROMPT": "old"}
    change = env_change(env, None, TARGET)
    assert change["PATH"] == "/p/.venv/bin:/usr/bin:/bin"
    assert change["VIRTUAL_ENV"] == "/p/.venv" and change["PYTHONHOME"] is None
    record = Record.decode(change[DIFF_VAR])
    assert record.saved == {"PYTHONHOME": "/weird", "VIRTUAL_ENV": None, "VIRTUAL_ENV_PROMPT": "old"}


def test_leaving_keeps_path_edits_made_meanwhile_and_restores_variables():
    env = {"PATH": "/usr/bin:/bin", "PYTHONHOME": "/weird"}
    active = apply(env, env_change(env, None, TARGET))
    active["PATH"] = "/mine/bin:" + active["PATH"] + ":/late/bin"  # the user's edits
    left = apply(active, env_change(active, Record.decode(active[DIFF_VAR]), None))
    assert left == {"PATH": "/mine/bin:/usr/bin:/bin:/late/bin", "PYTHONHOME": "/weird"}


def test_switching_projects_is_one_step():
    env = {"PATH": "/usr/bin"}
    first = apply(env, env_change(env, None, TARGET))
    other = Target("/q", "/q/.venv", "/q/.venv/bin", "q")
    second = apply(first, env_change(first, Record.decode(first[DIFF_VAR]), other))
    assert second["PATH"] == "/q/.venv/bin:/usr/bin"
    assert Record.decode(second[DIFF_VAR]).saved["VIRTUAL_ENV"] is None, "the original state is carried over"
    assert apply(second, env_change(second, Record.decode(second[DIFF_VAR]), None)) == env


def test_only_the_entry_venvd_added_is_removed():
    assert remove_path_entry("/a:/v/bin:/b:/v/bin", "/v/bin") == "/a:/b:/v/bin"
    assert remove_path_entry("/a::/b", "/v/bin") == "/a::/b"
    assert remove_path_entry("/v/bin", "/v/bin") == ""


def test_a_foreign_or_damaged_record_is_ignored():
    assert Record.decode("") is None
    assert Record.decode("v=2;project=/p;venv=/v;bin=/b") is None
    assert Record.decode("garbage without structure") is None
