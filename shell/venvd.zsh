# venvd hook for zsh. Install with this line in ~/.zshrc:
#     eval "$(venvd hook zsh)"
#
# It runs from precmd and chpwd (add-zsh-hook; cd is never overridden). A prompt
# where $PWD and $VIRTUAL_ENV are unchanged and no watched file's mtime moved
# returns using builtins only: no process is started.
#
# Every function starts with `emulate -L zsh`: it runs with zsh's own options whatever
# the user set (SH_GLOB, KSH_ARRAYS, NO_UNSET, WARN_CREATE_GLOBAL, ERR_EXIT, `emulate
# sh`…), and theirs are back when it returns. The text is also parsed under the user's
# options, so it holds nothing whose parsing depends on them (no glob qualifiers).

_venvd_command=(@VENVD_COMMAND@)
_VENVD_DIRS=@VENVD_DIRS@

venvd() {
  emulate -L zsh
  case "${1-}" in
    # With more arguments (`venvd off --help`) it is the command's: help, or a usage error.
    on|off) if (( $# == 1 )); then _venvd_export "--$1"; else _VENVD_HOOK=zsh "${_venvd_command[@]}" "$@"; fi ;;
    # _VENVD_HOOK (for `venvd doctor`) reaches only this command: never exported.
    *) _VENVD_HOOK=zsh "${_venvd_command[@]}" "$@" ;;
  esac
}

_venvd_export() {
  # emulate -L sets localtraps: the INT trap set here is undone when the function
  # returns, so Ctrl-C cannot interrupt the eval and leave an environment half applied.
  emulate -L zsh
  local _venvd_code
  # An activate script's saved PATH is not exported: passed on, so venvd can take its own
  # entry out of it when that activate takes over.
  _venvd_code=$(_VENVD_DIRS="$_VENVD_DIRS" _VENVD_OFF="${_VENVD_OFF-}" _VENVD_TOLD="${_VENVD_TOLD-}" \
    _OLD_VIRTUAL_PATH="${_OLD_VIRTUAL_PATH-}" "${_venvd_command[@]}" export zsh "$@") || return 0
  trap '' INT
  eval "$_venvd_code"
  _venvd_remember
  _venvd_build_check
  return 0
}

# The activation cache (src/venvd/activation_cache.py): each export hands over, in
# _VENVD_ENTRY, the facts of a plain activation of its project; they are filed here, in
# this shell's memory (no file is read per cd), under the project's root, and entering
# that root again applies them with builtins while every path they depend on has its
# stamp and every variable they read its value. _VENVD_UNDO is the undo of the record in
# force, so leaving is builtins too.
typeset -gA _VENVD_CI  # root -> n: the entry is the array _VENVD_CE_<n>
typeset -gA _VENVD_CT  # n -> 1 once the entry's test is compiled (_venvd_compile)
typeset -gA _VENVD_NM  # directory -> stamp or mtime: found without a marker (_venvd_has_marker)
typeset -g _VENVD_CN=0 _VENVD_NOWHERE=
typeset -ga _VENVD_ENTRY _VENVD_UNDO

