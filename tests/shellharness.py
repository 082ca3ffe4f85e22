"""Drive a real interactive shell through a pty (pexpect), with venvd's hook installed.

One class per shell says how to start it, how its rc file installs the hook and
how to print things; tests talk to all of them the same way.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

import pexpect

from tests.conftest import venvd_script, which_shell

PROMPT = "@@venvd-test-prompt@@"
_MARK_START = "@@out-start@@"
_MARK_END = "@@out-end@@"
TIMEOUT = 90  # creating a venv can take a while on a loaded 2-core machine


class Shell:
    name = ""

    def __init__(self, rc_dir: Path, env: dict[str, str], cwd: Path, extra_rc: str = "", hook: bool = True):
        self.rc_dir = rc_dir
        self.env = env
        self.cwd = cwd
        self.extra_rc = extra_rc
        self.hook = hook
        self.child: Optional[pexpect.spawn] = None
        self.log: list[str] = []
        self._carry = ""

    # -- per-shell parts ---------------------------------------------------------------
    def argv(self) -> list[str]:
        raise NotImplementedError

    def rc_text(self) -> str:
        raise NotImplementedError

    status_var = "$?"

    # -- driving -------------------------------------------------------------------------
    def start(self) -> "Shell":
        self.rc_dir.mkdir(parents=True, exist_ok=True)
        env = dict(self.env, TERM="dumb")
        self.child = pexpect.spawn(
            self.argv()[0], self.argv()[1:], env=env, cwd=str(self.cwd), encoding="utf-8",
            # Bytes that are not UTF-8 (a directory named b"proj-\xff") read as lone
            # surrogates, as os.fsdecode spells them, and are sent back as those bytes.
            codec_errors="surrogateescape", timeout=TIMEOUT, dimensions=(40, 400),
        )
        self.child.expect_exact(PROMPT)
        self.log.append(self.child.before)
        return self

    def run(self, command: str) -> str:
        """Run *command* at the prompt; its output (stdout and stderr) without the echo."""
        assert self.child is not None
        # The markers are printed from two halves so the echoed command line never matches.
        start = _MARK_START[:6], _MARK_START[6:]
        end = _MARK_END[:6], _MARK_END[6:]
        self.child.sendline(f"printf '%s%s\\n' '{start[0]}' '{start[1]}'; {command}")
        self.child.expect_exact(_MARK_START)
        self.child.expect_exact(PROMPT)
        output = self.child.before
        self.log.append(output)
        self.child.sendline(f"printf '%s%s\\n' '{end[0]}' '{end[1]}'")
        self.child.expect_exact(_MARK_END)
        self.child.expect_exact(PROMPT)
        # What the hook said at the prompt after the end marker belongs to the next command.
        earlier, self._carry = self._carry, _clean("\n" + self.child.before)
        return "\n".join(part for part in (earlier, _clean(output)) if part)

    def status_after(self, command: str) -> int:
        """The exit status the user sees at the prompt after *command* (hooks have run)."""
        assert self.child is not None
        self.child.sendline(command)
        # Expanded when the next line is parsed, so it is the status the prompt left.
        self.child.sendline(f"printf '%s%s %s\\n' '@@sta' 'tus@@' \"{self.status_var}\"")
        self.child.expect(r"@@status@@ (\d+)")
        status = int(self.child.match.group(1))
        self.child.expect_exact(PROMPT)
        return status

    def getenv(self, name: str) -> Optional[str]:
        """An exported variable as a child process sees it (None when not exported)."""
        out = self.run(f"printenv {name} || printf '%s\\n' '@@unset@@'")
        lines = out.splitlines()
        return None if lines and lines[-1] == "@@unset@@" else "\n".join(lines)

    def close(self) -> None:
        if self.child is not None and self.child.isalive():
            self.child.sendline("exit")
            try:
                self.child.expect(pexpect.EOF, timeout=10)
            except pexpect.TIMEOUT:
                self.child.terminate(force=True)

    def __enter__(self) -> "Shell":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


_FISH_NO_NEWLINE = re.compile("\u23ce *\r? *\r?")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]")


def _clean(text: str) -> str:
    # fish marks output without a final newline with "⏎" and a line of spaces.
    text = _FISH_NO_NEWLINE.sub("", _ANSI.sub("", text)).replace("\r\n", "\n").replace("\r", "")
    # Drop the echoed command line (everything up to the first newline).
    return text.split("\n", 1)[1].rstrip("\n") if "\n" in text else ""


class Bash(Shell):
    name = "bash"

    def argv(self) -> list[str]:
        return [which_shell("bash"), "--noprofile", "--rcfile", str(self.rc_dir / "bashrc"), "-i"]

    def rc_text(self) -> str:
        hook = f'eval "$(\'{venvd_script()}\' hook bash)"\n' if self.hook else ""
        return f"{self.extra_rc}\n{hook}PS1='{PROMPT} '\n"

    def start(self) -> "Shell":
        self.rc_dir.mkdir(parents=True, exist_ok=True)
        (self.rc_dir / "bashrc").write_text(self.rc_text())
        return super().start()


class Zsh(Shell):
    name = "zsh"

    def argv(self) -> list[str]:
        return [which_shell("zsh"), "-i"]

    def rc_text(self) -> str:
        hook = f'eval "$(\'{venvd_script()}\' hook zsh)"\n' if self.hook else ""
        return f"unsetopt PROMPT_SP PROMPT_CR\n{self.extra_rc}\n{hook}PROMPT='{PROMPT} '\n"

    def start(self) -> "Shell":
        self.rc_dir.mkdir(parents=True, exist_ok=True)
        (self.rc_dir / ".zshrc").write_text(self.rc_text())
        self.env = dict(self.env, ZDOTDIR=str(self.rc_dir))
        return super().start()


class Fish(Shell):
    name = "fish"

    def argv(self) -> list[str]:
        return [which_shell("fish"), "--no-config", "-i", "-C", f"source {self.rc_dir / 'config.fish'}"]

    def rc_text(self) -> str:
        hook = f"'{venvd_script()}' hook fish | source\n" if self.hook else ""
        return (
            "set -g fish_greeting ''\n"
            f"function fish_prompt; printf '%s ' '{PROMPT}'; end\n"
            f"{self.extra_rc}\n{hook}"
        )

    status_var = "$status"

    def start(self) -> "Shell":
        self.rc_dir.mkdir(parents=True, exist_ok=True)
        (self.rc_dir / "config.fish").write_text(self.rc_text())
        no_manpage_completions(self.env)
        return super().start()


def no_manpage_completions(env: "dict[str, str]") -> None:
    """An interactive fish in a home without generated completions starts a Python that
    parses every man page, in the background, for half a minute: load that slows and
    skews every test running beside it. The directory it would fill says it is done."""
    data = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME", os.path.expanduser("~")), ".local", "share")
    os.makedirs(os.path.join(data, "fish", "generated_completions"), exist_ok=True)


SHELLS = {"bash": Bash, "zsh": Zsh, "fish": Fish}


def shell_env(extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    """The environment for a test shell: the (monkeypatched) test environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["VIRTUAL_ENV_DISABLE_PROMPT"] = "1"  # activate scripts would change the test prompt
    env.update(extra or {})
    return env


