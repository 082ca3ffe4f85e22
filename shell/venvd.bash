# venvd hook for bash. Install with this line in ~/.bashrc:
#     eval "$(venvd hook bash)"
#
# It runs from PROMPT_COMMAND (cd is never overridden). A prompt where $PWD and
# $VIRTUAL_ENV are unchanged and no watched file's mtime moved returns using
# builtins only: no process is started. Otherwise `venvd export bash` prints
# the shell code that switches the environment, and it is applied with Ctrl-C held
# off so an environment is never half applied.

_venvd_command=(@VENVD_COMMAND@)
_VENVD_DIRS=@VENVD_DIRS@

# The functions run inside the user's own options: `local -` and `set +euf` keep
# `set -u` from tripping on an unset state variable, `set -e` from closing the shell and
# `set -f` from turning globs off (restored on return); the hook does the same for the
# shopt options failglob and nocasematch.

# `venvd on` / `venvd off` change this shell, so they run through the hook;
# everything else is the venvd command itself.
venvd() {
  case "${1-}" in
    # With more arguments (`venvd off --help`) it is the command's: help, or a usage error.
    on|off) if (( $# == 1 )); then _venvd_export "--$1"; else _VENVD_HOOK=bash "${_venvd_command[@]}" "$@"; fi ;;
    # _VENVD_HOOK (for `venvd doctor`) reaches only this command: never exported.
    *) _VENVD_HOOK=bash "${_venvd_command[@]}" "$@" ;;
  esac
}

_venvd_export() {
  local - _venvd_code _venvd_trap
  set +euf
  # An activate script's saved PATH is not exported: passed on, so venvd can take its own
  # entry out of it when that activate takes over.
  _venvd_code=$(_VENVD_DIRS="$_VENVD_DIRS" _VENVD_OFF="${_VENVD_OFF-}" _VENVD_TOLD="${_VENVD_TOLD-}" \
    _OLD_VIRTUAL_PATH="${_OLD_VIRTUAL_PATH-}" "${_venvd_command[@]}" export bash "$@") || return 0
  # The user's INT trap as it is now (they may have set one after the hook line); the
  # copy costs a subshell, but only here, where venvd already ran.
  _venvd_trap=$(trap -p INT)
  trap '' INT  # the eval is a handful of assignments: all of them or none
  eval "$_venvd_code"
  if [[ -n $_venvd_trap ]]; then eval "$_venvd_trap"; else trap - INT; fi
  _venvd_remember
  _venvd_build_check
  return 0
}

# The activation cache (src/venvd/activation_cache.py): each export hands over, in
# _VENVD_ENTRY, the facts of a plain activation of its project; they are filed here, in
# this shell's memory (no file is read per cd), under the project's root, and entering
# that root again applies them with builtins while every path they depend on has its
# stamp and every variable they read its value. _VENVD_UNDO is the undo of the record in
# force, so leaving is builtins too. Needs bash 4.4 (${name@a} tells an exported variable).
if (( BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 4) )); then
  declare -gA _VENVD_CI=()  # root -> n: the entry is the array _VENVD_CE_<n>
  declare -ga _VENVD_CT=()  # n -> the entry's compiled watch test (_venvd_compile)
  declare -gA _VENVD_NM=()  # directory -> stamp: found without a marker (_venvd_has_marker)
  declare -gA _VENVD_KP=() _VENVD_KV=()  # "x$_VENVD_PWD", "x$_VENVD_VE" -> 1 inside a project (_venvd_set_check)
  _VENVD_CN=0 _VENVD_NOWHERE=
fi

