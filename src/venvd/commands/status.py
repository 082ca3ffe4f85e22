"""``venvd status [DIR] [--json]``: what venvd sees for a directory, changing nothing.

Project, trust, python request -> interpreter, venv (and whether venvd made it), the
inputs and how they are synced, the fingerprint recorded after the last good sync
against the current one, the installer and why, and the last error.
"""

from __future__ import annotations

import os
from argparse import Namespace
from typing import Any

from ..errors import VenvdError


def gather(directory: "str | None") -> dict[str, Any]:
    from .. import trust
    from ..config import load_config
    from ..export import python_request, venv_location
    from ..project import find_project
    from ..venv import cfg_version, read_marker, read_pyvenv_cfg

    from ..sync.context import start_directory

    start = start_directory(directory)  # an error (exit 1, one line) for a missing directory
    info: dict[str, Any] = {"directory": start}
    project = find_project(start)
    if project is None:
        info["project"] = None
        return info
    info["project"] = project.root
    if project.member:
        info["workspace_member"] = project.member
    from ..trees import TreeRefused

    try:
        info["trust"], how = trust.decide(project.root)
    except TreeRefused as exc:  # under a trusted tree, but another user could have put it there
        info["trust"], how, info["trust_source"] = "refused", "", str(exc)
    if how:  # allowed through a trusted tree, a worktree of an allowed repository, or a move
        info["trust_source"] = trust.source_text(how)
    try:
        config = load_config(project.root)
        request, _key = python_request(project, config)
        info["python_request"] = f"{request.raw} ({request.source})" if request is not None else None
        venv = venv_location(project, config, os.environ)
    except VenvdError as exc:
        info["error"] = str(exc)
        return info
    info["venv"] = venv
    marker = read_marker(venv)
    cfg = read_pyvenv_cfg(venv)
    info["venv_exists"] = cfg is not None
    info["venv_made_by_venvd"] = marker is not None
    if marker is not None and marker.get("interpreter"):
        info["interpreter"] = f"{marker.get('interpreter')} (Python {marker.get('version', '?')})"
    elif cfg is not None:
        info["interpreter"] = f"{cfg.get('home', '?')} (Python {cfg_version(cfg) or '?'})"
    else:
        try:
            from ..interpreters import find_interpreter

            found = find_interpreter(request, os.environ)
            info["interpreter"] = f"{found.path} (Python {found.version}; venv not created yet)"
        except VenvdError as exc:
            info["interpreter"] = None
            info["interpreter_error"] = str(exc)
    info.update(_sync_info(project, config, venv))
    _moved(info, venv, marker, cfg)
    return info


def _moved(info: dict[str, Any], venv: str, marker: Any, cfg: Any) -> None:
    """A venv made for another path (the project was moved or renamed): fingerprints are
    relative to the root, so its inputs may well be in step, but its console scripts name
    the old path. venvd's is recreated at the next entry (as ``export`` does); the user's is
    left as it is, and said to be moved."""
    if marker is not None:
        if marker.get("made_for") == os.path.realpath(venv):
            return
        old = marker.get("made_for") or "another path"
        info["venv_moved_from"] = marker.get("made_for")
        info["state"] = f"made for {old}: will be recreated at the next entry"
        return
    if cfg is None:
        return
    from ..venv import moved_from

    old = moved_from(venv)
    if old is not None:
        info["venv_moved_from"] = old
        info["state"] = (f"{info.get('state')}, but the venv was moved from {old}; its scripts name the old path "
                         "(venvd did not make it: recreate it to fix them)")


