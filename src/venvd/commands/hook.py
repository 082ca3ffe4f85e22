"""``venvd hook SHELL``: the script the user evals in their rc file."""

from __future__ import annotations

import sys
from argparse import Namespace

from ..envdiff import encode_pairs
from ..launcher import launcher
from ..paths import all_dirs
from ..shells import get_shell


def run(ns: Namespace) -> int:
    shell = get_shell(ns.shell)
    dirs = encode_pairs(sorted(all_dirs().items()))
    sys.stdout.write(shell.hook(launcher(), dirs))
    return 0
