# venvd hook for fish. Install with this line in ~/.config/fish/config.fish:
#     venvd hook fish | source
#
# It runs when $PWD changes and before each prompt (cd is never overridden). A
# prompt where $PWD and $VIRTUAL_ENV are unchanged and no watched file is newer
# than the stamp returns using builtins only: no process is started.

set -g __venvd_command @VENVD_COMMAND@
set -g _VENVD_DIRS @VENVD_DIRS@

function venvd --description 'venvd: a project venv that follows the shell'
    switch "$argv[1]"
        case on off
            # With more arguments (`venvd off --help`) it is the command's: help, or a usage error.
            if test (count $argv) -eq 1
                __venvd_export --$argv[1]
            else
                $__venvd_command $argv
            end
        case '*'
            $__venvd_command $argv
    end
end

function __venvd_export
    # VAR=value prefixes (fish 3.1+) pass the session's state without an `env` process.
    set -l code (_VENVD_DIRS=$_VENVD_DIRS _VENVD_OFF="$_VENVD_OFF" _VENVD_TOLD="$_VENVD_TOLD" \
        $__venvd_command export fish $argv | string collect)
    or return 0
    printf '%s\n' $code | source
end

function __venvd_deactivate
    if test "$argv[1]" = nondestructive
        __venvd_export --undo
    else
        __venvd_export --off
    end
end

# Does directory $argv[1] hold a project marker (src/venvd/project.py, filled in by `venvd hook`)?
set -g __venvd_markers @VENVD_MARKERS@
function __venvd_has_marker
    set -l d $argv[1]
    for m in $__venvd_markers
        test -e "$d/$m"; and return 0
    end
    test -d "$d/.venv"; and return 0
    if test -e "$d/.python-version"; and test "$d" != "$HOME"  # ~/.python-version alone is pyenv's
        return 0
    end
    for f in $d/requirements*.txt $d/pylock.*.toml  # a glob matching nothing is empty in `for`
        return 0
    end
    return 1
end

# A cd that cannot change what venvd does: $PWD's nearest marker directory is still
# $_VENVD_ROOT (or there is still none). Decided with builtins. Inside a project the
# directories walked are watched from now on (their mtime), so a marker created in one
# of them is noticed; a directory changed since the stamp costs one export.
function __venvd_same_root
    set -l d $PWD
    set -g _VENVD_CHAIN
    while true
        if test -n "$_VENVD_ROOT"; and test "$d" = "$_VENVD_ROOT"
            return 0
        end
        __venvd_has_marker $d; and return 1
        set -a _VENVD_CHAIN $d
        if test "$d" = /; or test -z "$d"
            set -g _VENVD_CHAIN  # outside any project only $PWD's markers matter (checked each prompt)
            test -z "$_VENVD_ROOT"
            return $status
        end
        set d (string replace -r '/[^/]*$' '' -- $d)
        test -z "$d"; and set d /
    end
end

function __venvd_hook --on-variable PWD --on-event fish_prompt
    set -l venvd_status $status
    if test "$VIRTUAL_ENV" = "$_VENVD_VE"; and test -n "$_VENVD_STAMP"; and test -e "$_VENVD_STAMP"
        if test "$PWD" != "$_VENVD_PWD"; and __venvd_same_root
            set -g _VENVD_PWD $PWD
        end
        if test "$PWD" = "$_VENVD_PWD"
            # Outside a project, a marker appearing here (uv init, git clone .) makes one.
            if test -z "$_VENVD_ROOT"; and __venvd_has_marker $PWD
                __venvd_export
                return $venvd_status
            end
            for file in $_VENVD_WATCH $_VENVD_CHAIN
                if test "$file" -nt "$_VENVD_STAMP"
                    __venvd_export
                    return $venvd_status
                end
            end
            return $venvd_status
        end
    end
    __venvd_export
    return $venvd_status
end
