# venvd hook for bash. Install with this line in ~/.bashrc:
#     eval "$(venvd hook bash)"
#
# It runs from PROMPT_COMMAND (cd is never overridden). A prompt where $PWD and
# $VIRTUAL_ENV are unchanged and no watched file is newer than the stamp returns
# using builtins only: no process is started. Otherwise `venvd export bash` prints
# the shell code that switches the environment, and it is applied with Ctrl-C held
# off so an environment is never half applied.

_venvd_command=(@VENVD_COMMAND@)
_VENVD_DIRS=@VENVD_DIRS@

# `venvd on` / `venvd off` change this shell, so they run through the hook;
# everything else is the venvd command itself.
venvd() {
  case "${1-}" in
    on|off) _venvd_export "--$1" ;;
    *) "${_venvd_command[@]}" "$@" ;;
  esac
}

_venvd_export() {
  local _venvd_code _venvd_trap
  _venvd_code=$(_VENVD_DIRS="$_VENVD_DIRS" _VENVD_OFF="${_VENVD_OFF-}" _VENVD_TOLD="${_VENVD_TOLD-}" \
    "${_venvd_command[@]}" export bash "$@") || return 0
  _venvd_trap=$(trap -p INT)
  trap '' INT
  eval "$_venvd_code"
  if [[ -n $_venvd_trap ]]; then eval "$_venvd_trap"; else trap - INT; fi
}

# Called by the `deactivate` venvd defines while one of its venvs is active.
# An activate script calls `deactivate nondestructive` before taking over: then
# venvd only steps back; a plain `deactivate` turns the project off like `venvd off`.
_venvd_deactivate() {
  if [[ ${1-} == nondestructive ]]; then _venvd_export --undo; else _venvd_export --off; fi
}

_venvd_hook() {
  local _venvd_status=$? _venvd_file
  if [[ $PWD == "${_VENVD_PWD-}" && ${VIRTUAL_ENV-} == "${_VENVD_VE-}" && -e ${_VENVD_STAMP-} ]]; then
    for _venvd_file in ${_VENVD_WATCH[@]+"${_VENVD_WATCH[@]}"}; do
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

# Add the hook once, first, keeping whatever PROMPT_COMMAND already holds
# (a string, or an array since bash 5.1).
if [[ ${PROMPT_COMMAND@a} == *a* ]]; then
  if [[ " ${PROMPT_COMMAND[*]} " != *" _venvd_hook "* ]]; then
    PROMPT_COMMAND=(_venvd_hook "${PROMPT_COMMAND[@]}")
  fi
elif [[ ${PROMPT_COMMAND-} != *_venvd_hook* ]]; then
  PROMPT_COMMAND="_venvd_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi
