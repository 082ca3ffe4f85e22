"""Lockfiles installed by their own ecosystem's tool: ``poetry sync``, ``pipenv sync``."""

from __future__ import annotations

import shutil

from ..errors import VenvdError
from . import Run, Target, child_env


def _tool(name: str, lockfile: str, how: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise VenvdError(f"{lockfile} is installed with {name}, which is not on PATH; install it ({how}) "
                         "or name requirements files in [tool.venvd] requirements")
    return found


HOW = {"poetry": ("poetry.lock", "pipx install poetry"), "pipenv": ("Pipfile.lock", "pipx install pipenv")}


def require(name: str) -> str:
    """The tool's path, or the one line saying what to install."""
    lockfile, how = HOW[name]
    return _tool(name, lockfile, how)


class PoetryBackend:
    name = "poetry"

    def sync(self, plan, target: Target, run: Run) -> None:  # noqa: ANN001 - Plan
        poetry = require("poetry")
        # poetry installs into the active venv when VIRTUAL_ENV names one.
        argv = [poetry, "sync" if plan.exact else "install", "--no-interaction"]
        argv += [a for extra in plan.extras for a in ("--extras", extra)]
        argv += [a for group in plan.groups for a in ("--with", group)]
        run(argv, cwd=plan.root, env=child_env(target, {"POETRY_VIRTUALENVS_CREATE": "false"}),
            what="poetry sync")


class PipenvBackend:
    name = "pipenv"

    def sync(self, plan, target: Target, run: Run) -> None:  # noqa: ANN001 - Plan
        pipenv = require("pipenv")
        env = child_env(target, {"PIPENV_IGNORE_VIRTUALENVS": None, "PIPENV_VERBOSITY": "-1",
                                 "PIPENV_YES": "1"})
        dev = ["--dev"] if "dev" in plan.groups else []
        run([pipenv, "sync", *dev], cwd=plan.root, env=env, what="pipenv sync")
        if plan.exact:
            run([pipenv, "clean"], cwd=plan.root, env=env, what="pipenv clean")


TOOLS = {"poetry": PoetryBackend, "pipenv": PipenvBackend}
