# venvd hook for zsh. Install with this line in ~/.zshrc:
#     eval "$(venvd hook zsh)"
#
# It runs from precmd and chpwd (add-zsh-hook; cd is never overridden). A prompt
# where $PWD and $VIRTUAL_ENV are unchanged and no watched file is newer than the
# stamp returns using builtins only: no process is started.

_venvd_command=(@VENVD_COMMAND@)
_VENVD_DIRS=@VENVD_DIRS@

venvd() {
  case "${1-}" in
    # With more arguments (`venvd off --help`) it is the command's: help, or a usage error.
    on|off) if (( $# == 1 )); then _venvd_export "--$1"; else "${_venvd_command[@]}" "$@"; fi ;;
    *) "${_venvd_command[@]}" "$@" ;;
  esac
}

_venvd_export() {
  # localtraps: the INT trap set here is undone when the function returns,
  # so Ctrl-C cannot interrupt the eval and leave an environment half applied.
  setopt localoptions localtraps
  local _venvd_code
  _venvd_code=$(_VENVD_DIRS="$_VENVD_DIRS" _VENVD_OFF="${_VENVD_OFF-}" _VENVD_TOLD="${_VENVD_TOLD-}" \
    "${_venvd_command[@]}" export zsh "$@") || return 0
  trap '' INT
  eval "$_venvd_code"
}

_venvd_deactivate() {
  if [[ ${1-} == nondestructive ]]; then _venvd_export --undo; else _venvd_export --off; fi
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
  for _venvd_m in $1/requirements*.txt(N) $1/pylock.*.toml(N); do
    return 0
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

_venvd_hook() {
  local _venvd_status=$? _venvd_file
  if [[ ${VIRTUAL_ENV-} == "${_VENVD_VE-}" && -n ${_VENVD_STAMP-} && -e $_VENVD_STAMP ]]; then
    if [[ $PWD != "${_VENVD_PWD-}" ]] && _venvd_same_root; then
      _VENVD_PWD=$PWD
    fi
    if [[ $PWD == "${_VENVD_PWD-}" ]]; then
      # Outside a project, a marker appearing here (uv init, git clone .) makes one.
      if [[ -z ${_VENVD_ROOT-} ]] && _venvd_has_marker "$PWD"; then
        _venvd_export
        return $_venvd_status
      fi
      for _venvd_file in "${_VENVD_WATCH[@]}" "${_VENVD_CHAIN[@]}"; do
        if [[ $_venvd_file -nt $_VENVD_STAMP ]]; then
          _venvd_export
          return $_venvd_status
        fi
      done
      return $_venvd_status
    fi
  fi
  _venvd_export
  return $_venvd_status
}

typeset -ga _VENVD_WATCH _VENVD_CHAIN
autoload -Uz add-zsh-hook
add-zsh-hook precmd _venvd_hook
add-zsh-hook chpwd _venvd_hook
