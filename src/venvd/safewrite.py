"""Writing a file by replacing it: how venvd writes its records, caches and lists.

The bytes go to a new file beside the target (``<path>.<pid>.tmp``), which is then renamed
over it, so a reader sees the old content or the new, never a part, and a writer killed
midway leaves the old one (and debris that the next write of the same process id clears).

The file beside is made afresh (``O_EXCL``) and never through a link (``O_NOFOLLOW``).
Some of these files live in a directory a repo can fill: the records in a venv's
``.venvd/`` come with a venv the repo ships, or with files a ``git pull`` adds under it.
A link planted at the temporary name (``synced.1234.tmp -> ~/.bashrc``, one per process id)
would otherwise have the write land on its target. Whatever stands at that name is
removed first: ``unlink`` removes a link, never what it points to. Imports only ``os``.
"""

from __future__ import annotations

import os

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


def replace_file(path: str, data: bytes, mode: int = 0o666, durable: bool = False,
                 chmod: "int | None" = None) -> None:
    """Make *path* hold *data*, atomically. *mode* as ``os.open`` takes it (the umask
    applies); *chmod*: this mode exactly instead. *durable*: flushed to the disk before
    the rename. ``OSError`` when it cannot be written; then nothing is left beside *path*
    and *path* is as it was."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, _FLAGS, mode)
    except FileExistsError:
        os.unlink(tmp)  # debris of a killed writer, or something planted: the name, not a target
        fd = os.open(tmp, _FLAGS, mode)
    try:
        with open(fd, "wb") as f:
            if chmod is not None:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, chmod)
                else:  # Windows before Python 3.13
                    os.chmod(tmp, chmod)
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def replace_text(path: str, text: str, mode: int = 0o666, durable: bool = False,
                 chmod: "int | None" = None) -> None:
    """``replace_file`` with *text* as UTF-8; a path that is not UTF-8 (surrogate escapes,
    as ``os`` decodes file names) is written back as the bytes it came from."""
    replace_file(path, text.encode("utf-8", "surrogateescape"), mode, durable, chmod)
