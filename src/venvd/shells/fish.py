"""fish: lists instead of arrays, PATH is a list, its own single-quote escapes."""

from __future__ import annotations

from .base import Shell


class Fish(Shell):
    name = "fish"
    script = "venvd.fish"
    path_is_list = True
    remember = "__venvd_remember"

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
        if isinstance(value, str) and name.endswith("PATH"):
            value = value.split(":") if value else []  # a path variable (_OLD_VIRTUAL_PATH) is a list
        words = self._words(value) if isinstance(value, list) else self.quote(value)
        return f"set -g {name} {words}".rstrip()

    # Functions of the hook script: a `deactivate` the user defined is kept aside while
    # venvd's stands in, and given back after.
    def define_deactivate(self) -> str:
        return "__venvd_own_deactivate"

    def remove_deactivate(self) -> str:
        return "__venvd_give_back_deactivate"
