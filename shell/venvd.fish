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
# but each costs about as much as the rest of a cd: entering and leaving use none, and
# a walk past a parent remembered by its mtime one pipe into `read`, which costs less. What
# needs arithmetic is done when an entry is filed: its watched paths, their stamps and
# the `test` arguments that check them (__venvd_cw_<n>, __venvd_cs_<n>, __venvd_ca_<n>);
# at its first use, its whole test is compiled into one function, __venvd_ck_<n>, and
# entering it in the usual case into another, __venvd_on_<n>.)
set -g __venvd_croots
set -g __venvd_cidx
set -g __venvd_nowhere
set -g __venvd_tnone -n ''
set -g __venvd_lastroot ''
set -g __venvd_lastn ''
set -g __venvd_undo  # the record the cache wrote last, then the values it saved
set -g __venvd_undo_unset  # and the variables it unset
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
        __venvd_test_args $_VENVD_ENTRY[7] $_VENVD_ENTRY[1] $files $stamps
        set -g __venvd_ca_$n $__venvd_args
        set -g __venvd_nowhere $_VENVD_ENTRY[8]
        set -g __venvd_tnone -n "$__venvd_nowhere" -a -e "$__venvd_nowhere"  # leaving: its test
    end
    set -g _VENVD_ENTRY
end

# The `test` arguments, in __venvd_args, that hold while nothing changed: the newest stamp
# $argv[1] exists, and each watched path that follows the project root $argv[2] (paths,
# then as many stamps) is as it was. Each watched path has a stamp with exactly the mtime
# it had (src/venvd/watch.py), so an mtime that moved either way counts (`cp -p` of an
# older file, `git checkout`); an empty stamp means "was missing", so its appearing
# counts; a path only venvd and the venv's tools write (stamp "-" and the stamp of its
# exact mtime: directories, venvd's records directory, the trust store's directory) only
# moves forward: newer than its own stamp counts (not the newest, which a file dated in
# the future would make a future one, hiding a `venvd deny`). fish's -nt is true when only
# the first file exists and -ot when only the second does, so a deleted path or a
# forgotten stamp counts too (both gone: the deletion changed a watched directory); a
# path only venvd writes that is gone is seen by the watched directory it was in, and
# outside the project, where none is watched (the trust store's), -e asks too. A list,
# not text: each argument is one word, nothing to quote.
function __venvd_test_args
    set -l newest $argv[1]
    set -l root $argv[2]
    set -l inside (math (string length -- "$root") + 1)
    set -g __venvd_args -n "$newest" -a -e "$newest"
    set -l files $argv[3..-1]
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
            set -l head (string sub -l $inside -- $f | string collect -N)  # a name may hold newlines
            if test -z "$root"; or begin; test "$f" != "$root"; and test "$head" != "$root/"; end
                set -a __venvd_args -a -e $f
            end
            set -a __venvd_args -a ! $f -nt (string sub -s 2 -- $stamps[1])
        else
            set -a __venvd_args -a ! $f -nt $stamps[1] -a ! $f -ot $stamps[1]
        end
        set -e stamps[1]
    end
end

# The no-op test of the state in force: its watched paths (_VENVD_WATCH, _VENVD_STAMPS)
# and the directories walked inside the project (_VENVD_CHAIN), which count when newer
# than the newest stamp (_VENVD_STAMP). Its `test` arguments are made again each time the
# state changes: after the core's export (__venvd_targs0), an entry from the cache (its
# own, __venvd_ca_<n>), leaving one (__venvd_tnone: the "no project" stamp exists), named
# by __venvd_tref (a list of some fifty words is not copied on a cd), then the chain's
# (__venvd_tchain, made again by a cd within the project).
set -g __venvd_targs0 -n ''
set -g __venvd_tref __venvd_targs0
set -g __venvd_tchain
function __venvd_build_check
    __venvd_test_args "$_VENVD_STAMP" "$_VENVD_ROOT" $_VENVD_WATCH $_VENVD_STAMPS
    set -g __venvd_targs0 $__venvd_args
    set -g __venvd_tref __venvd_targs0
    __venvd_add_chain
