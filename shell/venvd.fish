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
    __venvd_build_check
end

# The activation cache (src/venvd/activation_cache.py): each export hands over, in
# _VENVD_ENTRY, the facts of a plain activation of its project; they are filed here, in
# this shell's memory (no file is read per cd), under the project's root (the list
# __venvd_croots; entry n is the list __venvd_ce_<n>), and entering that root again
# applies them with builtins while every path they depend on has its stamp and every
# variable they read its value. _VENVD_UNDO is the undo of the record in force, so
# leaving is builtins too. (Command substitutions of builtins start no process in fish,
# but each costs about as much as the rest of a cd: entering and leaving use none. What
# needs arithmetic is done when an entry is filed: its watched paths, their stamps and
# the `test` arguments that check them (__venvd_cw_<n>, __venvd_cs_<n>, __venvd_ca_<n>);
# at its first use, the rest of its test (variables, owners) is compiled into one
# function, __venvd_ck_<n>.)
set -g __venvd_croots
set -g __venvd_cidx
set -g __venvd_nowhere
set -g __venvd_lastroot ''
set -g __venvd_lastn ''
function __venvd_remember
    set -q _VENVD_ENTRY[1]; or return 0
    set -l n (contains -i -- $_VENVD_ENTRY[1] $__venvd_croots)
    if not set -q _VENVD_ENTRY[2]
        if test -n "$n"
            set -g __venvd_ce_$n  # forgotten
            functions -e __venvd_ck_$n
        end
    else
        if test -z "$n"
            set -a __venvd_croots $_VENVD_ENTRY[1]
            set n (count $__venvd_croots)
            set -a __venvd_cidx $n
        end
        set -g __venvd_ce_$n $_VENVD_ENTRY
        functions -e __venvd_ck_$n  # compiled again at its next use
        set -l w (math 10 + 3 \* $_VENVD_ENTRY[9])  # M, then M paths, M stamps
        set -l m $_VENVD_ENTRY[$w]
        set -l files
        set -l stamps
        if test $m -gt 0
            set files $_VENVD_ENTRY[(math $w + 1)..(math $w + $m)]
            set stamps $_VENVD_ENTRY[(math $w + $m + 1)..(math $w + 2 \* $m)]
        end
        set -g __venvd_cw_$n $files
        set -g __venvd_cs_$n $stamps
        __venvd_test_args $_VENVD_ENTRY[7] $files $stamps
        set -g __venvd_ca_$n $__venvd_args
        set -g __venvd_nowhere $_VENVD_ENTRY[8]
    end
    set -g _VENVD_ENTRY
end

# The `test` arguments, in __venvd_args, that hold while nothing changed: the newest stamp
# $argv[1] exists, and each watched path that follows (paths, then as many stamps) is as
# it was. Each watched path has a stamp with exactly the mtime it had (src/venvd/watch.py),
# so an mtime that moved either way counts (`cp -p` of an older file, `git checkout`); an
# empty stamp means "was missing", so its appearing counts; a path only venvd and the
# venv's tools write (stamp "-…") only moves forward: newer than the newest stamp counts.
# fish's -nt is true when only the first file exists and -ot when only the second does,
# so a deleted path or a forgotten stamp counts too (both gone: the deletion changed a
# watched directory). A list, not text: each argument is one word, nothing to quote.
function __venvd_test_args
    set -l newest $argv[1]
    set -g __venvd_args -n "$newest" -a -e "$newest"
    set -l files $argv[2..-1]
    set -l stamps
    set -l half (count $files)
    if test $half -gt 1
        set half (math $half / 2)
        set stamps $files[(math $half + 1)..-1]
        set files $files[1..$half]
    else
        set files
    end
    for f in $files
        if test -z "$stamps[1]"
            set -a __venvd_args -a ! -e $f
        else if string match -q -- '-*' $stamps[1]
            set -a __venvd_args -a ! $f -nt $newest
        else
            set -a __venvd_args -a ! $f -nt $stamps[1] -a ! $f -ot $stamps[1]
        end
        set -e stamps[1]
    end
end

