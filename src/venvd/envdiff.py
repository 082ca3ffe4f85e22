"""What venvd changed in a shell's environment, and how to undo exactly that.

The undo record lives in the exported variable ``VENVD_DIFF`` so a nested shell
knows which changes are venvd's.  Leaving a project removes only the PATH entry
venvd added and restores the variables it set; every other PATH edit survives.

The record is encoded by hand (``key=value;…`` with ``%`` escapes) because this
module runs on every directory change and ``json`` would pull in ``re``.
"""

from __future__ import annotations

import os
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, Mapping, Optional

DIFF_VAR = "VENVD_DIFF"
# The variables an activation sets; their previous values are remembered.
MANAGED = ("PYTHONHOME", "VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT")
# Set while a venv without pip is active (a uv.lock venv holds what `uv sync` installs, no
# pip), so a `pip install` reaching a global pip refuses instead of installing globally.
PIP_GUARD = "PIP_REQUIRE_VIRTUALENV"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace(";", "%3B").replace("=", "%3D")


def _unescape(text: str) -> str:
    # Every "%" in an escaped string starts one of the three escapes, so
    # replacing "%25" last cannot create a false match.
    return text.replace("%3B", ";").replace("%3D", "=").replace("%25", "%")


def encode_pairs(pairs: Iterable[tuple[str, Optional[str]]]) -> str:
    """``[("a", "1"), ("b", None)]`` → ``"a=1;b"`` (a bare key means "no value")."""
    return ";".join(_escape(k) if v is None else f"{_escape(k)}={_escape(v)}" for k, v in pairs)


def decode_pairs(text: str) -> list[tuple[str, Optional[str]]]:
    pairs: list[tuple[str, Optional[str]]] = []
    for item in text.split(";") if text else ():
        key, eq, value = item.partition("=")
        pairs.append((_unescape(key), _unescape(value) if eq else None))
    return pairs


def encode_list(items: Iterable[str]) -> str:
    return encode_pairs((item, None) for item in items)


def decode_list(text: str) -> list[str]:
    return [key for key, _ in decode_pairs(text)]


class Record:
    """The undo record of one activation."""

    __slots__ = ("project", "venv", "bindir", "saved")

    def __init__(self, project: str, venv: str, bindir: str, saved: Mapping[str, Optional[str]]):
        self.project = project
        self.venv = venv
        self.bindir = bindir
        self.saved = dict(saved)  # variable -> value before activation (None: was unset)

    def encode(self) -> str:
        head = [("v", "1"), ("project", self.project), ("venv", self.venv), ("bin", self.bindir)]
        return encode_pairs(head + [("$" + k, v) for k, v in sorted(self.saved.items())])

    @classmethod
    def decode(cls, text: str) -> Optional["Record"]:
        """The record in *text*, or None when it is missing or not ours."""
        fields: dict[str, Optional[str]] = {}
        saved: dict[str, Optional[str]] = {}
        for key, value in decode_pairs(text):
            if key.startswith("$"):
                saved[key[1:]] = value
            else:
                fields[key] = value
        if fields.get("v") != "1" or not all(fields.get(k) for k in ("project", "venv", "bin")):
            return None
        return cls(fields["project"] or "", fields["venv"] or "", fields["bin"] or "", saved)


class Target:
    """The venv a shell should have active."""

    __slots__ = ("project", "venv", "bindir", "prompt", "pipless")

    def __init__(self, project: str, venv: str, bindir: str, prompt: str, pipless: bool = False):
        self.project = project
        self.venv = venv
        self.bindir = bindir
        self.prompt = prompt
        self.pipless = pipless  # venvd made it without pip: PIP_GUARD is set while it is active


def remove_path_entry(path: str, entry: str, sep: str = os.pathsep) -> str:
    """*path* without the first occurrence of *entry*; other entries untouched."""
    parts = path.split(sep)
    if entry in parts:
        parts.remove(entry)
    return sep.join(parts)


def env_change(
    environ: Mapping[str, str],
    record: Optional[Record],
    target: Optional[Target],
    sep: str = os.pathsep,
    ignore_case: Optional[bool] = None,
) -> dict[str, Optional[str]]:
    """The variables to set (str) or unset (None) to go from *record* to *target*.

    Only real changes are returned: a variable that already has its new value is left out.
    *ignore_case* (default: on Windows) reads *environ* with case-insensitive names, as
    Windows does: its PATH is usually spelled ``Path``.
    """
    if ignore_case is None:
        ignore_case = os.name == "nt"
    if ignore_case:
        environ = {k.upper(): v for k, v in environ.items()}
    new: dict[str, Optional[str]] = {}
    path = environ.get("PATH", "")
    if record is not None:
        path = remove_path_entry(path, record.bindir, sep)
        new.update(record.saved)
    if target is not None:
        managed = MANAGED + ((PIP_GUARD,) if target.pipless else ())
        saved = {k: new[k] if k in new else environ.get(k) for k in managed}
        new.update(VIRTUAL_ENV=target.venv, VIRTUAL_ENV_PROMPT=target.prompt, PYTHONHOME=None)
        if target.pipless:
            new[PIP_GUARD] = "1"
        path = target.bindir + sep + path if path else target.bindir
        new[DIFF_VAR] = Record(target.project, target.venv, target.bindir, saved).encode()
    else:
        new[DIFF_VAR] = None
    new["PATH"] = path
    return {k: v for k, v in new.items() if environ.get(k) != v}


def step_back(environ: Mapping[str, str], record: Record, sep: str = os.pathsep) -> dict[str, Optional[str]]:
    """The variables to change when a venv activated by hand took over from venvd's:
    venvd's PATH entry and its record go, and what else venvd set is restored; the
    variables an activation sets (``MANAGED``) are that venv's now and stay."""
    new: dict[str, Optional[str]] = {k: v for k, v in record.saved.items() if k not in MANAGED}
    new["PATH"] = remove_path_entry(environ.get("PATH", ""), record.bindir, sep)
    new[DIFF_VAR] = None
    return {k: v for k, v in new.items() if environ.get(k) != v}


class Change:
    """Everything one ``venvd export`` tells a shell to do.

    ``env``: exported variables to set (str) or unset (None).
    ``state``: the hook's own shell-local variables (a str, or a list for arrays).
    ``deactivate``: True to define venvd's ``deactivate``, False to remove it, None to leave it.
    """

    __slots__ = ("env", "state", "deactivate")

    def __init__(
        self,
        env: Optional[Mapping[str, Optional[str]]] = None,
        state: Optional[Mapping[str, "str | list[str]"]] = None,
        deactivate: Optional[bool] = None,
    ):
        self.env = dict(env or {})
        self.state = dict(state or {})
        self.deactivate = deactivate
