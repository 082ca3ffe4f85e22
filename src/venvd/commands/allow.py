"""``venvd allow [DIR]`` and ``venvd deny [DIR]``: the user's trust decisions."""

from __future__ import annotations

import os
from argparse import Namespace

from .. import trust
from ..project import find_project
from ..ui import display_path, say


def project_root_for(directory: "str | None") -> str:
    """The root of the project *directory* is in, or the directory itself."""
    start = os.path.abspath(directory or os.environ.get("PWD") or os.getcwd())
    if not os.path.isdir(start):
        from ..errors import VenvdError

        raise VenvdError(f"{start} is not a directory")
    project = find_project(start)
    return project.root if project is not None else start


def run(ns: Namespace, allowed: bool = True) -> int:
    root = project_root_for(ns.dir)
    key = trust.set_status(root, allowed)
    shown = display_path(key)
    if allowed:
        say(f"allowed {shown}: its venv will be created, synced and activated")
    else:
        say(f"denied {shown}: venvd will not touch it or mention it")
    return 0
