"""Starting the commands a sync or a creation runs (uv, pip, a watchdog) without ``subprocess``.

A venv's first sync runs on a ``cd``, and the user waits for all of it. ``subprocess``
costs ~5-10 ms of imports before anything starts (locale, re, enum, threading,
selectors), and the readers of an installer's two streams were two threads. Here a
command is started with ``os.fork`` and ``os.execve`` (the child runs only system calls
prepared by the parent, and a hook such as ``venv.ChildGuard``), its output is read
with ``select.poll`` in the calling thread, and its exit is awaited on a pidfd. POSIX
only: on Windows the callers use ``subprocess``. In a process that runs threads (the
daemon's sync workers) a forked child must run no Python at all, so there the command is
started by ``subprocess`` (its C fork and exec) and read the same way.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False  # typing costs ~3 ms of imports on the path of a first sync
if TYPE_CHECKING:
    import subprocess
    from typing import Callable, Iterable, Mapping, Optional

PIPE = -1  # a pipe to the parent: Child.stdout / Child.stderr
DEVNULL = -2
STDOUT = -3  # stderr: into the same pipe as stdout


class Child:
    """A started command: its pid, the parent's ends of its output pipes, its exit status
    (``returncode`` as ``subprocess`` gives it: negative for a signal)."""

    def __init__(self, pid: int, argv0: str, stdout: int = -1, stderr: int = -1) -> None:
        self.pid = pid
        self.args0 = argv0
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: Optional[int] = None

    def poll(self) -> Optional[int]:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: gone
                self.returncode = 0
            else:
                if pid == self.pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: Optional[float] = None) -> int:
        """Its exit status; with *timeout*, ``TimeoutError`` when it has not exited by then.
        Woken by its pidfd the moment it exits (Linux 5.3+), else polled."""
        if self.returncode is not None:
            return self.returncode
        if timeout is not None and not _exited_within(self, timeout):
            raise TimeoutError(f"{self.args0} ({self.pid}) still runs")
        while self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
            except InterruptedError:
                continue
            except ChildProcessError:
                self.returncode = 0
            else:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # not yet reaped: the pid is still ours
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        import signal

        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        """Close the parent's ends of the pipes (after reading them)."""
        for name in ("stdout", "stderr"):
            fd = getattr(self, name)
            if fd >= 0:
                setattr(self, name, -1)
                os.close(fd)


class _PopenChild(Child):
    """A command ``subprocess`` started (in a process with threads), seen as a ``Child``."""

    def __init__(self, proc: "subprocess.Popen[bytes]", argv0: str) -> None:
        super().__init__(proc.pid, argv0, proc.stdout.fileno() if proc.stdout else -1,
                         proc.stderr.fileno() if proc.stderr else -1)
        self._proc = proc

    def poll(self) -> Optional[int]:
        self.returncode = self._proc.poll()
        return self.returncode

    def wait(self, timeout: Optional[float] = None) -> int:
        import subprocess

        try:
            self.returncode = self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{self.args0} ({self.pid}) still runs") from None
        return self.returncode

    def close(self) -> None:
        self.stdout = self.stderr = -1
        for stream in (self._proc.stdout, self._proc.stderr):
            if stream is not None:
                stream.close()


def _threads_run() -> bool:
    """Whether this process runs Python threads besides this one (only a process that
    imported threading can)."""
    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


def _start_with_subprocess(argv: list[str], cwd: Optional[str], env: Optional[Mapping[str, str]], stdin: int,
                           stdout: int, stderr: int, new_session: bool, keep_fds: Iterable[int],
                           in_child: Optional[Callable[[], None]]) -> Child:
    import subprocess

    def which(value: int) -> int:
        return {PIPE: subprocess.PIPE, DEVNULL: subprocess.DEVNULL, STDOUT: subprocess.STDOUT}.get(value, value)

    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=which(stdin), stdout=which(stdout),
                            stderr=which(stderr), start_new_session=new_session, pass_fds=tuple(keep_fds),
                            preexec_fn=in_child)
    return _PopenChild(proc, argv[0])


def _exited_within(child: Child, timeout: float) -> bool:
    try:
        fd = os.pidfd_open(child.pid)
    except (AttributeError, OSError):
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while child.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)
        return True
    try:
        import select

        waiter = select.poll()
        waiter.register(fd, select.POLLIN)
        return bool(waiter.poll(max(int(timeout * 1000), 0)))
    finally:
        os.close(fd)


def _executables(argv0: str, env: Optional[Mapping[str, str]]) -> list[bytes]:
    """Where execve may find *argv0*: itself when it names a path, else each PATH entry
    (the command's own PATH, as ``subprocess`` searches it)."""
    if os.sep in argv0:
        return [os.fsencode(argv0)]
    return [os.fsencode(os.path.join(d or os.curdir, argv0)) for d in os.get_exec_path(env)]


