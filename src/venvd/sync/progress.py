"""Running an installer: its output kept for errors, progress on a terminal, Ctrl-C.

On a terminal (stderr is a tty) one status line shows what the installer is doing and
the time elapsed, redrawn in place; elsewhere nothing is shown until the summary.
Ctrl-C (or any exception) stops the installer before it propagates: never an
installer left writing to a venv after venvd gave up on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Mapping, Optional

from ..installers import InstallerFailed

KEEP_LINES = 400  # output kept for the error message and `venvd status`


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the installer gets SIGKILL if venvd itself is killed (never an orphan
    installer writing into a venv the next sync is already writing to)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort
        pass


class Runner:
    """Runs the commands of one sync; callable as ``installers.Run``."""

    def __init__(self, label: str, tty: Optional[bool] = None):
        self.label = label
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.output: list[str] = []  # every command's output, last KEEP_LINES lines
        self.commands: list[list[str]] = []
        self._latest = ""
        self._drawn = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, argv: list[str], *, cwd: Optional[str] = None,
                 env: Optional[Mapping[str, Optional[str]]] = None, what: str = "") -> list[str]:
        self.commands.append(list(argv))
        what = what or os.path.basename(argv[0])
        self._latest = what
        self.draw()
        kwargs = {}
        if sys.platform.startswith("linux"):
            kwargs["preexec_fn"] = _die_with_parent
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=dict(env) if env is not None else None,  # type: ignore[arg-type]
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    **kwargs)
        except OSError as exc:
            raise InstallerFailed(what, 127, [f"cannot run {argv[0]}: {exc.strerror}"]) from None
        lines: list[str] = []
        reader = threading.Thread(target=self._read, args=(proc, lines), daemon=True)
        reader.start()
        try:
            # Wait on the reader (it ends when the installer closes its output), not on
            # proc.wait(timeout=…): CPython implements that by polling with sleeps of up
            # to 50 ms, which a fast uv sync would spend mostly asleep.
            while reader.is_alive():
                reader.join(timeout=0.1 if self.tty else 1.0)
                if reader.is_alive():
                    self.draw()
            code = proc.wait()
        except BaseException:
            _stop(proc)
            raise
        finally:
            reader.join(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
        self.output = (self.output + lines)[-KEEP_LINES:]
        if code != 0:
            raise InstallerFailed(what, code, lines)
        return lines

    def _read(self, proc: "subprocess.Popen[bytes]", lines: list[str]) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            lines.append(line)
            if line.strip():
                self._latest = line.strip()

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


def _stop(proc: "subprocess.Popen[bytes]") -> None:
    """Stop the installer and wait for it: first politely, then for sure."""
    if proc.poll() is not None:
        return
    try:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    except OSError:
        pass


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
    chosen = [line for line in chosen if not line.lower().startswith(("note:", "[notice]", "using python"))]
    return chosen[:limit]
