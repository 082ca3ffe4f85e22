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
    __venvd_remember
end

# The activation cache (src/venvd/activation_cache.py): each export hands over, in
# _VENVD_ENTRY, the facts of a plain activation of its project; they are filed here, in
# this shell's memory (no file is read per cd), under the project's root (the list
# __venvd_croots; entry n is the list __venvd_ce_<n>), and entering that root again
# applies them with builtins while every path they depend on has its stamp and every
# variable they read its value. _VENVD_UNDO is the undo of the record in force, so
# leaving is builtins too. (Command substitutions of builtins start no process in fish.)
set -g __venvd_croots
set -g __venvd_nowhere
function __venvd_remember
    set -q _VENVD_ENTRY[1]; or return 0
    set -l n (contains -i -- $_VENVD_ENTRY[1] $__venvd_croots)
    if not set -q _VENVD_ENTRY[2]
        test -n "$n"; and set -g __venvd_ce_$n  # forgotten
    else
        if test -z "$n"
            set -a __venvd_croots $_VENVD_ENTRY[1]
            set n (count $__venvd_croots)
        end
        set -g __venvd_ce_$n $_VENVD_ENTRY
        set -g __venvd_nowhere $_VENVD_ENTRY[8]
    end
    set -g _VENVD_ENTRY
end

# A variable set in the shell but not exported is one the core does not see: the core
# decides then, as it does for anything the cache does not hold.
function __venvd_plain_env
    for k in PATH VENVD_DIFF VIRTUAL_ENV VIRTUAL_ENV_PROMPT PYTHONHOME PIP_REQUIRE_VIRTUALENV
        set -q $k; and not set -qx $k; and return 1
    end
    return 0
end

