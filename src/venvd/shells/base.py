"""What every shell has in common: a hook script, an export spelling, a quote function.

A shell only decides how a change is *spelled*; the core decides what changes.
"""

from __future__ import annotations

import os

from ..envdiff import Change

SHELL_DIR_NAME = "shell"


def _is_name(name: str) -> bool:
    # Variable names are spelled unquoted in every shell, so only [A-Za-z_][A-Za-z0-9_]*.
    return bool(name) and not name[0].isdigit() and all(c == "_" or (c.isascii() and c.isalnum()) for c in name)


def check_name(name: str) -> str:
    if not _is_name(name):
        raise ValueError(f"not a valid variable name: {name!r}")
    return name


def hook_script_path(filename: str) -> str:
    """The installed hook script: inside the wheel (``venvd/shell``), or the repo's ``shell/``
    when venvd runs from a source checkout (editable install)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for candidate in (
        os.path.join(package, SHELL_DIR_NAME, filename),
        os.path.join(os.path.dirname(os.path.dirname(package)), SHELL_DIR_NAME, filename),
    ):
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"hook script {filename} is missing from the venvd installation")


def show_prompt_setting() -> str:
    """``prompt = true`` of the user config as the hook's ``_VENVD_SHOW_PROMPT``: "1" or "".
    Embedded when the hook is loaded, since a new shell may enter every project from its
    cache without running ``venvd export`` (which says it again each time it runs)."""
    from ..trees import show_prompt

    return "1" if show_prompt() else ""


class Shell:
    """One shell: subclasses set ``name``/``script`` and spell assignments."""

    name = ""
    aliases: tuple[str, ...] = ()
    script = ""  # file name in shell/
    path_is_list = False  # fish keeps PATH as a list

    def quote(self, value: str) -> str:
        raise NotImplementedError

    # --- spelling one statement each -------------------------------------------------
    def set_env(self, name: str, value: str) -> str:
        raise NotImplementedError

    def unset_env(self, name: str) -> str:
        raise NotImplementedError

    def set_state(self, name: str, value: "str | list[str]") -> str:
        raise NotImplementedError

    def define_deactivate(self) -> str:
        raise NotImplementedError

    def remove_deactivate(self) -> str:
        raise NotImplementedError

    # --- whole outputs ----------------------------------------------------------------
    def export(self, change: Change) -> str:
        """Shell code for *change*, one statement a line, keys sorted."""
        lines = []
        for name in sorted(change.env):
            value = change.env[name]
            check_name(name)
            lines.append(self.unset_env(name) if value is None else self.set_env(name, value))
        for name in sorted(change.state):
            lines.append(self.set_state(check_name(name), change.state[name]))
        if change.deactivate is True:
            lines.append(self.define_deactivate())
        elif change.deactivate is False:
            lines.append(self.remove_deactivate())
        return "".join(line + "\n" for line in lines)

    def replacements(self, command: list[str], dirs: str) -> dict[str, str]:
        from ..project import HOOK_MARKERS

        return {
            "@VENVD_COMMAND@": " ".join(self.quote(word) for word in command),
            "@VENVD_DIRS@": self.quote(dirs),
            "@VENVD_MARKERS@": " ".join(self.quote(name) for name in HOOK_MARKERS),
            "@VENVD_PROMPT@": self.quote(show_prompt_setting()),
            # The hook's clock as it loads, for the directories it finds no marker in.
            "@VENVD_NOW@": self.quote(_hook_clock()),
        }

    def hook(self, command: list[str], dirs: str) -> str:
        """The hook script with the launcher of this venvd installation filled in."""
        with open(hook_script_path(self.script), encoding="utf-8") as f:
            text = f.read()
        for placeholder, value in self.replacements(command, dirs).items():
            text = text.replace(placeholder, value)
        return text + self.saved_entries()

    remember = ""  # the hook's function that files an activation cache entry (none: no cache)

    def saved_entries(self) -> str:
        """The activations the core saved (activation_cache.py), filed by the new shell's
        hook as it loads: its first cd into a known project starts no process either."""
        if not self.remember:
            return ""
        from ..activation_cache import saved
        from ..errors import VenvdError
        from ..paths import cache_dir

        try:
            entries = saved(cache_dir())
        except (OSError, VenvdError):
            return ""  # a cache: without it the first cd runs `venvd export`, as it always did
        lines = []
        for entry in entries:
            lines.append(self.set_state("_VENVD_ENTRY", entry))
            lines.append(self.remember)
        return "".join(line + "\n" for line in lines)


def _hook_clock() -> str:
    from ..paths import cache_dir
    from ..watch import hook_clock

    return hook_clock(cache_dir())
