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
            __venvd_export --$argv[1]
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

function __venvd_hook --on-variable PWD --on-event fish_prompt
    set -l venvd_status $status
    if test "$PWD" = "$_VENVD_PWD"; and test "$VIRTUAL_ENV" = "$_VENVD_VE"; and test -n "$_VENVD_STAMP"; and test -e "$_VENVD_STAMP"
        for file in $_VENVD_WATCH
            if test "$file" -nt "$_VENVD_STAMP"
                __venvd_export
                return $venvd_status
            end
        end
        return $venvd_status
    end
    __venvd_export
    return $venvd_status
end
