"""The user's own settings: ``config.toml`` in the user config dir (``VENVD_CONFIG_DIR``,
else platformdirs', e.g. ``~/.config/venvd/config.toml``).

Unlike a project's ``[tool.venvd]``, this file is the user's: it may allow what a project
never can (downloading an interpreter, trusting whole trees). ``load`` parses it each
time, uncached: off the cd path (an interpreter is missing, ``venvd doctor``). The cd path
reads only its ``trust`` list and ``prompt``, through trees.py's cache.
Because it grants things, a file owned by another user or writable by others is refused,
as ssh refuses such a ``~/.ssh/config``.
"""

from __future__ import annotations

import os
from typing import Any, Optional

from .errors import VenvdError

FILE = "config.toml"
# key -> allowed values
KEYS: dict[str, tuple[str, ...]] = {
    # The values uv's own `python-downloads` setting takes.
    "python-downloads": ("automatic", "manual", "never"),
}
# Lists of directories: `trust` names the trusted trees (trees.py), absolute or ~/...
LIST_KEYS = ("trust",)
# true or false: `prompt` has the shell hooks show "(name) " before the prompt while one of
# venvd's venvs is active, as the stdlib's activate does (trees.show_prompt, shell/venvd.*).
BOOL_KEYS = ("prompt",)
DEFAULTS: dict[str, Any] = {"python-downloads": "manual", "trust": [], "prompt": False}


def config_file() -> str:
    from .paths import config_dir

    return os.path.join(config_dir(), FILE)


def _check_owner(path: str) -> None:
    """Refuse a config file that someone else could have written (``ownership.problem``:
    the same rule as for projects and the trust store)."""
    from .ownership import problem

    why = problem(path)
    if why is not None:
        raise VenvdError(f"{path} is {why}; venvd ignores it (fix its owner or mode, e.g. chmod go-w {path})")


def load(path: Optional[str] = None) -> dict[str, Any]:
    """The validated settings (defaults filled in). VenvdError, one line, for a file that
    cannot be read, is not TOML, is not the user's, or has an unknown key or a bad value."""
    from .safeio import LIMIT_TEXT, read_optional
    from .tomlfile import loads_toml

    path = path or config_file()
    settings = dict(DEFAULTS)
    try:
        data = read_optional(path, LIMIT_TEXT)
        if data is not None:
            _check_owner(path)
    except OSError as exc:  # from _check_owner's stat: the file vanished meanwhile
        raise VenvdError(f"cannot read {path}: {exc.strerror}") from None
    if data is None:
        return settings
    table = loads_toml(data, path)
    for key, value in sorted(table.items()):
        if key not in KEYS and key not in LIST_KEYS and key not in BOOL_KEYS:
            raise VenvdError(f"{path}: unknown setting {key!r} (known: {', '.join([*KEYS, *LIST_KEYS, *BOOL_KEYS])}); "
                             "fix or remove it")
        if key in LIST_KEYS:
            settings[key] = _paths(path, key, value)
            continue
        if key in BOOL_KEYS:
            if not isinstance(value, bool):  # "true" in quotes is a string, 1 an integer
                raise VenvdError(f"{path}: {key} = {value!r} is not true or false; write {key} = true "
                                 f"or {key} = false (no quotes)")
            settings[key] = value
            continue
        choices = KEYS[key]
        if value not in choices:
            raise VenvdError(f"{path}: {key} = {value!r} is not one of {', '.join(repr(c) for c in choices)}")
        settings[key] = value
    return settings


def _paths(path: str, key: str, value: Any) -> list[str]:
    """*value* as a list of absolute directories (``~`` expanded), or one line saying why not."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise VenvdError(f"{path}: {key} must be a list of directories, e.g. {key} = [\"~/src/mycompany\"]")
    found = []
    for item in value:
        expanded = os.path.expanduser(item)
        if not os.path.isabs(expanded):
            raise VenvdError(f"{path}: {key} entry {item!r} is not an absolute path (nor ~/...); write it in full")
        found.append(os.path.normpath(expanded))
    return found
