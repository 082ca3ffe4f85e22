from argparse import Namespace

from .allow import run as _allow_or_deny


def run(ns: Namespace) -> int:
    return _allow_or_deny(ns, allowed=False)
