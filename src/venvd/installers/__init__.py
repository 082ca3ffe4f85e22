"""Installer backends behind one small interface, and the resolver that picks one.

A backend turns a ``Plan`` (what to install, see ``venvd.sync.inputs``) into commands
run against a venv: ``uv`` (``installers/uv.py``) and ``pip`` (``installers/pip.py``),
plus the ecosystem tools for their own lockfiles (``installers/tools.py``: poetry,
pipenv). The resolver returns the name *and why* (flag > project config > env > auto),
so ``venvd status`` and error lines can say where the choice came from.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it
if TYPE_CHECKING:
    from typing import Callable, Mapping, Optional, Protocol

    from ..config import Config
    from ..sync.inputs import Plan

INSTALLER_VAR = "VENVD_INSTALLER"
CHOICES = ("auto", "uv", "pip")
# What a venv is seeded with; an exact sync keeps them (pip is in every venv venvd makes,
# except one synced from a uv.lock, which holds exactly what `uv sync --locked` installs).
SEED_PACKAGES = ("pip", "setuptools", "wheel")


class InstallerFailed(Exception):
    """An installer command exited non-zero; ``lines`` is its output (both streams, in
    order), ``stderr`` its standard error alone (where installers say what went wrong)."""

    def __init__(self, what: str, code: int, lines: list[str], stderr: Optional[list[str]] = None):
        super().__init__(f"{what} exited with status {code}")
        self.what = what
        self.code = code
        self.lines = lines
        self.stderr = lines if stderr is None else stderr


if not TYPE_CHECKING:
    Protocol = object  # the protocol matters to type checkers only


class Run(Protocol):
    """Runs one installer command with progress; raises InstallerFailed on failure."""

    def __call__(self, argv: list[str], *, cwd: Optional[str] = None,
                 env: Optional[Mapping[str, Optional[str]]] = None, what: str = "") -> list[str]: ...


class Target:
    """The venv being synced: its path, its python, its Python version ("3.12.1").

    ``owned``: venvd made it (``venv.read_marker``); a venv the user made is only ever
    added to, never made smaller. ``seed_pip``: keep pip in it (``[tool.venvd] seed-pip``)
    even where the lock's own tool would remove it (uv.lock).
    """

    __slots__ = ("venv", "python", "version", "environ", "owned", "seed_pip")

    def __init__(self, venv: str, python: str, version: str, environ: Mapping[str, str], owned: bool = True,
                 seed_pip: bool = False):
        self.venv = venv
        self.python = python
        self.version = version
        self.environ = environ  # the user's environment, passed through to the installer
        self.owned = owned
        self.seed_pip = seed_pip

    def exact(self, plan: "Plan") -> bool:
        """Whether a sync may remove anything: the plan asks for it and venvd made the venv."""
        return bool(plan.exact) and self.owned


class Backend(Protocol):
    name: str

    def sync(self, plan: "Plan", target: Target, run: Run) -> None:
        """Bring *target* in step with *plan* (exactly when ``plan.exact``)."""


class Choice:
    """The installer picked and where the choice came from (for messages and status)."""

    __slots__ = ("name", "why", "setting")

    def __init__(self, name: str, why: str, setting: str):
        self.name = name  # "uv" or "pip"
        self.why = why  # e.g. "uv found on PATH (installer = auto)"
        self.setting = setting  # the requested value: auto, uv or pip

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Choice({self.name!r}, {self.why!r})"


def requested(config: "Config", environ: Mapping[str, str], flag: Optional[str] = None) -> tuple[str, str]:
    """The requested installer (auto/uv/pip) and its source; cheap (no PATH search)."""
    if flag:
        return flag, "--installer"
    if config.get("installer"):
        return config.get("installer"), "[tool.venvd] installer"
    value = environ.get(INSTALLER_VAR, "").strip().lower()
    if value in CHOICES:
        return value, INSTALLER_VAR
    return "auto", "default"


def choose(config: "Config", environ: Mapping[str, str], flag: Optional[str] = None) -> Choice:
    """uv when asked for or found (PATH, or the ``venvd[uv]`` extra), pip otherwise."""
    from ..errors import VenvdError
    from ..venv import find_uv

    setting, source = requested(config, environ, flag)
    if setting == "pip":
        return Choice("pip", f"{source} asks for pip", setting)
    uv = find_uv()
    if setting == "uv":
        if uv is None:
            raise VenvdError(f"{source} asks for uv but uv is not installed; "
                             "install it (pip install 'venvd[uv]' or see docs.astral.sh/uv)")
        return Choice("uv", f"{source} asks for uv ({uv})", setting)
    if uv is not None:
        return Choice("uv", f"uv found at {uv} (installer = auto)", setting)
    return Choice("pip", "uv not found (installer = auto); pip of venvd's interpreter", setting)


def backend(name: str) -> Backend:
    if name == "uv":
        from .uv import UvBackend

        return UvBackend()
    if name == "pip":
        from .pip import PipBackend

        return PipBackend()
    from .tools import TOOLS

    return TOOLS[name]()


def child_env(target: Target, extra: Optional[Mapping[str, Optional[str]]] = None) -> dict[str, str]:
    """The user's environment for an installer, pointed at *target* (never another venv)."""
    env = dict(target.environ)
    env["VIRTUAL_ENV"] = target.venv
    env.pop("PYTHONHOME", None)
    # The venv's bin (target.python is the base interpreter while a sync makes the venv).
    bindir = os.path.join(target.venv, "Scripts" if os.name == "nt" else "bin")
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "") if env.get("PATH") else bindir
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env