# Enter or leave a project as `venvd export` would, from the cache; 1: the core decides.
# The same rules as envdiff.env_change: leaving takes out the first PATH entry that is
# venvd's and restores the saved variables (unset: unset if exported); entering saves
# the managed variables as the environment has them, prepends the bin dir and writes the
# record exactly as Record.encode does.
function __venvd_cached
    test -z "$_VENVD_OFF"; and test "$VIRTUAL_ENV" = "$_VENVD_VE"; or return 1
    string match -q -- '/*' $PWD; and not string match -q -- '*//*' $PWD; and test -d $PWD; or return 1
    __venvd_plain_env; or return 1
    if test -n "$VENVD_DIFF"
        test "$VENVD_DIFF" = "$_VENVD_UNDO[1]"; and test "$VIRTUAL_ENV" = "$_VENVD_UNDO[2]"; or return 1
    else
        test -z "$VIRTUAL_ENV"; or return 1
    end
    set -l d $PWD
    set -l chain
    while not __venvd_has_marker $d
        if test "$d" = /
            set d ''
            break
        end
        set -a chain $d
        set d (string replace -r '/[^/]*$' '' -- $d)
        test -z "$d"; and set d /
    end
    test "$d" != "$_VENVD_ROOT"; or return 1  # the same project: something else changed
    set -l e
    set -l w 0
    set -l m 0
    if test -n "$d"
        set -l n (contains -i -- $d $__venvd_croots); or return 1
        set -l ref __venvd_ce_$n
        set e $$ref
        set -q e[2]; or return 1
        test -e "$e[7]"; or return 1
        # Still the user's own: a directory another user put in place of the root, the venv
        # or its bin (the same mtimes forged with touch -d) goes to the core, which refuses it.
        test -O $d; and test -O $e[2]; and test -O $e[3]; or return 1
        set -l i 10
        set -l last (math 10 + 3 \* $e[9])
        while test $i -lt $last
            set -l k $e[$i]
            set -l i1 (math $i + 1)
            set -l i2 (math $i + 2)
            if test "$e[$i1]" = 1
                set -qx $k; and test "$$k" = "$e[$i2]"; or return 1
            else
                not set -qx $k; or return 1
            end
            set i (math $i + 3)
        end
        set w $i
        set m $e[$w]
        set -l j (math $w + 1)
        set -l end (math $w + $m)
        while test $j -le $end
            set -l file $e[$j]
            set -l js (math $j + $m)
            set -l stamp $e[$js]
            if test -n "$stamp"
                if test "$file" -nt "$stamp"; or test "$file" -ot "$stamp"
                    return 1
                end
            else if test -e "$file"
                return 1
            end
            set j (math $j + 1)
        end
        for dir in $chain
            test "$dir" -nt "$e[7]"; and return 1
        end
    else
        test -n "$__venvd_nowhere"; and test -e "$__venvd_nowhere"; or return 1
        set chain
    end
    # Decided: the environment changes, as the core's output would change it.
    set -l p $PATH
    if test -n "$VENVD_DIFF"
        set -l at (contains -i -- $_VENVD_UNDO[3] $p); and set -e p[$at]
        set -l i 4
        while test $i -le (count $_VENVD_UNDO)
            set -l k $_VENVD_UNDO[$i]
            set -l i1 (math $i + 1)
            set -l i2 (math $i + 2)
            if test "$_VENVD_UNDO[$i1]" = 1
                set -gx $k $_VENVD_UNDO[$i2]
            else if set -qx $k
                set -e -g $k
            end
            set i (math $i + 3)
        end
        set -e -g VENVD_DIFF
    end
    if test -n "$d"
        set -l rec $e[6]
        set -l undo '' $e[2] $e[3]
        for k in PIP_REQUIRE_VIRTUALENV PYTHONHOME VIRTUAL_ENV VIRTUAL_ENV_PROMPT
            test $k != PIP_REQUIRE_VIRTUALENV; or test -n "$e[5]"; or continue
            if set -qx $k
                set -l v "$$k"
                set -a undo $k 1 $v
                set v (string replace -a -- '%' '%25' $v | string collect)
                set v (string replace -a -- ';' '%3B' $v | string collect)
                set v (string replace -a -- '=' '%3D' $v | string collect)
                set rec "$rec;\$$k=$v"
            else
                set -a undo $k 0 ''
                set rec "$rec;\$$k"
            end
        end
        set undo[1] $rec
        set -gx VIRTUAL_ENV $e[2]
        set -gx VIRTUAL_ENV_PROMPT $e[4]
        set -qx PYTHONHOME; and set -e -g PYTHONHOME
        test -n "$e[5]"; and set -gx PIP_REQUIRE_VIRTUALENV 1
        set -gx PATH $e[3] $p
        set -gx VENVD_DIFF $rec
        set -g _VENVD_UNDO $undo
        set -g _VENVD_ROOT $d
        set -g _VENVD_VE $e[2]
        set -g _VENVD_STAMP $e[7]
        set -g _VENVD_WATCH
        set -g _VENVD_STAMPS
        if test $m -gt 0
            set -l a (math $w + 1)
            set -l b (math $w + $m)
            set -l c (math $w + $m + 1)
            set -l z (math $w + 2 \* $m)
            set -g _VENVD_WATCH $e[$a..$b]
            set -g _VENVD_STAMPS $e[$c..$z]
        end
        __venvd_own_deactivate
    else
        set -gx PATH $p
        set -g _VENVD_UNDO
        set -g _VENVD_WATCH
        set -g _VENVD_STAMPS
        set -g _VENVD_ROOT ''
        set -g _VENVD_VE ''
        set -g _VENVD_STAMP $__venvd_nowhere
        __venvd_give_back_deactivate
    end
    set -g _VENVD_PWD $PWD
    set -g _VENVD_CHAIN $chain
    return 0
end

function __venvd_deactivate
    if test "$argv[1]" = nondestructive
        __venvd_export --undo
    else
        __venvd_export --off
    end
    __venvd_prompt off  # unwrapped now: a script may copy fish_prompt next (virtualfish)
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
    __venvd_unchanged; or __venvd_cached; or __venvd_export
    __venvd_prompt
    return $venvd_status
end

