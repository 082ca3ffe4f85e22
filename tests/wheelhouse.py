"""A real, offline wheelhouse for tests: tiny pure-Python wheels written by hand.

Not a test module. ``build_wheelhouse(dest)`` writes the ``venvd-demo-*`` wheels below;
``build_many(dest, n)`` writes ``venvd-bench-01`` … ``venvd-bench-NN`` (1.0 each).
Every wheel is a genuine zip with METADATA, WHEEL and a RECORD whose hashes are right,
so real pip and real uv install from it (see tests/test_wheelhouse.py).

A requirement that must fail to install: ``FAILING_REQUIREMENT`` (no such version).

Commands proven to work offline against a wheelhouse ``WH`` (tests/test_wheelhouse.py):

    pip:  /tmp/dev/bin/python -m pip --python VENV/bin/python install \
              --no-index --find-links WH venvd-demo-beta==1.1
    uv:   uv pip install --python VENV/bin/python --offline --no-index --find-links WH ...
    lock: uv lock --offline --no-index --find-links WH --python PY   (cwd = project)
    sync: uv sync --offline --no-index --find-links WH --python PY   (cwd = project)

with the environment from ``uv_env(cache_dir)`` (a private cache, no user config,
no Python downloads).  ``uv sync`` creates ``.venv`` (or ``UV_PROJECT_ENVIRONMENT``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import zipfile
from pathlib import Path

FAILING_REQUIREMENT = "venvd-demo-alpha==9.9"

# (distribution name, version, Requires-Dist lines, extras provided)
DEMO: list[tuple[str, str, list[str], list[str]]] = [
    ("venvd-demo-alpha", "1.0", [], []),
    ("venvd-demo-alpha", "1.1", [], []),
    ("venvd-demo-alpha", "2.0", [], []),
    ("venvd-demo-beta", "1.0", [], []),
    ("venvd-demo-beta", "1.1", ["venvd-demo-alpha>=1.1"], []),
    ("venvd-demo-gamma", "0.1", ['venvd-demo-delta; extra == "fast"'], ["fast"]),
    ("venvd-demo-delta", "1.0", [], []),
]

# Fixed timestamp: the same inputs give byte-identical wheels (stable hashes in lockfiles).
_DATE = (2020, 1, 1, 0, 0, 0)


def bench_name(i: int) -> str:
    """Distribution name of the i-th (1-based) benchmark package."""
    return f"venvd-bench-{i:02d}"


def wheel_filename(dist: str, version: str) -> str:
    return f"{dist.replace('-', '_')}-{version}-py3-none-any.whl"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def write_wheel(
    dest: Path,
    dist: str,
    version: str,
    requires: list[str] | None = None,
    extras: list[str] | None = None,
) -> Path:
    """Write one wheel into ``dest`` unless it is already there; return its path."""
    path = dest / wheel_filename(dist, version)
    if path.is_file():
        return path
    module = dist.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {dist}", f"Version: {version}"]
    metadata += [f"Provides-Extra: {e}" for e in extras or []]
    metadata += [f"Requires-Dist: {r}" for r in requires or []]
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": "\n".join(metadata) + "\n\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: venvd-tests\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n\n"
        ),
    }
    record = []
    for name, text in files.items():
        data = text.encode("utf-8")
        record.append(f"{name},{_record_hash(data)},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"

    # Write beside and rename: concurrent test sessions never see half a zip.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zi = zipfile.ZipInfo(name, date_time=_DATE)
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, text)
    os.replace(tmp, path)
    return path


def build_wheelhouse(dest: Path) -> Path:
    """Write the ``venvd-demo-*`` wheels into ``dest`` (created if needed); return it."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for dist, version, requires, extras in DEMO:
        write_wheel(dest, dist, version, requires, extras)
    return dest


def build_many(dest: Path, n: int = 25) -> Path:
    """Write ``n`` independent packages ``venvd-bench-01`` … (version 1.0); return ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        write_wheel(dest, bench_name(i), "1.0")
    return dest


def find_uv() -> str:
    """Path of a real uv binary: the ``uv`` package beside this Python, else PATH."""
    try:
        from uv import find_uv_bin  # the `uv` wheel ships the binary and this helper

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found is None:
        raise FileNotFoundError("uv not found (pip install uv, or put it on PATH)")
    return found


def uv_env(cache_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for running uv hermetically and offline in tests."""
    env = dict(os.environ if base is None else base)
    for key in list(env):
        # The caller's uv settings (index, python, project env) must not leak in.
        if key.startswith("UV_") or key == "VIRTUAL_ENV":
            del env[key]
    env.update(
        UV_CACHE_DIR=str(cache_dir),
        UV_NO_CONFIG="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_OFFLINE="1",
        UV_NO_PROGRESS="1",
    )
    return env
