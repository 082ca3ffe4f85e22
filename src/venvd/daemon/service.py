"""The daemon's loop: watch the inputs of trusted projects, debounce, sync in a queue.

Changes arrive through the kernel's notification API (inotify), never by scanning.
watchfiles' loop still wakes every ``STEP_MS`` to look at its stop event and to group a
burst of changes; the workers block on a condition until a project is due.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from typing import Callable, Iterable, Optional

from .. import trust
from . import registry

SyncFn = Callable[[str], Optional[str]]  # project root -> error message, or None when synced
InputsFn = Callable[[str], Iterable[str]]  # project root -> the files its sync reads
# project root, "is it still ours to prepare?" -> error message, or None
PrepareFn = Callable[[str, Callable[[], bool]], Optional[str]]


# watchfiles wakes this often when idle (and groups a burst until it is this quiet):
# 500 ms is ~2 wakeups a second, against 20 with its default of 50 ms.
STEP_MS = 500
# With nothing changing, watchfiles hands the loop an empty batch this often; the first
# batch after the watch is (re)built is when requests left waiting are taken.
RESCAN_MS = 5000


class Queue:
    """Projects waiting for a sync, each due after a quiet period (trailing debounce),
    run by a bounded number of workers; one project never syncs twice at once."""

    def __init__(self, sync: SyncFn, workers: int = 1, quiet: float = 0.5, on_change: Callable[[], None] = lambda: None):
        self._sync = sync
        self._quiet = quiet
        self._due: dict[str, float] = {}
        self._running: set[str] = set()
        self._again: set[str] = set()  # changed while its sync was running
        self._cond = threading.Condition()
        self._stopping = False
        self._report = on_change
        self.syncs = 0
        self.last_error: Optional[str] = None
        self._threads = [threading.Thread(target=self._work, name=f"sync-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def add(self, root: str, delay: Optional[float] = None) -> None:
        with self._cond:
            if root in self._running:
                self._again.add(root)
            else:
                self._due[root] = time.monotonic() + (self._quiet if delay is None else delay)
            self._cond.notify_all()
        self.report()

    def report(self) -> None:
        try:
            self._report()
        except Exception:  # noqa: BLE001 - a status file we cannot write must not stop syncing
            traceback.print_exc()

    def snapshot(self) -> dict:
        with self._cond:
            return {"running": sorted(self._running), "queued": sorted(self._due), "syncs": self.syncs,
                    "last_error": self.last_error}

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def _next(self) -> Optional[str]:
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                ready = [r for r, due in self._due.items() if due <= now and r not in self._running]
                if ready:
                    root = min(ready, key=self._due.__getitem__)
                    del self._due[root]
                    self._running.add(root)
                    return root
                waits = [due - now for r, due in self._due.items() if r not in self._running]
                self._cond.wait(min(waits) if waits else None)
            return None

    def _work(self) -> None:
        while True:
            root = self._next()
            if root is None:
                return
            self.report()
            try:
                error = self._sync(root)
            except Exception as exc:  # noqa: BLE001 - one project's failure never stops the daemon
                error = f"{root}: {type(exc).__name__}: {exc}"
                traceback.print_exc()
            with self._cond:
                self._running.discard(root)
                self.syncs += 1
                if error:
                    self.last_error = error
                if root in self._again:
                    self._again.discard(root)
                    self._due[root] = time.monotonic() + self._quiet
                self._cond.notify_all()
            self.report()


class Service:
    """Which paths to watch for which project, rebuilt when the registry or trust changes;
    and the trusted trees' directories, where a new project is prepared (newprojects.py)."""

    def __init__(self, sync: SyncFn, inputs: InputsFn, workers: int = 1, quiet: float = 0.5,
                 on_change: Callable[[], None] = lambda: None, log: Callable[[str], None] = lambda _: None,
                 prepare: Optional[PrepareFn] = None):
        self._sync = sync
        self._prepare = prepare
        self.queue = Queue(self._dispatch, workers, quiet, on_change)
        self._inputs = inputs
        self._log = log
        self.projects: dict[str, set[str]] = {}  # root -> watched input files
        self.started = time.time()
        self.tree_dirs: dict[str, int] = {}  # watched directory of a trusted tree -> its depth
        self._baseline: dict[str, set[str]] = {}  # tree -> the projects it held when first seen
        self._registered: set[str] = set()
        self._guard = threading.Lock()
        self.preparing: set[str] = set()  # new projects waiting to settle, or being prepared
        self.prepared: set[str] = set()

    def _dispatch(self, root: str) -> Optional[str]:
        with self._guard:
            preparing = root in self.preparing
        if not preparing or self._prepare is None:
            return self._sync(root)
        def wanted() -> bool:
            with self._guard:
                return root in self.preparing

        try:
            return self._prepare(root, wanted)
        finally:
            with self._guard:
                self.preparing.discard(root)
                self.prepared.add(root)

    def refresh(self) -> None:
        """Re-read the registry: watch trusted, existing projects; forget deleted ones."""
        roots = registry.projects()
        gone = {r for r in roots if not os.path.isdir(r)}
        if gone:
            registry.forget(gone)
        watched: dict[str, set[str]] = {}
        for root in roots:
            if root in gone or not trust.is_allowed(root):
                continue
            try:
                files = {os.path.abspath(p) for p in self._inputs(root)}
            except Exception as exc:  # noqa: BLE001 - a broken project is watched by its dir only
                self._log(f"{root}: cannot read inputs: {exc}")
                files = set()
            watched[root] = files
        new = watched.keys() - self.projects.keys()
        self.projects = watched
        self._registered = set(roots)
        with self._guard:
            # A shell entered it first (and registered it): it is an ordinary project now,
            # whose sync that shell handed over is not kept waiting for the clone to settle.
            entered = self.preparing & self._registered
            self.preparing -= entered
            self.prepared |= entered
        for root in sorted(new):
            self.queue.add(root, delay=0)  # newly watched: check (and sync) it now
        if self._prepare is not None:
            self._scan_trees()
        self.queue.report()  # the watch set itself is part of the status

    def _scan_trees(self) -> None:
        """Watch the trusted trees' directories; a project there that appeared since the
        tree was first seen (not one it already held: those wait for their first cd) and
        that venvd does not know yet is prepared once it settles."""
        from .. import trees
        from ..errors import VenvdError
        from .newprojects import DEPTH, scan

        try:
            found = trees.trees()
        except VenvdError as exc:
            self._log(f"trusted trees: {exc}")
            found = []
        self.tree_dirs = {}
        for tree in found:
            dirs, projects = scan([tree])
            for directory in dirs:
                rel = os.path.relpath(directory, tree)
                self.tree_dirs[directory] = 0 if rel == "." else min(rel.count(os.sep) + 1, DEPTH)
            if tree not in self._baseline:
                # What the tree held before the daemon started waits for its first cd; a
                # project made since (a clone while the daemon was starting) is new.
                self._baseline[tree] = {root for root in projects if not self._since_start(root)}
                for root in projects:
                    if root not in self._baseline[tree]:
                        self._consider(root)
                continue
            for root in projects:
                self._consider(root)

    def _since_start(self, root: str) -> bool:
        try:
            return os.stat(root).st_ctime >= self.started
        except OSError:
            return False

    def _consider(self, root: str) -> None:
        from .. import trust
        from ..errors import VenvdError
        from ..project import find_project

        with self._guard:
            if (root in self.preparing or root in self.prepared or root in self._registered
                    or any(root in known for known in self._baseline.values())):
                return
        try:
            if trust.decide(root)[0] != trust.ALLOWED:
                return
        except VenvdError as exc:
            self._log(f"{root}: {exc}")
            return
        project = find_project(root)
        if project is None or project.root != root:
            return
        with self._guard:
            self.preparing.add(root)
        self._log(f"{root}: a new project under a trusted tree; preparing its venv once it settles")
        self.queue.add(root, delay=0)  # prepare_root itself waits for the writes to settle

    def watch_dirs(self) -> list[str]:
        from .control import requests_dir

        from ..trees import config_file

        control = {os.path.dirname(registry.registry_file()), os.path.dirname(trust.store_file(trust.ALLOWED)),
                   requests_dir()}
        if self._prepare is not None:
            control.add(os.path.dirname(config_file()))  # `venvd allow --tree`: a tree to watch
        for directory in control:
            os.makedirs(directory, exist_ok=True)  # watched before the first project or trust decision
        dirs = set(control) | set(self.tree_dirs)
        for root, files in self.projects.items():
            dirs.add(root)
            dirs.update(os.path.dirname(f) for f in files)
        return sorted(d for d in dirs if os.path.isdir(d))

    def affected(self, changed: Iterable[str]) -> tuple[set[str], bool]:
        """The projects a batch of changed paths concerns, and whether to rebuild the watch set."""
        from .control import requests_dir

        control = set(control_files())
        requests = requests_dir()
        hit: set[str] = set()
        rebuild = False
        for path in changed:
            if path in control:
                rebuild = True
                continue
            if self.tree_dirs and self._tree_change(path):
                rebuild = True
            if os.path.dirname(path) == requests:
                root = _take_request(path)
                if root in self.projects:
                    hit.add(root)
                elif root:
                    rebuild = True  # a project not watched yet: refresh() adds and checks it
                continue
            for root, files in self.projects.items():
                if path in files or (os.path.dirname(path) == root and _looks_like_input(os.path.basename(path))):
                    hit.add(root)
                    if path not in files:
                        rebuild = True  # a new input (say a fresh uv.lock) joins the watch list
                elif path == root:
                    rebuild = True  # the project dir itself was removed or renamed
        return hit, rebuild

    def _tree_change(self, path: str) -> bool:
        """A change in a trusted tree's watched directory: a new project file queues its
        directory, a write in a project being prepared pushes it back (it is still being
        written), a new directory asks for the watch set to be rebuilt (True)."""
        from .newprojects import DEPTH, MARKERS, SKIP, is_project_dir
        from .newprojects import QUIET

        parent = os.path.dirname(path)
        depth = self.tree_dirs.get(parent)
        if path in self.tree_dirs:
            return not os.path.isdir(path)  # a watched directory removed or renamed
        if depth is None:
            return False
        with self._guard:
            preparing = parent in self.preparing
        if preparing:
            self.queue.add(parent, delay=QUIET)
        name = os.path.basename(path)
        if depth and name in MARKERS:
            self._consider(parent)
            return False
        if (depth < DEPTH and name not in SKIP and not name.startswith(".") and os.path.isdir(path)
                and not os.path.islink(path) and not (depth and is_project_dir(parent))):
            return True  # a new directory (a clone's target): watch it too
        return False

    def run(self, stop: threading.Event) -> None:
        import watchfiles

        while not stop.is_set():
            # Taken before refresh() reads them: a registration, a trust change or a config
            # edit made after this and before the watch below is in place would otherwise
            # go unseen until some later change rebuilds the watch.
            read = control_signatures()
            self.refresh()
            dirs = self.watch_dirs()
            self._log(f"watching {len(self.projects)} project(s) in {len(dirs)} dir(s)")
            restart = threading.Event()

            def stop_or_restart() -> bool:
                return stop.is_set() or restart.is_set()

            first = True
            for changes in watchfiles.watch(*dirs, watch_filter=None, recursive=False, debounce=2000, step=STEP_MS,
                                             stop_event=_Either(stop, restart), raise_interrupt=False,
                                             ignore_permission_denied=True, rust_timeout=RESCAN_MS,
                                             yield_on_timeout=True):
                paths = [path for _, path in changes]
                missed = False
                if first:
                    # The watch is in place now: a request a shell wrote while it was not
                    # (the daemon starting, or restarting for a registry change) is taken here,
                    # and the watch is built again if what it was built from changed meanwhile.
                    paths += waiting_requests()
                    missed = control_signatures() != read
                    first = False
                hit, rebuild = self.affected(paths)
                rebuild = rebuild or missed
                for root in sorted(hit):
                    self.queue.add(root)
                if rebuild:
                    restart.set()
                if stop_or_restart():
                    break
        self.queue.stop()


