"""Which files decide a project's packages, and what to do with them: the ``Plan``.

Priority (DESIGN.md, issue 3): ``uv.lock`` → ``pylock.toml`` / ``pylock.*.toml`` →
``poetry.lock`` → ``Pipfile.lock`` → ``pdm.lock`` → requirements files →
``[project].dependencies`` (+ extras, PEP 735 groups) → ``setup.py`` (``-e .``, as pip).
``[tool.venvd] lock`` picks one lockfile when there are several, ``installer =
"poetry" | "pipenv" | "pdm"`` picks that tool's lockfile, and ``[tool.venvd]
requirements`` names requirements files instead. Requirements files of common layouts
that are not synced (``requirements-dev.txt``, ``requirements/*.txt``…) are named in
``Plan.hints``.

This is the slow path (TOML, packaging, the requirements parser): it runs only when
the quick check in ``fingerprint.py`` cannot prove that nothing changed. Every file is
added to the hook's watch list *before* it is read (``Watch.add_input``).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it

from ..errors import VenvdError
from .candidates import is_candidate
from .localname import local_project_name
from .unsynced import hint_nothing, not_synced_line, unsynced_requirements

if TYPE_CHECKING:
    from typing import Any, Mapping, Optional

    from ..config import Config
    from ..project import Project
    from ..watch import Watch

LOCKFILES = ("uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock")
DEFAULT_REQUIREMENTS = "requirements.txt"
# The lockfile each tool installer syncs (``installer = "pdm"`` means pdm.lock).
TOOL_LOCKS = {"poetry": "poetry.lock", "pipenv": "Pipfile.lock", "pdm": "pdm.lock"}
LOCK_KINDS = ("uv.lock", "pylock", "poetry", "pipenv", "pdm")
# The environment variables that change what ``uv sync`` installs from a uv.lock (uv's
# docs, "Environment variables"): they take part in the fingerprint of a uv.lock plan,
# so exporting UV_NO_DEV=1 is followed at the next prompt.
UV_SYNC_VARS = ("UV_DEV", "UV_NO_DEV", "UV_FROZEN", "UV_LOCKED", "UV_NO_EDITABLE", "UV_NO_DEFAULT_GROUPS",
                "UV_GROUP", "UV_NO_GROUP", "UV_ONLY_GROUP", "UV_ALL_GROUPS", "UV_EXTRA", "UV_ALL_EXTRAS",
                "UV_NO_INSTALL_PROJECT", "UV_NO_INSTALL_WORKSPACE", "UV_NO_INSTALL_LOCAL", "UV_NO_SOURCES",
                "UV_NO_BINARY", "UV_NO_BINARY_PACKAGE", "UV_PROJECT", "UV_CONFIG_FILE", "UV_NO_CONFIG")


class Plan:
    """What a sync installs, and how.

    ``kind``: "uv.lock", "pylock", "poetry", "pipenv", "pdm", "requirements" or "pyproject";
    ``files``: every file whose bytes decide the result (includes reached through
    ``-r``/``-c``, workspace members' pyproject.toml), absolute; ``top``: the files handed
    to the installer; ``exact``: remove what the inputs do not name (venv seed packages stay);
    ``requirements``: PEP 508 strings to install (pyproject kind);
    ``editable``: the project root to install editable (a buildable pyproject or a
    setup.py), with ``extras``; ``roots``: the top-level requirement strings, for pruning
    after an additive install; ``variables``: the environment variables whose values
    decide the result (``${VARS}`` in requirements files, uv's selection variables);
    ``no_default_groups``, ``only_groups``, ``all_groups``, ``all_extras``: the
    dependency selection of ``[tool.venvd]``, as uv sync's options;
    ``hints``: lines for the person (inputs found but not synced), said with the sync;
    ``tables``: files of ``files`` of which one TOML table alone decides the result (path ->
    dotted key, e.g. the project's ``[tool.uv]``): hashed as that table, so an edit elsewhere
    in the file is no change (``fingerprint.compute``).
    """

    __slots__ = ("kind", "root", "files", "top", "exact", "why", "requirements", "editable", "extras",
                 "groups", "roots", "variables", "project_name", "no_default_groups", "only_groups",
                 "all_groups", "all_extras", "hints", "tables")

    def __init__(self, kind: str, root: str, files: list[str], top: list[str], exact: bool, why: str,
                 requirements: Optional[list[str]] = None, editable: Optional[str] = None,
                 extras: tuple[str, ...] = (), groups: tuple[str, ...] = (),
                 roots: Optional[list[str]] = None, variables: Optional[list[str]] = None,
                 project_name: Optional[str] = None, no_default_groups: bool = False,
                 only_groups: tuple[str, ...] = (), all_groups: bool = False, all_extras: bool = False):
        self.kind = kind
        self.root = root
        self.files = files
        self.top = top
        self.exact = exact
        self.why = why
        self.requirements = requirements or []
        self.editable = editable
        self.extras = extras
        self.groups = groups
        self.roots = roots
        self.variables = variables or []
        self.project_name = project_name
        self.no_default_groups = no_default_groups
        self.only_groups = only_groups
        self.all_groups = all_groups
        self.all_extras = all_extras
        self.hints: list[str] = []
        self.tables: dict[str, str] = {}

    def describe(self, root: Optional[str] = None) -> str:
        shown = ", ".join(_rel(p, root or self.root) for p in self.top) or self.kind
        extra = []
        if self.all_extras:
            extra.append("all extras")
        elif self.extras:
            extra.append("extras " + ",".join(self.extras))
        if self.all_groups:
            extra.append("all groups")
        elif self.only_groups:
            extra.append("only groups " + ",".join(self.only_groups))
        elif self.groups:
            extra.append("groups " + ",".join(self.groups))
        if self.no_default_groups and not (self.all_groups or self.only_groups):
            extra.append("no default groups")
        return f"{shown}{' (' + '; '.join(extra) + ')' if extra else ''}: {self.why}"

    def fingerprint_fields(self) -> list[str]:
        """Everything besides file bytes that decides the result. Paths relative to the
        root: a project reached through a symlink and through its real path is one sync."""
        top = "|".join(os.path.relpath(p, self.root) for p in self.top)
        editable = os.path.relpath(self.editable, self.root) if self.editable else ""
        return [f"kind={self.kind}", f"exact={int(self.exact)}", f"top={top}",
                f"req={'|'.join(self.requirements)}", f"editable={editable}",
                f"extras={','.join(self.extras)}", f"groups={','.join(self.groups)}",
                f"select={int(self.no_default_groups)}{int(self.all_groups)}{int(self.all_extras)}"
                f":{','.join(self.only_groups)}"]


def _rel(path: str, root: str) -> str:
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel


def _kind_of(name: str) -> str:
    base = os.path.basename(name)
    if base == "uv.lock":
        return "uv.lock"
    if base.startswith("pylock.") and base.endswith(".toml"):
        return "pylock"
    if base == "poetry.lock":
        return "poetry"
    if base == "Pipfile.lock":
        return "pipenv"
    if base == "pdm.lock":
        return "pdm"
    if base == "pyproject.toml":
        return "pyproject"
    return "requirements"


def _selection(config: "Config") -> dict[str, Any]:
    return {
        "extras": tuple(config.get("extras") or ()),
        "groups": tuple(config.get("groups") or ()),
        "no_default_groups": bool(config.get("no-default-groups")),
        "only_groups": tuple(config.get("only-groups") or ()),
        "all_groups": bool(config.get("all-groups")),
        "all_extras": bool(config.get("all-extras")),
    }


def detect(project: "Project", config: "Config", environ: Mapping[str, str], watch: "Watch",
           tell: bool = True) -> Optional[Plan]:
    """The plan for *project*, or None when it names nothing to install.

    A plan carries its hints (said with the sync); when there is no plan, requirements
    files of the common layouts found beside are named here, once (*tell*: on stderr;
    ``venvd status`` lists them instead)."""
    root = project.root
    mode = config.get("mode", "auto")
    configured = config.get("requirements")
    names = sorted(n for n in _listdir(root) if is_candidate(n))
    if configured:
        paths = [os.path.normpath(os.path.join(root, os.path.expanduser(n))) for n in configured]
        kinds = {_kind_of(p) for p in paths}
        if len(kinds) > 1 or (kinds != {"requirements"} and len(paths) > 1):
            raise VenvdError(f"[tool.venvd] requirements = {configured!r} mixes kinds of input; "
                             "name either requirements files or one lockfile")
        for path in paths:
            watch.add_input(path)
            watch.add(os.path.dirname(path))
            if not os.path.isfile(path):
                raise VenvdError(f"[tool.venvd] requirements names {_rel(path, root)}, which does not exist")
        kind = kinds.pop()
        source = "[tool.venvd] requirements"
    elif config.get("lock") or config.get("installer") in TOOL_LOCKS:
        paths, kind = _chosen_lock(root, config, watch)
        source = "[tool.venvd] lock" if config.get("lock") else "[tool.venvd] installer"
    else:
        paths, kind = _by_priority(root, names)
        source = "found"
        if kind is None:
            if tell:
                hint_nothing(root, "there is no requirements.txt or pyproject.toml")
            return None
    if kind == "requirements":
        plan = _requirements_plan(root, paths, mode, environ, watch, source)
    elif kind == "pyproject":
        plan = _pyproject_plan(root, paths[0], config, mode, watch)
    elif kind == "setup":
        plan = _setup_plan(root, paths, mode, watch)
    else:
        plan = _lock_plan(root, kind, paths[0], config, mode, watch)
    if plan is not None:
        plan.hints = _hints(root, plan, names, source)
        _add_tool_uv(plan, watch)
    elif tell and source == "found":
        # A pyproject.toml with only [tool.*] tables, or a [project] that is not buildable
        # and has no dependencies: it names nothing, but a requirements-dev.txt beside it may.
        hint_nothing(root, f"{_rel(paths[0], root)} names nothing to install")
    return plan


def _add_tool_uv(plan: Plan, watch: "Watch") -> None:
    """The project's ``[tool.uv]`` (index, find-links, ``[tool.uv.pip]``…) steers every ``uv pip``
    command run in the root: it decides the result of a requirements or pylock sync too. The
    pyproject.toml is watched and its ``[tool.uv]`` table alone hashed (present or not: adding
    one is a change), so editing ``[tool.ruff]`` starts no sync. A plan that reads the whole
    file (uv.lock, pyproject, poetry, pdm) hashes it all already; pipenv runs no uv."""
    pyproject = os.path.join(plan.root, "pyproject.toml")
    if plan.kind not in ("requirements", "pylock") or pyproject in plan.files or not os.path.isfile(pyproject):
        return
    watch.add_input(pyproject)
    plan.files.append(pyproject)
    plan.tables[pyproject] = "tool.uv"


def _chosen_lock(root: str, config: "Config", watch: "Watch") -> tuple[list[str], str]:
    """The lockfile ``[tool.venvd] lock`` names, or the one of ``installer = "pdm"`` etc."""
    name = config.get("lock")
    installer = config.get("installer")
    key = f"lock = {name!r}" if name else f"installer = {installer!r}"
    if not name:
        name = TOOL_LOCKS[installer]
    path = os.path.normpath(os.path.join(root, os.path.expanduser(name)))
    watch.add_input(path)
    watch.add(os.path.dirname(path))
    kind = _kind_of(path)
    if kind not in LOCK_KINDS:
        raise VenvdError(f"[tool.venvd] {key} is not a lockfile venvd syncs (uv.lock, pylock.toml, "
                         "poetry.lock, Pipfile.lock, pdm.lock); name requirements files in requirements instead")
    if installer in TOOL_LOCKS and kind != installer:
        raise VenvdError(f"[tool.venvd] installer = {installer!r} syncs {TOOL_LOCKS[installer]}, "
                         f"but lock = {config.get('lock')!r}; make them agree")
    if not os.path.isfile(path):
        raise VenvdError(f"[tool.venvd] {key} names {_rel(path, root)}, which does not exist")
    return [path], kind


def _lock_plan(root: str, kind: str, lock: str, config: "Config", mode: str, watch: "Watch") -> Plan:
    watch.add_input(lock)
    pyproject = os.path.join(root, "pyproject.toml")
    files = [lock]
    variables: list[str] = []
    if kind in ("uv.lock", "poetry", "pdm") and os.path.isfile(pyproject):
        # uv, poetry and pdm check the lock against pyproject.toml (and install the project).
        watch.add_input(pyproject)
        files.append(pyproject)
    if kind == "uv.lock":
        # uv sync installs every workspace member (editable) and checks each one's
        # pyproject.toml against the lock: an edit there changes the result.
        for member in workspace_members(root, pyproject):
            watch.add_input(member)
            watch.add(os.path.dirname(member))
            files.append(member)
        variables = list(UV_SYNC_VARS)
    if kind == "pipenv" and os.path.isfile(os.path.join(root, "Pipfile")):
        watch.add_input(os.path.join(root, "Pipfile"))
        files.append(os.path.join(root, "Pipfile"))
    exact = mode != "install"
    why = "exact sync" if exact else "install, nothing removed (mode = install)"
    return Plan(kind, root, files, [lock], exact, why, variables=variables, **_selection(config))


def workspace_members(root: str, pyproject: str) -> list[str]:
    """The pyproject.toml of each member of the uv workspace rooted at *root*, sorted."""
    if not os.path.isfile(pyproject):
        return []
    from ..tomlfile import loads_toml, may_hold_tool, read_toml_bytes

    raw = read_toml_bytes(pyproject)
    if not may_hold_tool(raw):
        return []  # no [tool.uv.workspace] can be in it (and tomllib is not imported)
    data = loads_toml(raw, pyproject)
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    table = uv.get("workspace") if isinstance(uv, dict) else None
    if not isinstance(table, dict):
        return []
    members = table.get("members", [])
    excluded = table.get("exclude", [])
    for key, value in (("members", members), ("exclude", excluded)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise VenvdError(f"{pyproject}: [tool.uv.workspace] {key} must be a list of strings (glob patterns)")
    import glob
    from fnmatch import fnmatch

    found = set()
    for pattern in members:
        for directory in glob.glob(os.path.join(glob.escape(root), pattern)):
            relative = os.path.relpath(directory, root).replace(os.sep, "/")
            if relative.startswith("../") or relative == ".." or any(fnmatch(relative, p) for p in excluded):
                continue  # uv takes members inside the workspace only
            path = os.path.join(directory, "pyproject.toml")
            if os.path.normpath(directory) != os.path.normpath(root) and os.path.isfile(path):
                found.add(os.path.normpath(path))
    return sorted(found)


def _listdir(root: str) -> list[str]:
    try:
        return os.listdir(root)
    except OSError:
        return []


def _by_priority(root: str, names: list[str]) -> tuple[list[str], Optional[str]]:
    for lock in ("uv.lock",):
        if lock in names:
            return [os.path.join(root, lock)], "uv.lock"
    pylocks = [n for n in names if n.startswith("pylock.") and n.endswith(".toml")]
    if "pylock.toml" in pylocks:
        return [os.path.join(root, "pylock.toml")], "pylock"
    if len(pylocks) == 1:
        return [os.path.join(root, pylocks[0])], "pylock"
    if len(pylocks) > 1:
        raise VenvdError(f"several lockfiles: {', '.join(pylocks)}; name one in [tool.venvd] lock")
    for lock, kind in (("poetry.lock", "poetry"), ("Pipfile.lock", "pipenv"), ("pdm.lock", "pdm")):
        if lock in names:
            return [os.path.join(root, lock)], kind
    if DEFAULT_REQUIREMENTS in names:
        return [os.path.join(root, DEFAULT_REQUIREMENTS)], "requirements"
    if "pyproject.toml" in names:
        return [os.path.join(root, "pyproject.toml")], "pyproject"
    if "setup.py" in names:
        return [os.path.join(root, "setup.py")], "setup"
    return [], None


def _hints(root: str, plan: Plan, names: list[str], source: str) -> list[str]:
    hints = []
    if source == "found" and plan.kind in LOCK_KINDS:
        others = [n for n in names if _kind_of(n) in LOCK_KINDS and os.path.join(root, n) != plan.top[0]]
        if others:
            chosen = os.path.basename(plan.top[0])
            hints.append(f"{chosen} is synced; {', '.join(others)} {'is' if len(others) == 1 else 'are'} not "
                         f"(lock = \"{others[0]}\" in [tool.venvd] picks {'it' if len(others) == 1 else 'another'})")
    if plan.kind in ("requirements", "pyproject"):
        unsynced = unsynced_requirements(root, plan)
        if unsynced:
            if plan.kind == "requirements":
                hints.append(not_synced_line(unsynced, f" to sync {'them' if len(unsynced) > 1 else 'it'} too"))
            else:
                # Named there, the requirements files are synced instead of pyproject.toml or
                # setup.py (which a file of them can bring back with `-e .`).
                hints.append(not_synced_line(unsynced, f" (the files named there are synced instead of "
                                                       f"{_rel(plan.top[0], root)})"))
    return hints


def _requirements_plan(root: str, paths: list[str], mode: str, environ: Mapping[str, str],
                       watch: "Watch", source: str) -> Optional[Plan]:
    from .requirement_lines import local_path
    from .requirements import is_lock, is_pinned, parse_requirements

    files: list[str] = []
    variables: set[str] = set()
    pinned = True
    locked = True  # closed under dependencies (hashed or compiled), see requirements.is_lock
    roots: Optional[list[str]] = []
    unnamed = ""  # the first requirement whose name venvd cannot know (nothing is pruned then)
    for path in paths:
        watch.add_input(path)
        watch.add(os.path.dirname(path))
        rs = parse_requirements(path, environ)
        for f in rs.files:  # included files: watched before their bytes are hashed
            watch.add_input(f)
            watch.add(os.path.dirname(f))
            if f not in files:
                files.append(f)
        variables.update(rs.variables)
        pinned = pinned and is_pinned(rs, root)
        locked = locked and pinned and is_lock(rs, root)
        for req in rs.requirements:
            if req.constraint:
                continue
            name = req.name
            if name is None:
                # `-e .[full]`, `./pkg`: a local project's name is in its metadata (pyproject.toml,
                # setup.cfg, a literal in setup.py), read without building it. Those files then
                # decide the result too (their dependencies come with the project).
                local = local_path(req.url or "")
                directory = os.path.normpath(os.path.join(root, local)) if local is not None else ""
                name, read = local_project_name(directory) if os.path.isdir(directory) else (None, [])
                for f in read:
                    watch.add_input(f)
                    if f not in files:
                        files.append(f)
            if name is None:
                if roots is not None:
                    roots, unnamed = None, ("-e " if req.editable else "") + req.text  # a URL or a project whose name venvd cannot read
                continue
            if roots is None:
                continue
            extras = f"[{','.join(req.extras)}]" if req.extras else ""
            marker = f"; {req.marker}" if req.marker else ""
            roots.append(f"{name}{extras}{marker}")
    if mode == "exact":
        exact, why = True, "exact sync (mode = exact)"
    elif mode == "install":
        exact, why = False, "install (mode = install)"
    elif locked:
        exact, why = True, "a complete lock (hashed or compiled): exact sync"
    elif pinned and roots is None:
        # Installed with dependencies; what is no longer required cannot be told without a name.
        exact, why = True, ("top-level pins, not a lock: installed with dependencies; nothing removed, as "
                            f"venvd cannot read the name of {unnamed}")
    elif pinned:
        # Top-level pins say nothing of the dependencies: installed with them (as pip does).
        exact, why = True, ("top-level pins, not a lock: installed with dependencies, "
                            "what no input requires any more removed")
    else:
        exact, why = False, "not fully pinned: install, nothing removed"
    return Plan("requirements", root, files, list(paths), exact, why, roots=roots, variables=sorted(variables))


def _pyproject_plan(root: str, pyproject: str, config: "Config", mode: str, watch: "Watch") -> Optional[Plan]:
    from ..tomlfile import read_toml

    watch.add_input(pyproject)
    data = read_toml(pyproject)
    project = _table(data, "project", pyproject)
    table = _table(data, "dependency-groups", pyproject) or {}
    setup = os.path.join(root, "setup.py")
    if project is None and not table:
        if os.path.isfile(setup):
            return _setup_plan(root, [setup], mode, watch, pyproject)  # setuptools configured by setup.py
        return None  # a pyproject.toml with only tool settings installs nothing
    project = project or {}
    deps = _strings(project.get("dependencies"), "[project] dependencies", pyproject)
    optional = _table(project, "optional-dependencies", pyproject, "[project.optional-dependencies]") or {}
    for extra, value in optional.items():
        _strings(value, f"[project.optional-dependencies] {extra}", pyproject)
    selection = _selection(config)
    extras = tuple(sorted(optional)) if selection["all_extras"] else selection["extras"]
    for extra in extras:
        if extra not in optional:
            raise VenvdError(f"[tool.venvd] extras names {extra!r}, which {pyproject} does not define "
                             f"(it has: {', '.join(sorted(optional)) or 'none'})")
    only = selection["only_groups"]
    if selection["all_groups"]:
        groups = tuple(sorted(table))
    elif only:
        groups = only
    else:
        defaults = () if selection["no_default_groups"] else _default_groups(data, table, pyproject)
        groups = selection["groups"] or defaults
    group_reqs: list[str] = []
    if groups:
        from dependency_groups import resolve

        for group in groups:
            if group not in table:
                raise VenvdError(f"dependency group {group!r} is not in {pyproject} "
                                 f"(it has: {', '.join(sorted(table)) or 'none'})")
        try:
            group_reqs = list(resolve(table, *groups))
        except (ValueError, TypeError, LookupError) as exc:
            raise VenvdError(f"{pyproject} [dependency-groups]: {exc}") from None
        except Exception as exc:  # packaging's InvalidRequirement
            raise VenvdError(f"{pyproject} [dependency-groups]: {exc}") from None
    name = project.get("name") if isinstance(project.get("name"), str) else None
    buildable = isinstance(data.get("build-system"), dict) and name is not None
    reqs: list[str] = []
    roots: list[str] = []
    editable = None
    if only:
        pass  # as uv's --only-group: the groups alone, not the project or its dependencies
    elif buildable:
        # The project itself, editable; its dependencies and extras come with it.
        editable = root
        roots.append(f"{name}[{','.join(extras)}]" if extras else name)  # type: ignore[arg-type]
    else:
        reqs += deps
        for extra in extras:
            reqs += _strings(optional.get(extra), f"[project.optional-dependencies] {extra}", pyproject)
    reqs += group_reqs
    roots += reqs
    if not reqs and editable is None:
        return None
    exact = mode == "exact"
    why = "exact sync (mode = exact)" if exact else "install, nothing removed"
    what = "project (editable) and " if editable else ""
    return Plan("pyproject", root, [pyproject], [pyproject], exact, f"{what}[project] dependencies: {why}",
                requirements=reqs, editable=editable, extras=extras, groups=groups, roots=roots,
                project_name=name, no_default_groups=selection["no_default_groups"], only_groups=only,
                all_groups=selection["all_groups"], all_extras=selection["all_extras"])


def _setup_plan(root: str, paths: list[str], mode: str, watch: "Watch",
                pyproject: Optional[str] = None) -> Plan:
    """A setup.py project: ``pip install -e .``, as its README would say (setup.cfg and a
    build-system-only pyproject.toml decide the result too)."""
    files = list(paths)
    for extra in ([pyproject] if pyproject else []) + [os.path.join(root, "setup.cfg")]:
        if os.path.isfile(extra) and extra not in files:
            files.append(extra)
    for path in files:
        watch.add_input(path)
    exact = mode == "exact"
    why = "exact sync (mode = exact)" if exact else "install, nothing removed"
    # Its name, when setup.cfg or a literal in setup.py gives it (the code is not run):
    # without one nothing is pruned by name.
    name, _read = local_project_name(root)
    if exact and name is None:
        why += " (nothing removed: venvd cannot read the project's name without running setup.py)"
    return Plan("pyproject", root, files, [paths[0]], exact, f"the project (editable, pip install -e .): {why}",
                editable=root, roots=[name] if name else None, project_name=name)


def _table(data: dict[str, Any], key: str, path: str, shown: Optional[str] = None) -> Optional[dict[str, Any]]:
    """``data[key]`` when it is a table; None when absent; one clear line when it is not a table."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise VenvdError(f"{path}: {shown or '[' + key + ']'} must be a table, not {type(value).__name__} "
                         f"{_short(value)}; fix the file")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _default_groups(data: dict[str, Any], table: dict[str, Any], path: str) -> tuple[str, ...]:
    """As uv: ``[tool.uv] default-groups``, else "dev" when the project has it."""
    uv = data.get("tool", {}).get("uv", {}) if isinstance(data.get("tool"), dict) else {}
    configured = uv.get("default-groups") if isinstance(uv, dict) else None
    if configured is None:
        return ("dev",) if "dev" in table else ()
    if configured == "all":
        return tuple(sorted(table))
    if isinstance(configured, list) and all(isinstance(g, str) for g in configured):
        return tuple(configured)
    raise VenvdError(f"{path}: [tool.uv] default-groups must be \"all\" or a list of group names, "
                     f"not {_short(configured)}")


def _strings(value: Any, what: str, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        got = "a string" if isinstance(value, str) else _short(value)
        raise VenvdError(f"{path}: {what} must be a list of strings, not {got}; fix the file")
    return list(value)
