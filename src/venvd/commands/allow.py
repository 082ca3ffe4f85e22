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
    root = project_root_for(ns.dir)
    if allowed:
        import os

        from ..ownership import check_project
        from ..venv import bin_dir

        # As at every entry: a project (or its .venv) another user can change is not allowed.
        check_project(root, bin_dir(os.path.join(root, ".venv")))
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
