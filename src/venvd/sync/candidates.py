"""The names in a project root that can be a sync's input: which input wins depends on
which of them are there. ``inputs`` decides with this test, ``fingerprint``'s quick
check compares what is present; on the cd path, so ``os`` only.
"""

from __future__ import annotations

import os

CANDIDATES = frozenset({"uv.lock", "pylock.toml", "poetry.lock", "Pipfile.lock", "pdm.lock", "requirements.txt",
                        "pyproject.toml", "setup.py"})


def is_candidate(name: str) -> bool:
    return name in CANDIDATES or (name.startswith("pylock.") and name.endswith(".toml"))


def presence(root: str) -> tuple[str, ...]:
    """The input names present in the project root: a new ``uv.lock`` changes the plan."""
    try:
        names = os.listdir(root)
    except OSError:
        return ()
    return tuple(sorted(n for n in names if is_candidate(n)))
