"""The uv backend: ``uv sync`` for uv.lock, ``uv pip sync`` for complete locks, else ``uv pip install``.

Every uv command runs in the project root with ``configfiles.uv_config_args``: no
config file outside the project, the user's and the machine's is read. In a venv venvd
did not make (``Target.owned`` false) nothing is removed: ``uv sync --inexact``, and
``uv pip install`` instead of ``uv pip sync``.

uv also looks in the root's parents for a workspace that lists the project (``uv sync``,
and ``uv pip install -e .`` for its ``[tool.uv.sources]`` and indexes), and no option
turns that off. So nothing runs unless uv would find the root venvd chose
(``project.uv_workspace_problem``): a parent's pyproject.toml that lists the project,
that venvd cannot read as uv does, or that another user could change, stops the sync
with one line. What is left: a pyproject.toml another user creates in a world-writable
parent (/tmp) in the instant between that check and uv's own look.
"""

from __future__ import annotations

from ..errors import VenvdError
from . import Run, Target, child_env
from ._common import installed_seeds, prune, write_seed_file
from .configfiles import uv_config_args


def uv_binary() -> str:
    from ..venv import find_uv

    uv = find_uv()
    if uv is None:
        raise VenvdError("uv is not installed; install it (pip install 'venvd[uv]' or see docs.astral.sh/uv) "
                         "or set installer = \"pip\" in [tool.venvd]")
    return uv


class UvBackend:
    name = "uv"

    def sync(self, plan, target: Target, run: Run) -> None:  # noqa: ANN001 - Plan
        uv = uv_binary()
        _check_workspace(plan)
        env = child_env(target)
        config = uv_config_args(plan.root, target.environ)
        pip = [uv, "pip"]
        py = ["--python", target.python, *config]
        exact = target.exact(plan)
        if plan.kind == "uv.lock":
            self._uv_sync(uv, plan, target, run, exact, config)
        elif plan.kind == "pylock" and exact:
            # uv takes a pylock.toml alone (no extra requirements): the seeds go back after.
            seeds = installed_seeds(target)
            run([*pip, "sync", *py, *plan.top], cwd=plan.root, env=env, what="uv pip sync")
            _restore_pip(uv, target, seeds, run, plan.root, config)
        elif plan.kind == "requirements" and exact and _is_lock(plan, target):
            import shutil
            import tempfile  # ~6 ms (random, hashlib): only on this path, not on onboarding's

            tmp = tempfile.mkdtemp(prefix="venvd-")
            try:
                # `uv pip sync` removes everything it is not given, pip included: hand it
                # the seed packages as they are installed (satisfied, so never fetched).
                seed = write_seed_file(tmp, installed_seeds(target))
                run([*pip, "sync", *py, *plan.top, *([seed] if seed else [])], cwd=plan.root, env=env,
                    what="uv pip sync")
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        elif plan.kind in ("requirements", "pylock"):
            # Not a complete lock: installed with dependencies, as pip does; in exact mode
            # what no input requires any more is removed after.
            args = [a for top in plan.top for a in ("-r", top)]
            run([*pip, "install", *py, *args], cwd=plan.root, env=env, what="uv pip install")
            if exact and plan.kind == "requirements":
                prune(plan, target, run, [*pip, "uninstall", *py])
        elif plan.kind == "pyproject":
            editable = []
            if plan.editable:
                extras = f"[{','.join(plan.extras)}]" if plan.extras else ""
                editable = ["-e", f"{plan.editable}{extras}"]
            run([*pip, "install", *py, *editable, *plan.requirements], cwd=plan.root, env=env,
                what="uv pip install")
            if exact:
                prune(plan, target, run, [*pip, "uninstall", *py])
        else:
            raise VenvdError(f"uv cannot install {plan.kind} inputs")

    def _uv_sync(self, uv: str, plan, target: Target, run: Run, exact: bool,  # noqa: ANN001 - Plan
                 config: list[str]) -> None:
        # uv's own exact sync, into venvd's venv: the lock as it is (--locked fails on a
        # lock that no longer matches pyproject.toml instead of rewriting it). The env is
        # then exactly `uv sync --locked`'s: no pip unless seed-pip asks for it.
        seeds = installed_seeds(target) if target.seed_pip else {}
        argv = [uv, "sync", "--locked", "--python", target.python, *config]
        if not exact:
            argv.append("--inexact")
        argv += ["--all-extras"] if plan.all_extras else [a for extra in plan.extras for a in ("--extra", extra)]
        argv += [a for group in plan.groups for a in ("--group", group)]
        argv += ["--no-default-groups"] if plan.no_default_groups else []  # [tool.venvd] selection
        argv += ["--all-groups"] if plan.all_groups else [a for g in plan.only_groups for a in ("--only-group", g)]
        env = child_env(target, {"UV_PROJECT_ENVIRONMENT": target.venv})
        try:
            run(argv, cwd=plan.root, env=env, what="uv sync")
        finally:
            if target.seed_pip:
                _restore_pip(uv, target, seeds, run, plan.root, config)


def _check_workspace(plan) -> None:  # noqa: ANN001 - Plan
    """Refuse to run uv where it would take another project or workspace root than
    ``plan.root`` (see the module docstring)."""
    from ..project import uv_workspace_problem
    from ..ui import display_path

    why = uv_workspace_problem(plan.root, needs_pyproject=plan.kind == "uv.lock")
    if why is not None:
        raise VenvdError(f"not syncing {display_path(plan.root)} with uv: {why}")


def _is_lock(plan, target: Target) -> bool:  # noqa: ANN001 - Plan
    """Whether the requirements files are complete locks (see ``requirements.is_lock``)."""
    from ..sync.requirements import is_lock, parse_requirements

    try:
        return all(is_lock(parse_requirements(top, target.environ), plan.root) for top in plan.top)
    except VenvdError:
        return False


def _restore_pip(uv: str, target: Target, seeds: dict[str, str], run: Run, cwd: str, config: list[str]) -> None:
    """uv's exact syncs remove pip: put it back from the wheel the interpreter bundles
    (offline, ~0.1 s) when the venv had it before, or venvd made it with seed-pip."""
    wanted = "pip" in seeds or (target.owned and target.seed_pip)
    if not wanted or "pip" in installed_seeds(target):
        return
    from ..venv import bundled_pip_dir

    wheels = bundled_pip_dir(target.python, target.version)
    if wheels:
        run([uv, "pip", "install", "--python", target.python, *config, "--offline", "--no-index",
             "--find-links", wheels, "pip"], cwd=cwd, env=child_env(target), what="restoring pip")
