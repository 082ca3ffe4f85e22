"""Running an installer: its output kept for errors and in a log, progress on a terminal, Ctrl-C.

On a terminal (stderr is a tty) one status line shows what the installer is doing and
the time elapsed, redrawn in place; elsewhere nothing is shown until the summary. With
``venvd sync -v`` (``SyncOptions.verbose``) every line the installer writes is shown as it comes.
The full output of every command of one sync goes to a log file (``log_path``: the state
dir, one per venv), which a failure line names. Ctrl-C (or any exception) stops the
installer before it propagates: never an installer left writing to a venv after venvd
gave up on it.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it
if TYPE_CHECKING:
    import subprocess
    from typing import IO, Mapping, Optional

    from .. import spawn

from ..installers import InstallerFailed
from ..venv import die_with_parent, stop_command

KEEP_LINES = 400  # output kept for the error message and `venvd status`


def log_path(venv: str) -> str:
    """Where the full installer output of *venv*'s last sync is kept."""
    from ..paths import path_key, state_dir

    return os.path.join(state_dir(), "logs", path_key(os.path.abspath(venv)) + ".log")


class Runner:
    """Runs the commands of one sync; callable as ``installers.Run``."""

    def __init__(self, label: str, tty: Optional[bool] = None, log: Optional[str] = None,
                 verbose: bool = False):
        self.label = label
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.verbose = verbose  # stream each line to stderr as it comes (`venvd sync -v`)
        self.started = time.monotonic()
        self.output: list[str] = []  # every command's output, last KEEP_LINES lines
        self.commands: list[list[str]] = []
        self.log = log
        self._log: Optional[IO[str]] = None
        self._latest = ""
        self._drawn = False
        if log is not None:
            try:
                os.makedirs(os.path.dirname(log), exist_ok=True)
                self._log = open(log, "w", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed in close()
            except OSError:
                self.log = None  # a log we cannot write only costs the details

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> None:
        if self._log is not None:
            try:
                self._log.close()
            except OSError:
                pass
            self._log = None

    def __call__(self, argv: list[str], *, cwd: Optional[str] = None,
                 env: Optional[Mapping[str, Optional[str]]] = None, what: str = "") -> list[str]:
        self.commands.append(list(argv))
        what = what or os.path.basename(argv[0])
        self._latest = what
        self._write_log(f"$ {' '.join(argv)}" + (f"   (in {cwd})" if cwd else ""))
        self.draw()
        lines: list[str] = []
        errors: list[str] = []
        try:
            if os.name == "posix":
                code = self._run_posix(argv, cwd, env, lines, errors)
            else:  # pragma: no cover - Windows: no fork, no poll on pipes
                code = self._run_with_threads(argv, cwd, env, lines, errors)
        except OSError as exc:
            line = f"cannot run {argv[0]}: {exc.strerror}"
            self._write_log(line)
            raise InstallerFailed(what, 127, [line]) from None
        self._write_log(f"# exit status {code}")
        self.output = (self.output + lines)[-KEEP_LINES:]
        if code != 0:
            raise InstallerFailed(what, code, lines, errors)
        return lines

    def _run_posix(self, argv: list[str], cwd: Optional[str], env: Optional[Mapping[str, Optional[str]]],
                   lines: list[str], errors: list[str]) -> int:
        from .. import spawn

        guard = die_with_parent()
        try:
            child = spawn.start(argv, cwd=cwd, env=dict(env) if env is not None else None,  # type: ignore[arg-type]
                                in_child=guard)
        except BaseException:
            if guard is not None:
                guard.close()
            raise
        try:
            spawn.read_lines(child, lambda line, err: self._take(line, lines, errors if err else None),
                             tick=0.1 if self.tty else None, on_tick=self.draw)
            return child.wait()
        except BaseException:
            _stop(child)
            raise
        finally:
            child.close()
            if guard is not None:
                guard.close()  # what the command left running in its group is killed

    def _run_with_threads(self, argv: list[str], cwd: Optional[str],
                          env: Optional[Mapping[str, Optional[str]]], lines: list[str],
                          errors: list[str]) -> int:  # pragma: no cover - Windows
        import subprocess
        import threading

        proc = subprocess.Popen(argv, cwd=cwd, env=dict(env) if env is not None else None,  # type: ignore[arg-type]
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lock = threading.Lock()

        def read(stream: IO[bytes], errs: Optional[list[str]]) -> None:
            for raw in stream:
                with lock:
                    self._take(raw.decode("utf-8", "replace").rstrip(), lines, errs)

        readers = [threading.Thread(target=read, args=(proc.stdout, None), daemon=True),
                   threading.Thread(target=read, args=(proc.stderr, errors), daemon=True)]
        for reader in readers:
            reader.start()
        try:
            for reader in readers:
                while reader.is_alive():
                    reader.join(timeout=0.1 if self.tty else 1.0)
                    if reader.is_alive():
                        self.draw()
            return proc.wait()
        except BaseException:
            _stop(proc)
            raise
        finally:
            for reader in readers:
                reader.join(timeout=5)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()

    def _take(self, line: str, lines: list[str], errors: Optional[list[str]]) -> None:
        """One line of the installer's output (*errors*: it came on stderr)."""
        lines.append(line)
        if errors is not None:
            errors.append(line)
        self._write_log(line)
        if self.verbose:
            self.clear()
            try:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
        if line.strip():
            self._latest = line.strip()

    def _write_log(self, line: str) -> None:
        if self._log is not None:
            try:
                self._log.write(line + "\n")
                self._log.flush()
            except (OSError, ValueError):
                pass

    def draw(self) -> None:
        if not self.tty:
            return
        try:
            width = os.get_terminal_size(sys.stderr.fileno()).columns
        except (OSError, ValueError):
            width = 80
        text = f"venvd: {self.label}: {self._latest} ({self.elapsed():.1f}s)"
        if len(text) > width - 1:
            text = text[: max(width - 2, 10)] + "…"
        try:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
            self._drawn = True
        except (OSError, ValueError):
            pass

    def clear(self) -> None:
        if self._drawn:
            try:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            self._drawn = False


def _stop(proc: "spawn.Child | subprocess.Popen[bytes]") -> None:
    """Stop the installer and wait for it: first politely, then for sure."""
    if proc.poll() is not None:
        return
    try:
        stop_command(proc)  # and what it started: it leads a process group of its own
        try:
            proc.wait(timeout=3)
        except Exception:  # noqa: BLE001 - spawn's TimeoutError, subprocess's TimeoutExpired
            stop_command(proc, force=True)
            proc.wait()
    except OSError:
        pass


_NOISE = ("note:", "[notice]", "using python", "hint:", "warning: retrying", "resolved ", "prepared ",
          "audited ", "uninstalled ", "installed ", "building ", "built ", "downloading ")


def meaningful(lines: list[str], limit: int = 4) -> list[str]:
    """The installer's last meaningful error lines (uv's ``error:``/``╰─▶``, pip's ``ERROR:``)."""
    stripped = [line.strip() for line in lines if line.strip()]
    start = None
    for i, line in enumerate(stripped):
        low = line.lower()
        if low.startswith(("error", "× ", "x ")) or "error:" in low:
            start = i
            break
    chosen = stripped[start:] if start is not None else stripped[-limit:]
    chosen = [line for line in chosen if not line.lower().startswith(_NOISE)]
    return chosen[:limit]


# What tells the three kinds of failure apart, in uv's and pip's words (lowercase), and in
# those of the tools a build runs (cargo, curl, git: "[6] Couldn't resolve host name").
_NETWORK = ("failed to fetch", "connection refused", "could not connect", "network is unreachable",
            "name or service not known", "temporary failure in name resolution", "dns error",
            "error sending request", "max retries exceeded", "newconnectionerror", "connecttimeout",
            "connection timed out", "no route to host", "tcp connect error", "could not fetch url",
            "network connectivity is disabled", "failed to download", "connectionerror",
            "nodename nor servname", "getaddrinfo failed", "ssl: certificate_verify_failed",
            "couldn't resolve host", "could not resolve host", "spurious network error",
            "failed to connect to", "unable to access 'http")
_BUILD = ("failed to build", "build backend", "build_wheel", "build_editable", "prepare_metadata",
          "subprocess-exited-with-error", "failed building wheel", "did not run successfully",
          "metadata-generation-failed", "failed to prepare metadata")
_RESOLUTION = ("no solution found", "resolutionimpossible", "could not find a version that satisfies",
               "no matching distribution", "not found in the package registry",
               "not found in the provided package locations", "unsatisfiable", "conflicting dependencies",
               "cannot install", "requirements are unsatisfiable", "no versions of", "there is no version of",
               "depends on one of", "yanked")
_STALE_LOCK = ("needs to be updated", "lockfile at", "--locked` was provided", "`--locked`")


def classify(lines: list[str]) -> str:
    """"network", "build", "resolution", "stale-lock" or "other", for the advice."""
    text = "\n".join(lines).lower()
    if any(k in text for k in _NETWORK):
        return "network"
    if any(k in text for k in _BUILD):
        return "build"
    if "uv.lock" in text and any(k in text for k in _STALE_LOCK):
        return "stale-lock"
    if any(k in text for k in _RESOLUTION):
        return "resolution"
    return "other"


# The marks uv and pip put before nested lines (uv's "× ", "├─▶ ", "╰─▶ " on a terminal and
# "cause: " elsewhere; pip's "× ", "│ ", "╰─> "; cargo's "Caused by:"), taken off to read them.
_MARKS = ("× ", "x ", "│", "├─▶", "╰─▶", "╰─>", "cause:", "caused by:")
# An installer's own line around a build's failure, not the build's error.
_WRAPPERS = ("failed to build", "subprocess-exited-with-error", "metadata-generation-failed",
             "failed to prepare metadata", "failed building", "could not build wheels")


def _unmarked(line: str) -> str:
    line = line.strip()
    while True:
        low = line.lower()
        mark = next((m for m in _MARKS if low.startswith(m)), None)
        if mark is None:
            return line
        line = line[len(mark):].strip()


def network_cause(lines: list[str], limit: int = 3) -> list[str]:
    """The lines that say why a sync needed the network and did not reach it, from deep in
    the installer's output: the build hook that failed (uv's "Call to `maturin.build_editable`
    failed", pip's "… did not run successfully."), the first error its build printed
    (cargo's "error: failed to get `pyo3` …"), and the last line naming the network failure
    (the root cause: "[6] Couldn't resolve host name (Could not resolve host: …)")."""
    import re

    cleaned = [_unmarked(line) for line in lines]
    cleaned = [line for line in cleaned if line and not line.lower().startswith(_NOISE)]
    chosen: list[str] = []
    start = 0
    for i, line in enumerate(cleaned):
        low = line.lower()
        if (low.startswith("call to ") and "failed" in low) or low.endswith("did not run successfully."):
            chosen.append(line)
            start = i
            break
    errors = [line for line in cleaned[start:] if re.match(r"^(error|ERROR)(\[\w+\])?:", line)
              and not any(w in line.lower() for w in _WRAPPERS)]
    if errors:
        chosen.append(errors[0])
    network = [line for line in cleaned if any(k in line.lower() for k in _NETWORK)]
    if network and network[-1] not in chosen:
        chosen.append(network[-1])
    return chosen[:limit] if network else []


def is_build(lines: list[str]) -> bool:
    """Whether a package's build failed (whatever made it fail: the network, a compiler)."""
    text = "\n".join(lines).lower()
    return any(k in text for k in _BUILD)


def build_error(lines: list[str]) -> Optional[str]:
    """The build's own last error: a Python exception line, or a compiler's ``error:``."""
    import re

    found = None
    for raw in lines:
        line = raw.strip()
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b:?", line) or \
                re.match(r"^error(\[\w+\])?: (?!subprocess-exited-with-error|metadata-generation-failed)", line):
            found = line
    return found
