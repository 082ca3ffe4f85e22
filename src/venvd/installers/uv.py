"""The uv backend: ``uv sync`` for uv.lock, ``uv pip sync`` for pinned sets, else ``uv pip install``."""

from __future__ import annotations

import shutil
import tempfile

from ..errors import VenvdError
from . import Run, Target, child_env
from ._common import installed_seeds, prune, write_seed_file


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
        env = child_env(target)
        pip = [uv, "pip"]
        py = ["--python", target.python]
        if plan.kind == "uv.lock":
            self._uv_sync(uv, plan, target, run)
        elif plan.kind == "pylock" and plan.exact:
            # uv takes a pylock.toml alone (no extra requirements): the seeds go back after.
            seeds = installed_seeds(target)
            run([*pip, "sync", *py, *plan.top], cwd=plan.root, env=env, what="uv pip sync")
            _restore_pip(uv, target, seeds, run, plan.root)
        elif plan.kind == "requirements" and plan.exact:
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
            args = [a for top in plan.top for a in ("-r", top)]
            run([*pip, "install", *py, *args], cwd=plan.root, env=env, what="uv pip install")
        elif plan.kind == "pyproject":
            editable = []
            if plan.editable:
                extras = f"[{','.join(plan.extras)}]" if plan.extras else ""
                editable = ["-e", f"{plan.editable}{extras}"]
            run([*pip, "install", *py, *editable, *plan.requirements], cwd=plan.root, env=env,
                what="uv pip install")
            if plan.exact:
                prune(plan, target, run, [*pip, "uninstall", *py])
        else:
            raise VenvdError(f"uv cannot install {plan.kind} inputs")

    def _uv_sync(self, uv: str, plan, target: Target, run: Run) -> None:  # noqa: ANN001
        # uv's own exact sync, into venvd's venv: the lock as it is (--locked fails on a
        # lock that no longer matches pyproject.toml instead of rewriting it).
        seeds = installed_seeds(target)
        argv = [uv, "sync", "--locked", "--python", target.python]
        if not plan.exact:
            argv.append("--inexact")
        argv += ["--all-extras"] if plan.all_extras else [a for extra in plan.extras for a in ("--extra", extra)]
        argv += [a for group in plan.groups for a in ("--group", group)]
        argv += ["--no-default-groups"] if plan.no_default_groups else []  # [tool.venvd] selection
        argv += ["--all-groups"] if plan.all_groups else [a for g in plan.only_groups for a in ("--only-group", g)]
        env = child_env(target, {"UV_PROJECT_ENVIRONMENT": target.venv})
        try:
            run(argv, cwd=plan.root, env=env, what="uv sync")
        finally:
            # Also after a failed sync: a venv venvd made may still be without pip
            # (it leaves pip to this sync, see export.py).
            _restore_pip(uv, target, seeds, run, plan.root)


def _restore_pip(uv: str, target: Target, seeds: dict[str, str], run: Run, cwd: str) -> None:
    """uv's exact syncs remove pip, which venvd keeps in every venv it makes: put pip
    back from the wheel the interpreter bundles (offline, ~0.1 s) when it is missing
    from a venv that had it before the sync, or from any venv venvd made."""
    from ..venv import read_marker

    wanted = "pip" in seeds or read_marker(target.venv) is not None
    if not wanted or "pip" in installed_seeds(target):
        return
    from ..venv import bundled_pip_dir

    wheels = bundled_pip_dir(target.python, target.version)
    if wheels:
        run([uv, "pip", "install", "--python", target.python, "--offline", "--no-index",
             "--find-links", wheels, "pip"], cwd=cwd, env=child_env(target), what="restoring pip")
