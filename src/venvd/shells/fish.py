"""fish: lists instead of arrays, PATH is a list, its own single-quote escapes."""

from __future__ import annotations

from .base import Shell


class Fish(Shell):
    name = "fish"
    script = "venvd.fish"
    path_is_list = True

    def quote(self, value: str) -> str:
        # In fish single quotes only \\ and \' are escapes.
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def _words(self, values: list[str]) -> str:
        return " ".join(self.quote(v) for v in values)

    def set_env(self, name: str, value: str) -> str:
        if name == "PATH":
            # fish's PATH is a list; an empty PATH is an empty list.
            return f"set -gx PATH {self._words(value.split(':') if value else [])}".rstrip()
        return f"set -gx {name} {self.quote(value)}"

    def unset_env(self, name: str) -> str:
        return f"set -e -g {name}"

    def set_state(self, name: str, value: "str | list[str]") -> str:
        words = self._words(value) if isinstance(value, list) else self.quote(value)
        return f"set -g {name} {words}".rstrip()

    def define_deactivate(self) -> str:
        return "function deactivate --description 'venvd: turn this project off'; __venvd_deactivate $argv; end"

    def remove_deactivate(self) -> str:
        return "functions -e deactivate"
