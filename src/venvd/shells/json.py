"""The ``json`` "shell": the same change as data, for tests, editors and scripts."""

from __future__ import annotations

from ..envdiff import Change
from .base import Shell


class Json(Shell):
    name = "json"

    def quote(self, value: str) -> str:
        import json

        return json.dumps(value)

    def export(self, change: Change) -> str:
        import json

        data = {
            "set": {k: v for k, v in change.env.items() if v is not None},
            "unset": sorted(k for k, v in change.env.items() if v is None),
            "state": change.state,
            "deactivate": change.deactivate,
        }
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def hook(self, command: list[str], dirs: str) -> str:
        from ..errors import VenvdError

        raise VenvdError("json has no hook (it is for 'venvd export json'); hooks: bash, zsh, fish, pwsh")
