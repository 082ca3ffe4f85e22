"""bash and zsh: the same quoting and assignments, different hook scripts."""

from __future__ import annotations

from .base import Shell


class PosixShell(Shell):
    def quote(self, value: str) -> str:
        # Inside single quotes nothing is special (newlines, $, `, emoji included);
        # a single quote itself is closed, escaped and reopened.
        return "'" + value.replace("'", "'\\''") + "'"

    def set_env(self, name: str, value: str) -> str:
        return f"export {name}={self.quote(value)}"

    def unset_env(self, name: str) -> str:
        return f"unset {name}"

    def set_state(self, name: str, value: "str | list[str]") -> str:
        if isinstance(value, list):
            return f"{name}=(" + " ".join(self.quote(v) for v in value) + ")"
        return f"{name}={self.quote(value)}"

    # Functions of the hook script: a `deactivate` the user defined is kept aside while
    # venvd's stands in, and given back after.
    def define_deactivate(self) -> str:
        return "_venvd_own_deactivate"

    def remove_deactivate(self) -> str:
        return "_venvd_give_back_deactivate"


class Bash(PosixShell):
    name = "bash"
    script = "venvd.bash"
    remember = "_venvd_remember"


class Zsh(PosixShell):
    name = "zsh"
    script = "venvd.zsh"
    remember = "_venvd_remember"
