"""Real interactive bash, zsh and fish on a pty (pexpect), each with one tool's hook.

A "tool" is what the rc file installs: nothing (the baseline), venvd, direnv or mise.
The same shell with no hook is the baseline every cost is measured against.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import Optional

import pexpect

PROMPT = "@@bench-prompt@@"
_PROMPT_RE = re.compile(re.escape(PROMPT) + r"(\d+) ")
TIMEOUT = 300  # an onboarding cd installs packages on a loaded 2-core machine


def _q(word: str) -> str:
    return shlex.quote(word)


def hook_line(shell: str, tool: str, commands: dict[str, list[str]]) -> str:
    """The rc line a user writes to install *tool*'s hook in *shell*. For venvd,
    ``commands["venvd-hook"]`` is the installed ``venvd`` console script, so the shell
    runs exactly the hook (and the launcher embedded in it) that a user's rc gets."""
    if tool == "none":
        return ""
    argv = " ".join(_q(w) for w in commands["venvd-hook" if tool == "venvd" else tool])
    verb = "activate" if tool == "mise" else "hook"
    if shell == "fish":
        return f"{argv} {verb} fish | source"
    return f'eval "$({argv} {verb} {shell})"'


class BenchShell:
    """One interactive shell with one tool's hook, driven through a pty."""

    def __init__(self, shell: str, tool: str, rc_dir: Path, env: dict[str, str], cwd: Path,
                 commands: dict[str, list[str]]):
        self.shell, self.tool = shell, tool
        self.rc_dir, self.env, self.cwd = rc_dir, dict(env), cwd
        self.commands = commands
        self.child: Optional[pexpect.spawn] = None

    def _argv(self) -> list[str]:
        hook = hook_line(self.shell, self.tool, self.commands)
        self.rc_dir.mkdir(parents=True, exist_ok=True)
        if self.shell == "bash":
            (self.rc_dir / "bashrc").write_text(f"{hook}\n__bn=0\nPS1='{PROMPT}$((__bn+=1)) '\n")
            return ["/bin/bash", "--noprofile", "--rcfile", str(self.rc_dir / "bashrc"), "-i"]
        if self.shell == "zsh":
            (self.rc_dir / ".zshrc").write_text(
                f"unsetopt PROMPT_SP PROMPT_CR\nsetopt PROMPT_SUBST\n{hook}\n__bn=0\nPROMPT='{PROMPT}$((__bn+=1)) '\n")
            self.env["ZDOTDIR"] = str(self.rc_dir)
            return ["/usr/bin/zsh", "-i"]
        # An interactive fish in a home without generated completions starts a Python that
        # parses every man page in the background for half a minute: load beside every
        # measurement. The directory it would fill says it is done.
        data = self.env.get("XDG_DATA_HOME") or os.path.join(self.env.get("HOME", "~"), ".local", "share")
        os.makedirs(os.path.join(data, "fish", "generated_completions"), exist_ok=True)
        (self.rc_dir / "config.fish").write_text(
            "set -g fish_greeting ''\nset -g __bn 0\n"
            f"function fish_prompt; set -g __bn (math $__bn + 1); printf '%s%s ' '{PROMPT}' $__bn; end\n{hook}\n")
        return ["/usr/bin/fish", "--no-config", "-i", "-C", f"source {self.rc_dir / 'config.fish'}"]

    def start(self) -> "BenchShell":
        argv = self._argv()
        self.child = pexpect.spawn(argv[0], argv[1:], env=dict(self.env, TERM="dumb"), cwd=str(self.cwd),
                                   encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 400))
        # pexpect sleeps 50 ms before each send by default (for slow programs' echo): in a
        # timed command that is 50 ms of nothing, which a subprocess timed by hand never pays.
        self.child.delaybeforesend = None
        self.seen = 0
        self._wait(1)
        return self

    def _wait(self, number: int) -> None:
        """Read until the prompt numbered *number* (or later) appears. Every prompt carries
        a counter: fish repaints a prompt as keys arrive, and a repaint must not count."""
        assert self.child is not None
        while self.seen < number:
            self.child.expect(_PROMPT_RE)
            self.seen = max(self.seen, int(self.child.match.group(1)))

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    def command(self, line: str) -> float:
        """Run *line*; seconds from sending it to the next prompt."""
        assert self.child is not None
        started = time.perf_counter()
        self.child.sendline(line)
        self._wait(self.seen + 1)
        return time.perf_counter() - started

    def output(self, line: str) -> str:
        """Run *line*; what it printed (echo and ANSI noise removed)."""
        assert self.child is not None
        self.child.sendline(f"printf '%s%s\\n' @@out- start@@; {line}")
        self.child.expect_exact("@@out-start@@")
        self._wait(self.seen + 1)
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]|\u23ce", "", self.child.before)
        return text.replace("\r", "")

    def batch(self, line: str, count: int) -> float:
        """Seconds per prompt for *count* copies of *line* typed ahead in one write, so
        the time is the shell's (command + prompt hooks + prompt), not pexpect's round trip."""
        assert self.child is not None
        started = time.perf_counter()
        self.child.send((line + "\n") * count)
        self._wait(self.seen + count)
        return (time.perf_counter() - started) / count

    def hook_loop(self, iterations: int) -> Optional[float]:
        """Seconds per call of the shell's prompt hooks, timed inside the shell itself."""
        if self.shell == "bash":
            loop = ("_bs=$EPOCHREALTIME; for ((_bi=0;_bi<%d;_bi++)); do eval \"${PROMPT_COMMAND[*]-}\"; done;"
                    " _be=$EPOCHREALTIME; echo \"@@T $_bs $_be\"" % iterations)
        elif self.shell == "zsh":
            loop = ("zmodload zsh/datetime; _bs=$EPOCHREALTIME; for ((_bi=0;_bi<%d;_bi++)); do"
                    " for _bf in $precmd_functions; do $_bf; done; done; _be=$EPOCHREALTIME;"
                    " echo \"@@T $_bs $_be\"" % iterations)
        else:
            loop = "time for _bi in (string split ' ' (string repeat -n %d 'x ')); emit fish_prompt; end" % iterations
        out = self.output(loop)
        found = re.search(r"@@T (\d+[.,]\d+) (\d+[.,]\d+)", out)
        if found:
            start, end = (float(x.replace(",", ".")) for x in found.groups())
            return (end - start) / iterations
        found = re.search(r"Executed in\s+([\d.]+)\s+(micros|millis|secs)", out)
        if found:
            scale = {"micros": 1e-6, "millis": 1e-3, "secs": 1.0}[found.group(2)]
            return float(found.group(1)) * scale / iterations
        return None

    def cd_loop(self, targets: list[str], iterations: int) -> Optional[list[float]]:
        """Seconds per ``cd`` to each of *targets* in turn, with the prompt hooks the shell
        runs after it, timed inside the shell (``$EPOCHREALTIME``): what the tool adds to a
        directory change without the pty round trip. bash runs PROMPT_COMMAND after the cd;
        zsh its chpwd hooks (run by cd itself) and precmd functions; fish its PWD handlers
        (run by cd) and fish_prompt handlers. fish has no clock builtin: its ``time`` gives
        one total for the whole cycle, split evenly between the targets."""
        assert self.child is not None
        quoted = [_q(t) for t in targets]
        if self.shell in ("bash", "zsh"):
            if self.shell == "bash":  # microseconds, as integers
                hooks, pre, base = 'eval "${PROMPT_COMMAND[*]-}"', "", 0
                add = "_bt[{i}]=$(( ${{_bt[{i}]:-0}} + ${{_be/[.,]/}} - ${{_bs/[.,]/}} ))"
                scale = 1e-6
            else:  # zsh: EPOCHREALTIME is a float, and so is the sum
                hooks, pre, base = "for _bf in $precmd_functions; do $_bf; done", "zmodload zsh/datetime; ", 1
                add = "(( _bt[{i}] += _be - _bs ))"
                scale = 1.0
            steps = "".join(f" _bs=$EPOCHREALTIME; cd {t}; {hooks}; _be=$EPOCHREALTIME; "
                            + add.format(i=i + base) + ";" for i, t in enumerate(quoted))
            init = "_bt=(" + " ".join("0" for _ in quoted) + ")"
            line = (f"{pre}{init}; for ((_bi=0;_bi<{iterations};_bi++)); do{steps} done;"
                    ' echo "@@C ${_bt[*]}"')
            out = self.output(line)
            found = re.search(r"@@C ([\d. ]+)", out)
            if not found:
                return None
            return [float(x) * scale / iterations for x in found.group(1).split()]
        body = "; ".join(f"cd {t}; emit fish_prompt" for t in quoted)
        out = self.output(f"time for _bi in (string split -n ' ' (string repeat -n {iterations} 'x ')); {body}; end")
        found = re.search(r"Executed in\s+([\d.]+)\s+(micros|millis|secs)", out)
        if not found:
            return None
        scale = {"micros": 1e-6, "millis": 1e-3, "secs": 1.0}[found.group(2)]
        each = float(found.group(1)) * scale / iterations / len(targets)
        return [each] * len(targets)

    def close(self) -> None:
        if self.child is not None and self.child.isalive():
            self.child.sendline("exit")
            try:
                self.child.expect(pexpect.EOF, timeout=10)
            except pexpect.TIMEOUT:
                self.child.terminate(force=True)


