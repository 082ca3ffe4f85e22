"""``venvd completions SHELL``: a completion script for bash, zsh, fish or PowerShell.

The scripts are generated from venvd's own argparse parser, so every command, option and
choice venvd has is completed and none goes stale: a positional named ``dir`` completes
directories, one with choices completes those, ``exec`` completes a command after ``--``.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from typing import NamedTuple, Optional

SHELLS = ("bash", "zsh", "fish", "pwsh")
# The shells each command's SHELL argument takes (argparse leaves them free-form).
_SHELL_WORDS = {
    "hook": ["bash", "zsh", "fish", "pwsh", "powershell"],
    "export": ["bash", "zsh", "fish", "pwsh", "json"],
}


class Option(NamedTuple):
    flags: tuple[str, ...]
    help: str
    takes_value: bool


class Command(NamedTuple):
    name: str
    help: str
    options: tuple[Option, ...]
    words: tuple[str, ...]  # what the first positional can be
    dirs: bool  # the first positional is a directory
    then_command: bool  # `exec`: a command line after `--`


def spec() -> tuple[tuple[Option, ...], tuple[Command, ...]]:
    """The top-level options and the commands, read from the parser."""
    import argparse

    from ..cli import _parser

    parser = _parser()

    def options(p: argparse.ArgumentParser) -> tuple[Option, ...]:
        return tuple(Option(tuple(a.option_strings), _one_line(a.help), a.nargs != 0)
                     for a in p._actions if a.option_strings)

    commands = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: _one_line(a.help) for a in action._choices_actions}
        for name, sub in action.choices.items():
            positionals = [a for a in sub._actions if not a.option_strings]
            first = positionals[0] if positionals else None
            words: list[str] = []
            if first is not None and first.choices:
                words = [str(c) for c in first.choices]
            elif first is not None and first.dest == "shell":
                words = _SHELL_WORDS.get(name, list(SHELLS))
            exec_like = first is not None and first.nargs == argparse.REMAINDER
            dirs = first is not None and (first.dest == "dir" or exec_like)
            commands.append(Command(name, helps.get(name, ""), options(sub), tuple(words), dirs, exec_like))
    return options(parser), tuple(commands)


def _one_line(text: Optional[str]) -> str:
    return " ".join((text or "").replace("%(default)s", "").split())


# ---------------------------------------------------------------- bash


def _bash_words(words: "list[str] | tuple[str, ...]") -> str:
    """A $'...' string of newline-separated words (venvd's own names: no quoting needed)."""
    return "$'" + "\\n".join(words) + "'"


def bash() -> str:
    top, commands = spec()
    valued = sorted({f for c in commands for o in c.options if o.takes_value for f in o.flags})
    cases = []
    for c in commands:
        flags = [f for o in c.options for f in o.flags]
        cases.append(f"        {c.name}) opts={_bash_words(flags)}; words={_bash_words(c.words)}; "
                     f"dirs={int(c.dirs)}; after={int(c.then_command)} ;;")
    top_flags = [f for o in top for f in o.flags]
    names = [c.name for c in commands]
    skip = "|".join(valued) or "--@none@"
    return f"""\
# venvd completions for bash. In ~/.bashrc: eval "$(venvd completions bash)"
_venvd_complete() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}} cmd= npos=0 dashdash=0 i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${{COMP_WORDS[i]}}
        case ${{COMP_WORDS[i-1]}} in {skip}) continue ;; esac  # an option's value
        if [[ $w == -- ]]; then
            ((npos)) && dashdash=1
            continue
        fi
        [[ $w == -* ]] && continue
        ((npos++)) || cmd=$w
    done
    local opts words dirs=0 after=0
    case $cmd in
        '') opts={_bash_words(top_flags)}; words={_bash_words(names)} ;;
{chr(10).join(cases)}
        *) return 0 ;;
    esac
    COMPREPLY=()
    if ((dashdash && after)); then  # exec DIR -- COMMAND
        mapfile -t COMPREPLY < <(compgen -c -- "$cur")
        return 0
    fi
    case $prev in {skip}) return 0 ;; esac
    local IFS=$'\\n'
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
        return 0
    fi
    ((npos <= 1)) || return 0  # one positional each: the command, then its argument
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    if ((npos == 1 && dirs)); then
        local d
        while IFS= read -r d; do COMPREPLY+=("$d"); done < <(compgen -d -- "$cur")
        compopt -o filenames 2>/dev/null
    fi
    return 0
}}
complete -F _venvd_complete venvd
"""


# ---------------------------------------------------------------- zsh


def _zsh_text(text: str) -> str:
    """Text for a zsh `_arguments` description, inside single quotes."""
    return text.replace("'", "'\\''").replace("[", "(").replace("]", ")").replace(":", " -")


def _zsh_option(option: Option) -> str:
    text = _zsh_text(option.help)
    value = ":value: " if option.takes_value else ""
    if len(option.flags) == 1:
        return f"'{option.flags[0]}[{text}]{value}'"
    exclusive = " ".join(option.flags)
    return f"'({exclusive})'{{{','.join(option.flags)}}}'[{text}]{value}'"


def zsh() -> str:
    top, commands = spec()
    described = "\n".join(f"        '{c.name}:{_zsh_text(c.help)}'" for c in commands)
    cases = []
    for c in commands:
        specs = [_zsh_option(o) for o in c.options]
        if c.then_command:
            specs += ["'1:directory:_directories'", "'*::command:_normal'"]
        elif c.words:
            specs.append(f"'1:{c.name} argument:({' '.join(c.words)})'")
        elif c.dirs:
            specs.append("'1:directory:_directories'")
        cases.append(f"                {c.name}) _arguments {' '.join(specs)} && ret=0 ;;")
    top_specs = " ".join(_zsh_option(o) for o in top)
    return f"""\
#compdef venvd
# venvd completions for zsh. In ~/.zshrc, after compinit: eval "$(venvd completions zsh)"
# (or save it as _venvd in a directory on $fpath).
_venvd() {{
    local curcontext=$curcontext state line ret=1
    typeset -A opt_args
    local -a commands
    commands=(
{described}
    )
    _arguments -C {top_specs} '1:command:->command' '*::argument:->argument' && ret=0
    case $state in
        command) _describe -t commands 'venvd command' commands && ret=0 ;;
        argument)
            curcontext=${{curcontext%:*:*}}:venvd-$words[1]:
            case $words[1] in
{chr(10).join(cases)}
            esac ;;
    esac
    return ret
}}
if [[ ${{zsh_eval_context[-1]-}} == loadautofunc ]]; then
    _venvd "$@"
elif (( $+functions[compdef] )); then
    compdef _venvd venvd
else
    print -u2 "venvd: zsh completions need compinit first: put 'autoload -Uz compinit && compinit' before this line"
fi
"""


# ---------------------------------------------------------------- fish


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_option(option: Option, condition: str) -> str:
    parts = ["complete -c venvd", f"-n {_fish_quote(condition)}"]
    for flag in option.flags:
        parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
    if option.takes_value:
        parts.append("-x")
    parts.append(f"-d {_fish_quote(option.help)}")
    return " ".join(parts)


def fish() -> str:
    top, commands = spec()
    lines = [
        "# venvd completions for fish. In ~/.config/fish/config.fish: venvd completions fish | source",
        "# (or save it as ~/.config/fish/completions/venvd.fish).",
        "function __venvd_command --description 'the venvd command on the line, if any'",
        "    for w in (commandline -opc)[2..-1]",
        "        if not string match -q -- '-*' $w",
        "            echo $w",
        "            return 0",
        "        end",
        "    end",
        "    return 1",
        "end",
        "function __venvd_is --description 'the command on the line is one of these'",
        "    set -l c (__venvd_command); or return 1",
        "    contains -- $c $argv",
        "end",
        "function __venvd_first_argument --description 'completing the first argument of the command'",
        "    set -l n 0",
        "    for w in (commandline -opc)[2..-1]",
        "        string match -q -- '-*' $w; or set n (math $n + 1)",
        "    end",
        "    test $n -eq 1",
        "end",
        "function __venvd_after_dashdash",
        "    contains -- -- (commandline -opc)",
        "end",
        "complete -c venvd -f",
    ]
    for option in top:
        lines.append(_fish_option(option, "not __venvd_command"))
    for c in commands:
        lines.append(f"complete -c venvd -n 'not __venvd_command' -a {c.name} -d {_fish_quote(c.help)}")
    for c in commands:
        is_it = f"__venvd_is {c.name}"
        for option in c.options:
            lines.append(_fish_option(option, is_it + "; and not __venvd_after_dashdash"))
        if c.words:
            lines.append(f"complete -c venvd -n {_fish_quote(is_it + '; and __venvd_first_argument')} "
                         f"-a {_fish_quote(' '.join(c.words))}")
        if c.dirs:
            lines.append(f"complete -c venvd -n {_fish_quote(is_it + '; and __venvd_first_argument')} "
                         "-a '(__fish_complete_directories (commandline -ct))'")
        if c.then_command:
            lines.append(f"complete -c venvd -n {_fish_quote(is_it + '; and __venvd_after_dashdash')} "
                         "-a '(__fish_complete_command)'")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- PowerShell


def _ps_quote(text: str) -> str:
    """A verbatim string: PowerShell ends one at any of five quote characters, and reads
    two in a row as one (see shells/pwsh.py)."""
    for quote in "'\u2018\u2019\u201a\u201b":
        text = text.replace(quote, quote * 2)
    return "'" + text + "'"


def _ps_list(words: "list[str] | tuple[str, ...]") -> str:
    return "@(" + ", ".join(_ps_quote(w) for w in words) + ")"


def pwsh() -> str:
    top, commands = spec()
    rows = []
    for c in commands:
        flags = [f for o in c.options for f in o.flags]
        rows.append(f"        {_ps_quote(c.name)} = @{{ Options = {_ps_list(flags)}; Words = {_ps_list(c.words)}; "
                    f"Dirs = ${str(c.dirs).lower()}; Help = {_ps_quote(c.help)} }}")
    top_flags = [f for o in top for f in o.flags]
    return f"""\
# venvd completions for PowerShell. In $PROFILE: venvd completions pwsh | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName @('venvd', 'venvd.exe') -ScriptBlock {{
    param($wordToComplete, $commandAst, $cursorPosition)
    $commands = [ordered]@{{
{chr(10).join(rows)}
    }}
    $before = @($commandAst.CommandElements | Select-Object -Skip 1 |
        Where-Object {{ $_.Extent.EndOffset -lt $cursorPosition }} |
        ForEach-Object {{ $_.Extent.Text }})
    $command = $before | Where-Object {{ -not $_.StartsWith('-') }} | Select-Object -First 1
    $results = @()
    if (-not $command) {{
        if ($wordToComplete.StartsWith('-')) {{
            $results = {_ps_list(top_flags)} | Where-Object {{ $_ -like "$wordToComplete*" }}
        }} else {{
            foreach ($name in $commands.Keys) {{
                if ($name -like "$wordToComplete*") {{
                    [System.Management.Automation.CompletionResult]::new($name, $name, 'ParameterValue',
                        $commands[$name].Help)
                }}
            }}
            return
        }}
    }} elseif ($commands.Contains($command)) {{
        $entry = $commands[$command]
        $positionals = @($before | Where-Object {{ -not $_.StartsWith('-') }}).Count
        if ($wordToComplete.StartsWith('-')) {{
            $results = $entry.Options | Where-Object {{ $_ -like "$wordToComplete*" }}
        }} elseif ($positionals -eq 1) {{
            $results = @($entry.Words | Where-Object {{ $_ -like "$wordToComplete*" }})
            if ($entry.Dirs) {{
                $results += @(Get-ChildItem -Directory -Path "$wordToComplete*" -ErrorAction SilentlyContinue |
                    ForEach-Object {{ $_.FullName }})
            }}
        }}
    }}
    foreach ($result in $results) {{
        [System.Management.Automation.CompletionResult]::new($result, $result, 'ParameterValue', $result)
    }}
}}
"""


def script(shell: str) -> str:
    shell = {"powershell": "pwsh"}.get(shell, shell)
    return {"bash": bash, "zsh": zsh, "fish": fish, "pwsh": pwsh}[shell]()


def run(ns: Namespace) -> int:
    sys.stdout.write(script(ns.shell))
    return 0
