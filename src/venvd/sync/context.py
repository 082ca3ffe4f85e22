"""What the sync, status and exec commands share: the project of a directory, trusted."""

from __future__ import annotations

import os
from typing import Optional

from ..errors import VenvdError
from ..project import Project, find_project
from ..ui import display_path


def locate(directory: Optional[str]) -> Project:
    """The project *directory* (default: here) is in; an error when there is none."""
    start = os.path.abspath(directory or os.environ.get("PWD") or os.getcwd())
    if directory is None and not os.path.isdir(start):
        start = os.getcwd()
    if not os.path.isdir(start):
        raise VenvdError(f"{start} is not a directory")
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