end
function __venvd_add_chain
    set -g __venvd_tchain
    for d in $_VENVD_CHAIN
        set -a __venvd_tchain -a ! $d -nt "$_VENVD_STAMP"
    end
end

# Entry n compiled at its first use into two functions. __venvd_ck_<n>, its test: the
# watched paths (__venvd_ca_<n>), that its root, venv and bin are still the user's own
# (-O: a directory another user put in their place, the same mtimes forged with touch
# -d, goes to the core, which refuses it) and the variables it read (set and exported
# with the same value, or not exported; `set -q` with several names fails with the number
# of those it does not find, so each kind is one line), and that the directories walked
# below its root are not newer than its stamp. __venvd_on_<n>, entering it when
# none of the variables the record saves is exported (the usual case; $argv: PATH
# without venvd's bin): every value written out, the record and undo made here once.
# Beside them the facts the other case reads (__venvd_ch_<n>: root venv bin prompt pip
# record stamp nowhere).
function __venvd_compile_entry --argument-names n
    set -l ref __venvd_ce_$n
    set -l e $$ref
    set -q e[9]; or return 1
    set -l q (string escape -- $e[1..8])  # root venv bin prompt pip record stamp nowhere
    set -l lines "function __venvd_ck_$n" "    test \$__venvd_ca_$n; or return 1" \
        "    test -O $q[1] -a -O $q[2] -a -O $q[3]; or return 1"
    set -l vars
    test $e[9] -gt 0; and set vars $e[10..(math 9 + 3 \* $e[9])]
    set -l exported
    set -l values
    set -l unexported
    while set -q vars[3]
        if test "$vars[2]" = 1
            set -a exported $vars[1]
            set -a values -a "\"\$$vars[1]\"" = (string escape -- "$vars[3]")
        else
            set -a unexported $vars[1]
        end
        set -e vars[1..3]
    end
    set -q exported[1]; and set -a lines "    set -qx $exported; and test $values[2..-1]; or return 1"
    set -q unexported[1]; and set -a lines "    set -qx $unexported; test \$status = "(count $unexported)"; or return 1"
    # The directories walked below the root (each cd's own) are not newer than its stamp.
    set -a lines "    for dir in \$__venvd_walked; test \"\$dir\" -nt $q[7]; and return 1; end" '    return 0' end
    # As the general case in __venvd_cached would: each of these unset, so saved as unset.
    set -l rec $e[6]
    set -l undo
    set -l names
    for k in PIP_REQUIRE_VIRTUALENV PYTHONHOME VIRTUAL_ENV VIRTUAL_ENV_PROMPT
        test $k != PIP_REQUIRE_VIRTUALENV -o -n "$e[5]"; or continue
        set -a names $k
        set -a undo $k 0 "''"
        set rec "$rec;\$$k"
    end
    set rec (string escape -- $rec)
    set -a lines "function __venvd_on_$n" \
        "    set -gx VIRTUAL_ENV $q[2]" \
        "    set -gx VIRTUAL_ENV_PROMPT $q[4]"
    test -n "$e[5]"; and set -a lines "    set -gx PIP_REQUIRE_VIRTUALENV 1"
    set -a lines "    set -gx PATH $q[3] \$argv" \
        "    set -gx VENVD_DIFF $rec" \
        "    set -g _VENVD_UNDO $rec $q[2] $q[3] $undo" \
        "    set -g _VENVD_ROOT $q[1]" \
        "    set -g _VENVD_VE $q[2]" \
        "    set -g _VENVD_STAMP $q[7]" \
        "    set -g _VENVD_WATCH \$__venvd_cw_$n" \
        "    set -g _VENVD_STAMPS \$__venvd_cs_$n" \
        "    set -g __venvd_tref __venvd_ca_$n" \
        "    set -g __venvd_undo $rec" \
        "    set -g __venvd_undo_unset $names" \
        end
    set -g __venvd_ch_$n $e[1..8]
    printf '%s\n' $lines | source
end

