"""Virtual environments: their layout, whether venvd made them, and creating them.

venvd marks a venv it created with ``<venv>/.venvd/created``, and proves the marker its
own with a record in its state dir (``provenance``): a marker that came with a repo is not
enough. Only a proven venv is ever recreated or removed; a venv the user made is used as
it is.
"""

from __future__ import annotations

import os
import time
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import Callable, Optional

    from . import spawn

from .envdiff import decode_pairs, encode_pairs
from .errors import VenvdError

STATE_DIR = ".venvd"  # inside the venv: venvd's marker and sync records
CREATED = "created"


def is_windows() -> bool:
    return os.name == "nt"


def bin_dir(venv: str, windows: Optional[bool] = None) -> str:
    windows = is_windows() if windows is None else windows
    return os.path.join(venv, "Scripts" if windows else "bin")


def python_path(venv: str, windows: Optional[bool] = None) -> str:
    windows = is_windows() if windows is None else windows
    return os.path.join(bin_dir(venv, windows), "python.exe" if windows else "python")


def read_pyvenv_cfg(venv: str) -> Optional[dict[str, str]]:
    """The ``key = value`` pairs of ``pyvenv.cfg``, or None when there is none."""
    from .safeio import LIMIT_SMALL, UnsafeFile, read_text

    try:
        lines = read_text(os.path.join(venv, "pyvenv.cfg"), LIMIT_SMALL, errors="surrogateescape").splitlines()
    except (OSError, UnsafeFile):
        return None  # a FIFO or huge pyvenv.cfg (safeio) is no venv's either
    cfg = {}
    for line in lines:
        key, eq, value = line.partition("=")
        if eq:
            cfg[key.strip().lower()] = value.strip()
    return cfg


def cfg_version(cfg: dict[str, str]) -> Optional[str]:
    # stdlib venv writes `version`, virtualenv and uv write `version_info`.
    return cfg.get("version") or cfg.get("version_info")


def read_marker(venv: str) -> Optional[dict[str, str]]:
    """venvd's record of having created *venv*, or None for a venv venvd did not make."""
    from .safeio import LIMIT_SMALL, UnsafeFile, read_text

    try:
        # surrogateescape: the fields hold paths, and a path need not be UTF-8 (b"proj-\xff").
        text = read_text(os.path.join(venv, STATE_DIR, CREATED), LIMIT_SMALL, errors="surrogateescape").strip()
    except (OSError, UnicodeDecodeError, UnsafeFile):
        return None  # venvd writes UTF-8 regular files: anything else is not its marker
    fields = {k: v or "" for k, v in decode_pairs(text)}
    from .provenance import proven

    # The marker's "made_for" field is the real path it was made for: another path means moved.
    return fields if proven(venv, fields) else None


def write_marker(venv: str, **fields: str) -> None:
    directory = os.path.join(venv, STATE_DIR)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, CREATED)
    from .safewrite import replace_text

    replace_text(path, encode_pairs(sorted(fields.items())) + "\n")


def _failure_file(venv: str) -> str:
    from .paths import path_key, state_dir

    return os.path.join(state_dir(), "failed-creations", path_key(os.path.realpath(venv)))


def remembered_failure(venv: str, attempt: str) -> Optional[str]:
    """What went wrong when creating *venv* for the same *attempt* (request and
    interpreter) before, or None. Like a failed sync, a failed or interrupted creation
    is not retried on every prompt: only when the request changes or on `venvd sync`."""
    from .safeio import LIMIT_SMALL, UnsafeFile, read_text

    try:
        # As every record: a FIFO, a device or a huge file there is no record of venvd's.
        text = read_text(_failure_file(venv), LIMIT_SMALL, errors="surrogateescape")
    except (OSError, UnsafeFile):
        return None
    fields = dict(decode_pairs(text.rstrip("\n")))
    if fields.get("venv") != os.path.realpath(venv) or fields.get("attempt") != attempt:
        return None
    return fields.get("error") or "failed"


def remember_failure(venv: str, attempt: str, error: str) -> None:
    path = _failure_file(venv)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from .safewrite import replace_text

        # Replaces whatever is there, never opens it (a FIFO would block).
        replace_text(path, encode_pairs([("venv", os.path.realpath(venv)), ("attempt", attempt),
                                         ("error", error)]) + "\n")
    except OSError:
        pass  # remembering is a courtesy; the next prompt would simply try again


