# venvd hook for fish. Install with this line in ~/.config/fish/config.fish:
#     venvd hook fish | source
#
# It runs when $PWD changes and before each prompt (cd is never overridden). A
# prompt where $PWD and $VIRTUAL_ENV are unchanged and no watched file's mtime
# moved returns using builtins only: no process is started.

set -g __venvd_command @VENVD_COMMAND@
set -g _VENVD_DIRS @VENVD_DIRS@

function venvd --description 'venvd: a project venv that follows the shell'
    # For `venvd doctor`: exported to the commands this function starts, local to it.
    set -lx _VENVD_HOOK fish
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

# venvd's `deactivate` stands in for one the user defined (kept as __venvd_user_deactivate)
# and gives it back when venvd's venv is left; a `deactivate` someone defined meanwhile
# (an activate script, the user) is theirs and stays. venvd's is known by its description.
set -g __venvd_deactivate_description 'venvd: turn this project off'
function __venvd_is_ours
    set -l details (functions --details --verbose deactivate)
    test "$details[5]" = "$__venvd_deactivate_description"
end

function __venvd_own_deactivate
    if functions -q deactivate; and not __venvd_is_ours
        functions -e __venvd_user_deactivate
        functions -c deactivate __venvd_user_deactivate
    end
    function deactivate --description 'venvd: turn this project off'
        __venvd_deactivate $argv
    end
end

function __venvd_give_back_deactivate
    if functions -q deactivate
        if not __venvd_is_ours
            functions -e __venvd_user_deactivate
            return 0
        end
        functions -e deactivate
    end
    if functions -q __venvd_user_deactivate
        functions -c __venvd_user_deactivate deactivate
        functions -e __venvd_user_deactivate
    end
    return 0
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

# Is a prompt a no-op (same $PWD or same project root, same venv, no watched path changed)?
# Each watched path has a stamp with exactly the mtime it had (src/venvd/watch.py), so
# an mtime that moved either way counts (`cp -p` of an older file, `git checkout`);
# an empty stamp means "was missing", so its appearing counts. fish's -nt is true when
# only the first file exists and -ot when only the second does, so a deleted path or a
# forgotten stamp counts too (both gone: the deletion changed a watched directory).
function __venvd_unchanged
    test "$VIRTUAL_ENV" = "$_VENVD_VE"; and test -n "$_VENVD_STAMP"; and test -e "$_VENVD_STAMP"
    or return 1
    if test "$PWD" != "$_VENVD_PWD"; and __venvd_same_root
        set -g _VENVD_PWD $PWD
    end
    test "$PWD" = "$_VENVD_PWD"; or return 1
    # Outside a project, a marker appearing here (uv init, git clone .) makes one.
    if test -z "$_VENVD_ROOT"; and __venvd_has_marker $PWD
        return 1
    end
    set -l i 0
    for file in $_VENVD_WATCH
        set i (math $i + 1)  # math is a builtin: no process
        set -l stamp "$_VENVD_STAMPS[$i]"
        if test -n "$stamp"
            if test "$file" -nt "$stamp"; or test "$file" -ot "$stamp"
                return 1
            end
        else if test -e "$file"
            return 1
        end
    end
    for dir in $_VENVD_CHAIN
        test "$dir" -nt "$_VENVD_STAMP"; and return 1
    end
    return 0
end

function __venvd_hook --on-variable PWD --on-event fish_prompt
    set -l venvd_status $status
    __venvd_unchanged; or __venvd_export
    return $venvd_status
end