def _sync_info(project: Any, config: Any, venv: str) -> dict[str, Any]:
    from ..sync.perform import pick_installer
    from ..sync.fingerprint import compute, context_key, presence
    from ..sync.inputs import detect
    from ..sync.record import FAILED, SYNCED, read_record
    from ..watch import Watch

    info: dict[str, Any] = {"sync_setting": config.get("sync") or "foreground"}
    synced = read_record(venv, SYNCED)
    failed = read_record(venv, FAILED)
    info["fingerprint_recorded"] = synced.get("fingerprint") if synced else None
    if synced:
        info["last_sync"] = {k: _number(k, synced[k]) for k in ("installer", "packages", "seconds", "time")
                             if k in synced}
    try:
        names = presence(project.root)
        plan = detect(project, config, os.environ, Watch(), tell=False)  # listed below as not_synced
        from ..installers.configfiles import add_to_plan

        configs = add_to_plan(plan, project.root, venv, os.environ)  # as the sync engine does
        current, _memo = compute(plan, project.root, context_key(config, venv, os.environ), os.environ, names)
    except VenvdError as exc:
        info["inputs_error"] = str(exc)
        plan, current, configs = None, None, []
    # A file of which one table alone is an input (the project's [tool.uv]) is installer config.
    tables = getattr(plan, "tables", {}) if plan is not None else {}
    info["inputs"] = None if plan is None else {
        "kind": plan.kind, "files": [f for f in plan.files if f not in configs and f not in tables],
        "how": plan.why, "exact": plan.exact,
        "installer_config": [f for f in configs if os.path.isfile(f)] + [f"{f} [{k}]" for f, k in tables.items()],
        "extras": list(plan.extras), "groups": list(plan.groups),
    }
    info["fingerprint_current"] = current
    from ..sync.unsynced import unsynced_requirements

    # Requirements files of the common layouts that this plan leaves out (requirements-dev.txt…).
    info["not_synced"] = unsynced_requirements(project.root, plan)
    if plan is not None:
        try:
            name, why = pick_installer(plan, config, os.environ)
            info["installer"] = {"name": name, "why": why}
        except VenvdError as exc:
            info["installer"] = {"name": None, "why": str(exc)}
    if current is None:
        state = "inputs cannot be read"
    elif current == "":
        state = "nothing to install"
    elif synced and synced.get("fingerprint") == current:
        state = "in step"
    elif failed and failed.get("fingerprint") == current:
        state = "last sync interrupted" if failed.get("interrupted") else "last sync failed"
    else:
        state = "never synced" if not synced else "out of date"
        pending = read_record(venv, "pending")
        if pending is not None and pending.get("fingerprint") == current:
            from ..daemon.liveness import pending_alive

            by = "the daemon" if pending.get("by") == "daemon" else "a detached 'venvd sync'"
            state = (f"syncing in the background ({by})" if pending_alive(venv, pending)
                     else "background sync lost (the next prompt starts it again)")
    info["state"] = state
    if failed:
        info["last_error"] = {"error": failed.get("error", ""), "installer": failed.get("installer"),
                              "time": _number("time", failed.get("time")),
                              "current": failed.get("fingerprint") == current, "log": failed.get("log") or None}
    return info


def _number(key: str, value: Any) -> Any:
    """A record's numbers (kept as text in it) as JSON numbers: packages and time (epoch
    seconds) as integers, seconds as a float; text that is not a number stays as it is."""
    if key not in ("packages", "seconds", "time") or not isinstance(value, str):
        return value
    try:
        return float(value) if key == "seconds" else int(value)
    except ValueError:
        return value


def _human(info: dict[str, Any]) -> str:
    from ..ui import display_path, printable

    def show(value: Any) -> str:
        return display_path(value) if isinstance(value, str) and value.startswith("/") else str(value)

    if info.get("project") is None:
        return f"{show(info['directory'])}: not in a project\n"
    trusted = info.get("trust")
    if info.get("trust_source"):
        trusted = f"{trusted} ({info['trust_source']})"
    lines = [f"project:      {show(info['project'])}", f"trust:        {trusted}"]
    if "error" in info:
        lines.append(f"error:        {info['error']}")
        return "".join(printable(line) + "\n" for line in lines)
    lines.append(f"python:       {info.get('python_request') or 'any (no request)'} -> "
                 f"{info.get('interpreter') or info.get('interpreter_error')}")
    made = "made by venvd" if info.get("venv_made_by_venvd") else "not made by venvd"
    exists = made if info.get("venv_exists") else "not created yet"
    lines.append(f"venv:         {show(info['venv'])} ({exists})")
    inputs = info.get("inputs")
    if inputs:
        files = ", ".join(show(f) for f in inputs["files"])
        lines.append(f"inputs:       {files}")
        lines.append(f"sync:         {inputs['how']}")
        if inputs.get("installer_config"):
            lines.append(f"config:       {', '.join(show(f) for f in inputs['installer_config'])}")
        if info.get("venv_exists") and not info.get("venv_made_by_venvd"):
            lines.append("              additive: venvd did not make this venv (nothing in it is removed)")
    elif "inputs_error" in info:
        lines.append(f"inputs:       {info['inputs_error']}")
    else:
        lines.append("inputs:       none (nothing to install)")
    if info.get("not_synced"):
        lines.append(f"not synced:   {', '.join(info['not_synced'])} (name them in [tool.venvd] requirements)")
    if info.get("installer"):
        lines.append(f"installer:    {info['installer']['name'] or '-'} ({info['installer']['why']})")
    state = str(info.get("state"))
    if info.get("venv_moved_from"):
        state = state.replace(info["venv_moved_from"], show(info["venv_moved_from"]))
    lines.append(f"state:        {state}")
    lines.append(f"fingerprint:  recorded {(info.get('fingerprint_recorded') or '-')[:16]}, "
                 f"current {(info.get('fingerprint_current') or '-')[:16]}")
    error = info.get("last_error")
    if error:
        text = error["error"].strip().splitlines() or ["?"]
        lines.append(f"last error:   {text[0]}")
        lines += [f"              {line}" for line in text[1:12]]
        if error.get("log"):
            lines.append(f"full output:  {show(error['log'])}")
    # Paths and errors in these lines can hold escapes or bytes that are not UTF-8.
    return "".join(printable(line) + "\n" for line in lines)


def run(ns: Namespace) -> int:
    import sys

    info = gather(ns.dir)
    if ns.json:
        import json

        sys.stdout.write(json.dumps(info, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(_human(info))
    return 0