def forget_failure(venv: str) -> None:
    try:
        os.unlink(_failure_file(venv))
    except OSError:
        pass


def is_usable(venv: str) -> bool:
    return read_pyvenv_cfg(venv) is not None and os.path.exists(python_path(venv))


def bundled_pip_dir(interpreter_path: str, version: str) -> Optional[str]:
    """The directory of the pip wheel bundled with the interpreter's ensurepip."""
    import glob

    prefix = os.path.dirname(os.path.dirname(os.path.realpath(interpreter_path)))
    major_minor = ".".join(version.split(".")[:2])
    for pattern in (
        os.path.join(prefix, "lib", f"python{major_minor}*", "ensurepip", "_bundled", "pip-*.whl"),
        os.path.join(prefix, "Lib", "ensurepip", "_bundled", "pip-*.whl"),
    ):
        found = glob.glob(pattern)
        if found:
            return os.path.dirname(found[0])
    return None


def find_uv() -> Optional[str]:
    """uv from PATH, or from the ``venvd[uv]`` extra installed next to venvd."""
    found = find_program("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]

        return str(find_uv_bin())
    except Exception:  # noqa: BLE001 - the extra is optional and may be broken
        return None


def find_program(name: str) -> Optional[str]:
    """*name* on PATH, as ``shutil.which`` finds it (shutil costs ~3 ms to import, bz2 and
    lzma with it, on a first entry's path). Empty PATH entries are skipped: they would
    name the working directory, which is the project."""
    names = [name + ext for ext in os.environ.get("PATHEXT", ".EXE;.CMD;.BAT").lower().split(";") if ext] \
        if os.name == "nt" else [name]
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        if not directory:
            continue
        for each in names:
            candidate = os.path.join(directory, each)
            if os.access(candidate, os.X_OK) and os.path.isfile(candidate):
                return candidate
    return None


# The watchdog of one installer or creation command (``ChildGuard``): reads the command's
# pid (its process group and session) from stdin, one line per command started, until
# venvd closes its end of the pipe (the command is over) or dies; then kills each group.
# (`kill -9 -PGID`: dash's kill takes no `--`; only numbers above 1 are ever a group here.)
_WATCHDOG = ('g=; while read -r p; do case $p in *[!0-9]*|""|0|1) ;; *) g="$g -$p" ;; esac; done; '
             '[ -z "$g" ] || kill -9 $g 2>/dev/null; exit 0')


class ChildGuard:
    """Run in the child before exec (``spawn.start``'s *in_child*): ties an installer or
    creation command, and every process it starts, to venvd: a venvd killed with -9
    mid-creation or mid-sync leaves nothing writing into a venv that the next entry may
    recreate.

    In the child it makes the command the leader of a session of its own (so its
    process group holds whatever it starts: ensurepip's pip, uv's build backends; and no
    terminal, so nothing stops the prompt to ask on /dev/tty). A watchdog (``/bin/sh``, in
    a session of its own so a terminal's signals miss it) kills that whole group as soon
    as venvd closes the guard (``close``, or when it is garbage: the command is over, what
    it left running goes) or dies. The watchdog holds venvd's venv locks while it waits
    (``locking.held_fds``): after a kill -9 the next entry gets the lock only once the
    group is killed. Without a watchdog (no /bin/sh) the command, on Linux, dies with
    venvd (``PR_SET_PDEATHSIG``; ctypes is loaded here, before the fork, never in the
    forked child).
    """

    def __init__(self) -> None:
        import sys

        from . import spawn
        from .locking import held_fds

        self._prctl = None
        self._parent = os.getpid()
        read, self._write = os.pipe()  # both close on exec: the command never holds them
        try:
            self._watchdog: "Optional[spawn.Child]" = spawn.start(
                ["/bin/sh", "-c", _WATCHDOG], stdin=read, stdout=spawn.DEVNULL, stderr=spawn.DEVNULL,
                new_session=True, keep_fds=held_fds())
        except OSError:
            self._watchdog = None  # no /bin/sh: the command still dies with venvd
        finally:
            os.close(read)
        # The watchdog kills the command's whole group when venvd dies (its pipe closes), so
        # PR_SET_PDEATHSIG is only the fallback without one: ctypes costs ~2 ms to load, on
        # the path of a venv's first sync.
        if self._watchdog is None and sys.platform.startswith("linux"):
            try:
                import ctypes

                self._prctl = ctypes.CDLL(None, use_errno=True).prctl
            except (OSError, AttributeError):
                pass

    def __call__(self) -> None:  # in the forked child, before exec: system calls only
        if self._watchdog is not None:
            os.setsid()
        if self._prctl is not None:
            import _signal  # loaded by the interpreter already (``signal`` would import enum)

            self._prctl(1, _signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
            if os.getppid() != self._parent:  # venvd died before the line above took effect
                os._exit(1)
        if self._watchdog is not None:
            try:
                os.write(self._write, f"{os.getpid()}\n".encode())
            except OSError:
                pass  # the watchdog is gone; the command still dies with venvd

    def close(self) -> None:
        """The command is over: what it left running in its group is killed."""
        write, self._write = self._write, -1
        if write < 0:
            return
        os.close(write)
        if self._watchdog is not None:
            try:
                self._watchdog.wait(timeout=5.0)  # it kills the group, then exits
            except Exception:  # noqa: BLE001 - still running: init reaps it
                pass

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def stop_command(proc: "spawn.Child | subprocess.Popen[bytes]", force: bool = False) -> None:
    """Terminate (*force*: kill) a command started under a ``ChildGuard``, and all it
    started: its process group (a terminal's Ctrl-C does not reach that group). A command
    that leads no group of its own is stopped alone. *proc* is not yet reaped, so its pid,
    and the group named after it, cannot be anyone else's."""
    if os.name == "posix":
        import signal

        try:
            if proc.poll() is None and os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, signal.SIGKILL if force else signal.SIGTERM)
                return
        except OSError:
            pass
    if force:
        proc.kill()
    else:
        proc.terminate()


def die_with_parent() -> Optional[ChildGuard]:
    """A ``ChildGuard`` for one command (``spawn.start(in_child=)``), or None where there is no fork
    (Windows). The caller closes it when the command is over; one it drops is closed then."""
    if os.name != "posix":
        return None
    return ChildGuard()


def _run(argv: list[str], what: str) -> None:
    guard = die_with_parent()
    try:
        if guard is not None:
            from . import spawn

            code, out = spawn.run(argv, in_child=guard)
        else:  # pragma: no cover - Windows
            import subprocess

            result = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            code, out = result.returncode, result.stdout
    except OSError as exc:
        raise VenvdError(f"{what} failed: cannot run {argv[0]}: {exc.strerror}") from None
    finally:
        if guard is not None:
            guard.close()
    if code != 0:
        from .sync.progress import meaningful

        output = out.decode("utf-8", "replace").strip().splitlines()
        shown = " | ".join(meaningful(output, limit=3)) or f"exit status {code}"
        raise VenvdError(f"{what} failed: {shown}")


# What venvd can make a venv for; said whenever an interpreter is outside it.
UV_MINIMUM = (3, 6)  # uv inspects interpreters with `-I` (3.4+) and supports 3.6 and newer
VENV_MINIMUM = (3, 3)  # the standard library's venv module


def _version_tuple(version: str) -> tuple[int, int]:
    parts = [int(p) if p.isdigit() else 0 for p in (version.split(".") + ["0"])[:2]]
    return parts[0], parts[1]


def unsupported(version: str, interpreter_path: str) -> str:
    return (f"Python {version} ({interpreter_path}) is not supported: venvd makes venvs for Python 3, "
            f"{UV_MINIMUM[0]}.{UV_MINIMUM[1]} or newer with uv, {VENV_MINIMUM[0]}.{VENV_MINIMUM[1]} or newer "
            "without uv (the venv module); ask for a Python 3 in .python-version (a venv you make "
            "yourself, e.g. with virtualenv, is used as it is)")


def _create_in_place(venv: str, interpreter_path: str, version: str, prompt: str, uv: Optional[str],
                     seed_pip: bool) -> None:
    if _version_tuple(version) < VENV_MINIMUM:
        raise VenvdError(unsupported(version, interpreter_path))
    if uv and _version_tuple(version) < UV_MINIMUM:
        uv = None  # uv cannot inspect it; the venv module can
    if uv:
        # --no-config: no uv.toml from the project's parents (another user's /tmp) is read;
        # --no-project: nor a parent's pyproject.toml (the path and Python are given).
        try:
            _run([uv, "venv", "--no-config", "--no-project", "--quiet", "--allow-existing", "--python",
                  interpreter_path, f"--prompt={prompt}", "--", venv],
                 f"creating {venv} with uv")  # a name may start with "-"
        except VenvdError as exc:
            if "inspect python interpreter" not in str(exc).lower() and "can't use python" not in str(exc).lower():
                raise
            uv = None  # an interpreter uv cannot use: the venv module makes it
        else:
            pip_dir = bundled_pip_dir(interpreter_path, version) if seed_pip else None
            if not seed_pip:
                pass  # a uv.lock venv: exactly what `uv sync --locked` installs (no pip)
            elif pip_dir:
                # pip inside the venv, so `pip install` there never reaches a global
                # site-packages; the wheel ensurepip bundles installs offline in ~0.1 s.
                _run([uv, "pip", "install", "--no-config", "--quiet", "--python", python_path(venv), "--offline",
                      "--no-index", "--find-links", pip_dir, "pip"], "installing pip into the venv")
            else:
                _run([python_path(venv), "-m", "ensurepip", "--default-pip"], "installing pip into the venv")
    if not uv:
        # --prompt=NAME and "--": a project named "-x" is a name, not an option.
        named = [f"--prompt={prompt}"] if _version_tuple(version) >= (3, 6) else []  # --prompt came in 3.6
        _run([interpreter_path, "-m", "venv", *named, "--", venv], f"creating {venv}")
        gitignore = os.path.join(venv, ".gitignore")
        if not os.path.exists(gitignore):
            with open(gitignore, "w", encoding="utf-8") as f:
                f.write("# created by venvd\n*\n")


def create(venv: str, interpreter_path: str, version: str, prompt: str, request: str, uv: Optional[str],
           seed_pip: bool = True, populate: Optional[Callable[[], bool]] = None) -> None:
    """Create *venv* from the interpreter (or replace the venvd-made venv there), with
    *uv* when given, else the standard library's venv module. Without *seed_pip* (a
    uv.lock sync follows, which would remove pip and put it back) pip is left to the sync.

    *populate* (a fresh uv.lock venv): called with the venv's directory made, empty and
    recorded as being created (``provenance.half_made``); it makes the venv itself
    (``uv sync --locked`` creates it: one uv process instead of ``uv venv`` + ``uv sync``)
    and returns True, or returns False having touched nothing, and the venv is made as usual.
    Either way the marker is written only once the venv is complete.

    The venv that was there stays in place until the new one is complete, so a
    failed creation leaves the previous environment working.
    """
    from . import provenance
    from .locking import FileLock, venv_lock_path

    real = os.path.realpath(venv)
    # Never a venv others can write to, whatever the umask: venvd would refuse it at the
    # next entry (as ssh refuses such a directory). Group-write follows the user's umask.
    umask = os.umask(0o022)
    os.umask(umask | 0o002)
    try:
        with FileLock(venv_lock_path(venv)):  # keyed by the real path: one writer however it is reached
            provenance.clean_debris(venv)
            marker = read_marker(venv)
            if marker is not None and marker.get("made_for") == real and marker.get("request") == request \
                    and marker.get("interpreter") == interpreter_path and marker.get("state") == "ok" \
                    and is_usable(venv):
                return  # another shell made it while we waited for the lock
            old = None
            if os.path.lexists(venv):
                if marker is None and provenance.half_made(venv):
                    import shutil  # here only: ~3 ms to import

                    # A creation killed mid-way (we hold the lock: none is running): venvd's debris.
                    shutil.rmtree(venv)
                elif marker is None:
                    if not is_empty_dir(venv):
                        raise VenvdError(f"{venv} exists and was not made by venvd; it is left alone")
                    os.rmdir(venv)  # a creation killed between mkdir and its record: nothing to lose
                else:
                    old = f"{venv}.venvd-old-{os.getpid()}"
                    # Recorded before the rename: if venvd dies now, the next entry can prove it ours.
                    provenance.write(os.path.join(os.path.dirname(real), os.path.basename(old)), marker["token"],
                                     os.stat(venv), debris=True)
                    os.rename(venv, old)
            made = making = False
            try:
                making = True  # no directory there now (see above): one that appears is this mkdir's
                try:
                    os.makedirs(venv)
                except OSError as exc:
                    making = False  # nothing made here: whatever stands there is not ours
                    raise VenvdError(f"cannot create {venv}: {exc.strerror} (a read-only project directory? "
                                     "set [tool.venvd] venv or UV_PROJECT_ENVIRONMENT to a writable place)") from None
                made = True
                token = provenance.new_token()
                provenance.write(real, token, os.stat(venv), creating=populate is not None)
                if populate is not None and populate():
                    _set_prompt(venv, prompt)
                else:
                    write_marker(venv, state="creating", request=request, interpreter=interpreter_path,
                                 version=version, token=token, made_for=real)
                    _create_in_place(venv, interpreter_path, version, prompt, uv, seed_pip)
                write_marker(venv, state="ok", request=request, interpreter=interpreter_path, version=version,
                             created=str(int(time.time())), token=token, made_for=real)
                if populate is not None:
                    provenance.write(real, token, os.stat(venv))  # complete: no longer half made
            except BaseException:
                import shutil  # here only: ~3 ms to import

                if made:
                    shutil.rmtree(venv, ignore_errors=True)
                    # Its inode may be reused for a venv the user makes there: no record names it.
                    provenance.forget(real)
                elif making and is_empty_dir(venv):
                    # Ctrl-C as mkdir returned, before `made` was set: the empty directory it
                    # made goes too (nothing to lose, as with the one a kill leaves, above).
                    os.rmdir(venv)
                if old is not None:
                    os.rename(old, venv)
                    # The old venv is back at its path: its marker's record names it again.
                    provenance.write(marker["made_for"], marker["token"], os.stat(venv))
                    provenance.forget(os.path.realpath(old))
                raise
            if old is not None:
                import shutil

                shutil.rmtree(old, ignore_errors=True)
                provenance.forget(os.path.realpath(old))
                if marker.get("made_for") != real:
                    provenance.forget(marker["made_for"])  # made for the path it was moved from

    finally:
        os.umask(umask)

def _set_prompt(venv: str, prompt: str) -> None:
    """The prompt venvd gives every venv (the project directory's name), in pyvenv.cfg:
    ``uv sync`` names a venv it makes after the project's ``[project] name``."""
    from .safeio import LIMIT_SMALL, read_text

    path = os.path.join(venv, "pyvenv.cfg")
    lines = read_text(path, LIMIT_SMALL).splitlines()
    kept = [line for line in lines if line.partition("=")[0].strip() != "prompt"]
    if len(kept) == len(lines) - 1 and f"prompt = {prompt}" in lines:
        return
    from .safewrite import replace_text

    replace_text(path, "".join(line + "\n" for line in [*kept, f"prompt = {prompt}"]))


def is_empty_dir(path: str) -> bool:
    try:
        return os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path)
    except OSError:
        return False