# The venv's name before the prompt, opt-in (`prompt = true` in the user config): while
# one of venvd's venvs is active, fish_prompt is wrapped as activate.fish wraps it (the
# user's function kept as __venvd_user_fish_prompt and called), printing "(name) " first,
# unless VIRTUAL_ENV_DISABLE_PROMPT is non-empty (activate's rule). `venvd hook` embeds
# the setting and every `venvd export` says it again (an edit of the config file shows at
# the next prompt); entries from the cache need no process, as the prefix follows
# VENVD_DIFF and VIRTUAL_ENV, which the cache sets as the core does.
# Undone exactly: leaving, `venvd off` and `deactivate` give the user's function back,
# unless they defined another fish_prompt meanwhile, which stays. The wrapper prints the
# name only while it is wanted, so a copy of it (activate.fish keeps the fish_prompt it
# finds as _old_fish_prompt and gives it back on its deactivate) shows nothing stale, and
# when it comes back as fish_prompt the user's function is put back at the next prompt. Never stacked: wrapped once
# (__venvd_prompt_on survives loading the hook again).
# Prompt tools are not fought: starship (STARSHIP_SHELL; its init also sets
# VIRTUAL_ENV_DISABLE_PROMPT) shows the venv itself and is left alone; a prompt whose
# text already holds "(name)" (a theme reading VIRTUAL_ENV_PROMPT) gets no second.
set -g _VENVD_SHOW_PROMPT @VENVD_PROMPT@
set -q __venvd_prompt_on; or set -g __venvd_prompt_on ''
function __venvd_prompt
    # Never shown and nothing wrapped (prompt off, the default): done.
    test -n "$_VENVD_SHOW_PROMPT$__venvd_prompt_on$__venvd_prompt_stray"; or return 0
    set -l want ''
    # $argv[1] = off: only unwrap (venvd's `deactivate`: before whatever runs next, a
    # script that activates another venv, copies fish_prompt).
    if test "$argv[1]" != off; and __venvd_prompt_wanted
        set want 1
    end
    # Nothing changed (the common prompt).
    test "$want" = "$__venvd_prompt_on"; and test -z "$__venvd_prompt_stray"; and return 0
    set -g __venvd_prompt_stray ''
    if test -n "$want"
        if functions -q fish_prompt; and not __venvd_prompt_is_ours
            functions -e __venvd_user_fish_prompt
            functions -c fish_prompt __venvd_user_fish_prompt
        end
        function fish_prompt --description 'venvd: the venv name before the prompt'
            set -l venvd_status $status
            set -l venvd_shown
            if functions -q __venvd_user_fish_prompt
                # Run with the status the user's last command left, as fish would run it.
                set venvd_shown (__venvd_return $venvd_status; __venvd_user_fish_prompt $argv | string collect -N)
            end
            if not __venvd_prompt_wanted
                # A copy running after venvd let go (back as fish_prompt, or called by the
                # prompt that took over): the next prompt's hook looks at fish_prompt again.
                set -g __venvd_prompt_stray 1
            else if not string split -q -m1 -- "($VIRTUAL_ENV_PROMPT)" "$venvd_shown"
                printf '(%s) ' $VIRTUAL_ENV_PROMPT
            end
            printf '%s' $venvd_shown
        end
    else if __venvd_prompt_is_ours
        functions -e fish_prompt
        functions -q __venvd_user_fish_prompt; and functions -c __venvd_user_fish_prompt fish_prompt
        functions -e __venvd_user_fish_prompt
    end
    # (Not ours: the user's own, kept; __venvd_user_fish_prompt too, which a copy of the
    # wrapper that someone kept may still call.)
    set -g __venvd_prompt_on $want
    return 0
end

function __venvd_prompt_wanted
    test -n "$_VENVD_SHOW_PROMPT"; and test -n "$VENVD_DIFF"; and test -n "$VIRTUAL_ENV"
    and test "$VIRTUAL_ENV" = "$_VENVD_VE"; and test -z "$VIRTUAL_ENV_DISABLE_PROMPT"
    and not set -q STARSHIP_SHELL
end

function __venvd_prompt_is_ours
    set -l details (functions --details --verbose fish_prompt 2>/dev/null)
    test "$details[5]" = 'venvd: the venv name before the prompt'
end

function __venvd_return
    return $argv[1]
end