# The no-op test of the state in force: its watched paths (_VENVD_WATCH, _VENVD_STAMPS)
# and the directories walked inside the project (_VENVD_CHAIN), which count when newer
# than the newest stamp (_VENVD_STAMP). Its `test` arguments (__venvd_targs) are made
# again each time the state changes: after the core's export, an entry from the cache, a
# cd within the project.
set -g __venvd_targs -n ''
function __venvd_check
    test $__venvd_targs
end
function __venvd_build_check
    __venvd_test_args "$_VENVD_STAMP" $_VENVD_WATCH $_VENVD_STAMPS
    set -g __venvd_targs $__venvd_args
    __venvd_add_chain
end
function __venvd_add_chain
    for d in $_VENVD_CHAIN
        set -a __venvd_targs -a ! $d -nt "$_VENVD_STAMP"
    end
end

# The rest of entry n's test, compiled into __venvd_ck_<n> at its first use: that its
# root, venv and bin are still the user's own (-O: a directory another user put in their
# place, the same mtimes forged with touch -d, goes to the core, which refuses it) and the
# variables it read (set and exported with the same value, or not exported).
function __venvd_compile_entry --argument-names n
    set -l ref __venvd_ce_$n
    set -l e $$ref
    set -q e[9]; or return 1
    set -l own (string escape -- $e[1..3])
    set -l lines "    test -O $own[1] -a -O $own[2] -a -O $own[3]; or return 1"
    set -l vars
    test $e[9] -gt 0; and set vars $e[10..(math 9 + 3 \* $e[9])]
    while set -q vars[3]
        if test "$vars[2]" = 1
            set -a lines "    set -qx $vars[1]; and test \"\$$vars[1]\" = "(string escape -- "$vars[3]")"; or return 1"
        else
            set -a lines "    not set -qx $vars[1]; or return 1"
        end
        set -e vars[1..3]
    end
    printf '%s\n' "function __venvd_ck_$n" $lines '    return 0' end | source
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
    test -z "$_VENVD_OFF" -a "$VIRTUAL_ENV" = "$_VENVD_VE"; or return 1
    string match -q -- '/*' $PWD; and not string match -q -- '*//*' $PWD; and test -d $PWD; or return 1
    __venvd_plain_env; or return 1
    if test -n "$VENVD_DIFF"
        test "$VENVD_DIFF" = "$_VENVD_UNDO[1]" -a "$VIRTUAL_ENV" = "$_VENVD_UNDO[2]"; or return 1
    else
        test -z "$VIRTUAL_ENV"; or return 1
    end
    test "$__venvd_walked_for" = "$PWD"; or __venvd_walk
    set -l d $__venvd_found
    set -l chain $__venvd_walked
    test "$d" != "$_VENVD_ROOT"; or return 1  # the same project: something else changed
    set -l e
    set -l n
    if test -n "$d"
        if test "$d" = "$__venvd_lastroot"
            set n $__venvd_lastn
        else
            for i in $__venvd_cidx
                if test "$__venvd_croots[$i]" = "$d"
                    set n $i
                    break
                end
            end
            test -n "$n"; or return 1
            set -g __venvd_lastroot $d
            set -g __venvd_lastn $n
        end
        set -l ref __venvd_ce_$n
        set e $$ref
        set -q e[9]; or return 1
        set -l aref __venvd_ca_$n
        test $$aref; or return 1
        functions -q __venvd_ck_$n; or __venvd_compile_entry $n; or return 1
        __venvd_ck_$n; or return 1
        for dir in $chain
            test "$dir" -nt "$e[7]"; and return 1
        end
    else
        test -n "$__venvd_nowhere" -a -e "$__venvd_nowhere"; or return 1
        set chain
    end
    # Decided: the environment changes, as the core's output would change it.
    set -l p $PATH
    if test -n "$VENVD_DIFF"
        # venvd put its bin first, and there it usually still is (else: where it is now).
        if test "$p[1]" = "$_VENVD_UNDO[3]"
            set -e p[1]
        else if contains -- $_VENVD_UNDO[3] $p
            set -l at (contains -i -- $_VENVD_UNDO[3] $p)
            set -e p[$at]
        end
        set -l saved $_VENVD_UNDO[4..-1]
        while set -q saved[3]
            if test "$saved[2]" = 1
                set -gx $saved[1] $saved[3]
            else if set -qx $saved[1]
                set -e -g $saved[1]
            end
            set -e saved[1..3]
        end
        set -e -g VENVD_DIFF
    end
    if test -n "$d"
        set -l rec $e[6]
        set -l undo '' $e[2] $e[3]
        for k in PIP_REQUIRE_VIRTUALENV PYTHONHOME VIRTUAL_ENV VIRTUAL_ENV_PROMPT
            test $k != PIP_REQUIRE_VIRTUALENV -o -n "$e[5]"; or continue
            if set -qx $k
                set -l v "$$k"
                set -a undo $k 1 $v
                set v (string replace -a -- '%' '%25' $v | string replace -a -- ';' '%3B' | string replace -a -- '=' '%3D' | string collect)
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
        set -l wref __venvd_cw_$n
        set -l sref __venvd_cs_$n
        set -l aref __venvd_ca_$n
        set -g _VENVD_WATCH $$wref
        set -g _VENVD_STAMPS $$sref
        set -g __venvd_targs $$aref
        __venvd_own_deactivate
    else
        set -gx PATH $p
        set -g _VENVD_UNDO
        set -g _VENVD_WATCH
        set -g _VENVD_STAMPS
        set -g _VENVD_ROOT ''
        set -g _VENVD_VE ''
        set -g _VENVD_STAMP $__venvd_nowhere
        set -g __venvd_targs -n "$__venvd_nowhere" -a -e "$__venvd_nowhere"
        __venvd_give_back_deactivate
    end
    set -g _VENVD_PWD $PWD
    set -g _VENVD_CHAIN $chain
    __venvd_add_chain
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
# With fish's `path` (3.5+) the fixed names are one builtin call.
set -g __venvd_markers @VENVD_MARKERS@
if contains path (builtin -n)
    function __venvd_has_marker
        set -l d $argv[1]
        path filter -q -- $d/$__venvd_markers; and return 0
        path filter -q -d -- $d/.venv; and return 0
        if test -e "$d/.python-version" -a "$d" != "$HOME"  # ~/.python-version alone is pyenv's
            return 0
        end
        set -l found $d/requirements*.txt $d/pylock.*.toml  # a glob matching nothing is empty in `set`
        set -q found[1]
    end