# Enter or leave a project as `venvd export` would, from the cache; 1: the core decides.
# The same rules as envdiff.env_change: leaving takes out the first PATH entry that is
# venvd's and restores the saved variables (unset: unset if exported); entering saves
# the managed variables as the environment has them, prepends the bin dir and writes the
# record exactly as Record.encode does.
function __venvd_cached
    test -z "$_VENVD_OFF" -a "$VIRTUAL_ENV" = "$_VENVD_VE"; or return 1
    string match -qr -- '^(?!(?s:.*)//)/' $PWD; and test -d $PWD; or return 1  # absolute, no //
    # A variable set in the shell but not exported is one the core does not see: the core
    # decides then, as it does for anything the cache does not hold. (`set -q` fails with
    # the number of names not found: as many unexported as unset, each set one is exported.)
    set -q PATH VENVD_DIFF VIRTUAL_ENV VIRTUAL_ENV_PROMPT PYTHONHOME PIP_REQUIRE_VIRTUALENV
    set -l unset $status
    set -qx PATH VENVD_DIFF VIRTUAL_ENV VIRTUAL_ENV_PROMPT PYTHONHOME PIP_REQUIRE_VIRTUALENV
    test $status = $unset; or return 1
    # Either the record in force is the one the undo is for, or there is none (nor a venv).
    test -n "$VENVD_DIFF" -a "$VENVD_DIFF" = "$_VENVD_UNDO[1]" -a "$VIRTUAL_ENV" = "$_VENVD_UNDO[2]" \
        -o -z "$VENVD_DIFF" -a -z "$VIRTUAL_ENV"; or return 1
    test "$__venvd_walked_for" = "$PWD"; or __venvd_walk
    set -l d $__venvd_found
    test "$d" != "$_VENVD_ROOT"; or return 1  # the same project: something else changed
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
        # (An entry forgotten has no compiled test, and compiling it fails.)
        functions -q __venvd_ck_$n; or __venvd_compile_entry $n; or return 1
        __venvd_ck_$n; or return 1
    else
        test -n "$__venvd_nowhere" -a -e "$__venvd_nowhere"; or return 1
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
        if test "$VENVD_DIFF" = "$__venvd_undo[1]"
            # The record the cache wrote (the undo's list, sorted out then): restore the
            # saved values, unset the rest (the check above: each one set is exported).
            set -q __venvd_undo_unset[1]; and set -e -g $__venvd_undo_unset
            set -l saved $__venvd_undo[2..-1]
            while set -q saved[2]
                set -gx $saved[1] $saved[2]
                set -e saved[1..2]
            end
        else
            set -l saved $_VENVD_UNDO[4..-1]
            while set -q saved[3]
                if test "$saved[2]" = 1
                    set -gx $saved[1] $saved[3]
                else if set -qx $saved[1]
                    set -e -g $saved[1]
                end
                set -e saved[1..3]
            end
        end
        set -e -g VENVD_DIFF
    end
    if test -n "$d"
        set -qx PIP_REQUIRE_VIRTUALENV PYTHONHOME VIRTUAL_ENV VIRTUAL_ENV_PROMPT
        if test $status = 4  # none of them exported: as compiled with the entry
            __venvd_on_$n $p
        else
            set -l ref __venvd_ch_$n
            set -l e $$ref
            set -l rec $e[6]
            set -l undo '' $e[2] $e[3]
            set -l unset
            set -g __venvd_undo ''
            for k in PIP_REQUIRE_VIRTUALENV PYTHONHOME VIRTUAL_ENV VIRTUAL_ENV_PROMPT
                test $k != PIP_REQUIRE_VIRTUALENV -o -n "$e[5]"; or continue
                if set -qx $k
                    set -l v "$$k"
                    set -a undo $k 1 $v
                    set -a __venvd_undo $k $v
                    set v (string replace -a -- '%' '%25' $v | string replace -a -- ';' '%3B' | string replace -a -- '=' '%3D' | string collect)
                    set rec "$rec;\$$k=$v"
                else
                    set -a undo $k 0 ''
                    set -a unset $k
                    set rec "$rec;\$$k"
                end
            end
            set undo[1] $rec
            set __venvd_undo[1] $rec
            set -g __venvd_undo_unset $unset
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
            set ref __venvd_cw_$n
            set -g _VENVD_WATCH $$ref
            set ref __venvd_cs_$n
            set -g _VENVD_STAMPS $$ref
            set -g __venvd_tref __venvd_ca_$n
        end
        set -g _VENVD_CHAIN $__venvd_walked
        __venvd_add_chain
        __venvd_own_deactivate
    else
        set -gx PATH $p
        set -g _VENVD_UNDO
        set -g _VENVD_WATCH
        set -g _VENVD_STAMPS
        set -g _VENVD_ROOT ''
        set -g _VENVD_VE ''
        set -g _VENVD_STAMP $__venvd_nowhere
        set -g __venvd_tref __venvd_tnone
        set -g _VENVD_CHAIN
        set -g __venvd_tchain
        __venvd_give_back_deactivate
    end
    set -g _VENVD_PWD $PWD
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
# (an activate script, the user) is theirs and stays. venvd's is known by its description,
# and answers a probe without a command substitution: it handles changes of
# __venvd_probe too, and fish drops a function's handlers when it is defined anew or
# erased (a copy has none). One that does not answer (a user's, one an older hook
# defined) is told by its description.
set -g __venvd_deactivate_description 'venvd: turn this project off'
set -g __venvd_probed ''
function __venvd_is_ours
    set -g __venvd_probed ''
    set -g __venvd_probe 1
    test -n "$__venvd_probed"; and return 0
    set -l details (functions --details --verbose deactivate)
    test "$details[5]" = "$__venvd_deactivate_description"
