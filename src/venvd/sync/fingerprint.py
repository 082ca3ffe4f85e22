"""The fingerprint of a sync's inputs, and the quick check that nothing changed.

The fingerprint hashes everything that decides the result: each input file's bytes
(every ``-r``/``-c`` include too), the interpreter (pyvenv.cfg ``home`` and version),
the requested installer and mode, the selected extras/groups, a digest of the values of
the ``${VARS}`` the files reference, and ``RECIPE`` (bumped when venvd changes how it
syncs).

The quick check runs on every ``venvd export`` of a trusted project, so it must cost
well under a millisecond and import nothing: a memo in ``<venv>/.venvd/inputs`` (marshal,
a builtin) maps the inputs' stat signatures (mtime_ns, size, inode) and the names
present in the project root to the fingerprint computed from them. When every
signature matches, the memo's fingerprint is the current one without reading or
hashing a byte. Any mismatch falls back to ``compute`` (which reads and hashes).
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False  # typing costs ~3 ms to import: this module is on the prompt path
if TYPE_CHECKING:
    from typing import Mapping, Optional

from ..venv import STATE_DIR, read_pyvenv_cfg
from .candidates import presence

if TYPE_CHECKING:
    from ..config import Config
    from ..watch import Watch
    from .inputs import Plan

RECIPE = "1"  # bump when the commands a sync runs change meaning
MEMO = "inputs"
MEMO_FORMAT = 1
INSTALLER_VAR = "VENVD_INSTALLER"  # as installers.INSTALLER_VAR (not imported: prompt path)


def signature(path: str) -> "Optional[tuple]":
    try:
        st = os.stat(path)
    except OSError:
        return None
    # ctime too: a file rewritten in place with its old mtime put back changed only that.
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def requested_installer(config: "Config", environ: Mapping[str, str]) -> str:
    value = config.get("installer") or environ.get(INSTALLER_VAR, "").strip().lower()
    return value if value in ("auto", "uv", "pip", "poetry", "pipenv", "pdm") else "auto"


def context_key(config: "Config", venv: str, environ: Mapping[str, str]) -> str:
    """Everything besides the input files that decides a sync, as one string.

    (The uv variables that change what ``uv sync`` installs, ``UV_NO_DEV`` and the like,
    are ``Plan.variables`` of a uv.lock plan: compared by digest in ``quick`` like the
    ``${VARS}`` of requirements files, so they cost nothing for other projects.)"""
    cfg = read_pyvenv_cfg(venv) or {}
    parts = (
        RECIPE,
        requested_installer(config, environ),
        config.get("mode") or "auto",
        ",".join(config.get("requirements") or ()),
        ",".join(config.get("groups") or ()),
        ",".join(config.get("extras") or ()),
        config.get("lock") or "",
        ",".join(config.get("only-groups") or ()),
        # no-default-groups, all-groups, all-extras, seed-pip: one flag each
        "".join("1" if config.get(k) else "0" for k in ("no-default-groups", "all-groups", "all-extras", "seed-pip")),
        cfg.get("home", ""),
        cfg.get("version") or cfg.get("version_info") or "",
        cfg.get("implementation", ""),
    )
    return "\x1f".join(parts)


def _new_hash():  # noqa: ANN202 - a hashlib-like object
    try:
        from _blake2 import blake2b  # builtin: no OpenSSL to load (hashlib costs ~3 ms)

        return blake2b(digest_size=20)
    except ImportError:  # pragma: no cover - a Python built without blake2
        import hashlib

        return hashlib.sha256()


def vars_digest(names: "tuple[str, ...] | list[str]", environ: Mapping[str, str]) -> str:
    """A digest of the values of *names* (values may be secrets: never stored as they are).

    None of them set is "" without hashing: a uv.lock project's prompt checks uv's
    selection variables, usually all unset, and must not load a hash for that."""
    if not names or not any(name in environ for name in names):
        return ""
    h = _new_hash()
    for name in names:
        value = environ.get(name)
        h.update(f"{name}\x00{'' if value is None else '=' + value}\x1f".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def memo_path(venv: str) -> str:
    return os.path.join(venv, STATE_DIR, MEMO)


# Installer config files (installers/configfiles.py): pip's everywhere, uv's outside the project.
_CONFIG_NAMES = ("pip.conf", "pip.ini")


def hook_watches(path: str, root: str) -> bool:
    """Whether the hook's per-prompt check should stat *path*. Installer config outside the
    project (``~/.config/uv/uv.toml``, ``/etc/pip.conf``, a venv's ``pip.conf``: a dozen paths
    and their directories, ``/etc`` among them) is hashed into the fingerprint and compared
    whenever venvd runs for the project, but is not worth two file tests at every prompt."""
    name = os.path.basename(path)
    if name in _CONFIG_NAMES:
        return False
    return not (name == "uv.toml" and os.path.dirname(path) != root)


def quick(venv: str, root: str, context: str, environ: Mapping[str, str], watch: "Watch") -> Optional[str]:
    """The current fingerprint when the memo proves the inputs unchanged, else None.

    ``""`` means "the project names nothing to install". Every remembered input is
    added to the watch list before it is compared.
    """
    from ..errors import VenvdError
    from ..safeio import LIMIT_SMALL, read_bytes

    try:
        memo = marshal.loads(read_bytes(memo_path(venv), LIMIT_SMALL))
        fmt, version, ctx, names, sigs, variables, digest, fingerprint = memo
        if not all(isinstance(path, str) for path, _sig in sigs):
            return None
    except (OSError, VenvdError, EOFError, ValueError, TypeError):
        return None  # missing, corrupt or planted (safeio's UnsafeFile): compute again
    if fmt != MEMO_FORMAT or version != sys.version_info[:2] or ctx != context:
        return None
    for path, sig in sigs:
        if hook_watches(path, root):
            watch.add_input(path)
            watch.add(os.path.dirname(path))
    for path, sig in sigs:
        if signature(path) != sig:
            return None
    if presence(root) != names:
        return None
    if variables and vars_digest(variables, environ) != digest:
        return None
    return fingerprint


def compute(plan: "Optional[Plan]", root: str, context: str, environ: Mapping[str, str],
            names: tuple[str, ...]) -> tuple[str, tuple]:
    """The fingerprint of *plan* and the memo that lets ``quick`` find it again.

    *names* is ``presence(root)`` taken before the plan was made. Each file's signature
    is taken before its bytes are read, so a change while we read shows up next time.
    """
    if plan is None:
        return "", (MEMO_FORMAT, sys.version_info[:2], context, names, (), (), "", "")
    h = _new_hash()
    h.update(context.encode("utf-8", "surrogateescape"))
    for field in plan.fingerprint_fields():
        h.update(b"\x1e" + field.encode("utf-8", "surrogateescape"))
    from ..safeio import LIMIT_LOCK, read_bytes

    sigs = []
    for path in plan.files:
        sig = signature(path)
        try:
            # LIMIT_LOCK: the files of a plan include lockfiles. A FIFO, a link to /dev/zero
            # or a larger file raises safeio's UnsafeFile: one line, no sync.
            data = read_bytes(path, LIMIT_LOCK)
        except OSError:
            data = b"\x00missing"
        else:
            if path in plan.tables:
                data = _table_bytes(data, plan.tables[path], path)
        sigs.append((path, sig))
        h.update(b"\x1d" + os.path.relpath(path, root).encode("utf-8", "surrogateescape") + b"\x00" + str(len(data)).encode() + b"\x00")
        h.update(data)
    variables = tuple(plan.variables)
    digest = vars_digest(variables, environ)
    h.update(b"\x1c" + digest.encode())
    fingerprint = h.hexdigest()
    return fingerprint, (MEMO_FORMAT, sys.version_info[:2], context, names, tuple(sigs), variables, digest,
                         fingerprint)


def _table_bytes(data: bytes, key: str, path: str) -> bytes:
    """What of the TOML document *data* is hashed when only its table *key* ("tool.uv")
    decides the result: that table, canonically ordered; b"" when it has none. A file
    that is not valid TOML is hashed whole (fixing it is a change)."""
    from ..errors import VenvdError
    from ..tomlfile import loads_toml, may_hold_tool

    if key.startswith("tool.") and not may_hold_tool(data):
        return b""  # no [tool] table can be in it: tomllib is not imported
    try:
        table: object = loads_toml(data, path)
    except VenvdError:
        return data
    for part in key.split("."):
        table = table.get(part) if isinstance(table, dict) else None
    if table is None:
        return b""
    import json

    return json.dumps(table, sort_keys=True, default=str).encode("utf-8", "surrogateescape")


def save_memo(venv: str, memo: tuple) -> None:
    path = memo_path(venv)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        from ..safewrite import replace_file

        replace_file(path, marshal.dumps(memo))
    except OSError:
        pass  # a memo we cannot write only costs time
