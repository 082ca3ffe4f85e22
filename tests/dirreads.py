"""A real shell with venvd's hook under strace, logging the directories it opens (a glob
reads a directory with opendir; a stat or access does not open it) and the processes it
starts: what the walk tests of bash, zsh and fish (test_*_walk_*.py) look at."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from tests.shellharness import Shell

# bash and zsh open "dir", fish "dir/"; the root is "/" either way.
_READ = re.compile(r'openat\(AT_FDCWD, "(?P<dir>[^"]*?)/?", [^)]*O_DIRECTORY')


def traced_shell(name: str, tmp_path: Path, cwd: Path, env: Optional[dict[str, str]] = None) -> "tuple[Shell, Path]":
    """Shell *name* with the hook, started under strace, and the file strace writes."""
    from tests.shellharness import SHELLS, shell_env
    from tests.test_hot_path import _strace

    strace = _strace()
    trace = tmp_path / "strace.txt"

    class Traced(SHELLS[name]):  # type: ignore[misc, valid-type]
        def argv(self) -> list[str]:
            return [strace, "-f", "-o", str(trace), "-e", "trace=openat,clone,clone3,fork,vfork,execve", "--",
                    *super().argv()]

    shell = Traced(tmp_path / "rc", env if env is not None else shell_env(), cwd)
    shell.start()
    return shell, trace


def trace_lines(trace: Path) -> list[str]:
    return trace.read_text(errors="replace").splitlines()


def trace_length(trace: Path) -> int:
    """How many lines the trace has now: where "since" starts."""
    return len(trace_lines(trace))


def settle() -> None:
    """Past the margin after which zsh and fish remember a directory by its mtime (two
    seconds: fish reads whole seconds; zsh trusts an mtime more than a second older than
    a whole-second clock): anything written in the directory later has a later mtime."""
    time.sleep(2.2)


def tree(home: Path, name: str) -> "tuple[Path, Path]":
    """A plain directory *name* in *home* with another two levels down: (it, the deep one)."""
    parent = home / name
    deep = parent / "a" / "b"
    deep.mkdir(parents=True)
    return parent, deep


def there_and_back(shell: "Shell", deep: Path) -> str:
    """``cd /``, then ``cd`` into *deep*, walking up through its parents: what that second
    cd printed."""
    shell.run("cd /")
    return shell.run(f"cd {shlex.quote(str(deep))}")


def dirs_read(lines: list[str]) -> set[str]:
    """The directories opened in these lines of the trace."""
    return {m.group("dir") or "/" for m in map(_READ.search, lines) if m}


def dirs_read_since(trace: Path, start: int) -> set[str]:
    return dirs_read(trace_lines(trace)[start:])


def spawned(lines: list[str]) -> list[str]:
    """The lines that start a process (a fork that is not a thread's) or run a program."""
    from tests.test_hot_path import _SPAWN

    return [line for line in lines if (_SPAWN.match(line) and "CLONE_THREAD" not in line) or "execve(" in line]