_venvd_remember() {
  emulate -L zsh
  local _venvd_n
  (( ${#_VENVD_ENTRY} )) || return 0
  if (( ${#_VENVD_ENTRY} == 1 )); then
    _VENVD_CI[${_VENVD_ENTRY[1]}]=  # forgotten
  else
    _venvd_n=${_VENVD_CI[${_VENVD_ENTRY[1]}]-}
    if [[ -z $_venvd_n ]]; then
      _venvd_n=$(( _VENVD_CN++ ))
      _VENVD_CI[${_VENVD_ENTRY[1]}]=$_venvd_n
    fi
    typeset -ga _VENVD_CE_$_venvd_n
    set -A _VENVD_CE_$_venvd_n "${_VENVD_ENTRY[@]}"
    _VENVD_CT[$_venvd_n]=  # compiled again at its next use
    _VENVD_NOWHERE=${_VENVD_ENTRY[8]}
  fi
  _VENVD_ENTRY=()
}

# Is the variable named $1 in the environment (what `venvd export` would see)?
_venvd_exported() {
  [[ ${(tP)1} == *export* ]]
}

# A variable set in the shell but not exported is one the core does not see: the core
# decides then, as it does for anything the cache does not hold.
_venvd_plain_env() {
  [[ ( -z ${(t)PATH} || ${(t)PATH} == *export* ) && ( -z ${(t)VENVD_DIFF} || ${(t)VENVD_DIFF} == *export* )
     && ( -z ${(t)VIRTUAL_ENV} || ${(t)VIRTUAL_ENV} == *export* )
     && ( -z ${(t)VIRTUAL_ENV_PROMPT} || ${(t)VIRTUAL_ENV_PROMPT} == *export* )
     && ( -z ${(t)PYTHONHOME} || ${(t)PYTHONHOME} == *export* )
     && ( -z ${(t)PIP_REQUIRE_VIRTUALENV} || ${(t)PIP_REQUIRE_VIRTUALENV} == *export* ) ]]
}

# Entry n's test, compiled at its first use into _venvd_ck_<n> (one [[ ]]: a zsh function
# call costs as much as a dozen tests): its newest stamp exists; its root, venv and bin are
# still the user's own (-O: a directory another user put in their place, the same mtimes
# forged with touch -d, goes to the core, which refuses it); the variables it read are
# exported with the same value, or not exported; its watched paths are as they were
# (newer than the newest stamp for what only venvd writes, stamp "-…"; both ways for the
# rest, with -e as zsh's -nt/-ot are false when a file is missing).
_venvd_compile() {
  emulate -L zsh
  local _venvd_ref=_VENVD_CE_$1 _venvd_i _venvd_k _venvd_m _venvd_q _venvd_t=
  local -a _venvd_e
  _venvd_e=("${(@P)_venvd_ref}")
  (( ${#_venvd_e} > 9 )) || return 1
  _venvd_q=${(qq)_venvd_e[7]}
  _venvd_t="-n $_venvd_q && -e $_venvd_q && -O ${(qq)_venvd_e[1]} && -O ${(qq)_venvd_e[2]} && -O ${(qq)_venvd_e[3]}"
  for (( _venvd_i = 10; _venvd_i < 10 + 3 * _venvd_e[9]; _venvd_i += 3 )); do
    _venvd_k=$_venvd_e[_venvd_i]
    [[ -n $_venvd_k && $_venvd_k != *[!A-Za-z0-9_]* && $_venvd_k != [0-9]* ]] || return 1
    if [[ $_venvd_e[_venvd_i+1] == 1 ]]; then
      _venvd_t+=" && \${(t)$_venvd_k} == *export* && \${$_venvd_k} == ${(qq)_venvd_e[_venvd_i+2]}"
    else
      _venvd_t+=" && \${(t)$_venvd_k} != *export*"
    fi
  done
  _venvd_m=$_venvd_e[_venvd_i]
  local _venvd_w= _venvd_want=
  local -a _venvd_zpaths
  _venvd_watch_test 0 "$_venvd_e[7]" "${(@)_venvd_e[_venvd_i+1,_venvd_i+2*_venvd_m]}"
  _VENVD_CT[$1]=1
  eval "_venvd_ck_$1() { [[ $_venvd_t$_venvd_w ]]; }"
}

# Enter or leave a project as `venvd export` would, from the cache; 1: the core decides.
# The same rules as envdiff.env_change: leaving takes out the first PATH entry that is
# venvd's and restores the saved variables (unset: unset if exported); entering saves
# the managed variables as the environment has them, prepends the bin dir and writes the
# record exactly as Record.encode does.
_venvd_cached() {
  emulate -L zsh
  local _venvd_d=$PWD _venvd_n _venvd_ref _venvd_i _venvd_j _venvd_m _venvd_f _venvd_s _venvd_k _venvd_v
  local _venvd_p _venvd_rec _venvd_stamp _venvd_w
  local -a _venvd_e _venvd_chain _venvd_undo
  [[ -z ${_VENVD_OFF-} && ${VIRTUAL_ENV-} == "${_VENVD_VE-}" ]] || return 1
  [[ $PWD == /* && $PWD != *//* && -d $PWD ]] && _venvd_plain_env || return 1
  if [[ -n ${VENVD_DIFF-} ]]; then
    [[ $VENVD_DIFF == "${_VENVD_UNDO[1]-}" && ${VIRTUAL_ENV-} == "${_VENVD_UNDO[2]-}" ]] || return 1
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
    [[ -n ${_VENVD_CT[$_venvd_n]-} ]] || _venvd_compile $_venvd_n || return 1
    _venvd_ck_$_venvd_n || return 1
    _venvd_ref=_VENVD_CE_$_venvd_n
    _venvd_e=("${(@P)_venvd_ref}")
    _venvd_stamp=$_venvd_e[7]
    _venvd_w=$(( 10 + 3 * _venvd_e[9] ))  # where the watched paths start (M, then M paths, M stamps)
    _venvd_m=$_venvd_e[_venvd_w]
    for _venvd_f in "${_venvd_chain[@]}"; do
      [[ $_venvd_f -nt $_venvd_stamp ]] && return 1
    done
  else
    [[ -n $_VENVD_NOWHERE && -e $_VENVD_NOWHERE ]] || return 1
    _venvd_chain=()
  fi
  # Decided: the environment changes, as the core's output would change it.
  _venvd_p=${PATH-}
  if [[ -n ${VENVD_DIFF-} ]]; then
    _venvd_p=":$_venvd_p:"
    _venvd_p=${_venvd_p/":${_VENVD_UNDO[3]}:"/:}
    _venvd_p=${_venvd_p#:}
    _venvd_p=${_venvd_p%:}
    for (( _venvd_i = 4; _venvd_i <= ${#_VENVD_UNDO}; _venvd_i += 3 )); do
      _venvd_k=$_VENVD_UNDO[_venvd_i]
      if [[ $_VENVD_UNDO[_venvd_i+1] == 1 ]]; then
        export "$_venvd_k=$_VENVD_UNDO[_venvd_i+2]"
      elif _venvd_exported $_venvd_k; then
        unset $_venvd_k
      fi
    done
    unset VENVD_DIFF
  fi
  if [[ -n $_venvd_d ]]; then
    _venvd_rec=$_venvd_e[6]
    _venvd_undo=("" "$_venvd_e[2]" "$_venvd_e[3]")
    for _venvd_k in PIP_REQUIRE_VIRTUALENV PYTHONHOME VIRTUAL_ENV VIRTUAL_ENV_PROMPT; do
      [[ $_venvd_k != PIP_REQUIRE_VIRTUALENV || -n $_venvd_e[5] ]] || continue
      if _venvd_exported $_venvd_k; then
        _venvd_v=${(P)_venvd_k}
        _venvd_undo+=("$_venvd_k" 1 "$_venvd_v")
        _venvd_v=${_venvd_v//"%"/%25}
        _venvd_v=${_venvd_v//";"/%3B}
        _venvd_rec+=";\$$_venvd_k=${_venvd_v//"="/%3D}"
      else
        _venvd_undo+=("$_venvd_k" 0 "")
        _venvd_rec+=";\$$_venvd_k"
      fi
    done
    _venvd_undo[1]=$_venvd_rec
    export VIRTUAL_ENV="$_venvd_e[2]" VIRTUAL_ENV_PROMPT="$_venvd_e[4]"
    if _venvd_exported PYTHONHOME; then unset PYTHONHOME; fi
    if [[ -n $_venvd_e[5] ]]; then export PIP_REQUIRE_VIRTUALENV=1; fi
    export PATH="$_venvd_e[3]${_venvd_p:+:$_venvd_p}" VENVD_DIFF="$_venvd_rec"
    _VENVD_UNDO=("${_venvd_undo[@]}")
    _VENVD_ROOT=$_venvd_d _VENVD_VE=$_venvd_e[2] _VENVD_STAMP=$_venvd_stamp
    _VENVD_WATCH=("${(@)_venvd_e[_venvd_w+1,_venvd_w+_venvd_m]}")
    _VENVD_STAMPS=("${(@)_venvd_e[_venvd_w+_venvd_m+1,_venvd_w+2*_venvd_m]}")
    _venvd_own_deactivate
  else
    export PATH="$_venvd_p"
    _VENVD_UNDO=() _VENVD_WATCH=() _VENVD_STAMPS=()
    _VENVD_ROOT= _VENVD_VE= _VENVD_STAMP=$_VENVD_NOWHERE
    _venvd_give_back_deactivate
  fi
  _VENVD_PWD=$PWD
  _VENVD_CHAIN=("${_venvd_chain[@]}")
  _venvd_build_check
  return 0
}

_venvd_deactivate() {
  emulate -L zsh
  if [[ ${1-} == nondestructive ]]; then _venvd_export --undo; else _venvd_export --off; fi
  _venvd_prompt off  # taken out now: a script may save PS1 next (virtualenvwrapper's workon)
}

# venvd's `deactivate` stands in for one the user defined (kept as _venvd_user_deactivate)
# and gives it back when venvd's venv is left; a `deactivate` someone defined meanwhile
# (an activate script, the user) is theirs and stays.
_venvd_own_deactivate() {
  emulate -L zsh
  if (( ${+functions[deactivate]} )) && [[ $functions[deactivate] != *_venvd_deactivate* ]]; then
    functions[_venvd_user_deactivate]=$functions[deactivate]
  fi
  functions[deactivate]='_venvd_deactivate "$@"'
}

_venvd_give_back_deactivate() {
  emulate -L zsh
  if (( ${+functions[deactivate]} )); then
    if [[ $functions[deactivate] != *_venvd_deactivate* ]]; then
      unset 'functions[_venvd_user_deactivate]'
      return 0
    fi
    unset 'functions[deactivate]'
  fi
  if (( ${+functions[_venvd_user_deactivate]} )); then
    functions[deactivate]=$functions[_venvd_user_deactivate]
    unset 'functions[_venvd_user_deactivate]'
  fi
  return 0
}

# Does directory $1 hold a project marker (src/venvd/project.py, filled in by `venvd hook`)?
# The fixed names are one unrolled test, built once here (no loop per cd); the two name
# patterns share one glob (one read of the directory), whose matches are then checked
# exactly: requirements*.txt and pylock.*.toml both fit [pr][ey]*.t[xo][tm]*.
_venvd_markers=(@VENVD_MARKERS@)
() {
  emulate -L zsh
  local _venvd_t='[[ -d $1/.venv' _venvd_m
  for _venvd_m in "${_venvd_markers[@]}"; do
    _venvd_t+=" || -e \$1/${(qq)_venvd_m}"
  done
  eval "_venvd_has_fixed_marker() { $_venvd_t ]]; }"
}
# A directory found without a marker is remembered (_VENVD_NM) with the stamp _VENVD_NOW
# the core (or `venvd hook`) made last (watch.now_stamp: older than anything written
# since), when it is not newer than that stamp: while it still is not, nothing was
# created, removed or renamed in it, and the answer stands. Two stat calls instead of a
# dozen and a read of the directory, on every cd that walks past it and every prompt
# outside a project.
# One newer than that stamp (/tmp, $HOME: written all the time; the stamp is handed out
# again for ten minutes) is remembered by its mtime instead, as zstat -r -g -F %N spells
# it ("seconds (nanoseconds)"), taken before the look: while zstat gives the same, the
# answer stands (one stat call); any other (or none: the directory gone) and it is read
# again. Only an mtime old enough: any change made after the zstat must get a different
# one. The kernel stamps a write with its coarse clock, up to a tick (a few ms) behind
# the fine one, and a file system keeps its own granularity: nanoseconds mostly, 10 ms
# (exFAT), whole seconds (ext3, ext4 with small inodes, HFS+), even seconds (FAT). So
# the mtime must be older than a time read before the zstat ($EPOCHSECONDS: time(), at
# or behind the fine clock; read first, so a pause before the zstat only makes it
# stricter) by more than a tick plus that granularity: 1 s when the mtime has
# nanoseconds (only a file system finer than a second gives any), 3 s when it has none
# (whole or even seconds, as such a file system spells every mtime). A directory written in the
# last few seconds is simply read again until it is that old. (An mtime set back by
# hand, touch -d, to the one remembered is not noticed; nor is it by the stamp's -nt.)
# A directory gone: zstat's error goes to /dev/null, not to a closed stderr (2>&-), which
# leaves zsh's stderr in error: the user's next messages are lost, or "zsh: write error".
# Without zstat or zsh/datetime, only the stamp is used.
typeset -g _VENVD_NOW=@VENVD_NOW@
zmodload -F zsh/stat b:zstat 2>/dev/null || :
zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null || :
typeset -g _VENVD_MT=
if (( ${+builtins[zstat]} )) && [[ ${(t)EPOCHSECONDS-} == *special* ]]; then _VENVD_MT=1; fi
typeset -ga _VENVD_ZD  # the mtime zstat read (a global made once, as _VENVD_ZM)
_venvd_has_marker() {
  emulate -L zsh
  setopt null_glob
  local _venvd_m=${_VENVD_NM[$1]-} _venvd_s= _venvd_z=
  if [[ $_venvd_m == */* && -e $_venvd_m ]] && ! [[ $1 -nt $_venvd_m ]]; then return 1; fi  # a stamp (a path)
  if [[ -n $_VENVD_MT ]]; then
    _venvd_s=${EPOCHSECONDS-}  # before the zstat (see above)
    if builtin zstat -r -g -A _VENVD_ZD -F %N +mtime -- "$1" 2>/dev/null; then
      _venvd_z=$_VENVD_ZD[1]
      [[ $_venvd_z != "$_venvd_m" ]] || return 1  # the same mtime: still no marker
    fi
  fi
  _venvd_has_fixed_marker "$1" && return 0
  [[ -e $1/.python-version && $1 != "${HOME-}" ]] && return 0  # ~/.python-version alone is pyenv's
  for _venvd_m in $1/[pr][ey]*.t[xo][tm]*; do
    [[ ( $_venvd_m == $1/requirements*.txt || $_venvd_m == $1/pylock.*.toml ) && -e $_venvd_m ]] && return 0
  done
  (( ${#_VENVD_NM} < 4096 )) || _VENVD_NM=()
  _venvd_m=1  # the margin (see above)
  [[ $_venvd_z != *" (000000000)" ]] || _venvd_m=3
  if [[ -n ${_VENVD_NOW-} && -e $_VENVD_NOW ]] && ! [[ $1 -nt $_VENVD_NOW ]]; then
    _VENVD_NM[$1]=$_VENVD_NOW
  elif [[ -n $_venvd_z ]] && (( ${_venvd_z%% *} + _venvd_m < _venvd_s )); then
    _VENVD_NM[$1]=$_venvd_z
  elif [[ -n ${_VENVD_NM[$1]-} ]]; then
    _VENVD_NM[$1]=  # what was remembered no longer holds
  fi
  return 1
}

# The walk from $PWD up to its nearest marker directory, once per cd (the no-op test and
# the cache both use it): _venvd_found is that directory ("" for none), _venvd_walked the
# directories below it. It stops at $_VENVD_ROOT, the project in force; 0 when $PWD is
# still in it (or still in none). The caller declares the three variables.
_venvd_walk() {
  emulate -L zsh
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

# Is a prompt a no-op (same $PWD or same project root, same venv, no watched path changed)?
# The slow half: after a cd (the walk), or outside a project (a marker appearing in $PWD
# makes one); the watched paths are _venvd_check's.
_venvd_unchanged() {
  emulate -L zsh
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

_venvd_decide() {
  emulate -L zsh
  local _venvd_found= _venvd_walked_for=
  local -a _venvd_walked
  _venvd_unchanged || _venvd_cached || _venvd_export
}

# The watched paths, compiled each time they change (after the core's export, an entry
# from the cache, a cd within the project) into _venvd_check and into the prompt hook
# itself: a zsh function call costs as much as the whole test, so the prompt where
# nothing changed runs one function, the hook, with the test written out in it.
# Each watched path has a stamp with exactly the mtime it had (src/venvd/watch.py), and a
# stamp's name is that mtime: with zsh/stat, one zstat reads the mtime of every path that
# has one, to the nanosecond, and they must be the names' exactly. Any move, backwards too
# (`cp -p`, a `git checkout` of an older blob), and a path gone (zstat fails) count, for
# the files a person writes and for what only venvd and the venv's tools write (stamp
# "-…") alike: one stat call per path, not two or four, and no stamp file read. zstat's
# -g (UTC) reads no time zone file (the local time would, twice per path); 2>/dev/null
# keeps a gone path's error off the terminal (not 2>&-: zsh then marks its own stderr as
# failed, and the user's next error comes with a "zsh: write error"). An empty stamp means
# "was missing", so its appearing counts. The directories walked inside the project
# (_VENVD_CHAIN) count when newer than the newest stamp, whose existence says the state
# is whole (while a sync runs in the background it names one that never exists; zsh's -nt
# is false when either file is missing, hence its -e). Without zsh/stat: -nt and -ot with
# the stamp files (and -e tests, for the same reason).
zmodload -F zsh/stat b:zstat 2>/dev/null
typeset -ga _VENVD_ZM  # the mtimes zstat read (a global made once: no array is made per prompt)
typeset -gA _VENVD_UTCS  # stamp name -> its mtime as zstat -g spells it (_venvd_utc), made once
_venvd_check() { return 1; }
_venvd_build_check() {
  emulate -L zsh
  local _venvd_f _venvd_n=${_VENVD_STAMP-} _venvd_t _venvd_z= _venvd_w= _venvd_want=
  local -a _venvd_zpaths
  _venvd_watch_test ${+builtins[zstat]} "$_venvd_n" "${_VENVD_WATCH[@]}" "${_VENVD_STAMPS[@]}"
  _venvd_t=$_venvd_w
  for _venvd_f in "${_VENVD_CHAIN[@]}"; do
    _venvd_t+=" && ! ${(qq)_venvd_f} -nt ${(qq)_venvd_n}"
  done
  if [[ -n $_venvd_n ]]; then
    _venvd_t="-e ${(qq)_venvd_n}$_venvd_t"
  else
    _venvd_t="-n ''"  # no state: the core decides
  fi
  if (( ${#_venvd_zpaths} )); then
    _venvd_z=" && builtin zstat -g -A _VENVD_ZM -F %Y%m%d%H%M%S%N +mtime -- ${(j: :)${(qq)_venvd_zpaths[@]}} 2>/dev/null"
    _venvd_z+=" && [[ \${(j: :)_VENVD_ZM[@]} == ${(qq)_venvd_want# } ]]"
  fi
  # eval, not functions[...]=: that stores the text without decoding it, and a name's
  # non-ASCII bytes would reach stat() in zsh's internal (metafied) form.
  eval "_venvd_check() { [[ $_venvd_t ]]$_venvd_z; }"
  # Run under the user's options (no emulate: the prompt's own settings are theirs to
  # read, see _venvd_prompt); it holds nothing they change (quoted words, ${x-}). Where
  # nothing changed no ERR_EXIT or ERR_RETURN can fire (an `if` condition, then a list
  # whose last command returns 0), so they are turned off only on the way to the rest.
  eval "_venvd_hook() {
    if [[ \$PWD == \"\${_VENVD_PWD-}\" && \${VIRTUAL_ENV-} == \"\${_VENVD_VE-}\" && -n \${_VENVD_ROOT-} &&
        $_venvd_t ]]$_venvd_z; then
      [[ -z \${_VENVD_SHOW_PROMPT-}\${_VENVD_PS1_ADDED-} ]] || _venvd_prompt
      return 0
    fi
    setopt local_options no_err_exit no_err_return
    _venvd_decide
    [[ -z \${_VENVD_SHOW_PROMPT-}\${_VENVD_PS1_ADDED-} ]] || _venvd_prompt
    return 0
  }"
}
# The [[ ]] text (after " && ") for the newest stamp $2 and the watched paths that follow
# (paths, then as many stamps), quoted, into the caller's _venvd_w. With $1 = 1 (zstat
# loaded) the paths with a stamp go to the caller's _venvd_zpaths instead, their exact
# mtimes (as zstat -g -F %Y%m%d%H%M%S%N spells them) to _venvd_want.
_venvd_watch_test() {
  emulate -L zsh
  local _venvd_i _venvd_f _venvd_s _venvd_half=$(( ($# - 2) / 2 )) REPLY
  local -a _venvd_args
  _venvd_args=("${@:3}")
  for (( _venvd_i = 1; _venvd_i <= _venvd_half; _venvd_i++ )); do
    _venvd_f=$_venvd_args[_venvd_i] _venvd_s=$_venvd_args[_venvd_i+_venvd_half]
    if [[ -z $_venvd_s ]]; then
      _venvd_w+=" && ! -e ${(qq)_venvd_f}"
    elif (( $1 )) && [[ -n ${_venvd_s:t} && ${_venvd_s:t} != *[!0-9]* ]]; then
      _venvd_zpaths+=("$_venvd_f")
      if (( ! ${+_VENVD_UTCS[${_venvd_s:t}]} )); then  # each stamp spelled once (~25 us a time)
        (( ${#_VENVD_UTCS} < 4096 )) || _VENVD_UTCS=()
        _venvd_utc ${_venvd_s:t}
        _VENVD_UTCS[${_venvd_s:t}]=$REPLY
      fi
      _venvd_want+=" ${_VENVD_UTCS[${_venvd_s:t}]}"
    elif [[ $_venvd_s == -* ]]; then
      _venvd_w+=" && ! ${(qq)_venvd_f} -nt ${(qq)2}"
    else
      _venvd_w+=" && -e ${(qq)_venvd_f} && -e ${(qq)_venvd_s} && ! ( ${(qq)_venvd_f} -nt ${(qq)_venvd_s} || ${(qq)_venvd_f} -ot ${(qq)_venvd_s} )"
    fi
  done
}
# The mtime $1 (nanoseconds since 1970, as a stamp is named) as zstat -g -F
# %Y%m%d%H%M%S%N spells it, into REPLY: the UTC date from the day count (the civil
# calendar from days, H. Hinnant's algorithm), then the time of day and the nanoseconds.
_venvd_utc() {
  emulate -L zsh
  local -i s=$(( $1 / 1000000000 )) era doe yoe doy mp d m y t
  local -i z=$(( s / 86400 + 719468 ))
  era=$(( z / 146097 )) doe=$(( z % 146097 ))
  yoe=$(( (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365 ))
  doy=$(( doe - (365 * yoe + yoe / 4 - yoe / 100) ))
  mp=$(( (5 * doy + 2) / 153 ))
  d=$(( doy - (153 * mp + 2) / 5 + 1 ))
  m=$(( mp < 10 ? mp + 3 : mp - 9 ))
  y=$(( yoe + era * 400 + (m <= 2) ))
  t=$(( s % 86400 ))
  local -i hh=$(( t / 3600 )) mm=$(( t / 60 % 60 )) ss=$(( t % 60 )) ns=$(( $1 % 1000000000 ))
  REPLY=$y${(l:2::0:)m}${(l:2::0:)d}${(l:2::0:)hh}${(l:2::0:)mm}${(l:2::0:)ss}${(l:9::0:)ns}
}
# zsh keeps the $? the user's command left across precmd and chpwd functions: the hook
# need not hand it back.
_venvd_hook() {
  setopt local_options no_err_exit no_err_return
  _venvd_decide
  [[ -z ${_VENVD_SHOW_PROMPT-}${_VENVD_PS1_ADDED-} ]] || _venvd_prompt
  return 0
}

typeset -ga _VENVD_WATCH _VENVD_STAMPS _VENVD_CHAIN
autoload -Uz add-zsh-hook
add-zsh-hook precmd _venvd_hook
add-zsh-hook chpwd _venvd_hook

# The venv's name before the prompt, opt-in (`prompt = true` in the user config): while
# one of venvd's venvs is active, PS1 (PROMPT) starts with "(name) " as the stdlib's
# activate makes it, unless VIRTUAL_ENV_DISABLE_PROMPT is non-empty (activate's rule).
# `venvd hook` embeds the setting and every `venvd export` says it again (an edit of the
# config file shows at the next prompt); entries from the cache need no process, as the
# prefix follows VENVD_DIFF and VIRTUAL_ENV, which the cache sets as the core does.
# Undone exactly: leaving, `venvd off` and `deactivate` take out the text venvd added,
# where it still is, and nothing else: the user's PS1, or their edit of it made
# meanwhile, is back as it is. A copy of the prefixed PS1 that comes back later (an
# activate script saves PS1 when it takes over and restores it on its deactivate) loses
# it too. Never stacked: added only where PS1 does not hold it, so loading the hook or
# the rc file again adds none.
# Prompt tools are not fought: starship (STARSHIP_SHELL; its init also sets
# VIRTUAL_ENV_DISABLE_PROMPT) and powerlevel10k (_p9k_precmd) show the venv themselves
# and are left alone. A precmd added after this one that builds PS1 afresh simply
# replaces the prefix (it owns the prompt, as with activate); one that ran before and
# already shows "(name)" gets no second.
# _venvd_hook calls it outside `emulate -L zsh` (which would hide the user's PROMPT_PERCENT,
# PROMPT_BANG and PROMPT_SUBST, and they decide how the name is spelled so that its %, !,
# $(...) and backquotes are only shown), and only when prompt is on or a prefix is to go.
typeset -g _VENVD_SHOW_PROMPT=@VENVD_PROMPT@
_venvd_prompt() {
  # Never shown and nothing of venvd's in PS1 to take out (prompt off, the default): done.
  [[ -n ${_VENVD_SHOW_PROMPT-}${_VENVD_PS1_ADDED-} ]] || return 0
  local _venvd_o=
  [[ -o promptpercent ]] && _venvd_o+=p
  [[ -o promptbang ]] && _venvd_o+=b
  [[ -o promptsubst ]] && _venvd_o+=s
  emulate -L zsh
  local _venvd_want= _venvd_ps1
  # $1 = off: only take the prefix out (venvd's `deactivate`: before whatever runs next, a
  # script that activates another venv, saves PS1).
  if [[ ${1-} != off && -n ${_VENVD_SHOW_PROMPT-} && -n ${VENVD_DIFF-} && -n ${VIRTUAL_ENV-}
        && $VIRTUAL_ENV == "${_VENVD_VE-}" && -z ${VIRTUAL_ENV_DISABLE_PROMPT-} && -z ${STARSHIP_SHELL-} ]] &&
     (( ! ${+functions[_p9k_precmd]} )); then
    _venvd_want=${VIRTUAL_ENV_PROMPT-}
    [[ $_venvd_o == *p* ]] && _venvd_want=${_venvd_want//\%/%%}
    [[ $_venvd_o == *b* ]] && _venvd_want=${_venvd_want//\!/!!}
    if [[ $_venvd_o == *s* ]]; then
      _venvd_want=${_venvd_want//\\/\\\\}
      _venvd_want=${_venvd_want//\$/\\\$}
      _venvd_want=${_venvd_want//\`/\\\`}
    fi
    _venvd_want="($_venvd_want) "
  fi
  # Nothing changed (the common prompt): two comparisons.
  [[ $_venvd_want == "${_VENVD_PS1_ON-}" && ${PS1-} == "${_VENVD_PS1_SET-}" ]] && return 0
  _venvd_ps1=${PS1-}
  if [[ -n ${_VENVD_PS1_ADDED-} ]]; then
    _venvd_ps1=${_venvd_ps1/"$_VENVD_PS1_ADDED"/}
  fi
  typeset -g _VENVD_PS1_ON=
  if [[ -n $_venvd_want && $_venvd_ps1 != *"$_venvd_want"* && $_venvd_ps1 != *"(${VIRTUAL_ENV_PROMPT-})"* ]]; then
    _venvd_ps1=$_venvd_want$_venvd_ps1
    typeset -g _VENVD_PS1_ADDED=$_venvd_want _VENVD_PS1_ON=$_venvd_want
  fi
  if [[ $_venvd_ps1 != "${PS1-}" ]]; then PS1=$_venvd_ps1; fi
  typeset -g _VENVD_PS1_SET=${PS1-}
  return 0
}
# Called by _venvd_hook, outside its `emulate -L zsh` (see there), when it has anything
# to do; a hook loaded before this one may have made it a precmd function of its own.
add-zsh-hook -d precmd _venvd_prompt
