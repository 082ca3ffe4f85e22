"""Which files decide a project's packages, and what to do with them: the ``Plan``.

Priority (DESIGN.md, issue 3): ``uv.lock`` → ``pylock.toml`` / ``pylock.*.toml`` →
``poetry.lock`` → ``Pipfile.lock`` → requirements files → ``[project].dependencies``
(+ extras, PEP 735 groups). ``[tool.venvd] requirements`` names the inputs instead.

This is the slow path (TOML, packaging, the requirements parser): it runs only when
the quick check in ``fingerprint.py`` cannot prove that nothing changed. Every file is
added to the hook's watch list *before* it is read (``Watch.add_input``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..errors import VenvdError
from .fingerprint import is_candidate

if TYPE_CHECKING:
    from ..config import Config
    from ..project import Project
    from ..watch import Watch

LOCKFILES = ("uv.lock", "poetry.lock", "Pipfile.lock")
DEFAULT_REQUIREMENTS = "requirements.txt"


class Plan:
    """What a sync installs, and how.

    ``kind``: "uv.lock", "pylock", "poetry", "pipenv", "requirements" or "pyproject";
    ``files``: every file whose bytes decide the result (includes reached through
    ``-r``/``-c``), absolute; ``top``: the files handed to the installer;
    ``exact``: remove what the inputs do not name (venv seed packages stay);
    ``requirements``: PEP 508 strings to install (pyproject kind);
    ``editable``: the project root to install editable (a buildable pyproject), with ``extras``;
    ``roots``: the top-level requirement strings, for pruning after an additive install;
    ``variables``: the ``${VARS}`` the requirements files reference.
    """

    __slots__ = ("kind", "root", "files", "top", "exact", "why", "requirements", "editable", "extras",
                 "groups", "roots", "variables", "project_name")

    def __init__(self, kind: str, root: str, files: list[str], top: list[str], exact: bool, why: str,
                 requirements: Optional[list[str]] = None, editable: Optional[str] = None,
                 extras: tuple[str, ...] = (), groups: tuple[str, ...] = (),
                 roots: Optional[list[str]] = None, variables: Optional[list[str]] = None,
                 project_name: Optional[str] = None):
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

    def describe(self, root: Optional[str] = None) -> str:
        shown = ", ".join(_rel(p, root or self.root) for p in self.top) or self.kind
        extra = []
        if self.extras:
            extra.append("extras " + ",".join(self.extras))
        if self.groups:
            extra.append("groups " + ",".join(self.groups))
        return f"{shown}{' (' + '; '.join(extra) + ')' if extra else ''}: {self.why}"

    def fingerprint_fields(self) -> list[str]:
        """Everything besides file bytes that decides the result."""
        return [f"kind={self.kind}", f"exact={int(self.exact)}", f"top={'|'.join(self.top)}",
                f"req={'|'.join(self.requirements)}", f"editable={self.editable or ''}",
                f"extras={','.join(self.extras)}", f"groups={','.join(self.groups)}"]


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
    if base == "pyproject.toml":
        return "pyproject"
    return "requirements"


def detect(project: "Project", config: "Config", environ: Mapping[str, str], watch: "Watch") -> Optional[Plan]:
    """The plan for *project*, or None when it names nothing to install."""
    root = project.root
    mode = config.get("mode", "auto")
    configured = config.get("requirements")
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
    else:
        names = sorted(n for n in _listdir(root) if is_candidate(n))
        paths, kind = _by_priority(root, names)
        source = "found"
        if kind is None:
            return None
    if kind == "requirements":
        return _requirements_plan(root, paths, mode, environ, watch, source)
    if kind == "pyproject":
        return _pyproject_plan(root, paths[0], config, mode, watch)
    lock = paths[0]
    watch.add_input(lock)
    pyproject = os.path.join(root, "pyproject.toml")
    files = [lock]
    if kind in ("uv.lock", "poetry") and os.path.isfile(pyproject):
        # uv and poetry check the lock against pyproject.toml (and install the project).
        watch.add_input(pyproject)
        files.append(pyproject)
    if kind == "pipenv" and os.path.isfile(os.path.join(root, "Pipfile")):
        watch.add_input(os.path.join(root, "Pipfile"))
        files.append(os.path.join(root, "Pipfile"))
    exact = mode != "install"
    why = "exact sync" if exact else "install, nothing removed (mode = install)"
    extras = tuple(config.get("extras") or ())
    groups = tuple(config.get("groups") or ())
    return Plan(kind, root, files, [lock], exact, why, extras=extras, groups=groups)


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
        raise VenvdError(f"several lockfiles: {', '.join(pylocks)}; name one in [tool.venvd] requirements")
    if "poetry.lock" in names:
        return [os.path.join(root, "poetry.lock")], "poetry"
    if "Pipfile.lock" in names:
        return [os.path.join(root, "Pipfile.lock")], "pipenv"
    if DEFAULT_REQUIREMENTS in names:
        return [os.path.join(root, DEFAULT_REQUIREMENTS)], "requirements"
    if "pyproject.toml" in names:
        return [os.path.join(root, "pyproject.toml")], "pyproject"
    return [], None


def _requirements_plan(root: str, paths: list[str], mode: str, environ: Mapping[str, str],
                       watch: "Watch", source: str) -> Optional[Plan]:
    from .requirements import is_pinned, parse_requirements

    files: list[str] = []
    variables: set[str] = set()
    pinned = True
    roots: list[str] = []
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
        for req in rs.requirements:
            if req.constraint:
                continue
            if req.name is None:
                roots = None  # type: ignore[assignment]  # an unnamed URL: cannot prune safely
                break
            if roots is not None:
                extras = f"[{','.join(req.extras)}]" if req.extras else ""
                marker = f"; {req.marker}" if req.marker else ""
                roots.append(f"{req.name}{extras}{marker}")
    if mode == "exact":
        exact, why = True, "exact sync (mode = exact)"
    elif mode == "install":
        exact, why = False, "install (mode = install)"
    elif pinned:
        exact, why = True, "fully pinned: exact sync"
    else:
        exact, why = False, "not fully pinned: install, nothing removed"
    return Plan("requirements", root, files, list(paths), exact, why, roots=roots, variables=sorted(variables))


def _pyproject_plan(root: str, pyproject: str, config: "Config", mode: str, watch: "Watch") -> Optional[Plan]:
    from ..tomlfile import read_toml

    watch.add_input(pyproject)
    data = read_toml(pyproject)
    project = data.get("project") if isinstance(data.get("project"), dict) else None
    table = data.get("dependency-groups") if isinstance(data.get("dependency-groups"), dict) else {}
    if project is None and not table:
        return None  # a pyproject.toml with only tool settings installs nothing
    project = project or {}
    deps = _strings(project.get("dependencies"), "[project] dependencies", pyproject)
    optional = project.get("optional-dependencies") or {}
    extras = tuple(config.get("extras") or ())
    for extra in extras:
        if extra not in optional:
            raise VenvdError(f"[tool.venvd] extras names {extra!r}, which {pyproject} does not define "
                             f"(it has: {', '.join(sorted(optional)) or 'none'})")
    groups = tuple(config.get("groups") or _default_groups(data, table))
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
    if buildable:
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
                project_name=name)


def _default_groups(data: dict[str, Any], table: dict[str, Any]) -> tuple[str, ...]:
    """As uv: ``[tool.uv] default-groups``, else "dev" when the project has it."""
    uv = data.get("tool", {}).get("uv", {}) if isinstance(data.get("tool"), dict) else {}
    configured = uv.get("default-groups") if isinstance(uv, dict) else None
    if configured == "all":
        return tuple(sorted(table))
    if isinstance(configured, list):
        return tuple(g for g in configured if isinstance(g, str))
    return ("dev",) if "dev" in table else ()


def _strings(value: Any, what: str, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise VenvdError(f"{path}: {what} must be a list of strings")
    return list(value)
