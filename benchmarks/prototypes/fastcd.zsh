# Prototype (see fastcd.bash): the builtin-only cd check for zsh. Sourced after
# venvd's hook; it replaces _venvd_hook (add-zsh-hook calls it by name).

_venvd_has_marker() {
  local d=$1 f
  [[ -e $d/pyproject.toml || -e $d/uv.lock || -e $d/venvd.toml || -e $d/.python-versions || -d $d/.venv ]] && return 0
  [[ -e $d/.python-version && $d != "${HOME-}" ]] && return 0
  for f in $d/requirements*.txt(N); do return 0; done
  return 1
}

_venvd_same_project() {
  local rec=";${VENVD_DIFF-};" root="" d=$PWD
  if [[ $rec == *";project="* ]]; then
    root=${rec#*;project=}; root=${root%%;*}
    root=${root//\%3B/;}; root=${root//\%3D/=}; root=${root//\%25/%}
  fi
  while :; do
    [[ -n $root && $d == "$root" ]] && return 0
    _venvd_has_marker "$d" && return 1
    if [[ $d == / || -z $d ]]; then [[ -z $root ]]; return; fi
    d=${d%/*}; d=${d:-/}
  done
}

_venvd_hook() {
  local _venvd_status=$? _venvd_file
  if [[ $PWD != "${_VENVD_PWD-}" && ${VIRTUAL_ENV-} == "${_VENVD_VE-}" && -n ${_VENVD_STAMP-} && -e $_VENVD_STAMP ]] \
      && _venvd_same_project; then
    _VENVD_PWD=$PWD
  fi
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
