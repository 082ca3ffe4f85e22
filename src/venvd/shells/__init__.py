"""The registry of shells: a name (or a path like ``/bin/zsh``, or ``-bash``) → a Shell."""

from __future__ import annotations

import os

from ..errors import VenvdError
from .base import Shell

# Module and class per shell; imported only when asked for, to keep `export` light.
_REGISTRY = {
    "bash": ("posix", "Bash"),
    "zsh": ("posix", "Zsh"),
    "fish": ("fish", "Fish"),
    "pwsh": ("pwsh", "Pwsh"),
    "json": ("json", "Json"),
}
_ALIASES: dict[str, str] = {"powershell": "pwsh"}  # pwsh.exe, powershell.exe: ".exe" is stripped


def names() -> list[str]:
    return sorted(_REGISTRY)


def get_shell(name: str) -> Shell:
    """The shell called *name*; a path or a login shell's leading ``-`` is stripped."""
    key = os.path.basename(name.strip()).lstrip("-").lower()
    if key.endswith(".exe"):
        key = key[:-4]
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise VenvdError(f"unknown shell {name!r}; venvd knows: {', '.join(names())}")
    module_name, class_name = _REGISTRY[key]
    # __import__ rather than importlib.import_module: importing importlib (and with it
    # warnings) costs time on every directory change.
    module = __import__(f"{__name__}.{module_name}", fromlist=[class_name])
    return getattr(module, class_name)()
