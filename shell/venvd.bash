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
  return 0
}

# Called by the `deactivate` venvd defines while one of its venvs is active.
# An activate script calls `deactivate nondestructive` before taking over: then
# venvd only steps back; a plain `deactivate` turns the project off like `venvd off`.
_venvd_deactivate() {
  if [[ ${1-} == nondestructive ]]; then _venvd_export --undo; else _venvd_export --off; fi
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
_venvd_markers=(@VENVD_MARKERS@)
_venvd_has_marker() {
  local _venvd_m
  for _venvd_m in "${_venvd_markers[@]}"; do
    [[ -e $1/$_venvd_m ]] && return 0
  done
  [[ -d $1/.venv ]] && return 0
  [[ -e $1/.python-version && $1 != "${HOME-}" ]] && return 0  # ~/.python-version alone is pyenv's
  for _venvd_m in "$1"/requirements*.txt "$1"/pylock.*.toml; do  # failglob is off here
    [[ -e $_venvd_m ]] && return 0
  done
  return 1
}

# A cd that cannot change what venvd does: $PWD's nearest marker directory is still
# $_VENVD_ROOT (or there is still none). Decided with builtins. Inside a project the
# directories walked are watched from now on (their mtime), so a marker created in one
# of them is noticed; a directory changed since the stamp costs one export.
_venvd_same_root() {
  local _venvd_d=$PWD
  _VENVD_CHAIN=()
  while :; do
    if [[ -n ${_VENVD_ROOT-} && $_venvd_d == "$_VENVD_ROOT" ]]; then return 0; fi
    _venvd_has_marker "$_venvd_d" && return 1
    _VENVD_CHAIN+=("$_venvd_d")
    if [[ $_venvd_d == / || -z $_venvd_d ]]; then
      _VENVD_CHAIN=()  # outside any project only $PWD's markers matter (checked each prompt)
      [[ -z ${_VENVD_ROOT-} ]]
      return
    fi
    _venvd_d=${_venvd_d%/*}
    _venvd_d=${_venvd_d:-/}
  done
}

# Is a prompt a no-op (same $PWD or same project root, same venv, no watched path changed)?
# Each watched path has a stamp with exactly the mtime it had (src/venvd/watch.py), so
# an mtime that moved either way counts (`cp -p` of an older file, `git checkout`);
# an empty stamp means "was missing", so its appearing counts. bash's -nt is true when
# only the first file exists and -ot when only the second does, so a deleted path or a
# forgotten stamp counts too (both gone: the deletion changed a watched directory).
_venvd_unchanged() {
  local _venvd_i _venvd_f _venvd_s
  [[ ${VIRTUAL_ENV-} == "${_VENVD_VE-}" && -n ${_VENVD_STAMP-} && -e $_VENVD_STAMP ]] || return 1
  if [[ $PWD != "${_VENVD_PWD-}" ]] && _venvd_same_root; then
    _VENVD_PWD=$PWD
  fi
  [[ $PWD == "${_VENVD_PWD-}" ]] || return 1
  # Outside a project, a marker appearing here (uv init, git clone .) makes one.
  [[ -z ${_VENVD_ROOT-} ]] && _venvd_has_marker "$PWD" && return 1
  for _venvd_i in "${!_VENVD_WATCH[@]}"; do
    _venvd_f=${_VENVD_WATCH[_venvd_i]} _venvd_s=${_VENVD_STAMPS[_venvd_i]-}
    if [[ -n $_venvd_s ]]; then
      [[ $_venvd_f -nt $_venvd_s || $_venvd_f -ot $_venvd_s ]] && return 1
    else
      [[ -e $_venvd_f ]] && return 1
    fi
  done
  for _venvd_f in "${_VENVD_CHAIN[@]}"; do
    [[ $_venvd_f -nt $_VENVD_STAMP ]] && return 1
  done
  return 0
}

_venvd_hook() {
  local _venvd_status=$? - _venvd_failglob= _venvd_nocasematch=
  set +euf
  if shopt -q failglob; then _venvd_failglob=1; shopt -u failglob; fi
  if shopt -q nocasematch; then _venvd_nocasematch=1; shopt -u nocasematch; fi
  _venvd_unchanged || _venvd_export
  if [[ -n $_venvd_failglob ]]; then shopt -s failglob; fi
  if [[ -n $_venvd_nocasematch ]]; then shopt -s nocasematch; fi
  return $_venvd_status
}

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
