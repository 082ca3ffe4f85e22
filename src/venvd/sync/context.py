"""What the sync, status and exec commands share: the project of a directory, trusted."""

from __future__ import annotations

import os
from typing import Optional

from ..errors import VenvdError
from ..project import Project, find_project
from ..ui import display_path


def start_directory(directory: Optional[str]) -> str:
    """*directory* made absolute (an error when it is not a directory), or, by default,
    the real working directory: the shell's logical ``$PWD`` only when it names it (an
    inherited ``$PWD`` may name another directory; ``export`` decides the same way)."""
    from ..project import current_directory

    if directory is None:
        return current_directory(os.environ)
    start = os.path.abspath(directory)
    if not os.path.isdir(start):
        raise VenvdError(f"{display_path(start)} is not a directory")
    return start


def locate(directory: Optional[str]) -> Project:
    """The project *directory* (default: here) is in; an error when there is none."""
    start = start_directory(directory)
    project = find_project(start)
    if project is None:
        raise VenvdError(f"{display_path(start)} is not in a project (no .python-version, pyproject.toml, "
                         "requirements*.txt, uv.lock or .venv here or above)")
    return project


def require_trust(project: Project) -> None:
    from .. import trust

    status = trust.status(project.root)
    if status != "allowed":
        shown = display_path(project.root)
        raise VenvdError(f"{shown} is {'denied' if status == 'denied' else 'not allowed'}; "
                         f"'venvd allow {shown}' lets venvd create, sync and activate its venv")
