"""TOML reading with one clear error line (tomllib, or tomli before Python 3.11)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it
if TYPE_CHECKING:
    from typing import Any

from .errors import VenvdError
from .safeio import LIMIT_TEXT, read_bytes


def loads_toml(data: bytes, path: str) -> dict[str, Any]:
    """The TOML document in *data* (read from *path*); VenvdError for anything that is not one."""
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
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively: `a = [[[…]]]` a few
        # thousand deep exhausts the stack.
        raise VenvdError(f"{path} is nested too deeply to read (arrays or tables within each other "
                         "thousands of times); fix the file") from None
    except ValueError:
        # Not a TOMLDecodeError: an integer longer than int()'s digit limit (4300 digits).
        raise VenvdError(f"{path} holds a number too long to read (thousands of digits); fix the file") from None


def may_hold_tool(data: bytes) -> bool:
    """Whether the TOML document *data* can hold a ``[tool]`` table (``[tool.venvd]``,
    ``[tool.uv]``, ``[tool.poetry]``): only when the bytes ``tool`` are in it, or a backslash
    (a quoted key may spell it with escapes, ``"t\u006fol"``). Bare and quoted keys,
    dotted or not, are otherwise their bytes. A file without either is not parsed by
    the steps that need only ``[tool]`` (tomllib costs ~20 ms of imports on a first
    entry); its syntax errors are then said by the step that does parse it (uv, the sync)."""
    return b"tool" in data or b"\\" in data


def read_toml_bytes(path: str, limit: int = LIMIT_TEXT) -> bytes:
    """The bytes of the TOML file at *path*, read with ``safeio``; VenvdError naming it."""
    try:
        return read_bytes(path, limit)
    except OSError as exc:
        raise VenvdError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_toml(path: str, limit: int = LIMIT_TEXT) -> dict[str, Any]:
    """The TOML file at *path*, read with ``safeio`` (at most *limit* bytes, never a FIFO or
    device); a file that cannot be read or parsed is a VenvdError naming it."""
    return loads_toml(read_toml_bytes(path, limit), path)
