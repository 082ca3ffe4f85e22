"""Requirements files of the common layouts that a project's plan does not sync
(``requirements-dev.txt``, ``dev-requirements.txt``, ``requirements/*.txt``…): named in
one line, and listed by ``venvd status``, never silently left out (issue 10 point 6)."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

    from .inputs import Plan


def _listdir(root: str) -> list[str]:
    try:
        return os.listdir(root)
    except OSError:
        return []


def unsynced_requirements(root: str, plan: "Optional[Plan]") -> list[str]:
    """Requirements files of the common layouts in *root* that *plan* does not sync
    (``requirements-dev.txt``, ``dev-requirements.txt``, ``requirements/*.txt``…), relative."""
    synced = set(plan.files) if plan is not None else set()
    found = []
    for name in _listdir(root):
        low = name.lower()
        if low.endswith(".txt") and ("requirements" in low or low.startswith("requires")):
            path = os.path.join(root, name)
            if os.path.isfile(path) and path not in synced:
                found.append(name)
    for directory in ("requirements", "requirements.d", "reqs"):
        sub = os.path.join(root, directory)
        for name in _listdir(sub):
            path = os.path.join(sub, name)
            if name.endswith((".txt", ".in")) and os.path.isfile(path) and path not in synced:
                found.append(f"{directory}/{name}")
    return sorted(found)


def not_synced_line(unsynced: list[str], context: str) -> str:
    """The one line naming requirements files that are not synced: "requirements-dev.txt is
    not synced; add it to [tool.venvd] requirements" and *context* after it."""
    many = len(unsynced) > 1
    return (f"{', '.join(unsynced)} {'are' if many else 'is'} not synced; "
            f"add {'them' if many else 'it'} to [tool.venvd] requirements{context}")


def hint_nothing(root: str, why: str) -> None:
    """Nothing is synced, but requirements files of another name (requirements-dev.txt…)
    are there: said once (this runs when the inputs changed, not at every prompt)."""
    unsynced = unsynced_requirements(root, None)
    if unsynced:
        from ..ui import say

        say(not_synced_line(unsynced, f" ({why})"))
