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
    on|off) _venvd_export "--$1" ;;
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

_venvd_hook() {
  local _venvd_status=$? _venvd_file
  if [[ $PWD == "${_VENVD_PWD-}" && ${VIRTUAL_ENV-} == "${_VENVD_VE-}" && -n ${_VENVD_STAMP-} && -e $_VENVD_STAMP ]]; then
    for _venvd_file in "${_VENVD_WATCH[@]}"; do
      if [[ $_venvd_file -nt $_VENVD_STAMP ]]; then
        _venvd_export
        return $_venvd_status
      fi
    done
    return $_venvd_status
  fi
  _venvd_export
  return $_venvd_status
}

typeset -ga _VENVD_WATCH
autoload -Uz add-zsh-hook
add-zsh-hook precmd _venvd_hook
add-zsh-hook chpwd _venvd_hook