_venvd_remember() {
  local _venvd_n
  (( ${#_VENVD_ENTRY[@]} )) && [[ -n ${_VENVD_CN+x} ]] || return 0
  if (( ${#_VENVD_ENTRY[@]} == 1 )); then
    unset '_VENVD_CI[${_VENVD_ENTRY[0]}]'
  else
    _venvd_n=${_VENVD_CI[${_VENVD_ENTRY[0]}]-}
    if [[ -z $_venvd_n ]]; then
      _venvd_n=$((_VENVD_CN++))
      _VENVD_CI[${_VENVD_ENTRY[0]}]=$_venvd_n
    fi
    eval "_VENVD_CE_$_venvd_n=(\"\${_VENVD_ENTRY[@]}\")"
    unset "_VENVD_CT[$_venvd_n]"  # compiled again at its next use
    _VENVD_NOWHERE=${_VENVD_ENTRY[7]}
  fi
  _VENVD_ENTRY=()
}

# Is the variable named $1 in the environment (what `venvd export` would see)?
_venvd_exported() {
  [[ -n ${!1+x} && ${!1@a} == *x* ]]
}

# A variable set in the shell but not exported is one the core does not see: the core
# decides then, as it does for anything the cache does not hold.
_venvd_plain_env() {
  [[ ( -z ${PATH+x} || ${PATH@a} == *x* ) && ( -z ${VENVD_DIFF+x} || ${VENVD_DIFF@a} == *x* )
     && ( -z ${VIRTUAL_ENV+x} || ${VIRTUAL_ENV@a} == *x* )
     && ( -z ${VIRTUAL_ENV_PROMPT+x} || ${VIRTUAL_ENV_PROMPT@a} == *x* )
     && ( -z ${PYTHONHOME+x} || ${PYTHONHOME@a} == *x* )
     && ( -z ${PIP_REQUIRE_VIRTUALENV+x} || ${PIP_REQUIRE_VIRTUALENV@a} == *x* ) ]]
}

# Entry n's test, compiled at its first use into _venvd_ck_<n> (one [[ ]]: no loop per
# cd): its newest stamp exists; its root, venv and bin are still the user's own (-O: a
# directory another user put in their place, the same mtimes forged with touch -d, goes
# to the core, which refuses it); the variables it read are exported with the same value,
# or not exported; its watched paths are as they were (as _venvd_build_check tests them,
# whose text for them is kept in _VENVD_CT[n] for the no-op test after entering).
_venvd_compile() {
  local _venvd_ref="_VENVD_CE_$1[@]" _venvd_i _venvd_k _venvd_v _venvd_m
  local _venvd_t= _venvd_w=
  local -a _venvd_e=("${!_venvd_ref}")
  (( ${#_venvd_e[@]} > 9 )) || return 1
  for _venvd_i in 0 1 2; do
    printf -v _venvd_v %q "${_venvd_e[_venvd_i]}"
    _venvd_t+=" && -O $_venvd_v"
  done
  for (( _venvd_i = 9; _venvd_i < 9 + 3 * _venvd_e[8]; _venvd_i += 3 )); do
    _venvd_k=${_venvd_e[_venvd_i]}
    [[ -n $_venvd_k && $_venvd_k != *[!A-Za-z0-9_]* && $_venvd_k != [0-9]* ]] || return 1
    if [[ ${_venvd_e[_venvd_i+1]} == 1 ]]; then
      printf -v _venvd_v %q "${_venvd_e[_venvd_i+2]}"
      _venvd_t+=" && -n \${$_venvd_k+x} && \${$_venvd_k@a} == *x* && \$$_venvd_k == $_venvd_v"
    else
      _venvd_t+=" && ( -z \${$_venvd_k+x} || \${$_venvd_k@a} != *x* )"
    fi
  done
  _venvd_m=${_venvd_e[_venvd_i]}
  _venvd_watch_test "${_venvd_e[6]}" "${_venvd_e[0]}" 0 "${_venvd_e[@]:_venvd_i+1:_venvd_m}" \
    "${_venvd_e[@]:_venvd_i+1+_venvd_m:_venvd_m}"
  _VENVD_CT[$1]=$_venvd_w
  eval "_venvd_ck_$1() { [[ ${_VENVD_CT[$1]}$_venvd_t ]]; }"
}

# Enter or leave a project as `venvd export` would, from the cache; 1: the core decides.
# The same rules as envdiff.env_change: leaving takes out the first PATH entry that is
# venvd's and restores the saved variables (unset: unset if exported); entering saves
# the managed variables as the environment has them, prepends the bin dir and writes the
# record exactly as Record.encode does.
_venvd_cached() {
  local _venvd_d=$PWD _venvd_n _venvd_ref _venvd_i _venvd_j _venvd_m _venvd_f _venvd_s _venvd_k _venvd_v
  local _venvd_p _venvd_rec _venvd_stamp _venvd_w
  local -a _venvd_e=() _venvd_chain=() _venvd_undo=()
  [[ -n ${_VENVD_CN+x} && -z ${_VENVD_OFF-} && ${VIRTUAL_ENV-} == "${_VENVD_VE-}" ]] || return 1
  [[ $PWD == /* && $PWD != *//* && -d $PWD ]] && _venvd_plain_env || return 1
  if [[ -n ${VENVD_DIFF-} ]]; then
    [[ $VENVD_DIFF == "${_VENVD_UNDO[0]-}" && ${VIRTUAL_ENV-} == "${_VENVD_UNDO[1]-}" ]] || return 1
  else
    [[ -z ${VIRTUAL_ENV-} ]] || return 1
  fi
  [[ ${_venvd_walked_for-} == "$PWD" ]] || _venvd_walk
  _venvd_d=$_venvd_found
  _venvd_chain=("${_venvd_walked[@]}")
  [[ $_venvd_d != "${_VENVD_ROOT-}" ]] || return 1  # the same project: something else changed
  if [[ -n $_venvd_d ]]; then
    _venvd_n=${_VENVD_CI[$_venvd_d]-}
    [[ -n $_venvd_n ]] || return 1
    [[ -n ${_VENVD_CT[_venvd_n]-} ]] || _venvd_compile "$_venvd_n" || return 1
    "_venvd_ck_$_venvd_n" || return 1
    _venvd_ref="_VENVD_CE_$_venvd_n[@]"
    _venvd_e=("${!_venvd_ref}")
    _venvd_stamp=${_venvd_e[6]}
    _venvd_w=$(( 9 + 3 * _venvd_e[8] ))  # where the watched paths start (M, then M paths, M stamps)
    _venvd_m=${_venvd_e[_venvd_w]}
    for _venvd_f in "${_venvd_chain[@]}"; do
      [[ $_venvd_f -nt $_venvd_stamp ]] && return 1
    done
  else
    [[ -n $_VENVD_NOWHERE && -e $_VENVD_NOWHERE ]] || return 1
    _venvd_chain=()
  fi
  # venvd's deactivate with none of the user's kept aside is the case spelled here (the
  # others copy a function's text, which costs a subshell): defining it when entering from
  # no venv (there is no deactivate), removing it when leaving, keeping it from one project
  # to the next.
  if [[ -n ${VENVD_DIFF-} ]]; then
    ! declare -F _venvd_user_deactivate >/dev/null || return 1
  else
    ! declare -F deactivate >/dev/null || return 1
  fi
  # Decided: the environment changes, as the core's output would change it.
  _venvd_p=${PATH-}
  if [[ -n ${VENVD_DIFF-} ]]; then
    _venvd_p=":$_venvd_p:"
    _venvd_p=${_venvd_p/":${_VENVD_UNDO[2]}:"/:}
    _venvd_p=${_venvd_p#:}
    _venvd_p=${_venvd_p%:}
    for (( _venvd_i = 3; _venvd_i < ${#_VENVD_UNDO[@]}; _venvd_i += 3 )); do
      _venvd_k=${_VENVD_UNDO[_venvd_i]}
      if [[ ${_VENVD_UNDO[_venvd_i+1]} == 1 ]]; then
        export "$_venvd_k=${_VENVD_UNDO[_venvd_i+2]}"
      elif _venvd_exported "$_venvd_k"; then
        unset "$_venvd_k"
      fi
    done
    unset VENVD_DIFF
  fi
  if [[ -n $_venvd_d ]]; then
    _venvd_rec=${_venvd_e[5]}
    _venvd_undo=("" "${_venvd_e[1]}" "${_venvd_e[2]}")
    for _venvd_k in PIP_REQUIRE_VIRTUALENV PYTHONHOME VIRTUAL_ENV VIRTUAL_ENV_PROMPT; do
      [[ $_venvd_k != PIP_REQUIRE_VIRTUALENV || -n ${_venvd_e[4]} ]] || continue
      if _venvd_exported "$_venvd_k"; then
        _venvd_v=${!_venvd_k}
        _venvd_undo+=("$_venvd_k" 1 "$_venvd_v")
        _venvd_v=${_venvd_v//"%"/%25}
        _venvd_v=${_venvd_v//";"/%3B}
        _venvd_rec+=";\$$_venvd_k=${_venvd_v//"="/%3D}"
      else
        _venvd_undo+=("$_venvd_k" 0 "")
        _venvd_rec+=";\$$_venvd_k"
      fi
    done
    _venvd_undo[0]=$_venvd_rec
    export VIRTUAL_ENV="${_venvd_e[1]}" VIRTUAL_ENV_PROMPT="${_venvd_e[3]}"
    if _venvd_exported PYTHONHOME; then unset PYTHONHOME; fi
    if [[ -n ${_venvd_e[4]} ]]; then export PIP_REQUIRE_VIRTUALENV=1; fi
    export PATH="${_venvd_e[2]}${_venvd_p:+:$_venvd_p}" VENVD_DIFF="$_venvd_rec"
    _VENVD_UNDO=("${_venvd_undo[@]}")
    _VENVD_ROOT=$_venvd_d _VENVD_VE=${_venvd_e[1]} _VENVD_STAMP=$_venvd_stamp
    _VENVD_WATCH=("${_venvd_e[@]:_venvd_w+1:_venvd_m}")
    _VENVD_STAMPS=("${_venvd_e[@]:_venvd_w+1+_venvd_m:_venvd_m}")
    deactivate() { _venvd_deactivate "$@"; }
  else
    export PATH="$_venvd_p"
    _VENVD_UNDO=() _VENVD_WATCH=() _VENVD_STAMPS=()
    _VENVD_ROOT= _VENVD_VE= _VENVD_STAMP=$_VENVD_NOWHERE
    unset -f deactivate
  fi
  _VENVD_PWD=$PWD
  _VENVD_CHAIN=("${_venvd_chain[@]}")
  if [[ -n $_venvd_d ]] && (( ! ${#_venvd_chain[@]} )); then
    _venvd_set_check "${_VENVD_CT[_venvd_n]}"  # entered at its root: the entry's test
  else
    _venvd_build_check
  fi
  return 0
}

# Called by the `deactivate` venvd defines while one of its venvs is active.
# An activate script calls `deactivate nondestructive` before taking over: then
# venvd only steps back; a plain `deactivate` turns the project off like `venvd off`.
_venvd_deactivate() {
  if [[ ${1-} == nondestructive ]]; then _venvd_export --undo; else _venvd_export --off; fi
  _venvd_prompt off  # taken out now: a script may save PS1 next (virtualenvwrapper's workon)
}

# venvd's `deactivate` stands in for one the user defined (kept as _venvd_user_deactivate)
# and gives it back when venvd's venv is left; a `deactivate` someone defined meanwhile
# (an activate script, the user) is theirs and stays.
_venvd_own_deactivate() {
  local - _venvd_body
  set +euf
  if declare -F deactivate >/dev/null; then
    _venvd_body=$(declare -f deactivate)
    if [[ $_venvd_body != *_venvd_deactivate* ]]; then
      eval "_venvd_user_deactivate${_venvd_body#deactivate}"
    fi
  fi
  deactivate() { _venvd_deactivate "$@"; }
  return 0
}

_venvd_give_back_deactivate() {
  local - _venvd_body
  set +euf
  if declare -F deactivate >/dev/null; then
    _venvd_body=$(declare -f deactivate)
    [[ $_venvd_body == *_venvd_deactivate* ]] || { unset -f _venvd_user_deactivate; return 0; }
    unset -f deactivate
  fi
  if declare -F _venvd_user_deactivate >/dev/null; then
    _venvd_body=$(declare -f _venvd_user_deactivate)
    eval "deactivate${_venvd_body#_venvd_user_deactivate}"
    unset -f _venvd_user_deactivate
  fi
  return 0
}

# Does directory $1 hold a project marker (src/venvd/project.py, filled in by `venvd hook`)?
# The fixed names are one unrolled test, built once here (no loop per cd); the two name
# patterns share one glob (one read of the directory), whose matches are then checked
# exactly: requirements*.txt and pylock.*.toml both fit [pr][ey]*.t[xo][tm]*.
_venvd_markers=(@VENVD_MARKERS@)
_venvd_m='[[ -d $1/.venv'
for _venvd_w in "${_venvd_markers[@]}"; do
  printf -v _venvd_w %q "$_venvd_w"
  _venvd_m+=" || -e \$1/$_venvd_w"
done
eval "_venvd_has_fixed_marker() { $_venvd_m ]]; }"
unset _venvd_m _venvd_w
# A directory found without a marker is remembered (_VENVD_NM) against a reference file
# R: while it is not newer than R, nothing was created, removed or renamed in it since it
# was read, and the answer stands. Two stat calls instead of a dozen and a read of the
# directory (~100 us for /tmp, more for a big $HOME), on every cd that walks past it and
# every prompt outside a project. R is sound when (a) the directory was not newer than R
# when read, and (b) any later change of it gets an mtime newer than R's.
# R is first the stamp _VENVD_NOW the core (or `venvd hook`) made last (watch.now_stamp:
# older than anything written since, so (b) holds), when the directory is not newer than
# it: no write. /tmp and $HOME usually are newer (uv leaves lock files in /tmp): for them
# R is this shell's own clock file (_VENVD_CLOCK, in the stamps directory, made with a
# redirection: no process), and (b) is asked of the kernel: a probe P is written just
# before the read, and P newer than R says the read began in a later clock tick than R
# was written, so any later change of the directory gets an mtime newer than R's (file
# mtimes come from the kernel's coarse clock, one for every file). A new clock file is
# made after a read that could not be remembered because the directory was newer than R
# (or there was no R yet); the next look, a tick later, can remember it. A failed write
# (a read-only or full cache) means nothing is remembered against the shell's clock, and
# says nothing: the group's stderr goes nowhere.
# A clock file is never written again while a memo may name it (its mtime would move
# forward past changes the memo must see): its name is this process's and this load's
# (bash.$BASHPID.<random>.<slot>, the probe .p: a subshell writes names of its own, and
# forgets the memos it copied, which name its parent's) and the slots go round eight,
# coming back to the first forgetting every memo. A clock file removed meanwhile (by anyone: the core prunes none of them)
# makes the directory newer than it for bash's -nt, so it is read again: removing them
# is always safe.
# This holds for file systems stamping with this machine's clock finer than a second (all
# the usual ones); one stamping whole seconds (ext3, vfat) or a server's clock (NFS) can
# miss a change made in the tick R was written, as it can miss one in _VENVD_NOW's.
_VENVD_NOW=@VENVD_NOW@
_VENVD_CLOCK= _VENVD_CLOCKN=0 _VENVD_CLOCKID=$RANDOM _VENVD_CLOCKOFF= _VENVD_CLOCKPID=$BASHPID
_venvd_has_marker() {
  local _venvd_m= _venvd_r= _venvd_p=
  if [[ -n ${_VENVD_CN+x} ]]; then  # (bash 4.4+, as the cache)
    if [[ $_VENVD_CLOCKPID != "$BASHPID" ]]; then  # a subshell: its parent may write again
      _VENVD_NM=() _VENVD_CLOCK= _VENVD_CLOCKPID=$BASHPID  # the clock files its memos name
    fi
    _venvd_m=${_VENVD_NM[$1]-}
    if [[ -n $_venvd_m ]] && ! [[ $1 -nt $_venvd_m ]]; then return 1; fi  # (-nt: also when it is gone)
    if [[ -z ${_VENVD_NOW-} ]]; then
      :  # no stamps directory known: nothing is remembered
    elif ! [[ $1 -nt $_VENVD_NOW ]]; then
      _venvd_r=$_VENVD_NOW
    elif [[ $_VENVD_CLOCKOFF != "$_VENVD_NOW" ]]; then
      _venvd_p=${_VENVD_NOW%/*}/bash.$BASHPID.$_VENVD_CLOCKID
      if [[ -n $_VENVD_CLOCK ]] && { : >| "$_venvd_p.p"; } 2>/dev/null && [[ $_venvd_p.p -nt $_VENVD_CLOCK ]]; then
        _venvd_r=$_VENVD_CLOCK
      fi
    fi
  fi
  _venvd_has_fixed_marker "$1" && return 0
  [[ -e $1/.python-version && $1 != "${HOME-}" ]] && return 0  # ~/.python-version alone is pyenv's
  for _venvd_m in "$1"/[pr][ey]*.t[xo][tm]*; do  # failglob and nocasematch are off here
    [[ ( $_venvd_m == "$1"/requirements*.txt || $_venvd_m == "$1"/pylock.*.toml ) && -e $_venvd_m ]] && return 0
  done
  if [[ -n $_venvd_r ]] && ! [[ $1 -nt $_venvd_r ]]; then
    (( ${#_VENVD_NM[@]} < 4096 )) || _VENVD_NM=()
    _VENVD_NM[$1]=$_venvd_r
  elif [[ -n $_venvd_p && ( -z $_VENVD_CLOCK || $1 -nt $_VENVD_CLOCK ) ]]; then
    (( ++_VENVD_CLOCKN % 8 )) || _VENVD_NM=()  # the slots' names come round: no memo names them
    _venvd_p+=.$(( _VENVD_CLOCKN % 8 ))
    # Not written: none tried again until the core makes a new _VENVD_NOW.
    if { : >| "$_venvd_p"; } 2>/dev/null; then _VENVD_CLOCK=$_venvd_p; else _VENVD_CLOCK= _VENVD_CLOCKOFF=$_VENVD_NOW; fi
  fi
  return 1
}

# The walk from $PWD up to its nearest marker directory, once per cd (the no-op test and
# the cache both use it): _venvd_found is that directory ("" for none), _venvd_walked the
# directories below it. It stops at $_VENVD_ROOT, the project in force; 0 when $PWD is
# still in it (or still in none). The caller declares the three variables.
_venvd_walk() {
  local _venvd_d=$PWD
  _venvd_walked=() _venvd_walked_for=$PWD
  while :; do
    if [[ -n ${_VENVD_ROOT-} && $_venvd_d == "$_VENVD_ROOT" ]]; then _venvd_found=$_venvd_d; return 0; fi
    if _venvd_has_marker "$_venvd_d"; then _venvd_found=$_venvd_d; return 1; fi
    if [[ $_venvd_d == / || -z $_venvd_d ]]; then
      _venvd_found= _venvd_walked=()  # outside any project only $PWD's markers matter (checked each prompt)
      [[ -z ${_VENVD_ROOT-} ]]
      return
    fi
    _venvd_walked+=("$_venvd_d")
    _venvd_d=${_venvd_d%/*}
    _venvd_d=${_venvd_d:-/}
  done
}

# The watched paths, compiled into one test each time they change (after the core's
# export, an entry from the cache, a cd within the project): _venvd_check, and the same
# text written into the prompt hook itself (_venvd_set_check).
_venvd_build_check() {
  local _venvd_w
  _venvd_watch_test "${_VENVD_STAMP-}" "${_VENVD_ROOT-}" "${#_VENVD_CHAIN[@]}" "${_VENVD_CHAIN[@]}" \
    "${_VENVD_WATCH[@]}" "${_VENVD_STAMPS[@]}"
  _venvd_set_check "$_venvd_w"
}

# The [[ ]] text, into the caller's _venvd_w, for the newest stamp $1, the project root
# $2, the $3 directories walked inside the project that follow (_VENVD_CHAIN), and the
# watched paths after them (paths, then as many stamps). Each watched path has a stamp
# with exactly the mtime it had (src/venvd/watch.py), so an mtime that moved either way
# counts (`cp -p` of an older file, `git checkout`); an empty stamp means "was missing",
# so its appearing counts. bash's -nt is true when only the first file exists and -ot
# when only the second does, so a deleted file or a forgotten stamp counts too (both gone:
# the deletion changed a watched directory). A path only venvd and the venv's tools write
# (stamp "-" and the stamp of its exact mtime: directories, venvd's records directory,
# the trust store's directory) only moves forward: newer than its own stamp counts,
# whatever mtime another watched path has (one dated in the future makes the newest stamp
# a future one); its deletion is seen by the watched directory it was in, and outside the
# project, where none is watched (the trust store's), -e asks too. The walked directories
# count when newer than the newest stamp, whose existence says the state is whole (while
# a sync runs in the background it names one that never exists). That is asked of the
# first directory compared with it (a walked one, else the first path only venvd writes:
# $PWD's directory when the core ran): it exists while the shell is in the project, and
# -nt is true when only the first file exists, so a missing newest stamp counts with no
# stat call of its own; only a test with no such directory asks -e. Unrolled and quoted
# (printf %q) once, so a prompt runs one [[ ]]: no loop, no array lookup, no function
# call, and the fewest stat calls (two per path only venvd writes, four per file a person
# writes).
_venvd_watch_test() {
  local _venvd_n _venvd_f _venvd_p _venvd_s _venvd_i _venvd_a= _venvd_half=$(( ($# - 3 - $3) / 2 ))
  local -a _venvd_args=("${@:4+$3}")
  printf -v _venvd_n %q "$1"
  _venvd_w=
  for _venvd_f in "${@:4:$3}"; do
    printf -v _venvd_f %q "$_venvd_f"
    _venvd_w+=" && ! $_venvd_f -nt $_venvd_n" _venvd_a=1
  done
  for (( _venvd_i = 0; _venvd_i < _venvd_half; _venvd_i++ )); do
    _venvd_p=${_venvd_args[_venvd_i]}
    printf -v _venvd_f %q "$_venvd_p"
    _venvd_s=${_venvd_args[_venvd_i+_venvd_half]}
    if [[ $_venvd_s == -* ]]; then
      _venvd_s=${_venvd_s#-}
      # ([ ], not [[ == ]]: `venvd on` compiles under the user's nocasematch)
      if [ -z "$2" ] || { [ "$_venvd_p" != "$2" ] && [ "${_venvd_p:0:${#2}+1}" != "$2/" ]; }; then
        _venvd_w+=" && -e $_venvd_f"
      fi
      if [[ -z $_venvd_a || -z $_venvd_s ]]; then
        _venvd_w+=" && ! $_venvd_f -nt $_venvd_n" _venvd_a=1
      else
        printf -v _venvd_s %q "$_venvd_s"
        _venvd_w+=" && ! $_venvd_f -nt $_venvd_s"
      fi
    elif [[ -n $_venvd_s ]]; then
      printf -v _venvd_s %q "$_venvd_s"
      _venvd_w+=" && ! ( $_venvd_f -nt $_venvd_s || $_venvd_f -ot $_venvd_s )"
    else
      _venvd_w+=" && ! -e $_venvd_f"
    fi
  done
  if [[ -z $1 ]]; then
    _venvd_w="-n ''"  # no state: the core decides
  elif [[ -n $_venvd_a ]]; then
    _venvd_w=${_venvd_w# && }
  else
    _venvd_w="-e $_venvd_n$_venvd_w"
  fi
}

# The no-op test $1 (the [[ ]] text) as _venvd_check, and written out in the prompt hook:
# the hook calls no function where nothing changed. Its text is small (the rest is
# _venvd_decide's), so writing it again on a cd costs little. Its first question, "the
# same $PWD and $VIRTUAL_ENV, inside a project?", is two lookups in one-key associative
# arrays (_VENVD_KP, _VENVD_KV) made here from _VENVD_PWD and _VENVD_VE (everything that
# sets them compiles the test again): a key is matched exactly, whatever nocasematch says,
# for a third of what [[ == ]] and a look at BASHOPTS for nocasematch cost (bash before
# 4.4, with no such arrays here, asks that). The user's $? is kept in a global (cheaper
# than a local; the hook never runs inside itself) and handed back.
_venvd_set_check() {
  local _venvd_same='$BASHOPTS != *nocasematch* && ${PWD-} == "${_VENVD_PWD-}" && ${VIRTUAL_ENV-} == "${_VENVD_VE-}"
        && -n ${_VENVD_ROOT-}'
  if [[ -n ${_VENVD_CN+x} ]]; then
    _VENVD_KP=() _VENVD_KV=()
    # Keys start with "x": an empty key is an error in bash.
    [[ -z ${_VENVD_ROOT-} ]] || _VENVD_KP["x${_VENVD_PWD-}"]=1 _VENVD_KV["x${_VENVD_VE-}"]=1
    _venvd_same='-n ${_VENVD_KP[x${PWD-}]-} && -n ${_VENVD_KV[x${VIRTUAL_ENV-}]-}'
  fi
  eval "_venvd_check() { [[ $1 ]]; }
_venvd_hook() {
  _VENVD_STATUS=\$?
  if [[ $_venvd_same && $1 ]]; then
    [[ -z \${_VENVD_SHOW_PROMPT-}\${_VENVD_PS1_ADDED-} ]] || _venvd_prompt
    return \$_VENVD_STATUS
  fi
  _venvd_decide
  return \$_VENVD_STATUS
}"
}

# Is a prompt a no-op (same $PWD or same project root, same venv, no watched path changed)?
_venvd_unchanged() {
  [[ ${VIRTUAL_ENV-} == "${_VENVD_VE-}" ]] || return 1
  if [[ $PWD != "${_VENVD_PWD-}" ]]; then
    _venvd_walk || return 1
    _VENVD_PWD=$PWD
    _VENVD_CHAIN=("${_venvd_walked[@]}")
    _venvd_build_check
  fi
  # Outside a project, a marker appearing here (uv init, git clone .) makes one.
  [[ -z ${_VENVD_ROOT-} ]] && _venvd_has_marker "$PWD" && return 1
  _venvd_check
}

# The prompt (_venvd_hook, written by _venvd_set_check). Where nothing changed inside a
# project (the common prompt) it is decided first, in one [[ ]] with nothing the user's
# options change: no glob, every variable defaulted (set -u), and nocasematch, which would
# make [[ == ]] ignore case, sends the prompt here instead (BASHOPTS names it); `set -e`
# does not apply inside the `&&` list PROMPT_COMMAND runs it in. Everything else runs
# here, with the options venvd needs, the user's restored after.
_venvd_decide() {
  local - _venvd_failglob= _venvd_nocasematch= _venvd_found= _venvd_walked_for=
  local -a _venvd_walked=()
  set +euf
  if shopt -q failglob; then _venvd_failglob=1; shopt -u failglob; fi
  if shopt -q nocasematch; then _venvd_nocasematch=1; shopt -u nocasematch; fi
  _venvd_unchanged || _venvd_cached || _venvd_export
  _venvd_prompt
  if [[ -n $_venvd_failglob ]]; then shopt -s failglob; fi
  if [[ -n $_venvd_nocasematch ]]; then shopt -s nocasematch; fi
  return 0
}
_venvd_set_check "-n ''"  # nothing known yet: the core decides

# Opt-in (VENVD_BASH_CD=1 before the hook line): bash has no chpwd, so `cd proj && cmd`
# runs cmd before the next prompt activates the venv. With it, cd/pushd/popd run the hook
# right after a change that succeeded; their status and output (CDPATH, the stack) are
# theirs. A cd function defined before the hook is kept and called instead of `builtin cd`.
if [[ ${VENVD_BASH_CD-} == 1 ]] && ! declare -F _venvd_cd_wraps >/dev/null; then
  _venvd_cd_wraps() { :; }  # loading the hook twice wraps once
  for _venvd_w in cd pushd popd; do
    if declare -F "$_venvd_w" >/dev/null; then
      _venvd_body=$(declare -f "$_venvd_w")
      eval "_venvd_user_$_venvd_w${_venvd_body#"$_venvd_w"}"
      eval "$_venvd_w() { _venvd_user_$_venvd_w \"\$@\" && _venvd_hook; }"
    else
      eval "$_venvd_w() { builtin $_venvd_w \"\$@\" && _venvd_hook; }"
    fi
  done
  unset _venvd_w _venvd_body
fi

# Add the hook once, first, keeping whatever PROMPT_COMMAND already holds
# (a string, or an array since bash 5.1). `&& :` puts the hook in a list, so a
# non-zero status it hands back (the user's $?) never counts as a failure for `set -e`.
if [[ -n ${PROMPT_COMMAND+set} && ${PROMPT_COMMAND@a} == *a* ]]; then
  if [[ " ${PROMPT_COMMAND[*]} " != *" _venvd_hook "* ]]; then
    PROMPT_COMMAND=("_venvd_hook && :" "${PROMPT_COMMAND[@]}")
  fi
elif [[ ${PROMPT_COMMAND-} != *_venvd_hook* ]]; then
  PROMPT_COMMAND="_venvd_hook && :${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi

# The venv's name before the prompt, opt-in (`prompt = true` in the user config): while
# one of venvd's venvs is active, PS1 starts with "(name) " as the stdlib's activate makes
# it, unless VIRTUAL_ENV_DISABLE_PROMPT is non-empty (activate's rule). `venvd hook`
# embeds the setting and every `venvd export` says it again (an edit of the config file
# shows at the next prompt); entries from the cache need no process, as the prefix
# follows VENVD_DIFF and VIRTUAL_ENV, which the cache sets as the core does.
# Undone exactly: leaving, `venvd off` and `deactivate` take out the text venvd added,
# where it still is, and nothing else: the user's PS1, or their edit of it made
# meanwhile, is back as it is. A copy of the prefixed PS1 that comes back later (an
# activate script saves PS1 when it takes over and restores it on its deactivate) loses
# it too. Never stacked: added only where PS1 does not hold it, so loading the hook or
# the rc file again adds none.
# Prompt tools are not fought: starship (STARSHIP_SHELL) shows the venv itself and is
# left alone (its zsh and fish inits, and oh-my-posh's, set VIRTUAL_ENV_DISABLE_PROMPT).
# A PS1 built afresh at each prompt by a PROMPT_COMMAND that runs after this hook simply
# replaces the prefix (that command owns the prompt, as with activate); one built before
# it that already shows "(name)" gets no second.
# With promptvars on (bash's default, and always in posix mode) PS1 holds a reference to
# _VENVD_PROMPT_NAME, not the name: a name's `$(...)`, backquotes or `\u` are shown, never
# run or decoded; with it off, each backslash is doubled.
_VENVD_SHOW_PROMPT=@VENVD_PROMPT@
_venvd_prompt() {
  local _venvd_want=
  # Never shown and nothing of venvd's in PS1 to take out (prompt off, the default): done.
  [[ -n ${_VENVD_SHOW_PROMPT-}${_VENVD_PS1_ADDED-} ]] || return 0
  # $1 = off: only take the prefix out (venvd's `deactivate`: before whatever runs next, a
  # script that activates another venv, saves PS1).
  if [[ ${1-} != off && -n ${_VENVD_SHOW_PROMPT-} && -n ${VENVD_DIFF-} && -n ${VIRTUAL_ENV-}
        && $VIRTUAL_ENV == "${_VENVD_VE-}" && -z ${VIRTUAL_ENV_DISABLE_PROMPT-} && -z ${STARSHIP_SHELL-} ]]; then
    if shopt -q promptvars || shopt -oq posix; then
      _VENVD_PROMPT_NAME=${VIRTUAL_ENV_PROMPT-}
      _venvd_want='(${_VENVD_PROMPT_NAME}) '
    else
      _venvd_want=${VIRTUAL_ENV_PROMPT-}
      _venvd_want="(${_venvd_want//\\/\\\\}) "
    fi
  fi
  # Nothing changed (the common prompt): two comparisons.
  [[ $_venvd_want == "${_VENVD_PS1_ON-}" && ${PS1-} == "${_VENVD_PS1_SET-}" ]] && return 0
  local - _venvd_ps1=${PS1-} _venvd_nocasematch=
  set +eu
  if shopt -q nocasematch; then _venvd_nocasematch=1; shopt -u nocasematch; fi
  if [[ -n ${_VENVD_PS1_ADDED-} ]]; then
    _venvd_ps1=${_venvd_ps1/"$_VENVD_PS1_ADDED"/}
  fi
  _VENVD_PS1_ON=
  if [[ -n $_venvd_want && $_venvd_ps1 != *"$_venvd_want"* && $_venvd_ps1 != *"(${VIRTUAL_ENV_PROMPT-})"* ]]; then
    _venvd_ps1=$_venvd_want$_venvd_ps1
    _VENVD_PS1_ADDED=$_venvd_want _VENVD_PS1_ON=$_venvd_want
  fi
  if [[ $_venvd_ps1 != "${PS1-}" ]]; then PS1=$_venvd_ps1; fi
  _VENVD_PS1_SET=${PS1-}
  if [[ -n $_venvd_nocasematch ]]; then shopt -s nocasematch; fi
  return 0
}
