"""PowerShell (pwsh 7 and Windows PowerShell 5.1): ``$env:`` assignments, ASCII-only output."""

from __future__ import annotations

import os

from .base import Shell, check_name, show_prompt_setting

# PowerShell ends a single-quoted string at any of these five characters, and
# escapes each by doubling it.
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"


def verbatim(text: str) -> str:
    """*text* as a PowerShell single-quoted (verbatim) string.

    Inside single quotes nothing is special ($, backticks, newlines) except the quote
    itself, and PowerShell takes five characters as that quote: ``'`` and the smart
    quotes U+2018, U+2019, U+201A, U+201B. Each is escaped by doubling it. See
    https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_quoting_rules
    """
    for quote in SINGLE_QUOTES:
        text = text.replace(quote, quote * 2)
    return "'" + text + "'"


def _printable_ascii(char: str) -> bool:
    return " " <= char <= "~"


class Pwsh(Shell):
    name = "pwsh"
    aliases = ("powershell",)
    script = "venvd.ps1"
    remember = "_venvd_remember"

    def quote(self, value: str) -> str:
        """A PowerShell expression whose value is *value*, in printable ASCII only.

        Windows PowerShell decodes a native command's output with the console code page
        and splits it into lines at CR and LF, so any other character is spelled as a
        ``[char]`` joined to the string: ``('snake ' + [char]0xD83D + [char]0xDC0D)``.
        A code point above U+FFFF becomes its UTF-16 surrogate pair (``[char]`` is one
        UTF-16 unit). The join starts with a string so ``+`` concatenates.
        """
        if all(_printable_ascii(c) for c in value):
            return verbatim(value)
        parts: list[str] = []
        run = ""
        for char in value:
            if _printable_ascii(char):
                run += char
                continue
            if run or not parts:
                parts.append(verbatim(run))
                run = ""
            code = ord(char)
            if code > 0xFFFF:
                code -= 0x10000
                units = [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]
            else:
                units = [code]
            parts.extend(f"[char]0x{unit:04X}" for unit in units)
        if run:
            parts.append(verbatim(run))
        return "(" + " + ".join(parts) + ")"

    def set_env(self, name: str, value: str) -> str:
        return f"$env:{check_name(name)} = {self.quote(value)}"

    def unset_env(self, name: str) -> str:
        # Ignore, not SilentlyContinue: a variable already gone leaves no record in $Error.
        return f"Remove-Item Env:{check_name(name)} -ErrorAction Ignore"

    def set_state(self, name: str, value: "str | list[str]") -> str:
        # $global: because the hook applies this inside a function (and an event handler).
        if isinstance(value, list):
            return f"$global:{check_name(name)} = @(" + ", ".join(self.quote(v) for v in value) + ")"
        return f"$global:{check_name(name)} = {self.quote(value)}"

    def define_deactivate(self) -> str:
        return "function global:deactivate { _venvd_deactivate @args }"

    def remove_deactivate(self) -> str:
        return "Remove-Item Function:deactivate -ErrorAction Ignore"

    def replacements(self, command: list[str], dirs: str) -> dict[str, str]:
        from ..project import HOOK_MARKERS

        # The launcher and the marker names are array literals: @('C:\...\python.exe', '-I', ...).
        return {"@VENVD_COMMAND@": ", ".join(self.quote(word) for word in command), "@VENVD_DIRS@": self.quote(dirs),
                "@VENVD_PROMPT@": self.quote(show_prompt_setting()),
                "@VENVD_MARKERS@": ", ".join(self.quote(name) for name in HOOK_MARKERS),
                "@VENVD_UID@": self.quote(user_id())}


def user_id() -> str:
    """This user's uid, for the hook's owner check of a cached project (``""`` on Windows,
    where the core checks no owner either: ownership.problem)."""
    return str(os.geteuid()) if hasattr(os, "geteuid") else ""


# Design notes
# 1. Values are single-quoted: nothing inside is special but the quote, and PowerShell
#    takes ' and U+2018..U+201B all as that quote (direnv doubles only '). See the
#    about_Quoting_Rules link in verbatim().
# 2. Output is printable ASCII; everything else is a [char] cast. Windows PowerShell
#    decodes native output with the console code page and both editions split it into
#    lines at CR and LF, so one statement per line is the only safe shape.
# 3. Assignments say $global: and functions global: because the hook applies them with
#    Invoke-Expression inside a function, or inside the LocationChangedAction handler.
# 4. -ErrorAction Ignore rather than SilentlyContinue: removing what is already gone
#    leaves no entry in $Error, which users inspect.
# 5. PowerShell before 7.5 (Windows PowerShell too) removes an environment variable
#    assigned ''; pwsh 7.5+ (.NET 9) keeps it, empty. The hook's cache assigns the same
#    way ($env:NAME = value), so it does what this output does in every version.
# 6. The activation cache (activation_cache.py) works as in the other shells: the hook
#    files each _VENVD_ENTRY with _venvd_remember, and `venvd hook` appends the saved
#    entries, each an @(...) of quoted strings and a call. The owner check of a cached
#    root, venv and bin compares pwsh's UnixStat (where it has one) with the uid written
#    into the hook text here; without UnixStat the core decides, as before the cache.