# -- PowerShell ---------------------------------------------------------------------------
# pwsh is looked up once, before a test narrows PATH. It cannot be installed on every
# machine (this one included), so its tests skip without it, in CI as well.
import shutil  # noqa: E402

PWSH = shutil.which("pwsh")


class Pwsh(Shell):
    """PowerShell 7 with PSReadLine removed, so the pty sees plain lines."""

    name = "pwsh"

    def argv(self) -> list[str]:
        assert PWSH is not None, "tests that open pwsh skip without it"
        profile = str(self.rc_dir / "profile.ps1").replace("'", "''")
        return [PWSH, "-NoLogo", "-NoProfile", "-NoExit", "-Command", f". '{profile}'"]

    def rc_text(self) -> str:
        script = venvd_script().replace("'", "''")
        hook = f"Invoke-Expression (& '{script}' hook pwsh | Out-String)\n" if self.hook else ""
        return (
            "Remove-Module PSReadLine -ErrorAction Ignore\n"
            "if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }\n"
            f"function global:prompt {{ '{PROMPT} ' }}\n"
            f"{self.extra_rc}\n{hook}"
        )

    def print_var(self, name: str) -> str:
        return f"Write-Output ([string]$global:{name})"

    def last_status(self) -> str:
        return "Write-Output $LASTEXITCODE"

    def getenv(self, name: str) -> Optional[str]:
        out = self.run(f"printenv {name}; if ($LASTEXITCODE -ne 0) {{ Write-Output '@@unset@@' }}")
        lines = out.splitlines()
        return None if lines and lines[-1] == "@@unset@@" else "\n".join(lines)

    def run(self, command: str) -> str:
        assert self.child is not None
        start = _MARK_START[:6], _MARK_START[6:]
        end = _MARK_END[:6], _MARK_END[6:]
        self.child.sendline(f"Write-Output ('{start[0]}' + '{start[1]}'); {command}")
        self.child.expect_exact(_MARK_START)
        self.child.expect_exact(PROMPT)
        output = self.child.before
        self.log.append(output)
        self.child.sendline(f"Write-Output ('{end[0]}' + '{end[1]}')")
        self.child.expect_exact(_MARK_END)
        self.child.expect_exact(PROMPT)
        return _clean(output)

    def send_raw(self, command: str) -> str:
        """Run *command* alone, with no marker commands around it (they would set
        $LASTEXITCODE and $? themselves): what it printed, after its echoed line."""
        assert self.child is not None
        self.child.sendline(command)
        self.child.expect_exact(PROMPT)
        output = self.child.before
        self.log.append(output)
        return _clean(output)

    def start(self) -> "Shell":
        self.rc_dir.mkdir(parents=True, exist_ok=True)
        (self.rc_dir / "profile.ps1").write_text(self.rc_text(), encoding="utf-8")
        self.env = dict(self.env, POWERSHELL_TELEMETRY_OPTOUT="1", POWERSHELL_UPDATECHECK="Off",
                        DOTNET_CLI_TELEMETRY_OPTOUT="1")
        return super().start()


SHELLS["pwsh"] = Pwsh