else
    function __venvd_has_marker
        set -l d $argv[1]
        for m in $__venvd_markers
            test -e "$d/$m"; and return 0
        end
        test -d "$d/.venv"; and return 0
        if test -e "$d/.python-version" -a "$d" != "$HOME"  # ~/.python-version alone is pyenv's
            return 0
        end
        set -l found $d/requirements*.txt $d/pylock.*.toml  # a glob matching nothing is empty in `set`
        set -q found[1]
    end
end

# The walk from $PWD up to its nearest marker directory, once per cd (the no-op test and
# the cache both use it): __venvd_found is that directory ("" for none), __venvd_walked
# the directories below it. It stops at $_VENVD_ROOT, the project in force; 0 when $PWD
# is still in it (or still in none).
# $PWD and its parents come from one split (a substitution), kept for the last two
# directories walked from (the one left and the one entered, cd'd between back and
# forth), each parent with what was found in it: a directory found without a marker is
# remembered with the stamp _VENVD_NOW the core (or `venvd hook`) made last
# (watch.now_stamp: older than anything written since), when it is not newer than that
# stamp; while it still is not, nothing was created, removed or renamed in it, and the
# answer stands: one `test` instead of a read of the directory.
set -g _VENVD_NOW @VENVD_NOW@
set -g __venvd_walked_for ''
set -g __venvd_up_for '' ''
set -g __venvd_up_1
set -g __venvd_up_2
set -g __venvd_upm_1
set -g __venvd_upm_2
function __venvd_walk
    set -g __venvd_walked_for $PWD
    set -g __venvd_walked
    set -g __venvd_found ''
    if test "$PWD" = "$_VENVD_ROOT"
        set -g __venvd_found $PWD
        return 0
    end
    set -l up
    set -l memo
    if test "$PWD" = "$__venvd_up_for[1]"
        set up $__venvd_up_1
        set memo $__venvd_upm_1
    else if test "$PWD" = "$__venvd_up_for[2]"
        set up $__venvd_up_2
        set memo $__venvd_upm_2
    else
        if __venvd_has_marker $PWD  # a cd into a project's root needs no more
            set -g __venvd_found $PWD
            return 1
        end
        set -l at ''
        for part in (string split -- / $PWD)
            test -n "$part"; or continue
            set at "$at/$part"
            set -p up $at
            set -a memo ''
        end
        set -a up /
        set -a memo ''
        # $PWD was just looked into: no marker.
        if test -n "$_VENVD_NOW"; and not test $PWD -nt $_VENVD_NOW
            set memo[1] $_VENVD_NOW
        end
    end
    # The list walked moves to the front: slot 1 is $PWD's.
    if test "$PWD" != "$__venvd_up_for[1]"
        set -g __venvd_up_2 $__venvd_up_1
        set -g __venvd_upm_2 $__venvd_upm_1
        set -g __venvd_up_for $PWD $__venvd_up_for[1]
    end
    set -l seen
    set -l result 1
    for d in $up
        if test -n "$_VENVD_ROOT" -a "$d" = "$_VENVD_ROOT"
            set -g __venvd_found $d
            set result 0
            break
        end
        if test -n "$memo[1]"; and not test $d -nt $memo[1]
            set -a seen $memo[1]  # unchanged: still no marker
        else if __venvd_has_marker $d
            set -g __venvd_found $d
            break
        else if test -n "$_VENVD_NOW"; and not test $d -nt $_VENVD_NOW
            set -a seen $_VENVD_NOW
        else
            set -a seen ''
        end
        set -e memo[1]
        if test "$d" = /
            set -g __venvd_walked  # outside any project only $PWD's markers matter (checked each prompt)
            break
        end
        set -a __venvd_walked $d
    end
    # What was found stays with the parents (those not reached keep theirs).
    set -g __venvd_up_1 $up
    set -g __venvd_upm_1 $seen $memo
    if test -z "$__venvd_found"
        test -z "$_VENVD_ROOT"
        return
    end
    return $result