end

function __venvd_own_deactivate
    if functions -q deactivate; and not __venvd_is_ours
        functions -e __venvd_user_deactivate
        functions -c deactivate __venvd_user_deactivate
    end
    function deactivate --description 'venvd: turn this project off' --on-variable __venvd_probe
        if test "$argv[1]" = VARIABLE -a "$argv[3]" = __venvd_probe  # the probe, not a call
            set -g __venvd_probed 1
            return 0
        end
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
# With fish's `path` (3.5+) the fixed names, a .venv directory (the trailing slash: only a
# directory passes) and .python-version (not in $HOME: ~/.python-version alone is pyenv's)
# are one builtin call.
set -g __venvd_markers @VENVD_MARKERS@
if contains path (builtin -n)
    set -g __venvd_markers_dir $__venvd_markers .venv/ .python-version
    set -g __venvd_markers_home $__venvd_markers .venv/
    function __venvd_has_marker
        if test "$argv[1]" != "$HOME"
            path filter -q -- $argv[1]/$__venvd_markers_dir; and return 0
        else
            path filter -q -- $argv[1]/$__venvd_markers_home; and return 0
        end
        # requirements*.txt and pylock.*.toml in one read of the directory (a glob matching
        # nothing is empty in `set`; `string match` without a string would read stdin).
        set -l found $argv[1]/*.t*
        set -q found[1]; and string match -qr -- '/(?:requirements[^/]*\.txt|pylock\.[^/]*\.toml)\z' $found
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
        set -l found $d/*.t*  # requirements*.txt and pylock.*.toml, one read (as above)
        set -q found[1]; and string match -qr -- '/(?:requirements[^/]*\.txt|pylock\.[^/]*\.toml)\z' $found
    end
end

# The walk from $PWD up to its nearest marker directory, once per cd (the no-op test and
# the cache both use it): __venvd_found is that directory ("" for none), __venvd_walked
# the directories below it. It stops at $_VENVD_ROOT, the project in force; 0 when $PWD
# is still in it (or still in none).
# $PWD and its parents come from one split (a substitution), kept for the last two
# directories walked from (the one left and the one entered, cd'd between back and
# forth: slots 1 and 2, __venvd_up_for, __venvd_up_<k>), each parent with what was found
# in it (__venvd_upm_<k>, __venvd_upt_<k>): a directory found without a marker is
# remembered with the stamp _VENVD_NOW the core (or `venvd hook`) made last
# (watch.now_stamp: older than anything written since), when it is not newer than that
# stamp; while it still is not, nothing was created, removed or renamed in it, and the
# answer stands: one `test` instead of a read of the directory. One newer than that stamp
# (/tmp, $HOME: often written) is remembered, with fish 3.6's `path mtime` (whole
# seconds; __venvd_mtime says it is there), by its mtime, when that was at least two
# seconds before the look (`path mtime --relative`, read just before it): anything
# written in it since has a later second, so while its mtime is the same the answer
# stands, for a `path mtime` instead of a read of the directory. (Two seconds, not one:
# the clock --relative reads, fish 4's the fine one, can be a tick ahead of the coarse
# one the file system stamps with, so a write just after a look at x.001 may still be
# stamped x-1.999.)
# And the way the last walk from a slot went, compiled into __venvd_w_<k> (status 2:
# not known): while every directory it went through was remembered and each still is (the
# stamps' `test` arguments; the mtimes, one `path mtime`), and the root in force is the
# one it stopped at (or, when it went to the top, none of these directories), the same
# walk would go the same way, so its directories walked and its end are written out.
set -g _VENVD_NOW @VENVD_NOW@
set -g __venvd_walked_for ''
set -g __venvd_up_for '' ''
set -g __venvd_up_last 2  # the slot used last: a directory not in either takes the other
set -g __venvd_up_1
set -g __venvd_up_2
set -g __venvd_upm_1
set -g __venvd_upm_2
set -g __venvd_upt_1
set -g __venvd_upt_2
function __venvd_w_unknown
    return 2
end
functions -e __venvd_w_1 __venvd_w_2
functions -c __venvd_w_unknown __venvd_w_1
functions -c __venvd_w_unknown __venvd_w_2
set -g __venvd_mtime ''
if contains path (builtin -n); and path mtime -q -- / 2>/dev/null
    set -g __venvd_mtime 1
end

function __venvd_walk
    set -g __venvd_walked_for $PWD
    set -l k 1
    if test "$PWD" = "$_VENVD_ROOT"
        set -g __venvd_walked
        set -g __venvd_found $PWD
        return 0
    else if test "$PWD" = "$__venvd_up_for[2]"
        set k 2
    else if test "$PWD" != "$__venvd_up_for[1]"
        if __venvd_has_marker $PWD  # a cd into a project's root needs no more
            set -g __venvd_walked
            set -g __venvd_found $PWD
            return 1
        end
        test "$__venvd_up_last" = 1; and set k 2
        __venvd_new_slot $k
    end
    set -g __venvd_up_last $k
    __venvd_w_$k
    set -l known $status
    test $known = 2; or return $known
    set -g __venvd_walked
    set -g __venvd_found ''
    set -l v __venvd_up_$k
    set -l up $$v
    set v __venvd_upm_$k
    set -l memo $$v
    set v __venvd_upt_$k
    set -l mt $$v
    set -l seen
    set -l seent
    set -l how ''  # how the walk ended: r (at the root in force), t (at the top) or '' (a marker)
    set -l args -n 1  # and while it would end there again
    set -l all 1  # (not when a directory on the way is not remembered)
    set -l md
    set -l mv
    set -l result 1
    for d in $up
        if test "$d" = "$_VENVD_ROOT"
            set -g __venvd_found $d
            set result 0
            set how r
            break
        end
        if test -n "$memo[1]" -a ! "$d" -nt "$memo[1]"
            set -a seen $memo[1]  # unchanged: still no marker
            set -a seent ''
            set -a args -a ! $d -nt $memo[1]
        else if test -n "$mt[1]"; and contains -- $mt[1] (path mtime -- $d)
            set -a seen ''  # the same mtime: still no marker
            set -a seent $mt[1]
            set -a md $d
            set -a mv $mt[1]
        else if __venvd_look $d
            set -g __venvd_found $d
            set memo[1] ''
            set mt[1] ''
            break
        else
            set -a seen $__venvd_seen[1]
            set -a seent $__venvd_seen[2]
            if test -n "$__venvd_seen[1]"
                set -a args -a ! $d -nt $__venvd_seen[1]
            else if test -n "$__venvd_seen[2]"
                set -a md $d
                set -a mv $__venvd_seen[2]
            else
                set all ''
            end
        end
        set -e memo[1] mt[1]
        if test "$d" = /
            set -g __venvd_walked  # outside any project only $PWD's markers matter (checked each prompt)
            set how t
            break
        end
        set -a __venvd_walked $d
    end
    # What was found stays with the parents (those not reached keep theirs).
    set -g __venvd_upm_$k $seen $memo
    set -g __venvd_upt_$k $seent $mt
    functions -e __venvd_w_$k
    if test -n "$how" -a -n "$all"
        __venvd_compile_walk $k $how (count $md) $md $mv $args
    else
        functions -c __venvd_w_unknown __venvd_w_$k
    end
    if test -z "$__venvd_found"
        test -z "$_VENVD_ROOT"
        return
    end
    return $result
end

# __venvd_w_<k> for the walk just made from slot k ($argv: k, how it ended, the number N
# of directories remembered by their mtime, those N directories, their N mtimes, then the
# stamps' `test` arguments).
function __venvd_compile_walk --argument-names k how n
    set -l dirs
    set -l mtimes
    set -l args $argv[4..-1]
    if test $n -gt 0
        set dirs $args[1..$n]
        set mtimes $args[(math $n + 1)..(math 2 \* $n)]
        set args $args[(math 2 \* $n + 1)..-1]
    end
    set -l root (string escape -- "$_VENVD_ROOT")
    set -l lines "function __venvd_w_$k"
    if test $how = r
        set -a lines "    test \"\$_VENVD_ROOT\" = $root; or return 2"
    else
        set -l v __venvd_up_$k
        set -a lines "    contains -- \"\$_VENVD_ROOT\" "(string escape -- $$v | string join ' ')"; and return 2"
    end
    set -a lines "    test "(string escape -- $args | string join ' ')"; or return 2"
    if set -q dirs[1]
        set -a lines "    path mtime -- "(string escape -- $dirs | string join ' ')" | read -l -a -z now" \
            "    test \"\$now\" = "(string escape -- "$mtimes")"; or return 2"
    end
    set -l walked ''
    set -q __venvd_walked[1]; and set walked (string escape -- $__venvd_walked | string join ' ')
    set -a lines "    set -g __venvd_walked $walked"
    if test $how = r
        set -a lines "    set -g __venvd_found $root" '    return 0'
    else
        set -a lines "    set -g __venvd_found ''" '    test -z "$_VENVD_ROOT"'
    end
    printf '%s\n' $lines end | source
end

# Slot $argv[1] for $PWD, just looked into (no marker): its parents, none remembered yet.
function __venvd_new_slot --argument-names k
    set -l up
    set -l memo
    set -l at ''
    for part in (string split -- / $PWD)
        test -n "$part"; or continue
        set at "$at/$part"
        set -p up $at
        set -a memo ''
    end
    set -a up /
    set -a memo ''
    set -g __venvd_upt_$k $memo
    # $PWD was just looked into: no marker.
    if test -n "$_VENVD_NOW"; and not test $PWD -nt $_VENVD_NOW
        set memo[1] $_VENVD_NOW
    end
    set -g __venvd_up_for[$k] $PWD
    set -g __venvd_up_$k $up
    set -g __venvd_upm_$k $memo
    functions -e __venvd_w_$k
    functions -c __venvd_w_unknown __venvd_w_$k
end

# Look into directory $argv[1]: 0 for a marker; without one, __venvd_seen says how to
# remember that: the clock stamp, or '' and its mtime (read before the look), or '' ''
# (see __venvd_walk).
function __venvd_look --argument-names d
    set -l t
    if test -n "$_VENVD_NOW"; and not test $d -nt $_VENVD_NOW
        set t $_VENVD_NOW ''
    else if test -n "$__venvd_mtime"
        set t '' (path mtime -- $d; path mtime --relative -- $d)
    end
    __venvd_has_marker $d; and return 0
    if test -n "$t[3]"; and test "$t[3]" -ge 2
        set -g __venvd_seen '' $t[2]
    else
        set -g __venvd_seen "$t[1]" ''
    end
    return 1
end

# Whether $PWD holds a marker, with what the walk remembered of it (and a look remembered).
function __venvd_pwd_has_marker
    set -l k 1
    if test "$PWD" != "$__venvd_up_for[1]"
        set k 2
        if test "$PWD" != "$__venvd_up_for[2]"
            __venvd_has_marker $PWD
            return
        end
    end
    set -l v __venvd_upm_$k
    set -l m $$v[1][1]
    if test -n "$m" -a ! "$PWD" -nt "$m"
        return 1
    end
    set v __venvd_upt_$k
    set m $$v[1][1]
    if test -n "$m"
        path mtime -- $PWD | read -l now
        test "$now" = "$m"; and return 1
    end
    __venvd_look $PWD; and return 0
    set -g __venvd_upm_{$k}[1] $__venvd_seen[1]
    set -g __venvd_upt_{$k}[1] $__venvd_seen[2]
    return 1
end

# Is a prompt a no-op (same $PWD or same project root, same venv, no watched path changed)?
# The slow half: after a cd (the walk), or outside a project (a marker appearing in $PWD
# makes one); the watched paths are those of __venvd_tref and __venvd_tchain.
function __venvd_unchanged
    test "$VIRTUAL_ENV" = "$_VENVD_VE"; or return 1
    if test "$PWD" != "$_VENVD_PWD"
        __venvd_walk; or return 1
        set -g _VENVD_PWD $PWD
        set -g _VENVD_CHAIN $__venvd_walked
        __venvd_add_chain
    end
    # Outside a project, a marker appearing here (uv init, git clone .) makes one.
    if test -z "$_VENVD_ROOT"; and __venvd_pwd_has_marker
        return 1
    end
    test $$__venvd_tref $__venvd_tchain
end

function __venvd_hook --on-variable PWD --on-event fish_prompt
    set -l venvd_status $status
    # The prompt where nothing changed inside a project: two comparisons and one test;
    # outside one, $PWD's markers too (what the walk remembered of it).
    if test "$PWD" = "$_VENVD_PWD" -a "$VIRTUAL_ENV" = "$_VENVD_VE" -a -n "$_VENVD_ROOT"; and test $$__venvd_tref $__venvd_tchain
        test -z "$_VENVD_SHOW_PROMPT$__venvd_prompt_on"; or __venvd_prompt
        return $venvd_status
    end
    # (Usually $PWD is slot 1's and remembered by the clock stamp; else __venvd_unchanged.)
    if test "$PWD" = "$_VENVD_PWD" -a "$VIRTUAL_ENV" = "$_VENVD_VE" -a -z "$_VENVD_ROOT" \
            -a "$PWD" = "$__venvd_up_for[1]" -a -n "$__venvd_upm_1[1]" -a ! "$PWD" -nt "$__venvd_upm_1[1]"
        and test $$__venvd_tref $__venvd_tchain
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

# The functions a cd or a prompt runs, defined again, each from its own text (`functions`
# prints a definition as fish reads it back; no process). At each block (`if`, `for`) and
# call a function runs, fish counts the newlines before it in the text that defined the
# function: from far down this file, some 30 KB (most of it these comments), that is about
# 25 µs each time, from a text of its own about 1. (About 2 ms once, as the hook loads.)
for __venvd_f in __venvd_hook __venvd_unchanged __venvd_walk __venvd_cached __venvd_has_marker \
        __venvd_pwd_has_marker __venvd_look __venvd_new_slot __venvd_add_chain __venvd_is_ours \
        __venvd_own_deactivate __venvd_give_back_deactivate __venvd_prompt __venvd_prompt_wanted
    functions $__venvd_f | source
end
set -e __venvd_f
