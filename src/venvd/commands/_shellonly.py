"""``venvd on`` / ``venvd off`` change the shell they run in, so the hook does them."""

from __future__ import annotations

from argparse import Namespace

from ..errors import VenvdError


def run(ns: Namespace) -> int:
    raise VenvdError(
        f"'venvd {ns.command}' works through the shell hook; add the hook to your shell "
        "(see 'venvd hook --help') and open a new shell"
    )
