"""``venvd export SHELL``: the loop of one directory change, printed as shell code.

1. find the project; 2. trust; 3. interpreter; 4. venv; 5. (sync); 6. the change.
Runs on every directory change, so it imports only what the step at hand needs.
stdout carries shell code only; messages go to stderr through ``ui.say``.
"""

from __future__ import annotations

import os
import sys
# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Mapping, Optional

    from .sync.options import SyncOptions

from . import trust
from .config import Config, load_config
from .envdiff import (DIFF_VAR, Change, Record, Target, decode_list, encode_list, env_change,
                      remove_path_entry, step_back)
from .errors import VenvdError
from .ownership import Refused, check_project
from .paths import cache_dir
from .project import Project, current_directory, find_project, walk_up
from .ui import display_path, printable, say
from .provenance import debris_of, half_made
from .venv import bin_dir, cfg_version, is_empty_dir, moved_from, python_path, read_marker, read_pyvenv_cfg
from .watch import Watch, hook_clock

OFF_VAR = "_VENVD_OFF"  # projects turned off in this shell session
TOLD_VAR = "_VENVD_TOLD"  # untrusted projects already announced in this session
STAMPS_TOLD = ":stamps"  # in TOLD_VAR: the stamps could not be written (never a path: no ":" start)
INPUT_NAMES = (".python-version", ".python-versions", "pyproject.toml", "venvd.toml")
KEEP = object()  # "leave the environment as it is"


def venv_location(project: Project, config: Config, environ: Mapping[str, str]) -> str:
    """``UV_PROJECT_ENVIRONMENT``, else ``[tool.venvd] venv`` (inside the project), else ``.venv``."""
    from_env = environ.get("UV_PROJECT_ENVIRONMENT")
    if from_env:
        return os.path.normpath(os.path.join(project.root, os.path.expanduser(from_env)))
    configured = config.get("venv")
    if configured:
        path = os.path.normpath(os.path.join(project.root, configured))
        root = os.path.realpath(project.root)
        real = os.path.realpath(path)
        if real == root or not real.startswith(root.rstrip(os.sep) + os.sep):
            raise VenvdError(f"[tool.venvd] venv = {configured!r} is outside the project; use a path inside it")
        return path
    return os.path.join(project.root, ".venv")


def python_request(project: Project, config: Config):  # -> tuple[VersionRequest | None, str]
    """What the project asks for and a key naming it (stored with the venv)."""
    from .versionfile import read_version_file
    from .versionrequest import parse_request

    request = read_version_file(project.root)
    if request is None and project.member is not None:
        request = read_version_file(project.member)
    if request is None and config.get("python"):
        request = parse_request(config.get("python"), "[tool.venvd] python")
    if request is None and (config.requires_python or config.tool_python):
        # requires-python (pdm keeps its constraint there too) and poetry's or Pipfile's
        # python both bound the choice: a Python must satisfy each of them.
        texts, sources = [], []
        if config.requires_python:
            texts.append(config.requires_python)
            sources.append("requires-python")
        if config.tool_python:
            texts.append(config.tool_python[0])
            sources.append(config.tool_python[1])
        if len(texts) == 1:
            request = parse_request(texts[0], sources[0])
        else:
            try:
                request = parse_request(",".join(_as_range(t) for t in texts), " and ".join(sources))
            except VenvdError:
                for text, source in zip(texts, sources):
                    parse_request(text, source)  # the one that is wrong, named in its own line
                raise
    if request is None:
        return None, ""
    return request, f"{request.source}:{request.raw}"


def _as_range(text: str) -> str:
    """A version ("3.12", "3.12.1") as the range it means, so two requests can be joined."""
    text = text.strip()
    if any(ch in text for ch in "<>=!~,"):
        return text
    return f"=={text}" if text.count(".") >= 2 else f"=={text}.*"


