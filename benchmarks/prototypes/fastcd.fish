# Prototype (see fastcd.bash): the builtin-only cd check for fish. Sourced after
# venvd's hook; it redefines __venvd_hook with the same events.

function __venvd_has_marker
    set -l d $argv[1]
    for name in pyproject.toml uv.lock venvd.toml .python-versions
        test -e "$d/$name"; and return 0
    end
    test -d "$d/.venv"; and return 0
    if test -e "$d/.python-version"; and test "$d" != "$HOME"
        return 0
    end
    for f in $d/requirements*.txt  # a glob that matches nothing is empty in `for`
        return 0
    end
    return 1
end

function __venvd_same_project
    set -l rec ";$VENVD_DIFF;"
    set -l root ""
    if string match -q -- "*;project=*" $rec
        set root (string replace -r '.*?;project=([^;]*);.*' '$1' -- $rec)
        set root (string replace -a %3B ';' -- $root | string replace -a %3D '=' | string replace -a %25 '%')
    end
    set -l d $PWD
    while true
        if test -n "$root"; and test "$d" = "$root"
            return 0
        end
        __venvd_has_marker $d; and return 1
        if test "$d" = /; or test -z "$d"
            test -z "$root"
            return $status
        end
        set d (string replace -r '/[^/]*$' '' -- $d)
        test -z "$d"; and set d /
    end
end

function __venvd_hook --on-variable PWD --on-event fish_prompt
    set -l venvd_status $status
    if test "$PWD" != "$_VENVD_PWD"; and test "$VIRTUAL_ENV" = "$_VENVD_VE"; and test -n "$_VENVD_STAMP"; and test -e "$_VENVD_STAMP"; and __venvd_same_project
        set -g _VENVD_PWD $PWD
    end
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
