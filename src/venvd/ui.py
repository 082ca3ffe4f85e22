"""Everything for a person goes to stderr as one ``venvd: …`` line."""

from __future__ import annotations

import sys


said = 0  # lines said by this process: the activation cache takes only silent decisions


def say(message: str) -> None:
    global said
    said += 1
    try:
        sys.stderr.write(f"venvd: {printable(message)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a closed stderr must not turn a message into a traceback


def printable(text: str) -> str:
    """*text* with nothing a terminal acts on: control characters (C0, DEL and C1:
    ESC, BEL, CR, newline, CSI…) are spelled ``\\x1b``, ``\\r``, ``\\n``, and a byte that
    was not UTF-8 (a lone surrogate from ``os.fsdecode``) as ``\\xff``, so a directory
    name can never recolour the terminal, ring it, overwrite a line or add one."""
    if text.isprintable():
        return text  # the common case costs one scan
    out = []
    for char in text:
        code = ord(char)
        if char.isprintable() or char == " ":
            out.append(char)
        elif char in _NAMED:
            out.append(_NAMED[char])
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")  # surrogateescape: the original byte
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def display_path(path: str, home: "str | None" = None) -> str:
    """*path* for messages: the home directory shortened to ``~``, and printable."""
    import os

    home = home if home is not None else os.environ.get("HOME", "")
    if home and home != "/" and (path == home or path.startswith(home.rstrip("/") + "/")):
        path = "~" + path[len(home.rstrip("/")) :]
    return printable(path)
