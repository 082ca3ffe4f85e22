"""Find real Python interpreters (never shims, never venvs) and pick the one a project asks for.

Discovery looks at PATH, ``$PYENV_ROOT/versions``, uv-managed pythons and (Windows) the ``py``
launcher, and runs each binary once to learn its version. Results are cached per directory
(its inode and mtime) and per binary (inode, size, mtime, ctime), so a ``cd`` costs a few
dozen ``stat`` calls and no process; only what changed is rescanned or re-probed.
``subprocess`` and ``platformdirs`` are imported only on the slow path.
"""

from __future__ import annotations

import marshal
import os

from .errors import VenvdError
from .versionfile import VersionRequest, is_safe_name, parse_request, split_version, version_sort_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

_WINDOWS = os.name == "nt"
_NO_WINDOW = 0x08000000 if _WINDOWS else 0  # CREATE_NO_WINDOW: no console flashes on Windows
CACHE_FILE = "interpreters.marshal"
_CACHE_FORMAT = "venvd-interpreters-1"
_CACHE_MAX_ENTRIES = 512  # entries from other environments are kept up to this many
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


class Interpreter:
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

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Interpreter is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Interpreter is immutable (cannot delete {name!r})")

    def _fields(self) -> tuple[str, str, str, bool]:
        return (self.path, self.version, self.implementation, self.freethreaded)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Interpreter:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

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


# ---------------------------------------------------------------- where to look


def _home(env: Mapping[str, str]) -> str:
    home = env.get("HOME") or (env.get("USERPROFILE") if _WINDOWS else None)
    return home or os.path.expanduser("~")


def _data_home(env: Mapping[str, str]) -> str:
    xdg = env.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return xdg
    return os.path.join(_home(env), ".local", "share")


def pyenv_root(environ: Mapping[str, str] | None = None) -> str:
    """``$PYENV_ROOT``, else ``~/.pyenv`` (pyenv-win: ``~/.pyenv/pyenv-win``)."""
    env = os.environ if environ is None else environ
    root = env.get("PYENV_ROOT")
    if root and os.path.isabs(root):
        return root
    if _WINDOWS:
        return os.path.join(_home(env), ".pyenv", "pyenv-win")
    return os.path.join(_home(env), ".pyenv")


def _uv_python_dir(env: Mapping[str, str]) -> str:
    d = env.get("UV_PYTHON_INSTALL_DIR")
    if d and os.path.isabs(d):
        return d
    if _WINDOWS and env.get("APPDATA"):
        return os.path.join(env["APPDATA"], "uv", "data", "python")
    return os.path.join(_data_home(env), "uv", "python")


def _shim_dirs(env: Mapping[str, str]) -> set[str]:
    dirs = [os.path.join(pyenv_root(env), "shims")]
    asdf = env.get("ASDF_DATA_DIR")
    dirs.append(os.path.join(asdf, "shims") if asdf else os.path.join(_home(env), ".asdf", "shims"))
    mise = env.get("MISE_DATA_DIR")
    dirs.append(os.path.join(mise, "shims") if mise else os.path.join(_data_home(env), "mise", "shims"))
    return {os.path.normcase(os.path.normpath(d)) for d in dirs}


def _is_shim_dir(d: str, shim_dirs: set[str]) -> bool:
    norm = os.path.normcase(os.path.normpath(d))
    # pyenv, asdf, mise, rbenv, pyenv-win all call it "shims"; a shim can't tell us which
    # Python it stands for without running a version manager.
    return norm in shim_dirs or os.path.basename(norm) == "shims"


def _is_venv_dir(bin_dir: str) -> bool:
    """Whether ``bin_dir`` is a venv's bin/Scripts dir (pyvenv.cfg next to it or one up)."""
    return os.path.isfile(os.path.join(os.path.dirname(bin_dir), "pyvenv.cfg")) or os.path.isfile(
        os.path.join(bin_dir, "pyvenv.cfg")
    )


