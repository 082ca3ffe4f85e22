"""Pieces the backends share: the seed packages a venv keeps, pruning after install."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it

from . import SEED_PACKAGES, Run, Target

if TYPE_CHECKING:
    from typing import Optional

    from ..sync.inputs import Plan


def installed_seeds(target: Target) -> dict[str, str]:
    """The seed packages in the venv and their versions (an exact sync keeps them)."""
    from ..sync.envstate import installed

    dists = installed(target.venv)
    return {name: dists[name].version for name in SEED_PACKAGES if name in dists}


def write_seed_file(directory: str, seeds: dict[str, str]) -> Optional[str]:
    if not seeds:
        return None
    path = os.path.join(directory, "venvd-seed.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(f"{name}=={version}\n" for name, version in sorted(seeds.items())))
    return path


def prune(plan: "Plan", target: Target, run: Run, uninstall: list[str]) -> None:
    """After an additive install: remove what none of the plan's requirements reaches.

    *uninstall* is the command prefix that takes names (``pip uninstall -y`` or
    ``uv pip uninstall``). Nothing is removed when a requirement has no name venvd can
    read (a URL; a local project whose name only its build knows), said once per sync.
    """
    from ..sync.envstate import extraneous
    from ..ui import say

    if plan.roots is None:
        if "nothing removed" not in plan.why:  # else the sync's first line said it already
            say("nothing removed in this exact sync: venvd cannot read the name of every requirement "
                "(a URL, or a local project whose name only its build knows)")
        return
    keep = list(SEED_PACKAGES) + ([plan.project_name] if plan.project_name else [])
    names = extraneous(target.venv, plan.roots, target.version, keep)
    if names:
        run([*uninstall, *names], cwd=plan.root, what=f"removing {', '.join(names)}")
