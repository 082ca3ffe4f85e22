"""The pip backend: venvd's own pip drives the venv (``pip --python``), so a venv needs
no pip of its own and no ensurepip sits on the path. pip has no ``sync``: an exact sync
installs (with dependencies), then uninstalls what no requirement reaches (seed packages
kept). pip reads no config from the project's parents (see ``configfiles``)."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs ~3 ms to import: a venv's first sync waits for it
if TYPE_CHECKING:
    from typing import Optional

from ..errors import VenvdError
from . import Run, Target, child_env
from ._common import prune

PIP_PYTHON_OPTION = (22, 3)  # first pip with --python


def _own_pip_version() -> Optional[tuple[int, ...]]:
    try:
        import pip  # the top-level package is tiny: this imports nothing of pip's internals

        return tuple(int(p) for p in pip.__version__.split(".")[:2] if p.isdigit())
    except Exception:  # noqa: BLE001
        return None


def pip_command(target: Target) -> list[str]:
    """How to run pip against *target*, and fail with what to install when we can't."""
    version = _own_pip_version()
    if version is not None and version >= PIP_PYTHON_OPTION:
        return [sys.executable, "-m", "pip", "--python", target.python]
    # venvd's interpreter has no (new enough) pip: the venv's own pip will do.
    check = os.path.join(os.path.dirname(target.python), "pip")
    if os.path.exists(check) or os.path.exists(check + ".exe"):
        return [target.python, "-m", "pip"]
    raise VenvdError(f"no pip to install with: venvd's Python ({sys.executable}) has "
                     f"{'no pip' if version is None else 'a pip older than 22.3'} and the venv has none; "
                     "install uv (pip install 'venvd[uv]') or pip>=22.3 next to venvd")


class PipBackend:
    name = "pip"

    def sync(self, plan, target: Target, run: Run) -> None:  # noqa: ANN001 - Plan
        pip = [*pip_command(target), "--disable-pip-version-check", "--no-input"]
        env = child_env(target)
        if plan.kind == "requirements":
            args = [a for top in plan.top for a in ("-r", top)]
            run([*pip, "install", *args], cwd=plan.root, env=env, what="pip install")
        elif plan.kind == "pyproject":
            editable = []
            if plan.editable:
                extras = f"[{','.join(plan.extras)}]" if plan.extras else ""
                editable = ["-e", f"{plan.editable}{extras}"]
            run([*pip, "install", *editable, *plan.requirements], cwd=plan.root, env=env, what="pip install")
        else:
            raise VenvdError(f"pip cannot install {plan.kind} inputs; install uv (pip install 'venvd[uv]')")
        if target.exact(plan):  # never in a venv venvd did not make
            prune(plan, target, run, [*pip, "uninstall", "-y"])