def moved_from(venv: str) -> Optional[str]:
    """The venv path the scripts in *venv*'s bin were made for, when it is another path
    (the venv was moved or copied: its console scripts' ``#!`` lines name the old place),
    else None. Reads the first lines of a few scripts."""
    from .safeio import UnsafeFile, read_prefix

    bindir = bin_dir(venv)
    try:
        names = sorted(os.listdir(bindir))
    except OSError:
        return None
    here = os.path.realpath(venv)
    for name in names[:64]:
        if name.startswith(("python", "activate", "Activate", "deactivate")):
            continue
        try:
            head = read_prefix(os.path.join(bindir, name), 1024)
        except (OSError, UnsafeFile):
            continue
        if not head.startswith(b"#!"):
            continue
        lines = head[2:].split(b"\n")
        interpreter = lines[0].strip().split(b" ")[0]
        if interpreter == b"/bin/sh" and len(lines) > 1 and lines[1].startswith(b"'''exec' "):
            # pip's form for a long path or one with spaces: '''exec' "/venv/bin/python" "$0" "$@"
            interpreter = lines[1][len(b"'''exec' "):].split(b'" ')[0].strip(b'"')
        interpreter_dir, _ = os.path.split(os.fsdecode(interpreter))
        if os.path.basename(interpreter_dir) not in ("bin", "Scripts"):
            continue  # not a venv's script (e.g. #!/bin/sh)
        made_for = os.path.dirname(interpreter_dir)
        return None if os.path.realpath(made_for) == here else made_for
    return None