class ForkCount:
    """Processes and programs a shell starts while attached to by strace."""

    def __init__(self, forks: int, execs: list[str]):
        self.forks = forks
        self.execs = execs

    def python_runs(self) -> int:
        return sum(1 for path in self.execs if re.search(r"python[\d.]*$", path))


_SPAWN = re.compile(r"^\d+\s+(?:clone3?|v?fork)\(")
_EXEC = re.compile(r'^\d+\s+execve\("([^"]*)"')


def count_forks(strace: str, shell: BenchShell, work, trace_file: Path) -> ForkCount:
    """Run *work()* with strace attached to *shell*; count the processes it forked
    (clone without CLONE_THREAD, fork, vfork) and the programs exec'd."""
    trace_file.unlink(missing_ok=True)
    tracer = subprocess.Popen([strace, "-f", "-o", str(trace_file), "-e", "trace=clone,clone3,fork,vfork,execve",
                               "-p", str(shell.pid)], stderr=subprocess.PIPE, text=True)
    assert tracer.stderr is not None
    tracer.stderr.readline()  # "strace: Process N attached": tracing has started
    try:
        work()
        time.sleep(0.2)  # let the tracer write the last lines
    finally:
        tracer.send_signal(signal.SIGINT)  # detaches from the shell
        tracer.wait(timeout=30)
    forks, execs = 0, []
    for line in trace_file.read_text(errors="replace").splitlines():
        if _SPAWN.match(line) and "CLONE_THREAD" not in line:
            forks += 1
        found = _EXEC.match(line)
        if found:
            execs.append(found.group(1))
    return ForkCount(forks, execs)


def env_for_shell(base: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith(("PYTEST_", "VIRTUAL_ENV", "VENVD_DIFF", "_VENVD"))}
    env.pop("PROMPT_COMMAND", None)
    return env


def terminate_all(shells: list[BenchShell]) -> None:
    for shell in shells:
        try:
            shell.close()
        except (OSError, pexpect.ExceptionPexpect):
            if shell.child is not None and shell.child.isalive():
                os.kill(shell.child.pid, signal.SIGKILL)
