"""What Python a project's version file asks for: ``.python-version``, else ``.python-versions``.

Read on every ``cd`` into a project, so only ``os`` and venvd's own small modules are imported
at module level; the request syntax itself is versionrequest.py's.
"""

from __future__ import annotations

import os

from .errors import VenvdError
from .versionrequest import VersionRequest, parse_request

VERSION_FILES = (".python-version", ".python-versions")


def _first_request_line(text: str) -> str | None:
    if text.startswith("\ufeff"):
        text = text[1:]
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line
    return None


def read_version_file(project_dir: str) -> VersionRequest | None:
    """The request in ``project_dir``'s ``.python-version`` (else ``.python-versions``).

    The first non-empty line that is not a ``#`` comment. None when neither file exists or
    has such a line (an empty ``.python-version`` falls through to ``.python-versions``).
    """
    from .safeio import LIMIT_SMALL, read_bytes

    for name in VERSION_FILES:
        path = os.path.join(project_dir, name)
        try:
            # Never blocks on a FIFO, never reads /dev/zero: safeio raises UnsafeFile (a line).
            data = read_bytes(path, LIMIT_SMALL)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as e:
            raise VenvdError(f"cannot read {path}: {e.strerror or e}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise VenvdError(f"cannot read {path}: not UTF-8 text") from None
        line = _first_request_line(text)
        if line is not None:
            return parse_request(line, path)
    return None