end

# Whether $PWD holds a marker, with what the walk remembered of it.
function __venvd_pwd_has_marker
    if test "$PWD" = "$__venvd_up_for[1]" -a -n "$__venvd_upm_1[1]"
        not test $PWD -nt $__venvd_upm_1[1]; and return 1
    end
    __venvd_has_marker $PWD
end

# Is a prompt a no-op (same $PWD or same project root, same venv, no watched path changed)?
# The slow half: after a cd (the walk), or outside a project (a marker appearing in $PWD
# makes one); the watched paths are __venvd_check's.
function __venvd_unchanged
    test "$VIRTUAL_ENV" = "$_VENVD_VE"; or return 1
    if test "$PWD" != "$_VENVD_PWD"
        __venvd_walk; or return 1
        set -g _VENVD_PWD $PWD
        set -g _VENVD_CHAIN $__venvd_walked
        __venvd_build_check
    end
    # Outside a project, a marker appearing here (uv init, git clone .) makes one.
    if test -z "$_VENVD_ROOT"; and __venvd_pwd_has_marker
        return 1
    end
    __venvd_check
end

function __venvd_hook --on-variable PWD --on-event fish_prompt
    set -l venvd_status $status
    # The prompt where nothing changed inside a project: two comparisons and one test.
    if test "$PWD" = "$_VENVD_PWD" -a "$VIRTUAL_ENV" = "$_VENVD_VE" -a -n "$_VENVD_ROOT"; and test $__venvd_targs
        test -z "$_VENVD_SHOW_PROMPT$__venvd_prompt_on"; or __venvd_prompt
        return $venvd_status
    end
    set -g __venvd_walked_for ''
    __venvd_unchanged; or __venvd_cached; or __venvd_export
    test -z "$_VENVD_SHOW_PROMPT$__venvd_prompt_on"; or __venvd_prompt
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