def control_files() -> list[str]:
    """The files the watch set is built from: the registry, the trust store, the user config."""
    from ..trees import config_file

    return [registry.registry_file(), trust.store_file(trust.ALLOWED), trust.store_file(trust.DENIED),
            config_file()]


def control_signatures() -> list[Optional[tuple[int, int, int]]]:
    """Each control file's inode, size and mtime (None when missing): a write to any of
    them (an append, or a list renamed into place) changes its signature."""
    out: list[Optional[tuple[int, int, int]]] = []
    for path in control_files():
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
        else:
            out.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return out


def waiting_requests() -> list[str]:
    """The request files in the requests dir (temp files being written excluded)."""
    from .control import requests_dir

    directory = requests_dir()
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return [os.path.join(directory, n) for n in sorted(names) if not n.endswith(".tmp")]


def _take_request(path: str) -> Optional[str]:
    """The project root a shell asked to have checked; the request file is consumed."""
    from ..errors import VenvdError
    from ..safeio import LIMIT_SMALL, read_bytes

    try:
        root = read_bytes(path, LIMIT_SMALL).decode("utf-8", "surrogateescape")
        os.unlink(path)
    except (OSError, VenvdError):
        return None  # a temp file, one already taken, or not a request
    return root or None


INPUT_PREFIXES = ("requirements", "pylock")
INPUT_NAMES = {"pyproject.toml", "uv.lock", "poetry.lock", "Pipfile.lock", "venvd.toml", ".python-version",
               ".python-versions"}


def _looks_like_input(name: str) -> bool:
    return name in INPUT_NAMES or (name.startswith(INPUT_PREFIXES) and name.endswith((".txt", ".toml", ".in")))


class _Either:
    """An event that is set when either of two events is (watchfiles takes one)."""

    def __init__(self, a: threading.Event, b: threading.Event):
        self._a, self._b = a, b

    def is_set(self) -> bool:
        return self._a.is_set() or self._b.is_set()
