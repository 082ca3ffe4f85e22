"""What a venv holds, read from its ``*.dist-info`` directories (no process started).

Used to count and name what a sync changed, and for an exact sync through pip (which
has no ``sync``): install, then remove what no requirement reaches.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it
if TYPE_CHECKING:
    from typing import Iterable, Optional

from ..venv import is_windows


def site_packages(venv: str) -> list[str]:
    if is_windows():
        return [os.path.join(venv, "Lib", "site-packages")]
    found = []
    for lib in ("lib", "lib64"):
        base = os.path.join(venv, lib)
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            path = os.path.join(base, name, "site-packages")
            if name.startswith(("python", "pypy")) and os.path.isdir(path) and \
                    os.path.realpath(path) not in {os.path.realpath(p) for p in found}:
                found.append(path)
    return found


def canonical(name: str) -> str:
    out = name.strip().lower()
    for ch in "_.":
        out = out.replace(ch, "-")
    while "--" in out:
        out = out.replace("--", "-")
    return out


class Dist:
    __slots__ = ("name", "version", "requires", "path")

    def __init__(self, name: str, version: str, requires: list[str], path: str):
        self.name = name
        self.version = version
        self.requires = requires
        self.path = path


def _metadata(path: str) -> tuple[str, str, list[str]]:
    from ..errors import VenvdError
    from ..safeio import LIMIT_TEXT, read_text

    name = version = ""
    requires = []
    try:
        # safeio: a venv that came with a repo may hold a FIFO or a /dev/zero link here.
        text = read_text(os.path.join(path, "METADATA"), LIMIT_TEXT, errors="replace")
    except (OSError, VenvdError):  # VenvdError: safeio's UnsafeFile
        text = ""
    for line in text.splitlines():
        if not line:
            break  # the body (description) follows the headers
        key, _, value = line.partition(":")
        key = key.lower()
        if key == "name":
            name = value.strip()
        elif key == "version":
            version = value.strip()
        elif key == "requires-dist":
            requires.append(value.strip())
    return name, version, requires


def installed(venv: str) -> dict[str, Dist]:
    """Canonical name -> Dist for every distribution installed in *venv*."""
    dists: dict[str, Dist] = {}
    for sp in site_packages(venv):
        try:
            names = os.listdir(sp)
        except OSError:
            continue
        for entry in names:
            if not entry.endswith(".dist-info"):
                continue
            path = os.path.join(sp, entry)
            name, version, requires = _metadata(path)
            if not name:
                name, _, version = entry[: -len(".dist-info")].partition("-")
            dists[canonical(name)] = Dist(name, version, requires, path)
    return dists


def snapshot(venv: str) -> dict[str, str]:
    return {k: d.version for k, d in installed(venv).items()}


def changes(before: dict[str, str], after: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(added, changed, removed) names."""
    added = sorted(n for n in after if n not in before)
    changed = sorted(n for n in after if n in before and before[n] != after[n])
    removed = sorted(n for n in before if n not in after)
    return added, changed, removed


def marker_environment(version: str) -> dict[str, str]:
    """PEP 508 marker values for a venv on this machine with Python *version*."""
    from packaging.markers import default_environment

    env = dict(default_environment())
    parts = version.split(".")
    if len(parts) >= 2:
        env["python_version"] = ".".join(parts[:2])
        env["python_full_version"] = version
        env["implementation_version"] = version
    return env


def reachable(dists: dict[str, Dist], roots: Iterable[str], version: str) -> Optional[set[str]]:
    """Canonical names reached from the *roots* requirements through installed
    metadata (extras and markers evaluated), or None when a root cannot be read."""
    from packaging.requirements import InvalidRequirement, Requirement

    env = marker_environment(version)
    seen: set[tuple[str, str]] = set()
    names: set[str] = set()
    stack: list[tuple[str, frozenset[str]]] = []

    def push(text: str, extra: str) -> bool:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            return False
        if req.marker is not None and not req.marker.evaluate(dict(env, extra=extra)):
            return True
        stack.append((canonical(req.name), frozenset(canonical(e) for e in req.extras)))
        return True

    for root in roots:
        if not push(root, ""):
            return None
    while stack:
        name, extras = stack.pop()
        names.add(name)
        dist = dists.get(name)
        for extra in ("", *sorted(extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            if dist is None:
                continue
            for text in dist.requires:
                push(text, extra)
    return names


def extraneous(venv: str, roots: Iterable[str], version: str, keep: Iterable[str]) -> Optional[list[str]]:
    """Installed distributions no root reaches (names as installed), or None when
    that cannot be known (then nothing is removed)."""
    dists = installed(venv)
    wanted = reachable(dists, roots, version)
    if wanted is None:
        return None
    kept = {canonical(k) for k in keep}
    return sorted(d.name for n, d in dists.items() if n not in wanted and n not in kept)
