"""The sync records inside a venv: ``<venv>/.venvd/synced`` and ``.venvd/failed``.

``synced`` holds the fingerprint of the last sync whose installer exited 0; ``failed``
the fingerprint (and last error lines) of a sync that failed or was interrupted, so it
is not retried on every prompt. Both are ``key=value;…`` text (``envdiff.encode_pairs``),
written beside and renamed into place, so a reader never sees half a record and a
killed writer leaves the previous one. Deleting the venv forgets them.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~3 ms to import: this module is on the prompt path
if TYPE_CHECKING:
    from typing import Optional

from ..envdiff import decode_pairs, encode_pairs
from ..venv import STATE_DIR

SYNCED = "synced"
FAILED = "failed"
PENDING = "pending"  # handed to the background: the fingerprint it was handed over for


def record_path(venv: str, name: str) -> str:
    return os.path.join(venv, STATE_DIR, name)


def read_record(venv: str, name: str) -> Optional[dict[str, str]]:
    """The record, or None when it is missing or unreadable (a missing record: not synced)."""
    from ..errors import VenvdError
    from ..safeio import LIMIT_SMALL, read_text

    try:
        text = read_text(record_path(venv, name), LIMIT_SMALL)
    except (OSError, UnicodeDecodeError, VenvdError):
        return None  # missing, not ours (not UTF-8) or planted (safeio's UnsafeFile): no record
    if not text.endswith("\n"):
        return None  # not written by us (ours end with a newline): not synced
    fields = {k: v or "" for k, v in decode_pairs(text[:-1])}
    return fields if fields.get("fingerprint") is not None else None


def write_record(venv: str, name: str, fields: dict[str, str]) -> None:
    path = record_path(venv, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    from ..safewrite import replace_text

    replace_text(path, encode_pairs(sorted(fields.items())) + "\n", durable=True)


def remove_record(venv: str, name: str) -> None:
    try:
        os.unlink(record_path(venv, name))
    except OSError:
        pass