def resolve_target(project: Project, config: Config, environ: Mapping[str, str], watch: Watch,
                   options: SyncOptions) -> Target:
    """The venv for *project*, created (or recreated) when venvd must, then synced as
    *options* say (its ``outcome`` tells how that went)."""
    venv = venv_location(project, config, environ)
    bindir = bin_dir(venv)
    if os.pathsep in bindir:
        # PATH cannot hold it: the entry would split in two, and a relative half would be
        # left behind after leaving, where a later directory could supply it.
        raise Refused(f"{display_path(bindir)} contains {os.pathsep!r}, which separates PATH entries; "
                      "venvd does not activate it (rename the directory)")
    check_project(project.root, bindir)
    watch.add_own(os.path.join(venv, "pyvenv.cfg"))
    if debris_of(venv):
        _clean_debris(venv)
    request, key = python_request(project, config)
    real_root = os.path.realpath(project.root)
    if real_root != project.root and key.startswith(project.root + os.sep):
        # The key names the file the request came from: by its real path, so a project
        # reached through a symlink and through its real path asks for the same venv.
        key = real_root + key[len(project.root):]
    marker = read_marker(venv)
    cfg = read_pyvenv_cfg(venv)
    usable = cfg is not None and os.path.exists(python_path(venv))
    populated: list[str] = []  # a creation that ran the first sync: its outcome
    if marker is None and not usable and os.path.lexists(venv):
        # Another shell may be creating it this moment (its directory exists before its
        # marker does): wait for that creation's lock, then look again.
        marker, cfg, usable = _after_creation(venv)
    half = marker is None and os.path.lexists(venv) and half_made(venv)
    if half:
        # uv sync making a fresh uv.lock venv (its python comes before venvd's marker), now in
        # another shell or killed mid-way: wait for that creation, then look again.
        marker, cfg, usable = _after_creation(venv)
        half = marker is None and half_made(venv)  # still: debris of a kill, recreated below
    real_venv = os.path.realpath(venv)
    moved = marker is not None and marker.get("made_for") != real_venv
    if moved:
        say(f"{display_path(venv)} was made for {display_path(marker.get('made_for', ''))} and moved here; "
            "its scripts name the old path, so venvd recreates it")
    ours_ok = marker is not None and marker.get("state") == "ok" and usable and not moved
    if ours_ok and marker.get("request") == key and os.path.exists(marker.get("interpreter", "")):
        pass  # ready: the common case costs no interpreter discovery
    elif marker is None and os.path.lexists(venv) and not is_empty_dir(venv) and not half:
        # A venv venvd did not make: used as it is, never rebuilt.
        if not usable:
            raise VenvdError(f"{display_path(venv)} is not a working venv and venvd did not make it; "
                             "remove it and venvd will create one")
        made_for = moved_from(venv)
        if made_for is not None:
            say(f"{display_path(venv)} was made at {display_path(made_for)} and moved here: its scripts still "
                "name that path. venvd did not make it, so it is left as it is (recreate it to fix them)")
        version = cfg_version(cfg)
        # uv and virtualenv record the implementation; the stdlib's venv only makes CPython ones.
        implementation = cfg.get("implementation", "cpython").lower()
        freethreaded = version is not None and version.endswith("t")
        if request is not None and version and not request.matches(version.rstrip("t"), implementation, freethreaded):
            say(f"{display_path(venv)} has Python {version} but {request.source} asks for {request.raw!r}; "
                "venvd did not make it, so it is left as it is (remove it to let venvd rebuild it)")
    else:
        from .interpreters import find_interpreter
        from .venv import write_marker

        interpreter = find_interpreter(request, environ, cache_dir=cache_dir(), provide=True,
                                       retry=options.explicit)
        if ours_ok and marker.get("interpreter") == interpreter.path:
            # Same interpreter under another request (e.g. "3.12" became "3.12.1"): keep the venv.
            write_marker(venv, **{**marker, "request": key})
        else:
            # A uv.lock venv holds exactly what `uv sync --locked` installs, pip only when
            # `seed-pip = true` asks for it (then the sync keeps it): no pip seeded first.
            seed_pip = bool(config.get("seed-pip")) or not ("uv.lock" in project.markers
                                                             and config.get("sync") != "off")
            populate = None
            if not seed_pip:
                # A fresh uv.lock venv: `uv sync --locked` makes it and installs the lock, one
                # uv process (as `uv sync` by hand) instead of `uv venv` and then `uv sync`.
                from .sync.engine import first_sync

                def populate() -> bool:
                    outcome = first_sync(project, config, venv, environ, watch, options, interpreter.path,
                                         interpreter.version, _uv_prompt(project))
                    populated.append(outcome)
                    return bool(outcome)
            _create(project, venv, interpreter, key, recreate=marker is not None or half, seed_pip=seed_pip,
                    retry=options.explicit, populate=populate)
            # Its first sync runs now, whatever the sync mode: the shell is waiting anyway.
            options.fresh = True
        cfg = read_pyvenv_cfg(venv)
    from .sync.engine import ensure_synced

    if populated and populated[0]:
        options.outcome = populated[0]  # the creation was the first sync (and said how it went)
    else:
        # Never raises for a failed sync: the venv as it was stays the one activated.
        ensure_synced(project, config, venv, environ, watch, options)
    prompt = (cfg or {}).get("prompt") or project.name
    if len(prompt) > 1 and prompt[0] == prompt[-1] and prompt[0] in "'\"":
        prompt = prompt[1:-1]  # the venv module writes it as a Python literal: prompt = '-dash'
    # Prompt themes print VIRTUAL_ENV_PROMPT raw: a name's ESC, BEL or newline is spelled out.
    prompt = printable(prompt)
    # One stat: a venv venvd made without pip gets PIP_REQUIRE_VIRTUALENV while active.
    pipless = read_marker(venv) is not None and not any(
        os.path.exists(os.path.join(bindir, name)) for name in ("pip", "pip.exe"))
    return Target(project.root, venv, bindir, prompt, pipless=pipless)


