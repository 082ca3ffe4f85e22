"""``discover``: every real interpreter on the machine, scanned and probed only where something changed.

The marshal cache (``CACHE_FILE`` in venvd's cache dir) keeps each directory's listing under
its inode and mtime and each binary's probe result under its inode, size, mtime and ctime, so
a warm ``discover`` costs a few dozen ``stat`` calls and no process. The cache is never
trusted further than its shape: anything unexpected in it reads as an empty cache, which the
next scan rewrites.
"""

from __future__ import annotations

import marshal
import os

from ..errors import VenvdError
from .probe import Interpreter, probe_many
from .sources import WINDOWS, path_dirs, py_launcher_paths, pyenv_root, scan_bin_dir, scan_tree, uv_python_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

CACHE_FILE = "interpreters.marshal"
_CACHE_FORMAT = "venvd-interpreters-1"
_CACHE_MAX_ENTRIES = 512  # entries from other environments are kept up to this many


def default_cache_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """``$VENVD_CACHE_DIR``, else platformdirs' user cache dir; None if neither is available."""
    env = os.environ if environ is None else environ
    d = env.get("VENVD_CACHE_DIR")
    if d:
        return d
    try:
        import platformdirs
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return None
    return platformdirs.user_cache_dir("venvd", appauthor=False)


def _dir_sig(d: str) -> tuple[int, int] | None:
    try:
        st = os.stat(d)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def _bin_sig(path: str) -> tuple[int, int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    # ctime and inode change when the file is replaced or rewritten in place.
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _empty_cache() -> dict:
    return {"dirs": {}, "trees": {}, "bins": {}, "py": None}


def _load_cache(path: str) -> dict:
    """The cache, or an empty one if missing, unreadable or not ours (then it gets rewritten)."""
    empty = _empty_cache()
    from ..safeio import LIMIT_TEXT, read_bytes

    try:
        data = marshal.loads(read_bytes(path, LIMIT_TEXT))
    except (OSError, VenvdError, EOFError, ValueError, TypeError):  # VenvdError: safeio's UnsafeFile
        return empty
    try:
        if data.get("format") != _CACHE_FORMAT:
            return empty
        for key in ("dirs", "trees"):
            for k, (sig, entries) in data[key].items():
                if not (isinstance(k, str) and isinstance(sig, tuple) and isinstance(entries, list)):
                    return empty
                if not all(isinstance(e, str) for e in entries):
                    return empty
        for k, (sig, result) in data["bins"].items():
            if not isinstance(k, str) or not isinstance(sig, tuple):
                return empty
            if result is not None:
                version, impl, ft = result
                if not (isinstance(version, str) and isinstance(impl, str) and isinstance(ft, bool)):
                    return empty
        py = data.get("py")
        if py is not None and not (isinstance(py, list) and all(isinstance(p, str) for p in py)):
            return empty
    except (AttributeError, KeyError, TypeError, ValueError):
        return empty
    return data


def _write_cache(path: str, data: dict) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from ..safewrite import replace_file

        replace_file(path, marshal.dumps(data, 4))  # format 4: readable by every Python venvd supports
    except OSError:
        pass  # a cache we cannot write only costs time


def _merge(new: dict, old: dict) -> dict:
    """``new`` plus older entries (other PATHs, other shells) while under the size cap."""
    if len(new) >= _CACHE_MAX_ENTRIES:
        return new
    merged = dict(old)
    merged.update(new)
    if len(merged) > _CACHE_MAX_ENTRIES:
        return new
    return merged


def discover(
    environ: Mapping[str, str] | None = None, *, use_cache: bool = True, cache_dir: str | None = None
) -> list[Interpreter]:
    """All real interpreters, in discovery order: PATH first, then pyenv, uv, ``py`` launcher.

    ``use_cache=False`` ignores the cache (rescans and re-probes everything), then rewrites it.
    """
    env = os.environ if environ is None else environ
    return scan(env, cache_dir, reuse_dirs=use_cache, reuse_probes=use_cache)


def scan(env: Mapping[str, str], cache_dir: str | None, *, reuse_dirs: bool, reuse_probes: bool) -> list[Interpreter]:
    """``discover``, reusing from the cache the directory listings (*reuse_dirs*) and the
    probe results (*reuse_probes*) that are still valid; the cache is rewritten if anything changed."""
    if cache_dir is None:
        cache_dir = default_cache_dir(env)
    cache_path = os.path.join(cache_dir, CACHE_FILE) if cache_dir else None
    old = _load_cache(cache_path) if cache_path and (reuse_dirs or reuse_probes) else _empty_cache()
    old_dirs = old["dirs"] if reuse_dirs else {}
    old_trees = old["trees"] if reuse_dirs else {}
    old_bins = old["bins"] if reuse_probes else {}
    dirs: dict = {}
    trees: dict = {}
    changed = False
    candidates: list[str] = []

    def listing(d: str, old_entries: dict, entries: dict, list_dir: Callable[[str], list[str]]) -> list[str]:
        """``list_dir(d)``, or the cached one while ``d`` keeps its inode and mtime; kept in ``entries``."""
        nonlocal changed
        sig = _dir_sig(d)
        if sig is None:
            return []
        cached = old_entries.get(d)
        if cached is not None and tuple(cached[0]) == sig:
            found = cached[1]
        else:
            found = list_dir(d)
            changed = True
        entries[d] = (sig, found)
        return found

    def scan_dir(d: str) -> None:
        if d not in dirs:
            candidates.extend(listing(d, old_dirs, dirs, scan_bin_dir))

    for d in path_dirs(env):
        scan_dir(d)
    for root in (os.path.join(pyenv_root(env), "versions"), uv_python_dir(env)):
        for d in listing(root, old_trees, trees, scan_tree):
            scan_dir(d)

    py_paths = None
    if WINDOWS:
        # The launcher's list has no mtime to check: rerun only on a rescan without cache.
        py_paths = old.get("py") if reuse_dirs else None
        if py_paths is None:
            py_paths = py_launcher_paths(env)
            changed = True
        candidates.extend(py_paths)

    unique: list[str] = []
    seen = set()
    for path in candidates:
        if path not in seen:
            seen.add(path)
            unique.append(path)

    bins: dict = {}
    to_probe = []
    for path in unique:
        bsig = _bin_sig(path)
        if bsig is None:
            continue
        cached = old_bins.get(path)
        if cached is not None and tuple(cached[0]) == bsig:
            bins[path] = (bsig, cached[1])
        else:
            bins[path] = (bsig, None)
            to_probe.append(path)
    if to_probe:
        changed = True
        for path, result in probe_many(to_probe).items():
            bins[path] = (bins[path][0], result)

    if changed and cache_path:
        _write_cache(
            cache_path,
            {
                "format": _CACHE_FORMAT,
                "dirs": _merge(dirs, old["dirs"]),
                "trees": _merge(trees, old["trees"]),
                "bins": _merge(bins, old["bins"]),
                "py": py_paths,
            },
        )
    return [Interpreter(path, *bins[path][1]) for path in unique if path in bins and bins[path][1] is not None]
