"""The distribution name a local project declares, read without building it: what a
requirements file's ``-e .`` or ``./pkg[extra]`` installs, so that an exact sync can keep
what it requires (inputs.py) and prune the rest."""

from __future__ import annotations

import os

from ..errors import VenvdError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


def local_project_name(directory: str) -> tuple[Optional[str], list[str]]:
    """The distribution name the project in *directory* declares, read without building
    it, and the metadata files that are there (they decide what installing it installs).

    Where a backend takes its name from: ``[project] name`` (PEP 621); ``[tool.poetry]
    name`` for a poetry-core backend; setup.cfg's ``[metadata] name``; a string literal
    ``name=`` in setup.py's ``setup()`` call (the code is parsed, never run). None when
    none of them gives a valid name (then nothing can be pruned by name)."""
    files = [p for p in (os.path.join(directory, n) for n in ("pyproject.toml", "setup.cfg", "setup.py"))
             if os.path.isfile(p)]
    for read in (_name_in_pyproject, _name_in_setup_cfg, _name_in_setup_py):
        try:
            name = read(directory)
        except (VenvdError, OSError, ValueError, SyntaxError, RecursionError, UnicodeDecodeError):
            name = None  # unreadable: said by the installer that reads it, not here
        if name is not None:
            import re

            # PEP 508's name rule: anything else cannot be a root requirement.
            valid = re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name) is not None
            return (name if valid else None), files
    return None, files


def _name_in_pyproject(directory: str) -> Optional[str]:
    path = os.path.join(directory, "pyproject.toml")
    if not os.path.isfile(path):
        return None
    from ..tomlfile import read_toml

    data = read_toml(path)
    project = data.get("project")
    if isinstance(project, dict):
        name = project.get("name")
        return name if isinstance(name, str) else None
    build = data.get("build-system")
    backend = build.get("build-backend") if isinstance(build, dict) else None
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(backend, str) and backend.startswith("poetry") and isinstance(poetry, dict):
        name = poetry.get("name")
        return name if isinstance(name, str) else None
    return None


def _name_in_setup_cfg(directory: str) -> Optional[str]:
    path = os.path.join(directory, "setup.cfg")
    if not os.path.isfile(path):
        return None
    import configparser

    from ..safeio import LIMIT_TEXT, read_text

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_text(path, LIMIT_TEXT))
    except configparser.Error:
        return None
    name = parser.get("metadata", "name", fallback="").strip()
    return name or None


def _name_in_setup_py(directory: str) -> Optional[str]:
    path = os.path.join(directory, "setup.py")
    if not os.path.isfile(path):
        return None
    import ast

    from ..safeio import LIMIT_TEXT, read_text

    tree = ast.parse(read_text(path, LIMIT_TEXT), path)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called != "setup":
            continue
        for keyword in node.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant) \
                    and isinstance(keyword.value.value, str):
                return keyword.value.value
    return None  # computed at run time (or read from a file): not known without running it