def _after_creation(venv: str):  # -> tuple[marker | None, cfg | None, bool]
    from .locking import FileLock, venv_lock_path

    with FileLock(venv_lock_path(venv)):
        pass
    cfg = read_pyvenv_cfg(venv)
    return read_marker(venv), cfg, cfg is not None and os.path.exists(python_path(venv))


def _clean_debris(venv: str) -> None:
    """``<venv>.venvd-old-*`` left by a venvd killed mid-creation: removed under the lock."""
    from .locking import FileLock, venv_lock_path
    from .provenance import clean_debris

    with FileLock(venv_lock_path(venv)):
        clean_debris(venv)


def _create(project: Project, venv: str, interpreter, key: str, recreate: bool, seed_pip: bool,
            retry: bool, populate=None) -> None:  # populate: Callable[[], bool] | None
    """Create the venv (with uv when it is available, else the stdlib's venv), remembering
    a failure or a Ctrl-C so the next prompt does not start the same attempt again
    (*retry*: `venvd sync`, which tries again). *populate*: see ``venv.create``."""
    import time

    from .venv import create, find_uv, forget_failure, remember_failure, remembered_failure

    attempt = f"{key}|{interpreter.path}"
    if populate is not None:
        # The creation runs the first sync: a changed lock or pyproject.toml is a new attempt.
        attempt += "|" + "|".join(_stamp(os.path.join(project.root, n)) for n in ("uv.lock", "pyproject.toml"))
    shown = display_path(venv)
    try:
        venv.encode("utf-8")
    except UnicodeEncodeError:
        # A directory name that is not UTF-8 (os.fsdecode's lone surrogates): uv refuses the
        # path and the venv module fails writing pyvenv.cfg, so say so before trying.
        raise VenvdError(f"cannot create {shown}: its path is not valid UTF-8, and neither uv nor the "
                         "venv module can make a venv there; rename the directory, or set "
                         "UV_PROJECT_ENVIRONMENT to a UTF-8 path") from None
    if not retry:
        failure = remembered_failure(venv, attempt)
        if failure is not None:
            raise VenvdError(f"creating {shown} {failure} before; 'venvd sync' tries again "
                             f"(so does changing the Python request{' or uv.lock' if populate else ''})")
    # uv makes a venv in tens of milliseconds (the stdlib's venv with ensurepip takes
    # seconds), so it is used whenever it is there, whichever installer syncs later.
    uv = find_uv()
    say(f"{'recreating' if recreate else 'creating'} {shown} with Python {interpreter.version} ({interpreter.path})")
    started = time.monotonic()
    try:
        prompt = _uv_prompt(project)
        create(venv, interpreter.path, interpreter.version, prompt, key, uv, seed_pip=seed_pip or uv is None,
               populate=populate if uv is not None else None)
    except KeyboardInterrupt:
        remember_failure(venv, attempt, "was interrupted")
        say(f"creating {shown} was interrupted; nothing is active ('venvd sync' creates it)")
        raise
    except VenvdError as exc:
        remember_failure(venv, attempt, f"failed ({exc})")
        raise
    forget_failure(venv)
    say(f"{shown} ready in {time.monotonic() - started:.1f}s")