def start(argv: list[str], *, cwd: Optional[str] = None, env: Optional[Mapping[str, str]] = None,
          stdin: int = DEVNULL, stdout: int = PIPE, stderr: int = PIPE, new_session: bool = False,
          keep_fds: Iterable[int] = (), in_child: Optional[Callable[[], None]] = None) -> Child:
    """Start *argv*. *stdin*/*stdout*/*stderr*: ``DEVNULL``, ``PIPE`` (``STDOUT`` for
    stderr), or an fd the child gets. *keep_fds*: fds the command keeps open (all others
    venvd opened are close-on-exec). *in_child*: run in the child just before exec (it
    must only make system calls). ``OSError`` when it cannot be started, as
    ``subprocess`` raises it (the exec's errno, the command's name)."""
    if _threads_run():
        return _start_with_subprocess(argv, cwd, env, stdin, stdout, stderr, new_session, keep_fds, in_child)
    import _signal  # the C module: ``signal`` imports enum (~3 ms)

    exes = _executables(argv[0], env)
    args = [os.fsencode(a) for a in argv]
    envb = None if env is None else {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    keep = list(keep_fds)
    opened: list[int] = []  # the fds made for the child only: the parent closes them once it runs
    ours: list[int] = []  # the parent's ends: handed to the Child (closed here if the start fails)
    theirs: dict[int, int] = {}  # child's fd 0/1/2 -> the fd dup'ed there
    pid = -1

    def pipe_to_child(target: int) -> int:
        read, write = os.pipe()  # both close-on-exec: only the dup'ed copy crosses
        opened.append(write)
        ours.append(read)
        theirs[target] = write
        return read

    try:
        devnull = -1
        if DEVNULL in (stdin, stdout, stderr):
            devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            opened.append(devnull)
        theirs[0] = devnull if stdin == DEVNULL else stdin
        out_read = err_read = -1
        if stdout == PIPE:
            out_read = pipe_to_child(1)
        else:
            theirs[1] = devnull if stdout == DEVNULL else stdout
        if stderr == PIPE:
            err_read = pipe_to_child(2)
        elif stderr == STDOUT:
            theirs[2] = theirs[1]
        else:
            theirs[2] = devnull if stderr == DEVNULL else stderr
        err_r, err_w = os.pipe()  # the child's exec error, if any; closes on a good exec
        opened.append(err_w)
        ours.append(err_r)
        pid = os.fork()
        if pid == 0:  # the child: system calls only, and out by exec or _exit
            try:
                # Each source fd moved above 2 first: dup2 onto 0-2 must not clobber a source.
                moved = {t: os.dup(fd) if fd <= 2 else fd for t, fd in theirs.items()}
                for target, fd in moved.items():
                    os.dup2(fd, target)  # dup2'ed fds are inheritable
                for fd in keep:
                    os.set_inheritable(fd, True)
                # Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored
                # across exec: the command gets the defaults, as subprocess gives them.
                for name in ("SIGPIPE", "SIGXFSZ"):
                    if hasattr(_signal, name):
                        _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
                if cwd is not None:
                    os.chdir(cwd)
                if new_session:
                    os.setsid()
                if in_child is not None:
                    in_child()
                failure: OSError = FileNotFoundError(2, "No such file or directory")
                for exe in exes:
                    try:
                        if envb is None:
                            os.execv(exe, args)
                        os.execve(exe, args, envb)
                    except OSError as exc:
                        failure = exc
                os.write(err_w, b"%d" % (failure.errno or 0))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                try:
                    os.write(err_w, b"%d" % (getattr(exc, "errno", None) or 0))
                except BaseException:  # noqa: BLE001
                    pass
            finally:
                os._exit(127)
        for fd in opened:
            os.close(fd)
        opened = []
        report = b""
        while True:
            chunk = os.read(err_r, 64)
            if not chunk:
                break
            report += chunk
        ours.remove(err_r)
        os.close(err_r)
        if report:
            os.waitpid(pid, 0)
            pid = -1  # reaped
            errno = int(report) if report.isdigit() else 0
            raise OSError(errno, os.strerror(errno) if errno else "cannot start it", argv[0])
        return Child(pid, argv[0], out_read, err_read)
    except BaseException:
        for fd in opened + ours:
            os.close(fd)
        if pid > 0:  # started but not handed over (Ctrl-C while it execs): not left running
            os.kill(pid, _signal.SIGKILL)
            os.waitpid(pid, 0)
        raise


def read_lines(child: Child, on_line: Callable[[str, bool], None], tick: Optional[float] = None,
               on_tick: Optional[Callable[[], None]] = None) -> None:
    """Read *child*'s stdout and stderr pipes to their ends, calling ``on_line(line,
    from_stderr)`` for each line (decoded as UTF-8, bad bytes replaced, trailing
    whitespace removed), and ``on_tick()`` every *tick* seconds while waiting."""
    import select

    poller = select.poll()
    partial: dict[int, bytes] = {}
    for fd in (child.stdout, child.stderr):
        if fd >= 0:
            poller.register(fd, select.POLLIN)
            partial[fd] = b""
    timeout = None if tick is None else int(tick * 1000)
    while partial:
        events = poller.poll(timeout)
        if not events:
            if on_tick is not None:
                on_tick()
            continue
        for fd, _ in events:
            chunk = os.read(fd, 65536)
            if not chunk:
                poller.unregister(fd)
                rest = partial.pop(fd)
                if rest:
                    on_line(rest.decode("utf-8", "replace").rstrip(), fd == child.stderr)
                continue
            *complete, partial[fd] = (partial[fd] + chunk).split(b"\n")
            for raw in complete:
                on_line(raw.decode("utf-8", "replace").rstrip(), fd == child.stderr)


def run(argv: list[str], **kw: object) -> "tuple[int, bytes]":
    """Run *argv* to its end (stdin: /dev/null, stderr into stdout); its exit status and
    its output. Keyword arguments as ``start``'s."""
    child = start(argv, stdout=PIPE, stderr=STDOUT, **kw)  # type: ignore[arg-type]
    out: list[bytes] = []
    try:
        while True:
            chunk = os.read(child.stdout, 65536)
            if not chunk:
                break
            out.append(chunk)
    except BaseException:
        child.kill()
        child.wait()
        raise
    finally:
        child.close()
    return child.wait(), b"".join(out)
