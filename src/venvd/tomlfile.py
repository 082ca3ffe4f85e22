"""TOML reading with one clear error line (tomllib, or tomli before Python 3.11)."""

from __future__ import annotations

import sys
from typing import Any

from .errors import VenvdError


def loads_toml(data: bytes, path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on old Pythons only
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise VenvdError(f"{path} is not UTF-8 text; fix its encoding") from None
    except tomllib.TOMLDecodeError as exc:
        raise VenvdError(f"{path} is not valid TOML ({exc}); fix the file") from None


def read_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise VenvdError(f"cannot read {path}: {exc.strerror}") from None
    return loads_toml(data, path)
