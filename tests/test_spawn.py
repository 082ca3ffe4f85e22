"""spawn.py: how venvd starts installers without the subprocess module. The commands see
what they would see under subprocess: their own signal dispositions, the directory and
environment asked for, only the descriptors they are given; a command that cannot start
is an OSError naming it, and leaves no process behind."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from venvd import spawn

pytestmark = pytest.mark.skipif(os.name != "posix", reason="spawn is the POSIX path")


def lines_of(argv: list[str], **kw: object) -> tuple[int, list[tuple[str, bool]]]:
    child = spawn.start(argv, **kw)  # type: ignore[arg-type]
    got: list[tuple[str, bool]] = []
    try:
        spawn.read_lines(child, lambda line, err: got.append((line, err)))
    finally:
        child.close()
    return child.wait(), got


def test_stdout_and_stderr_lines_come_apart_and_a_last_line_without_newline_counts() -> None:
    code, got = lines_of(["/bin/sh", "-c", "echo out; echo err >&2; printf 'tail  '; exit 3"])
    assert code == 3
    assert ("out", False) in got and ("err", True) in got and ("tail", False) in got


def test_a_signal_is_a_negative_status_as_subprocess_gives_it() -> None:
    code, _ = lines_of(["/bin/sh", "-c", "kill -TERM $$"])
    assert code == -15


def test_the_command_gets_sigpipe_back_not_pythons_ignored_one() -> None:
    # Python ignores SIGPIPE; a command that inherited that writes "Broken pipe" errors.
    code, out = spawn.run(["/bin/sh", "-c", "yes | head -n 1; echo done"])
    assert code == 0
    assert out.decode().split() == ["y", "done"], out


def test_directory_environment_and_only_the_descriptors_given(tmp_path: Path) -> None:
    kept = os.open(os.devnull, os.O_RDONLY)  # venvd's fds are close-on-exec
    other = os.open(os.devnull, os.O_RDONLY)
    try:
        code, out = spawn.run(["/bin/sh", "-c", f'pwd; echo "$ONLY"; [ -e /proc/self/fd/{kept} ] && echo kept;'
                               f' [ -e /proc/self/fd/{other} ] || echo closed'],
                              cwd=str(tmp_path), env={"ONLY": "this", "PATH": os.defpath}, keep_fds=[kept])
    finally:
        os.close(kept)
        os.close(other)
    assert code == 0
    assert out.decode().splitlines() == [os.path.realpath(tmp_path), "this", "kept", "closed"]


def test_a_program_found_on_the_commands_path(tmp_path: Path) -> None:
    tool = tmp_path / "bin" / "mytool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho found\n")
    tool.chmod(0o755)
    code, out = spawn.run(["mytool"], env={"PATH": f"/nonexistent:{tool.parent}"})
    assert (code, out) == (0, b"found\n")


def test_a_missing_program_is_an_oserror_naming_it_and_leaves_no_process(tmp_path: Path) -> None:
    before = children()
    with pytest.raises(OSError) as caught:
        spawn.start([str(tmp_path / "no-such-installer"), "sync"])
    assert caught.value.errno == errno.ENOENT and caught.value.filename == str(tmp_path / "no-such-installer")
    assert children() == before, "the forked child was reaped: not even a zombie is left"


def children() -> set[int]:
    """This process's children, zombies included (/proc/PID/stat: pid, (comm), state, ppid)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.add(int(entry))
    return found


def test_wait_with_a_timeout_and_kill() -> None:
    child = spawn.start([sys.executable, "-c", "import time; time.sleep(30)"], stdout=spawn.DEVNULL,
                        stderr=spawn.DEVNULL)
    with pytest.raises(TimeoutError):
        child.wait(timeout=0.2)
    child.kill()
    assert child.wait(timeout=10) == -9


def test_a_process_running_threads_never_forks_python_code(tmp_path: Path) -> None:
    # The daemon syncs in worker threads. There a forked child must run no Python: the
    # command is started by subprocess's C code instead (Python 3.12+ warns at any
    # os.fork() while threads run: shown here, with every warning).
    import subprocess

    from tests.conftest import need_python

    python = need_python("3.12")
    src = Path(spawn.__file__).resolve().parents[1]
    code = (f"import sys, threading, time; sys.path.insert(0, {str(src)!r})\n"
            "from venvd import spawn\n"
            "t = threading.Thread(target=time.sleep, args=(2,), daemon=True); t.start()\n"
            "marks = []\n"
            "status, out = spawn.run(['/bin/sh', '-c', 'pwd; echo \"$X\"'], cwd=sys.argv[1],\n"
            "                        env={'X': 'from-a-thread', 'PATH': '/bin'}, in_child=lambda: None)\n"
            "print(status, out.decode().split())\n")
    r = subprocess.run([python, "-I", "-W", "always", "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr, r.stderr
    assert r.stdout.strip() == f"0 [{os.path.realpath(tmp_path)!r}, 'from-a-thread']"