def _uv_prompt(project: Project) -> str:
    # The prompt is text in pyvenv.cfg and uv takes only UTF-8 arguments: a name that is
    # not UTF-8 is spelled with U+FFFD there.
    return project.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_size}:{st.st_mtime_ns}"


def _watch_project(watch: Watch, pwd: str, project: Project) -> None:
    # The files this step reads; the sync engine adds the lockfiles and requirements it reads.
    for name in project.markers:
        if name in INPUT_NAMES:
            watch.add_input(os.path.join(project.root, name))
    if project.member is not None:
        for name in INPUT_NAMES:
            watch.add_input(os.path.join(project.member, name))
    for directory in walk_up(pwd):
        watch.add_own(directory)
        if directory == project.root:
            break
    watch.add_own(project.root)
    # The trust store's directory: venvd writes the allowed and denied lists beside and
    # renames them in, so its mtime moves with each (one path, not two), and only forward:
    # watched one way, as venvd's other directories (two stat calls per prompt, not four).
    watch.add_own(os.path.dirname(trust.store_file(trust.ALLOWED)))
    from .trees import config_file

    watch.add(config_file())  # its trusted trees: `venvd allow --tree` takes effect at the next prompt


def _register(root: str) -> None:
    """Tell the daemon (if one runs, now or later) about a project venvd activated."""
    from .daemon.registry import register

    try:
        register(root)
    except OSError as exc:
        say(f"cannot record {display_path(root)} for the daemon: {exc.strerror}")
    except VenvdError as exc:  # the registry is not a regular file (safeio): not fatal to the prompt
        say(f"cannot record {display_path(root)} for the daemon: {exc}")


def _say_prepared(target: Target) -> None:
    """The daemon made this venv before the first cd (a new project under a trusted tree)."""
    from .daemon.prepared import take

    took = take(target.project)
    if took is not None:
        say(f"{display_path(target.venv)} was prepared in the background by the daemon ({took}s) before this cd")


