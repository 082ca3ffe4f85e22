"""Placeholder until the sync engine lands: nothing is synced yet."""

from __future__ import annotations

from typing import Any, Mapping


def ensure_synced(project: Any, config: Any, venv: str, environ: Mapping[str, str], watch: Any) -> None:
    return None