def _under(path: str, root: str) -> bool:
    path = os.path.normcase(path)
    root = os.path.normcase(os.path.realpath(root)).rstrip(os.sep) + os.sep
    return path.startswith(root)


def _path_dirs(env: Mapping[str, str]) -> list[str]:
    """PATH entries worth scanning, in order."""
    shim_dirs = _shim_dirs(env)
    out = []
    seen = set()
    for d in env.get("PATH", os.defpath).split(os.pathsep):
        # A relative entry ("", ".", "bin") would resolve inside the (untrusted) project.
        if not d or d in seen or not os.path.isabs(d):
            continue
        seen.add(d)
        if _is_shim_dir(d, shim_dirs) or _is_venv_dir(d):
            continue
        if _WINDOWS and os.path.basename(os.path.normpath(d)).lower() == "windowsapps":
            continue  # Store "app execution alias" stubs: running one may open the Store
        out.append(d)
    return out


def _is_python_name(name: str) -> bool:
    """python, python3, python3.12, python3.13t, pypy, pypy3, pypy3.10 (+ .exe on Windows)."""
    if _WINDOWS:
        name = name.lower()
        if not name.endswith(".exe"):
            return False
        name = name[:-4]
    if name.startswith("python"):
        rest = name[6:]
        if rest.endswith("t"):
            rest = rest[:-1]
    elif name.startswith("pypy"):
        rest = name[4:]
    else:
        return False
    if not rest:
        return True
    major, dot, minor = rest.partition(".")
    return major.isdigit() and major.isascii() and (not dot or (minor.isdigit() and minor.isascii()))


def _is_binary(path: str) -> bool:
    """An executable regular file that is not a ``#!`` script (pyenv/asdf shims are scripts)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if (st.st_mode & 0o170000) != 0o100000:
        return False
    if not _WINDOWS and not os.access(path, os.X_OK):
        return False
    from .safeio import UnsafeFile, read_prefix

    try:
        return read_prefix(path, 2) != b"#!"
    except (OSError, UnsafeFile):
        return False


def _in_venv(binary: str) -> bool:
    return _is_venv_dir(os.path.dirname(binary))


def _scan_bin_dir(d: str) -> list[str]:
    """Real paths of the Python binaries in ``d``, de-duplicated, sorted by name."""
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return []
    out: list[str] = []
    for name in names:
        if not _is_python_name(name):
            continue
        real = os.path.realpath(os.path.join(d, name))
        if real in out or not _is_binary(real) or _in_venv(real):
            continue
        out.append(real)
    return out


def _scan_tree(root: str) -> list[str]:
    """The bin dirs of the installations in ``root`` (pyenv versions dir, uv python dir)."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    out = []
    for name in names:
        if name.startswith("."):  # uv's .lock, .temp, .cache
            continue
        # pyenv-win and uv on Windows put python.exe in the installation dir itself.
        bin_dir = os.path.join(root, name) if _WINDOWS else os.path.join(root, name, "bin")
        if os.path.isdir(bin_dir):
            out.append(bin_dir)
    return out


def parse_py_list_paths(text: str) -> list[str]:
    """Paths from ``py --list-paths`` output (both the 3.11+ and the older launcher format).

    New: `` -V:3.12 *        C:\\Python312\\python.exe``; old: `` -3.9-64        C:\\...\\python.exe *``.
    """
    out = []
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) != 2 or not parts[0].startswith("-"):
            continue
        rest = parts[1].strip()
        if rest.startswith("*"):
            rest = rest[1:].strip()
        if rest.endswith(" *"):
            rest = rest[:-2].rstrip()
        if rest.lower().endswith(".exe") and rest not in out:
            out.append(rest)
    return out