def compute(environ: Mapping[str, str], mode: Optional[str] = None) -> Change:
    """The change for this shell. *mode*: None (a prompt), "on", "off" or "undo"."""
    from . import ui

    said = ui.said  # a decision that said something is not cached: the cache says nothing
    record = Record.decode(environ.get(DIFF_VAR, ""))
    off = decode_list(environ.get(OFF_VAR, ""))
    told = decode_list(environ.get(TOLD_VAR, ""))
    active = environ.get("VIRTUAL_ENV", "")
    # A venv activated by hand (not the one venvd recorded) is the user's: hands off.
    manual = bool(active) and (record is None or record.venv != active)
    watch = Watch()
    state: dict[str, "str | list[str]"] = {}
    target: object = None
    options = None  # the sync's, once there is one: its outcome decides the stamp
    try:
        pwd = current_directory(environ)
    except VenvdError as exc:
        say(str(exc))
        pwd = environ.get("PWD", "")
        project = None
        target = KEEP
    else:
        project = find_project(pwd)
    if project is not None:
        _watch_project(watch, pwd, project)
        if mode == "off" and project.root not in off:
            off.append(project.root)
            say(f"off for {display_path(project.root)} in this shell ('venvd on' turns it back on)")
        elif mode == "on" and project.root in off:
            off.remove(project.root)
        try:
            status = trust.status(project.root)
        except VenvdError as exc:  # the store is unreadable or another user could write it
            say(str(exc))
            status = "broken"
        if mode == "on" and status == "allowed":
            say(f"on for {display_path(project.root)} in this shell ('venvd off' turns it off)")
        if manual:
            target = KEEP
        elif status != "allowed":
            if status in ("unknown", trust.CHANGED) and project.root not in told:
                told.append(project.root)
                say(trust.refusal(project.root) if status == trust.CHANGED else
                    f"{display_path(project.root)} is not allowed to run code here; "
                    "'venvd allow' activates its venv (and creates it if needed)")
            if mode == "on":
                say(f"{display_path(project.root)} is not allowed; run 'venvd allow' first")
        elif project.root not in off and mode != "undo":
            try:
                config = load_config(project.root)
                for warning in config.warnings:
                    say(warning)
                from .sync.options import SyncOptions

                options = SyncOptions()
                target = resolve_target(project, config, environ, watch, options)
            except Refused as exc:
                say(str(exc))
                target = None  # another user could change it: not even the env that worked
            except VenvdError as exc:
                say(str(exc))
                # A project that worked keeps its env until the problem is fixed.
                target = KEEP if record is not None and record.project == project.root else None
    elif mode in ("on", "off"):
        say("not in a project (no .python-version, pyproject.toml, requirements*.txt, uv.lock or .venv here or above)")
    if manual and target is not KEEP:
        target = KEEP  # outside any project the user's own venv stays too
    env: dict[str, Optional[str]] = {}
    deactivate = None
    if isinstance(target, Target):
        if record is None or record.venv != target.venv or active != target.venv:
            env = env_change(environ, record, target)
            _register(target.project)
            _say_prepared(target)
            if environ.get("VENVD_DAEMON") == "auto":  # unset: not even an import
                from .daemon.liveness import daemon_alive

                if not daemon_alive():  # one lock probe; control.py (subprocess) only to start one
                    from .daemon.control import auto_start

                    auto_start()
        deactivate = True
    elif target is None and record is not None:
        env = env_change(environ, record, None)
        deactivate = False
    elif manual and record is not None:
        # An activate script took over from venvd's venv. It defined its own `deactivate`
        # first, so venvd's was never called: venvd steps back now, out of PATH and out of
        # the PATH that script saved to give back on its `deactivate`.
        env = step_back(environ, record)
        saved_path = environ.get("_OLD_VIRTUAL_PATH", "")
        if saved_path and record.bindir in saved_path.split(os.pathsep):
            state["_OLD_VIRTUAL_PATH"] = remove_path_entry(saved_path, record.bindir)
    state["_VENVD_PWD"] = pwd
    # The nearest marker directory: a cd that keeps it is decided by the hook alone.
    state["_VENVD_ROOT"] = (project.member or project.root) if project is not None else ""
    state["_VENVD_CHAIN"] = []
    state["_VENVD_VE"] = (env["VIRTUAL_ENV"] if "VIRTUAL_ENV" in env else active) or ""
    state["_VENVD_WATCH"] = watch.paths
    stamp_dir = os.path.join(cache_dir(), "stamps")
    try:
        state["_VENVD_STAMP"] = watch.stamp(stamp_dir)
    except OSError as exc:
        # No stamps, no no-op test: every prompt asks the core (right, only slower). Said
        # once per shell (the "told" list, as for untrusted projects).
        state["_VENVD_STAMP"] = ""
        if STAMPS_TOLD not in told:
            told.append(STAMPS_TOLD)
            say(f"cannot write its stamps in {display_path(stamp_dir)} ({exc.strerror}): every prompt "
                "runs venvd until it can; make that directory writable or set VENVD_CACHE_DIR")
    state["_VENVD_STAMPS"] = watch.stamps  # one per watched path: its exact mtime
    state["_VENVD_NOW"] = hook_clock(cache_dir())  # for directories the hook finds no marker in
    # `prompt = true` (user config): the hook shows "(name) " before the prompt. Said at every
    # export, so an edit of the (watched) config file shows at the next prompt; `venvd hook`
    # embeds it too, for a new shell whose entries all come from its cache.
    from .shells.base import show_prompt_setting

    state["_VENVD_SHOW_PROMPT"] = show_prompt_setting()
    if isinstance(target, Target) and options is not None and options.outcome == "background":
        # A daemon or detached sync that dies changes no file: while a sync is handed off,
        # a stamp that never exists makes each prompt ask again, until it is said to be done.
        state["_VENVD_STAMP"] += ".pending"
    _cache_state(state, environ, env, target, project, mode, manual, options, watch, pwd, said)
    if encode_list(off) != environ.get(OFF_VAR, ""):
        state[OFF_VAR] = encode_list(off)
    if encode_list(told) != environ.get(TOLD_VAR, ""):
        state[TOLD_VAR] = encode_list(told)
    return Change(env, state, deactivate)


