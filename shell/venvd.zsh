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
  return 0
}

_venvd_deactivate() {
  emulate -L zsh
  if [[ ${1-} == nondestructive ]]; then _venvd_export --undo; else _venvd_export --off; fi
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
_venvd_markers=(@VENVD_MARKERS@)
_venvd_has_marker() {
  emulate -L zsh
  setopt null_glob
  local _venvd_m
  for _venvd_m in "${_venvd_markers[@]}"; do
    [[ -e $1/$_venvd_m ]] && return 0
  done
  [[ -d $1/.venv ]] && return 0
  [[ -e $1/.python-version && $1 != "${HOME-}" ]] && return 0  # ~/.python-version alone is pyenv's
  for _venvd_m in $1/requirements*.txt $1/pylock.*.toml; do
    return 0
  done
  return 1
}

# A cd that cannot change what venvd does: $PWD's nearest marker directory is still
# $_VENVD_ROOT (or there is still none). Decided with builtins. Inside a project the
# directories walked are watched from now on (their mtime), so a marker created in one
# of them is noticed; a directory changed since the stamp costs one export.
_venvd_same_root() {
  emulate -L zsh
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
# an empty stamp means "was missing", so its appearing counts. zsh's -nt and -ot are
# false when either file is missing, hence the -e tests.
_venvd_unchanged() {
  emulate -L zsh
  local _venvd_i _venvd_f _venvd_s
  [[ ${VIRTUAL_ENV-} == "${_VENVD_VE-}" && -n ${_VENVD_STAMP-} && -e $_VENVD_STAMP ]] || return 1
  if [[ $PWD != "${_VENVD_PWD-}" ]] && _venvd_same_root; then
    _VENVD_PWD=$PWD
  fi
  [[ $PWD == "${_VENVD_PWD-}" ]] || return 1
  # Outside a project, a marker appearing here (uv init, git clone .) makes one.
  [[ -z ${_VENVD_ROOT-} ]] && _venvd_has_marker "$PWD" && return 1
  for (( _venvd_i = 1; _venvd_i <= ${#_VENVD_WATCH}; _venvd_i++ )); do
    _venvd_f=$_VENVD_WATCH[_venvd_i] _venvd_s=$_VENVD_STAMPS[_venvd_i]
    if [[ -n $_venvd_s ]]; then
      [[ ! -e $_venvd_f || ! -e $_venvd_s || $_venvd_f -nt $_venvd_s || $_venvd_f -ot $_venvd_s ]] && return 1
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
  local _venvd_status=$?
  emulate -L zsh
  _venvd_unchanged || _venvd_export
  return $_venvd_status
}

typeset -ga _VENVD_WATCH _VENVD_STAMPS _VENVD_CHAIN
autoload -Uz add-zsh-hook
add-zsh-hook precmd _venvd_hook
add-zsh-hook chpwd _venvd_hook