def _py_launcher_paths(env: Mapping[str, str]) -> list[str]:
    import shutil
    import subprocess

    py = shutil.which("py", path=env.get("PATH"))
    if not py:
        return []
    try:
        res = subprocess.run(
            [py, "--list-paths"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT,
            creationflags=_NO_WINDOW,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [os.path.realpath(p) for p in parse_py_list_paths(res.stdout.decode("utf-8", "replace"))]


# ---------------------------------------------------------------- probing


def _parse_probe(out: bytes) -> tuple[str, str, bool] | None:
    parts = out.decode("ascii", "replace").split()
    if len(parts) != 4 or parts[0] != "venvd-probe" or split_version(parts[1]) is None:
        return None
    return parts[1], parts[2], parts[3] == "1"


def _probe_many(paths: list[str]) -> dict[str, tuple[str, str, bool] | None]:
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
                    creationflags=_NO_WINDOW,
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


def _probe_one(path: str) -> Interpreter | None:
    result = _probe_many([path]).get(path)
    return Interpreter(path, *result) if result else None


# ---------------------------------------------------------------- cache


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
    from .safeio import LIMIT_TEXT, read_bytes

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
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(marshal.dumps(data, 4))  # format 4: readable by every Python venvd supports
        os.replace(tmp, path)  # atomic: readers see the old or the new cache, never half
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _merge(new: dict, old: dict) -> dict:
    """``new`` plus older entries (other PATHs, other shells) while under the size cap."""
    if len(new) >= _CACHE_MAX_ENTRIES:
        return new
    merged = dict(old)
    merged.update(new)
    if len(merged) > _CACHE_MAX_ENTRIES:
        return new
    return merged


# ---------------------------------------------------------------- discovery


def discover(
    environ: Mapping[str, str] | None = None, *, use_cache: bool = True, cache_dir: str | None = None
) -> list[Interpreter]:
    """All real interpreters, in discovery order: PATH first, then pyenv, uv, ``py`` launcher.

    ``use_cache=False`` ignores the cache (rescans and re-probes everything), then rewrites it.
    """
    env = os.environ if environ is None else environ
    return _discover(env, cache_dir, reuse_dirs=use_cache, reuse_probes=use_cache)


def _discover(env: Mapping[str, str], cache_dir: str | None, reuse_dirs: bool, reuse_probes: bool) -> list[Interpreter]:
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

    def scan(d: str) -> None:
        nonlocal changed
        if d in dirs:
            return
        sig = _dir_sig(d)
        if sig is None:
            return
        cached = old_dirs.get(d)
        if cached is not None and tuple(cached[0]) == sig:
            paths = cached[1]
        else:
            paths = _scan_bin_dir(d)
            changed = True
        dirs[d] = (sig, paths)
        candidates.extend(paths)

    for d in _path_dirs(env):
        scan(d)
    for root in (os.path.join(pyenv_root(env), "versions"), _uv_python_dir(env)):
        sig = _dir_sig(root)
        if sig is None:
            continue
        cached = old_trees.get(root)
        if cached is not None and tuple(cached[0]) == sig:
            bin_dirs = cached[1]
        else:
            bin_dirs = _scan_tree(root)
            changed = True
        trees[root] = (sig, bin_dirs)
        for d in bin_dirs:
            scan(d)

    py_paths = None
    if _WINDOWS:
        # The launcher's list has no mtime to check: rerun only on a rescan without cache.
        py_paths = old.get("py") if reuse_dirs else None
        if py_paths is None:
            py_paths = _py_launcher_paths(env)
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
        for path, result in _probe_many(to_probe).items():
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


# ---------------------------------------------------------------- selection


def _by_path(interpreters: list[Interpreter], path: str) -> Interpreter | None:
    for interp in interpreters:
        if interp.path == path:
            return interp
    return None


def _python3_on_path(env: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(dir, file) for each absolute PATH dir holding an executable ``python3``, in order."""
    name = "python.exe" if _WINDOWS else "python3"
    seen = set()
    for d in env.get("PATH", os.defpath).split(os.pathsep):
        if not d or d in seen or not os.path.isabs(d):
            continue
        seen.add(d)
        path = os.path.join(d, name)
        if os.path.isfile(path) and (_WINDOWS or os.access(path, os.X_OK)):
            yield d, path


def _newest(request: VersionRequest, interpreters: list[Interpreter]) -> Interpreter | None:
    """Newest match; stable preferred unless the request names a pre-release; ties: first found."""
    found = [i for i in interpreters if i.matches(request)]
    if not request.allows_prereleases:
        found = [i for i in found if not i.prerelease] or found
    return max(found, key=Interpreter.sort_key) if found else None


def _newest_stable_cpython(interpreters: list[Interpreter]) -> Interpreter | None:
    return _newest(VersionRequest("cpython", "default", "version"), interpreters)


def _found_list(interpreters: list[Interpreter]) -> str:
    labels = sorted({i.label: i for i in interpreters}.items(), key=lambda kv: (kv[1].implementation, kv[1].sort_key()))
    return ", ".join(label for label, _ in labels) or "none"


def _not_found(request: VersionRequest, interpreters: list[Interpreter], detail: str = "") -> VenvdError:
    want = request.canonical
    if request.kind == "range":
        hint = f"install one (e.g. uv python install '{want}')"
    elif request.kind == "named":
        hint = f"install it (e.g. 'pyenv install {want}') or name an installed version"
    else:
        hint = f"install it (e.g. 'uv python install {want}' or 'pyenv install {want}')"
    return VenvdError(
        f"no Python matching '{request.raw}' (from {request.source}){detail}; "
        f"found: {_found_list(interpreters)} \u2014 {hint}"
    )


def _system(interpreters: list[Interpreter], env: Mapping[str, str]) -> Interpreter | None:
    """The first real python3 on PATH outside pyenv (shims, venvs and scripts skipped)."""
    root = pyenv_root(env)
    shim_dirs = _shim_dirs(env)
    for d, path in _python3_on_path(env):
        if _is_shim_dir(d, shim_dirs) or _is_venv_dir(d) or _under(os.path.realpath(d), root):
            continue
        real = os.path.realpath(path)
        if _under(real, root) or _in_venv(real) or not _is_binary(real):
            continue
        found = _by_path(interpreters, real) or _probe_one(real)
        if found:
            return found
    return None


def _pyenv_named(
    name: str, interpreters: list[Interpreter], env: Mapping[str, str], source: str
) -> Interpreter | None:
    """``$PYENV_ROOT/versions/<name>``'s python; None if absent. Never leaves the versions dir."""
    if not is_safe_name(name):  # parse_request already refused these; never trust a caller
        raise VenvdError(f"pyenv version name {name!r} (from {source}) is not a plain name")
    versions = os.path.join(pyenv_root(env), "versions")
    base = os.path.join(versions, name)
    exes = ("python.exe",) if _WINDOWS else (os.path.join("bin", "python"), os.path.join("bin", "python3"))
    for exe in exes:
        path = os.path.join(base, exe)
        if not os.path.isfile(path):
            continue
        real = os.path.realpath(path)
        if not _under(real, versions):
            raise VenvdError(f"pyenv version '{name}' (from {source}) resolves outside {versions}; refusing to use it")
        if _in_venv(real):
            raise VenvdError(
                f"pyenv version '{name}' (from {source}) is a virtualenv with a copied interpreter; "
                "name the Python it was made from instead (venvd never builds a venv on a venv)"
            )
        found = _by_path(interpreters, real) or _probe_one(real)
        if found is None:
            raise VenvdError(f"pyenv version '{name}' (from {source}): {real} does not run")
        return found
    return None


def _pyenv_global(interpreters: list[Interpreter], env: Mapping[str, str]) -> Interpreter | None:
    """What the pyenv shim would run outside any project: PYENV_VERSION, else the global."""
    root = pyenv_root(env)
    name = (env.get("PYENV_VERSION") or "").split(":")[0].strip()
    source = "PYENV_VERSION"
    if not name:
        source = os.path.join(root, "version")
        from .safeio import LIMIT_SMALL, read_bytes

        try:
            text = read_bytes(source, LIMIT_SMALL).decode("utf-8", "replace")
        except (OSError, VenvdError):  # VenvdError: safeio's UnsafeFile (a FIFO, a huge file)
            return None
        for line in text.splitlines():
            words = line.split()
            if words and not words[0].startswith("#"):
                name = words[0]
                break
    if not name:
        return None
    if name == "system":
        return _system(interpreters, env)
    try:
        found = _pyenv_named(name, interpreters, env, source)
        if found is None:
            # pyenv resolves a prefix like "3.12" to the newest installed 3.12.x.
            request = parse_request(name, source)
            found = _newest(request, [i for i in interpreters if _under(i.path, os.path.join(root, "versions"))])
    except VenvdError:
        return None
    return found


def _default(interpreters: list[Interpreter], env: Mapping[str, str]) -> Interpreter | None:
    """What ``python3`` on PATH stands for (an active venv is looked through)."""
    pyenv_shims = os.path.normcase(os.path.normpath(os.path.join(pyenv_root(env), "shims")))
    shim_dirs = _shim_dirs(env)
    for d, path in _python3_on_path(env):
        if os.path.normcase(os.path.normpath(d)) == pyenv_shims:
            return _pyenv_global(interpreters, env)
        if _is_shim_dir(d, shim_dirs):
            return None  # asdf/mise: can't know without running them
        if _is_venv_dir(d):
            continue  # e.g. the venv venvd activated for the previous project
        real = os.path.realpath(path)
        if _in_venv(real):
            continue
        if not _is_binary(real):
            return None  # a wrapper script: can't see through it
        return _by_path(interpreters, real) or _probe_one(real)
    return None


def select(
    request: VersionRequest | None, interpreters: list[Interpreter], environ: Mapping[str, str] | None = None
) -> Interpreter:
    """The interpreter ``request`` asks for among ``interpreters``; VenvdError if none fits.

    Exact version: that version. Prefix or range: the newest stable CPython that matches
    (free-threaded/PyPy/pre-release only when asked, or pre-release when nothing stable
    matches). ``system``: first python3 on PATH outside pyenv. Named: pyenv's versions dir.
    None: what python3 on PATH stands for, else the newest stable CPython.
    """
    env = os.environ if environ is None else environ
    if request is None:
        found = _default(interpreters, env) or _newest_stable_cpython(interpreters)
        if found is None:
            raise VenvdError(
                "no Python found on PATH, in pyenv or uv \u2014 install one (e.g. 'uv python install 3.13')"
            )
        return found
    if request.kind == "system":
        found = _system(interpreters, env)
        if found is None:
            raise VenvdError(
                f"no system Python for '{request.raw}' (from {request.source}): no python3 on PATH "
                f"outside pyenv; found: {_found_list(interpreters)} \u2014 name one of those versions instead"
            )
        return found
    if request.kind == "named":
        found = _pyenv_named(request.name, interpreters, env, request.source)
        if found is None:
            versions = os.path.join(pyenv_root(env), "versions")
            raise _not_found(request, interpreters, f": not in {versions}")
        return found
    found = _newest(request, interpreters)
    if found is None:
        raise _not_found(request, interpreters)
    return found


def find_interpreter(
    request: VersionRequest | None, environ: Mapping[str, str] | None = None, cache_dir: str | None = None,
    provide: bool = False,
) -> Interpreter:
    """Discover (cached) and select. On failure, rescan every directory once before giving up,
    so a Python installed since the cache was written is found (unchanged binaries are not re-run).
    Still none: with *provide*, uv installs it when the user allows that (provision.py);
    otherwise the error names the exact command.
    """
    env = os.environ if environ is None else environ
    interpreters = _discover(env, cache_dir, reuse_dirs=True, reuse_probes=True)
    try:
        return select(request, interpreters, env)
    except VenvdError:
        interpreters = _discover(env, cache_dir, reuse_dirs=False, reuse_probes=True)
        try:
            return select(request, interpreters, env)
        except VenvdError as exc:
            from . import provision

            if not provide:
                raise provision.explain(request, env, exc) from None
            provision.provide(request, env, exc)  # returns only once uv installed it
        return select(request, _discover(env, cache_dir, reuse_dirs=False, reuse_probes=True), env)
