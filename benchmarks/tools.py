"""The tools venvd is compared with, found or installed into the scratch dir.

- direnv: Debian's package (``apt-get install direnv``); the harness installs it only
  when asked (``--install-apt``), otherwise it says how.
- mise: the npm registry package ``@jdxcode/mise``. Its ``preinstall`` script fetches
  ``@jdxcode/mise-<platform>-<arch>``, but npm ≥ 11 no longer runs install scripts by
  default, so the platform package (same version) is installed directly; it ships
  the binary in ``bin/mise``.
- uv: the PyPI package ``uv``, pip-installed into a scratch venv.
- strace (fork counting): Debian's package, like direnv.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _which(name: str) -> Optional[str]:
    return shutil.which(name, path=SYSTEM_PATH)


def apt_tool(name: str, package: str, install: bool) -> Optional[str]:
    """A tool from Debian's packages: found on the system PATH, or apt-get installed."""
    found = _which(name)
    if found or not install:
        if not found:
            log(f"{name} is missing: run `apt-get install -y {package}` (or pass --install-apt)")
        return found
    log(f"installing {package} with apt-get")
    subprocess.run(["apt-get", "install", "-y", "-q", package], check=False,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    return _which(name)


def mise(scratch: Path) -> Optional[str]:
    prefix = scratch / "npm"
    arch = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    system = {"linux": "linux", "darwin": "macos"}.get(sys.platform, sys.platform)
    binary = prefix / "node_modules" / "@jdxcode" / f"mise-{system}-{arch}" / "bin" / "mise"
    if binary.exists():
        return str(binary)
    npm = _which("npm")
    if npm is None:
        log("npm is missing: cannot install mise from the npm registry (@jdxcode/mise)")
        return None
    prefix.mkdir(parents=True, exist_ok=True)
    log("installing @jdxcode/mise from the npm registry")
    run = dict(check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([npm, "install", "--prefix", str(prefix), "@jdxcode/mise"], **run)  # type: ignore[call-overload]
    meta = prefix / "node_modules" / "@jdxcode" / "mise" / "package.json"
    if not meta.exists():
        log("npm install @jdxcode/mise failed")
        return None
    version = json.loads(meta.read_text())["version"]
    subprocess.run([npm, "install", "--prefix", str(prefix), "--no-save",  # type: ignore[call-overload]
                    f"@jdxcode/mise-{system}-{arch}@{version}"], **run)
    return str(binary) if binary.exists() else None


def uv(scratch: Path, python: str) -> Optional[str]:
    venv = scratch / "uv-venv"
    binary = venv / "bin" / "uv"
    if binary.exists():
        return str(binary)
    log("installing uv from PyPI into a scratch venv")
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "uv"], check=False)
    return str(binary) if binary.exists() else None


def version_of(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else "?"


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores"
