"""An interpreter, and running one to learn what it is.

A binary is run once with a tiny script (``_PROBE``) that prints its version, implementation
and build; discovery.py caches the answer per binary so it is not asked again until the
file changes. ``subprocess`` is imported only when something is probed.
"""

from __future__ import annotations

import os

from ..frozen import Frozen
from ..pep440 import split_version, version_sort_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..versionrequest import VersionRequest

NO_WINDOW = 0x08000000 if os.name == "nt" else 0  # CREATE_NO_WINDOW: no console flashes on Windows
PROBE_TIMEOUT = 5.0
_PROBE_BATCH = 16

# Number of binaries probed (processes started) by this process: for tests and diagnostics.
probe_count = 0

# Runs under every Python from 2.7 on, with -E -s -S. It drops "" from sys.path before
# importing anything, so a module in the current directory can't be picked up.
_PROBE = r"""
import sys
sys.path = [p for p in sys.path if p not in ('', '.')]
v = sys.version_info
pre = {'alpha': 'a', 'beta': 'b', 'candidate': 'rc'}.get(v[3], '')
ver = '%d.%d.%d' % (v[0], v[1], v[2]) + (pre and pre + str(v[4]))
try:
    impl = sys.implementation.name
except AttributeError:
    impl = '__pypy__' in sys.builtin_module_names and 'pypy' or 'cpython'
if sys.platform == 'win32':
    import sysconfig
    ft = bool(sysconfig.get_config_var('Py_GIL_DISABLED'))
else:
    ft = 't' in getattr(sys, 'abiflags', '')
sys.stdout.write('venvd-probe %s %s %d\n' % (ver, impl, ft))
"""


class Interpreter(Frozen):
    """A real Python binary. Immutable; ``path`` is absolute with symlinks resolved."""

    __slots__ = ("path", "version", "implementation", "freethreaded")

    path: str
    version: str
    implementation: str
    freethreaded: bool

    def __init__(self, path: str, version: str, implementation: str = "cpython", freethreaded: bool = False) -> None:
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "version", version)
        object.__setattr__(self, "implementation", implementation)
        object.__setattr__(self, "freethreaded", bool(freethreaded))

    def _fields(self) -> tuple[str, str, str, bool]:
        return (self.path, self.version, self.implementation, self.freethreaded)

    def __repr__(self) -> str:
        return (
            f"Interpreter(path={self.path!r}, version={self.version!r}, "
            f"implementation={self.implementation!r}, freethreaded={self.freethreaded!r})"
        )

    @property
    def prerelease(self) -> bool:
        """True for an alpha, beta or release candidate (``3.14.0rc1``)."""
        parsed = split_version(self.version)
        return parsed is None or bool(parsed[1])

    @property
    def label(self) -> str:
        """Short display name: ``3.12.1``, ``3.13.0t``, ``pypy3.10.14``."""
        impl = "" if self.implementation == "cpython" else self.implementation
        return impl + self.version + ("t" if self.freethreaded else "")

    def sort_key(self) -> tuple[tuple[tuple[int, ...], int, int], bool]:
        """Newer versions sort higher; at equal version the default (GIL) build wins."""
        return version_sort_key(self.version), not self.freethreaded

    def matches(self, request: VersionRequest) -> bool:
        """Whether this interpreter satisfies a version or range ``request``."""
        return request.matches(self.version, self.implementation, self.freethreaded)


def _parse_probe(out: bytes) -> tuple[str, str, bool] | None:
    parts = out.decode("ascii", "replace").split()
    if len(parts) != 4 or parts[0] != "venvd-probe" or split_version(parts[1]) is None:
        return None
    return parts[1], parts[2], parts[3] == "1"


def probe_many(paths: list[str]) -> dict[str, tuple[str, str, bool] | None]:
    """Run each binary once, concurrently (processes started together, then collected)."""
    global probe_count
    import subprocess
    import time

    results: dict[str, tuple[str, str, bool] | None] = {}
    for start in range(0, len(paths), _PROBE_BATCH):
        procs = []
        for path in paths[start : start + _PROBE_BATCH]:
            probe_count += 1
            results[path] = None
            try:
                proc = subprocess.Popen(
                    [path, "-E", "-s", "-S", "-c", _PROBE],  # -I is 3.4+; these work on 2.7 too
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    creationflags=NO_WINDOW,
                )
            except (OSError, ValueError):
                continue
            procs.append((path, proc))
        deadline = time.monotonic() + PROBE_TIMEOUT
        for path, proc in procs:
            try:
                out, _ = proc.communicate(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                continue
            if proc.returncode == 0:
                results[path] = _parse_probe(out)
    return results


def probe_one(path: str) -> Interpreter | None:
    """What the binary at ``path`` is (one process), or None if it does not run as a Python."""
    result = probe_many([path]).get(path)
    return Interpreter(path, *result) if result else None