def _cache_state(state: dict, environ: Mapping[str, str], env: Mapping[str, Optional[str]], target: object,
                 project: Optional[Project], mode: Optional[str], manual: bool, options: object, watch: Watch,
                 pwd: str, said: int) -> None:
    """The hook's activation cache (activation_cache.py): the undo of the activation in
    force, and this project's activation when entering it again can be left to the hook."""
    from . import ui
    from .activation_cache import PLAIN_OUTCOMES, entry_state, undo_state

    diff = (env[DIFF_VAR] if DIFF_VAR in env else environ.get(DIFF_VAR)) or ""
    state["_VENVD_UNDO"] = undo_state(Record.decode(diff), diff) if isinstance(target, Target) else []
    entry: list[str] = []
    if project is not None:
        plain = (isinstance(target, Target) and mode is None and not manual and project.member is None
                 and getattr(options, "outcome", None) in PLAIN_OUTCOMES and ui.said == said
                 and state["_VENVD_STAMP"] and not str(state["_VENVD_STAMP"]).endswith(".pending"))
        entry = [project.root]
        if plain:
            walked = []
            for directory in walk_up(pwd):
                walked.append(directory)
                if directory == project.root:
                    break
            entry = entry_state(project, target, watch, walked, environ,  # type: ignore[arg-type]
                                os.path.join(cache_dir(), "stamps"))
            if len(entry) > 1:
                from .activation_cache import save

                save(entry, cache_dir())  # for the shells started later (venvd hook)
    state["_VENVD_ENTRY"] = entry


def main_export(args: list[str]) -> int:
    """``venvd export SHELL [--on|--off|--undo]``; prints shell code, always exit 0 on
    known errors so the hook applies what it can."""
    from .shells import get_shell

    if not args:
        raise VenvdError("usage: venvd export SHELL [--on|--off|--undo]")
    shell = get_shell(args[0])
    mode = None
    for arg in args[1:]:
        if arg in ("--on", "--off", "--undo"):
            mode = arg[2:]
        else:
            raise VenvdError(f"venvd export: unknown option {arg!r}")
    code = shell.export(compute(os.environ, mode))
    # Bytes, with surrogateescape: a directory whose name is not UTF-8 is decoded by Python
    # as lone surrogates, and the shell must get back its real bytes.
    sys.stdout.buffer.write(code.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return 0
