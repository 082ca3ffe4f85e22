"""The command line: a thin dispatcher. Each command imports only what it needs.

``venvd export`` is the hot path and skips argparse (~5 ms of imports) entirely.
"""

from __future__ import annotations

import os
import sys
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

from .errors import VenvdError
from .ui import say

SHELL_HELP = "bash, zsh, fish or pwsh (powershell is the same)"
EXPORT_SHELL_HELP = "bash, zsh, fish, pwsh (powershell) or json (the change as data)"
HELP = ("-h", "--help")


def _parser():  # -> argparse.ArgumentParser
    import argparse

    from . import __version__

    parser = argparse.ArgumentParser(
        prog="venvd", description="A project's virtual environment that follows your shell."
    )
    parser.add_argument("--version", action="version", version=f"venvd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("hook", help="print the shell hook to eval in your shell's rc file")
    p.add_argument("shell", help=SHELL_HELP)
    p = sub.add_parser("export", help="print shell code for the current directory (the hook runs this)")
    p.add_argument("shell", help=EXPORT_SHELL_HELP)
    p.add_argument("--on", action="store_true", help="turn venvd back on for this project first")
    p.add_argument("--off", action="store_true", help="turn venvd off for this project first")
    p.add_argument("--undo", action="store_true", help="step back from this shell's venv (an activate script took over)")
    p = sub.add_parser("allow", help="trust a project: its venv may be created, synced and activated")
    p.add_argument("dir", nargs="?", default=None, help="a directory in the project (default: here)")
    p.add_argument("--tree", action="store_true",
                   help="trust DIR as a tree: every project under it (added to trust in the user config)")
    p = sub.add_parser("deny", help="revoke trust in a project and stop announcing it")
    p.add_argument("dir", nargs="?", default=None, help="a directory in the project (default: here)")
    p = sub.add_parser("status", help="show what venvd sees for a directory")
    p.add_argument("dir", nargs="?", default=None, help="a directory (default: here)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = sub.add_parser("sync", help="sync the project's venv with its requirements and lockfiles now")
    p.add_argument("dir", nargs="?", default=None, help="a directory in the project (default: here)")
    p.add_argument("--force", action="store_true", help="run the installer even if nothing changed")
    p.add_argument("-v", "--verbose", action="store_true", help="show the installer's output as it runs")
    p = sub.add_parser("exec", help="run a command with the project's venv (created and synced first)",
                       usage="venvd exec [--allow-stale] [DIR] [--] COMMAND [ARGS...]",
                       description="Run COMMAND with the project's venv (at DIR or here), created and synced "
                                   "first. venvd's own words come first: --allow-stale, then DIR, then '--'. "
                                   "The first word is DIR when it names an existing directory; '--' right "
                                   "before COMMAND ends venvd's words (so '--' first means no DIR), and a "
                                   "later '--' is COMMAND's. COMMAND does not run when the env could not be "
                                   "created or synced.")
    p.add_argument("--allow-stale", action="store_true",
                   help="run COMMAND even when the env could not be synced, with the env as it is")
    p.add_argument("args", nargs=argparse.REMAINDER, help="[DIR] [--] COMMAND [ARGS...]")
    p = sub.add_parser("daemon", help="the background syncer: run, start, stop, status")
    p.add_argument("action", choices=["run", "start", "stop", "status", "install", "uninstall"])
    p.add_argument("--workers", type=int, default=1, help="syncs at once (run only; default 1)")
    p.add_argument("--json", action="store_true", help="print JSON (status only)")
    sub.add_parser("on", help="turn venvd back on for this project in this shell (through the hook)",
                   description="Turn venvd back on for this project in this shell. It changes the shell "
                               "itself, so the hook runs it: 'venvd on' with no arguments.")
    sub.add_parser("off", help="turn venvd off for this project in this shell (through the hook)",
                   description="Turn venvd off for this project in this shell, until 'venvd on' (the "
                               "'deactivate' venvd defines does the same). The hook runs it: 'venvd off' "
                               "with no arguments.")
    p = sub.add_parser("list", help="the projects venvd knows: trust, venv, state, last sync, size")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = sub.add_parser("prune", help="forget projects whose directory is gone, and remove their venvd-made venvs")
    p.add_argument("--dry-run", action="store_true", help="say what would be removed; remove nothing")
    sub.add_parser("doctor", help="check the hook, shell, interpreter, installers, trust store, daemon, config")
    p = sub.add_parser("completions", help="print a completion script for bash, zsh, fish or pwsh")
    p.add_argument("shell", choices=["bash", "zsh", "fish", "pwsh", "powershell"])
    return parser


# Commands whose output is on stdout: with stdout closed (`>&-`) they could only fail silently.
STDOUT_COMMANDS = ("export", "hook", "status")


def _guard_stdout() -> None:
    """Put sys.stdout's buffer on a raw fd 1 whose failed write (``> /dev/full``, an EIO)
    is raised once as a VenvdError (one line), after which what is still buffered is
    dropped, so Python does not add "Exception ignored … <stdout>" when it exits."""
    import io

    old = sys.stdout

    class Stdout(io.RawIOBase):
        failed = False

        def writable(self) -> bool:
            return True

        def fileno(self) -> int:
            return old.fileno()

        def isatty(self) -> bool:
            return old.isatty()

        def write(self, data: "bytes | memoryview") -> int:  # type: ignore[override]
            if self.failed:
                return len(data)  # dropped: the failure was said already
            try:
                return os.write(old.fileno(), data)
            except BrokenPipeError:
                self.failed = True
                raise  # the reader went away (`| head`): exit 1 without a word, as before
            except OSError as exc:
                self.failed = True
                raise VenvdError(f"cannot write to stdout ({exc.strerror or exc}); "
                                 "what venvd printed there is incomplete") from None

    sys.stdout = io.TextIOWrapper(io.BufferedWriter(Stdout()), encoding=old.encoding, errors=old.errors,
                                  line_buffering=old.line_buffering)


def launched() -> None:
    """The hooks' entry point (launcher.py): ``main()``, then the exit. After ``export``,
    the command a directory change runs, the process ends without the interpreter's
    teardown (freeing every module and object: 2-3 ms of each core run, a venv's first
    sync included): stdout and stderr are flushed first, and everything else it wrote is
    closed by then (records, stamps and logs are written with ``with`` or closed
    explicitly; its locks are flock(2)s, released by the kernel as the process ends)."""
    status = main()
    if sys.argv[1:2] == ["export"]:
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                status = status or 1
        os._exit(status)
    sys.exit(status)


def main(argv: Optional[list[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if sys.stdout is None:  # started with fd 1 closed (`>&-`)
        if args[:1] and args[0] in STDOUT_COMMANDS:
            say(f"stdout is closed; 'venvd {args[0]}' prints its output there")
            return 1
    elif argv is None and not sys.stdout.isatty():
        # The real command line (not a test calling main()), writing to a file or a pipe; a
        # terminal keeps Python's own stdout (on Windows its console I/O is not plain fd 1).
        _guard_stdout()
    status = _main(args)
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except VenvdError as exc:
        say(str(exc))
        return 1
    except (OSError, ValueError):
        return 1
    return status


def _main(args: list[str]) -> int:
    try:
        if args[:1] == ["export"] and not any(arg in HELP for arg in args[1:]):
            from .export import main_export

            return main_export(args[1:])
        if sys.flags.no_site:
            # Started by a hook with -S (see launcher.py): everything but the hot path
            # gets the interpreter's full site setup (.pth files included).
            import site

            site.main()
        if os.environ.pop("_VENVD_LOG_STAMPS", None):  # daemon/logfile.STAMPS_VAR
            from .daemon.logfile import stamp_stderr

            stamp_stderr()  # a detached `venvd sync` writing into daemon.log
        return _dispatch(args)
    except VenvdError as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback into a shell
        if os.environ.get("VENVD_DEBUG"):
            raise
        say(f"internal error: {type(exc).__name__}: {exc} (VENVD_DEBUG=1 shows the traceback)")
        return 70


def _dispatch(args: list[str]) -> int:
    ns = _parser().parse_args(args)
    if ns.command is None:
        _parser().print_help(sys.stderr)
        return 2
    from importlib import import_module

    module = import_module(f".commands.{ns.command}", __package__)
    return int(module.run(ns) or 0)
