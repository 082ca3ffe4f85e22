"""Lockfiles installed by their own ecosystem's tool: ``poetry sync``, ``pipenv sync``,
``pdm sync``, each pointed at venvd's venv (never a venv of the tool's own making)."""

from __future__ import annotations

import os
import shutil

from ..errors import VenvdError
from . import Run, Target, child_env


def _tool(name: str, lockfile: str, how: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise VenvdError(f"{lockfile} is installed with {name}, which is not on PATH; install it ({how}) "
                         "or name requirements files in [tool.venvd] requirements")
    return found


HOW = {"poetry": ("poetry.lock", "pipx install poetry"), "pipenv": ("Pipfile.lock", "pipx install pipenv"),
       "pdm": ("pdm.lock", "pipx install pdm")}


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
        if plan.all_extras:
            argv.append("--all-extras")
        else:
            argv += [a for extra in plan.extras for a in ("--extras", extra)]
        if plan.all_groups:
            argv.append("--all-groups")
        elif plan.only_groups:
            argv += ["--only", ",".join(plan.only_groups)]
        elif plan.no_default_groups:
            argv += ["--only", ",".join(("main", *plan.groups))]
        else:
            argv += [a for group in plan.groups for a in ("--with", group)]
        run(argv, cwd=plan.root, env=child_env(target, {"POETRY_VIRTUALENVS_CREATE": "false"}),
            what="poetry sync")


class PipenvBackend:
    name = "pipenv"

    def sync(self, plan, target: Target, run: Run) -> None:  # noqa: ANN001 - Plan
        pipenv = require("pipenv")
        env = child_env(target, {"PIPENV_IGNORE_VIRTUALENVS": None, "PIPENV_VERBOSITY": "-1",
                                 "PIPENV_YES": "1"})
        dev = bool("dev" in plan.groups or plan.all_groups)
        run([pipenv, "sync", *(["--dev"] if dev else [])], cwd=plan.root, env=env, what="pipenv sync")
        if plan.exact and _has_pylock(plan.root):
            # `pipenv clean` reads a pylock.toml beside Pipfile.lock in preference to it
            # (pipenv's lockfile.content) and would remove what `pipenv sync` just
            # installed: remove what Pipfile.lock does not name here instead.
            _prune_to_pipfile_lock(plan, target, run, dev)
        elif plan.exact:
            run([pipenv, "clean"], cwd=plan.root, env=env, what="pipenv clean")


def _has_pylock(root: str) -> bool:
    try:
        names = os.listdir(root)
    except OSError:
        return False
    return any(n == "pylock.toml" or (n.startswith("pylock.") and n.endswith(".toml")) for n in names)


def _prune_to_pipfile_lock(plan, target: Target, run: Run, dev: bool) -> None:  # noqa: ANN001 - Plan
    import json

    from ..safeio import LIMIT_LOCK, read_text
    from ..sync.envstate import extraneous
    from . import SEED_PACKAGES
    from .pip import pip_command

    lock = plan.top[0]
    try:
        data = json.loads(read_text(lock, LIMIT_LOCK))
    except (OSError, ValueError) as exc:
        raise VenvdError(f"cannot read {lock} ({exc}); fix it or run 'pipenv lock'") from None
    sections = ("default", "develop") if dev else ("default",)
    names = [n for s in sections if isinstance(data.get(s), dict) for n in data[s]] if isinstance(data, dict) else []
    remove = extraneous(target.venv, names, target.version, SEED_PACKAGES)
    if remove:
        run([*pip_command(target), "uninstall", "-y", *remove], cwd=plan.root, what=f"removing {', '.join(remove)}")


class PdmBackend:
    """``pdm sync`` into venvd's venv: ``PDM_PYTHON`` names the venv's interpreter, which
    pdm takes before its saved ``.pdm-python`` and before looking for (or creating) a venv
    of its own; nothing is written into the project."""

    name = "pdm"

    def sync(self, plan, target: Target, run: Run) -> None:  # noqa: ANN001 - Plan
        pdm = require("pdm")
        _check_requires_python(plan, target)
        argv = [pdm, "sync"]
        narrowed = plan.no_default_groups or bool(plan.only_groups)
        if plan.exact:
            # --clean removes what the lock does not name; with a narrowed selection,
            # --only-keep also removes the locked groups that are not selected (as uv sync).
            argv.append("--only-keep" if narrowed else "--clean")
        if plan.only_groups:
            argv += ["--no-default", *[a for group in plan.only_groups for a in ("-G", group)]]
        else:
            if plan.no_default_groups:
                argv.append("--prod")
            if plan.all_extras or plan.all_groups:
                argv += ["-G", ":all"]
            argv += [a for name in (*plan.extras, *plan.groups) for a in ("-G", name)]
        env = child_env(target, {
            "PDM_PYTHON": target.python,
            "PDM_IGNORE_ACTIVE_VENV": None,
            "PDM_CHECK_UPDATE": "false",  # no version check against PyPI on every sync
            "PDM_NON_INTERACTIVE": "1",
        })
        run(argv, cwd=plan.root, env=env, what="pdm sync")


def _check_requires_python(plan, target: Target) -> None:  # noqa: ANN001 - Plan
    """pdm ignores an interpreter outside ``requires-python`` and makes a venv of its own
    instead: refuse first, in one line, rather than let it."""
    pyproject = os.path.join(plan.root, "pyproject.toml")
    if not os.path.isfile(pyproject) or not target.version:
        return
    from ..tomlfile import read_toml

    project = read_toml(pyproject).get("project")
    wanted = project.get("requires-python") if isinstance(project, dict) else None
    if not isinstance(wanted, str):
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(wanted)
    except InvalidSpecifier:
        raise VenvdError(f"{pyproject}: requires-python = {wanted!r} is not a valid version range") from None
    version = target.version.rstrip("t")
    if not spec.contains(version, prereleases=True):
        raise VenvdError(f"the venv has Python {target.version} but {pyproject} requires-python is {wanted!r}, "
                         "so pdm would make a venv of its own; ask for a fitting Python in .python-version")


TOOLS = {"poetry": PoetryBackend, "pipenv": PipenvBackend, "pdm": PdmBackend}
