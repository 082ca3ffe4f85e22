"""``venvd list [--json]``: the projects venvd knows — those in the trust store (allowed or
denied) and those it has activated (the daemon registry) — with their trust, venv, state,
last sync and the venv's size on disk. Reads only; runs nothing of a project's.

State: ``ready`` (synced with its current inputs, or nothing to install), ``out of date``
(inputs changed since the last sync, or never synced), ``failed`` (the last sync of the
current inputs failed, or the inputs cannot be read), ``missing`` (the directory, the
project or its venv is gone).
"""

from __future__ import annotations

import os
import sys
from argparse import Namespace
from typing import Any, Optional

from ..errors import VenvdError

_STATES = {
    "in step": "ready",
    "nothing to install": "ready",
    "out of date": "out of date",
    "never synced": "out of date",
    "last sync failed": "failed",
    "last sync interrupted": "failed",
    "inputs cannot be read": "failed",
}


def known_projects() -> list[str]:
    """Every project root venvd remembers, sorted."""
    from .. import trust
    from ..daemon import registry

    return sorted(set(trust.allowed_projects()) | set(trust.denied_projects()) | set(registry.projects()))


def disk_usage(path: str) -> int:
    """Bytes *path* takes on disk, as ``du`` counts them: symlinks not followed, a file
    hard-linked several times inside (uv links from its cache) counted once."""
    total = 0
    seen: set[tuple[int, int]] = set()
    stack = [path]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                blocks = getattr(st, "st_blocks", None)
                total += blocks * 512 if blocks is not None else st.st_size
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return total


def describe(root: str) -> dict[str, Any]:
    """What ``venvd list`` says about the project at *root*."""
    from .. import trust
    from ..config import load_config
    from ..export import venv_location
    from ..project import find_project
    from ..sync.record import SYNCED, read_record
    from ..venv import is_usable, read_marker

    from ..trees import TreeRefused

    try:
        decision, how = trust.decide(root)
    except TreeRefused:  # under a trusted tree, but another user could have put it there
        decision, how = "refused", ""
    info: dict[str, Any] = {"path": root, "trust": decision, "venv": None, "made_by_venvd": None,
                            "state": "missing", "detail": None, "last_sync": None, "size_bytes": None,
                            "trust_source": trust.source_text(how) if how else None}
    if not os.path.isdir(root):
        info["detail"] = "the directory is gone"
        return info
    project = find_project(root)
    if project is None or project.root != root:
        info["detail"] = "no longer a project"
        return info
    try:
        config = load_config(root)
        venv = venv_location(project, config, os.environ)
    except VenvdError as exc:
        info.update(state="failed", detail=str(exc))
        return info
    info["venv"] = venv
    if not is_usable(venv):
        info["detail"] = "no venv yet" if not os.path.lexists(venv) else "the venv does not work"
        return info
    info["made_by_venvd"] = read_marker(venv) is not None
    info["size_bytes"] = disk_usage(venv)
    synced = read_record(venv, SYNCED)
    if synced and synced.get("time"):
        try:
            info["last_sync"] = float(synced["time"])
        except ValueError:
            pass
    from .status import _sync_info  # the same judgement `venvd status` shows

    try:
        state = _sync_info(project, config, venv).get("state", "")
    except VenvdError as exc:
        state, info["detail"] = "inputs cannot be read", str(exc)
    info["state"] = _STATES.get(state, "out of date")
    if info["state"] != "ready" and info["detail"] is None:
        info["detail"] = state
    return info


def _size(n: Optional[int]) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "K", "M", "G"):
        if size < 1024 or unit == "G":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{n}B"


def _when(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def human(rows: list[dict[str, Any]]) -> str:
    from ..ui import display_path

    if not rows:
        return "no projects yet ('venvd allow' in a project adds one)\n"
    table = [("STATE", "TRUST", "SIZE", "LAST SYNC", "PROJECT")]
    for row in rows:
        where = display_path(row["path"])
        venv = row["venv"]
        if venv and venv != os.path.join(row["path"], ".venv"):
            where += f"  (venv {display_path(venv)})"
        if row["detail"] and row["state"] != "ready":
            where += f"  [{row['detail']}]"
        if row.get("trust_source"):
            where += f"  ({row['trust_source']})"
        table.append((row["state"], row["trust"], _size(row["size_bytes"]), _when(row["last_sync"]), where))
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths)) + "  " + r[4] + "\n" for r in table)


def run(ns: Namespace) -> int:
    rows = [describe(root) for root in known_projects()]
    if ns.json:
        import json

        sys.stdout.write(json.dumps(rows, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(human(rows))
    return 0
