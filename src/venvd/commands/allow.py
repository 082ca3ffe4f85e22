"""``venvd allow [DIR]`` and ``venvd deny [DIR]``: the user's trust decisions."""

from __future__ import annotations

from argparse import Namespace

from .. import trust
from ..project import find_project
from ..ui import display_path, say


def project_root_for(directory: "str | None") -> str:
    """The root of the project *directory* is in, or the directory itself."""
    from ..sync.context import start_directory

    start = start_directory(directory)  # the real cwd when an inherited $PWD names another
    project = find_project(start)
    return project.root if project is not None else start


def run(ns: Namespace, allowed: bool = True) -> int:
    if allowed and getattr(ns, "tree", False):
        return allow_tree(ns.dir)
    root = project_root_for(ns.dir)
    if allowed:
        from ..ownership import check_project
        from ..venv import bin_dir

        # As at every entry: a project (or the venv it would use) another user can change
        # is not allowed.
        check_project(root, bin_dir(_venv_of(root)))
    key = trust.set_status(root, allowed)
    shown = display_path(key)
    if allowed and find_project(root) is None:
        # Nothing here says it is a Python project yet: say so rather than promise a venv.
        say(f"allowed {shown}: it is not a project yet (no .python-version, pyproject.toml, requirements*.txt, "
            "uv.lock or .venv); once it has one, its venv is created, synced and activated")
    elif allowed:
        say(f"allowed {shown}: its venv will be created, synced and activated")
    else:
        say(f"denied {shown}: venvd will not touch it or mention it")
    return 0


def _venv_of(root: str) -> str:
    """The venv the project at *root* would use, as an entry decides it
    (``export.venv_location``): ``UV_PROJECT_ENVIRONMENT``, ``[tool.venvd] venv``, or
    ``.venv``. A config that cannot be read leaves ``.venv`` (the entry says what is wrong)."""
    import os

    from ..config import load_config
    from ..errors import VenvdError
    from ..export import venv_location
    from ..project import Project

    project = find_project(root)
    try:
        return venv_location(project if project is not None else Project(root, []), load_config(root), os.environ)
    except VenvdError:
        return os.path.join(root, ".venv")


def allow_tree(directory: "str | None") -> int:
    """``venvd allow --tree DIR``: every project under DIR is allowed (trees.py)."""
    import os

    from ..errors import VenvdError
    from ..ownership import check
    from ..sync.context import start_directory
    from ..trees import add_tree

    real = os.path.realpath(start_directory(directory))
    if not os.path.isdir(real):
        raise VenvdError(f"{display_path(real)} is not a directory; name the tree to trust")
    check(real, "the tree")  # a tree another user can write: they could put projects in it
    config, changed = add_tree(real)
    shown = display_path(real)
    if changed:
        say(f"trusted the tree {shown} (in {display_path(config)}): every project under it is allowed; "
            "'venvd deny' still turns one off")
    else:
        say(f"{shown} is already a trusted tree (in {display_path(config)})")
    return 0
