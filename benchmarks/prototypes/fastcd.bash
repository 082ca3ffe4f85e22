# Prototype, measured by `benchmarks/run.py` as the tool "venvd-proto" (fastcd.zsh and
# fastcd.fish are the same for zsh and fish):
# a cd that stays in the same project (or goes from one non-project dir to another)
# is decided with builtins, so no `venvd export` runs. Sourced after venvd's hook; it
# replaces _venvd_hook. The proposal for shell/venvd.bash is the same code with the
# root taken from a `_VENVD_ROOT` variable that `venvd export` would print (here it
# is read from the undo record, VENVD_DIFF, which only an active project has).

_venvd_has_marker() {  # the markers of src/venvd/project.py, tested with builtins
  local d=$1 f
  [[ -e $d/pyproject.toml || -e $d/uv.lock || -e $d/venvd.toml || -e $d/.python-versions || -d $d/.venv ]] && return 0
  [[ -e $d/.python-version && $d != "${HOME-}" ]] && return 0  # ~/.python-version alone is pyenv's
  for f in "$d"/requirements*.txt; do [[ -e $f ]] && return 0; done
  return 1
}

_venvd_same_project() {  # is $PWD in the project the shell has (or, with none, in no project)?
  local rec=";${VENVD_DIFF-};" root="" d=$PWD
  if [[ $rec == *";project="* ]]; then
    root=${rec#*;project=}; root=${root%%;*}
    root=${root//%3B/;}; root=${root//%3D/=}; root=${root//%25/%}
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
  if [[ $PWD != "${_VENVD_PWD-}" && ${VIRTUAL_ENV-} == "${_VENVD_VE-}" && -e ${_VENVD_STAMP-} ]] \
      && _venvd_same_project; then
    _VENVD_PWD=$PWD
  fi
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
