"""The Python other tools' files ask for, as a request ``versionrequest.parse_request`` takes.

poetry's ``[tool.poetry.dependencies] python`` uses poetry's constraint syntax (``^3.12``,
``~3.12``, ``>=3.10 <4.0``, ``^3.9 || ^3.11``), Pipfile's ``[requires]`` a version or a
full version. Read only when the config cache is rebuilt (``config._parse``), never on a
plain ``cd``.
"""

from __future__ import annotations

from typing import Any, Optional

from .errors import VenvdError


def _release(text: str, source: str, raw: str) -> list[int]:
    parts = text.split(".")
    if not text or len(parts) > 4 or not all(p.isdigit() and len(p) <= 4 for p in parts):
        raise VenvdError(f"{source} = {raw!r} is not a Python version constraint venvd can read; "
                         "write a PEP 440 range such as '>=3.12,<4' or add a .python-version")
    return [int(p) for p in parts]


def _dotted(release: list[int]) -> str:
    return ".".join(str(p) for p in release)


def _caret(release: list[int]) -> str:
    """``^3.12`` → ``>=3.12,<4.0``; ``^0.2.3`` → ``>=0.2.3,<0.3.0`` (the first non-zero part bumps)."""
    index = next((i for i, p in enumerate(release) if p != 0), len(release) - 1)
    upper = release[:index] + [release[index] + 1]
    return f">={_dotted(release)},<{_dotted(upper + [0] * max(0, 2 - len(upper)))}"


def _tilde(release: list[int]) -> str:
    """``~3.12`` and ``~3.12.1`` → ``<3.13``; ``~3`` → ``<4``."""
    upper = [release[0] + 1] if len(release) == 1 else [release[0], release[1] + 1]
    return f">={_dotted(release)},<{_dotted(upper + [0] * max(0, 2 - len(upper)))}"


def _clause(token: str, source: str, raw: str) -> str:
    for op in ("~=", "==", "!=", ">=", "<=", ">", "<"):
        if token.startswith(op):
            version = token[len(op):].strip()
            wild = version.endswith(".*") and op in ("==", "!=")
            _release(version[:-2] if wild else version, source, raw)
            return op + version
    if token.startswith("^"):
        return _caret(_release(token[1:].strip(), source, raw))
    if token.startswith("~"):
        return _tilde(_release(token[1:].strip(), source, raw))
    if token.endswith(".*"):
        return f"=={_dotted(_release(token[:-2], source, raw))}.*"
    release = _release(token, source, raw)
    # A bare "3.12" means the 3.12 series to a person; "3.12.1" that very version.
    return f"=={_dotted(release)}.*" if len(release) < 3 else f"=={_dotted(release)}"


def _lowest(spec: str) -> tuple[int, ...]:
    for clause in spec.split(","):
        if clause.startswith((">=", ">", "==", "~=")):
            text = clause.lstrip(">=~").rstrip(".*")
            return tuple(int(p) for p in text.split(".") if p.isdigit())
    return ()


def poetry_range(raw: str, source: str) -> Optional[str]:
    """A poetry constraint as a PEP 440 range; None for ``*`` (any Python)."""
    text = raw.strip()
    if text in ("", "*"):
        return None
    alternatives = []
    for alternative in text.split("||"):
        tokens = [t for part in alternative.split(",") for t in _split_spaced(part.strip())]
        if not tokens:
            raise VenvdError(f"{source} = {raw!r} has an empty alternative; fix it or add a .python-version")
        alternatives.append(",".join(_clause(t, source, raw) for t in tokens))
    # A PEP 440 range has no "or": of "^3.9 || ^3.11" take the alternative reaching the
    # newest Pythons (the newest fitting interpreter is picked from a range anyway).
    return max(alternatives, key=_lowest)


def _split_spaced(part: str) -> list[str]:
    """poetry also separates clauses by spaces (``>=3.10 <4.0``); ``>= 3.10`` is one clause."""
    tokens: list[str] = []
    for word in part.split():
        if tokens and tokens[-1] in ("~=", "==", "!=", ">=", "<=", ">", "<", "^", "~"):
            tokens[-1] += word
        else:
            tokens.append(word)
    return tokens


def from_pyproject(data: dict[str, Any], path: str) -> Optional[tuple[str, str]]:
    """``[tool.poetry.dependencies] python`` as (PEP 440 range, source), or None."""
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if not isinstance(deps, dict) or "python" not in deps:
        return None
    source = f"{path} [tool.poetry.dependencies] python"
    value = deps["python"]
    if not isinstance(value, str):
        raise VenvdError(f"{source} must be a string such as \"^3.12\", not {value!r}")
    spec = poetry_range(value, source)
    return (spec, "[tool.poetry.dependencies] python") if spec else None


def from_pipfile(data: dict[str, Any], path: str) -> Optional[tuple[str, str]]:
    """Pipfile's ``[requires] python_full_version`` (preferred) or ``python_version``."""
    requires = data.get("requires")
    if requires is None:
        return None
    if not isinstance(requires, dict):
        raise VenvdError(f"{path}: [requires] must be a table")
    for key in ("python_full_version", "python_version"):
        value = requires.get(key)
        if value is None:
            continue
        source = f"{path} [requires] {key}"
        if not isinstance(value, str) or not value.strip() or value.strip() == "*":
            raise VenvdError(f"{source} must be a version such as \"3.12\", not {value!r}")
        _release(value.strip(), source, value)
        return value.strip(), f"Pipfile [requires] {key}"
    return None
