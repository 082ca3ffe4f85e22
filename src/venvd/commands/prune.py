"""``venvd prune [--dry-run]``: forget what venvd remembers about projects that are gone.

- A trust entry (allowed or denied) or a registry row whose directory is gone is removed;
  so is a trust entry whose directory was replaced (trust.CHANGED: it grants nothing).
- A project whose inputs are all gone — its directory holds nothing venvd reads but the
  venv venvd made — has that venv removed, and its entries too.

Never a venv venvd did not make (``venv.read_marker`` is None), never one reached through
a symlink, never one another user owns. Each removal is printed (``would remove`` with
``--dry-run``, which removes nothing).
"""

from __future__ import annotations

import os
import sys
from argparse import Namespace
from typing import NamedTuple


class Removal(NamedTuple):
    kind: str  # "trust", "registry", "venv"
    path: str
    why: str


def plan() -> list[Removal]:
    from .. import trust
    from ..daemon import registry
    from ..project import find_project
    from ..venv import read_marker

    trusted = set(trust.allowed_projects()) | set(trust.denied_projects())
    registered = set(registry.projects())
    out: list[Removal] = []
    for root in sorted(trusted | registered):
        if not os.path.isdir(root):
            why = "the directory is gone"
        elif root in trusted and trust.status(root) == trust.CHANGED:
            # The directory allowed is gone: this one was made again, or changed owner.
            # Such an entry grants nothing; only the trust entry goes, the rest stays.
            out.append(Removal("trust", root, "the directory allowed is gone; this one is another"))
            continue
        else:
            project = find_project(root)
            if project is None or project.root != root or set(project.markers) - {".venv"}:
                continue  # still a project (or a directory we leave alone)
            venv = os.path.join(root, ".venv")
            if os.path.islink(venv) or read_marker(venv) is None or not _owned(venv):
                continue  # a venv venvd did not make stays, and with it the entries
            why = "the project's files are gone; only the venv venvd made is left"
            out.append(Removal("venv", venv, why))
        if root in trusted:
            out.append(Removal("trust", root, why))
        if root in registered:
            out.append(Removal("registry", root, why))
    return out


def _owned(path: str) -> bool:
    if not hasattr(os, "getuid"):
        return True
    try:
        return os.lstat(path).st_uid == os.getuid()
    except OSError:
        return False


_WHAT = {"trust": "trust entry", "registry": "registry row", "venv": "venv"}


def run(ns: Namespace) -> int:
    import shutil

    from .. import trust
    from ..daemon import registry
    from ..ui import display_path

    removals = plan()
    verb = "would remove" if ns.dry_run else "removed"
    failed = 0
    if not ns.dry_run:
        for removal in (r for r in removals if r.kind == "venv"):
            try:
                shutil.rmtree(removal.path)
            except OSError as exc:
                failed += 1
                sys.stderr.write(f"venvd: cannot remove {display_path(removal.path)}: {exc.strerror or exc}\n")
                removals = [r for r in removals if r.path not in (removal.path, os.path.dirname(removal.path))]
        trust.forget({r.path for r in removals if r.kind == "trust"})
        gone = {r.path for r in removals if r.kind == "registry"}
        if gone:
            registry.forget(gone)
    for removal in removals:
        sys.stdout.write(f"{verb} {_WHAT[removal.kind]}: {display_path(removal.path)} ({removal.why})\n")
    if not removals and not failed:
        sys.stdout.write("nothing to prune\n")
    return 1 if failed else 0
