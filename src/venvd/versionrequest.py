"""A Python request, as pyenv and uv spell it: ``3.12``, ``>=3.11,<3.13``, ``cpython@3.12``, ``cp312``.

``parse_request`` turns the text of a ``.python-version`` line, ``requires-python`` or
``[tool.venvd] python`` into a ``VersionRequest``; ``VersionRequest.matches`` says whether an
interpreter satisfies it. Parsed on every ``cd`` into a project, so nothing but venvd's own
small modules is imported at module level (no ``dataclasses``: it pulls in ``re`` and
``inspect``, ~20 ms cold). Simple forms are parsed by hand and plain ranges evaluated by hand
(pep440.py); only a fancy range (epochs, post/dev releases, ``===``) imports ``packaging``.
"""

from __future__ import annotations

from .errors import VenvdError
from .frozen import Frozen
from .pep440 import (
    DIGITS,
    MAX_DIGITS,
    clauses_allow_prereleases,
    clauses_match,
    format_clauses,
    parse_clauses,
    split_version,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

_ACCEPTED = (
    "expected a version (3, 3.12, 3.12.3, 3.13t, 3.13.0rc1), a range (>=3.11,<3.13), "
    "cpython@3.12, cp312, pypy3.10, python3.12, system, or a pyenv version name"
)
_RANGE_CHARS = "<>=!~,"
# Characters allowed in a pyenv version name (3.12-dev, miniconda3-latest, pypy3.10-7.3.12).
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")
# Longest first where one is a prefix of another ("cpython" before "cp").
_IMPLEMENTATIONS = (
    ("cpython", "cpython"),
    ("python", "cpython"),
    ("pypy", "pypy"),
    ("graalpy", "graalpy"),
    ("cp", "cpython"),
)


class VersionRequest(Frozen):
    """A parsed Python request. Immutable.

    ``kind`` is one of:

    - ``"version"``: ``release`` is a prefix (``(3,)``, ``(3, 12)``) or exact ``(3, 12, 1)``,
      maybe with ``pre`` (``"rc1"``); ``()`` means any version of ``implementation``.
    - ``"range"``: a PEP 440 specifier set in ``specifier``.
    - ``"system"``: the python3 on PATH outside pyenv.
    - ``"named"``: a pyenv version/env name, looked up only as ``$PYENV_ROOT/versions/<name>``.
    """

    __slots__ = (
        "raw",
        "source",
        "kind",
        "implementation",
        "release",
        "pre",
        "freethreaded",
        "specifier",
        "name",
        "_spec",
        "_clauses",
    )

    raw: str
    source: str
    kind: str
    implementation: str
    release: tuple[int, ...]
    pre: str
    freethreaded: bool
    specifier: str
    name: str
    _spec: SpecifierSet | None  # packaging's parse of a fancy range, built on first use
    _clauses: tuple[tuple[str, tuple[int, ...], str, bool], ...] | None  # a plain range, by hand

    def __init__(
        self,
        raw: str,
        source: str,
        kind: str,
        implementation: str = "cpython",
        release: tuple[int, ...] = (),
        pre: str = "",
        freethreaded: bool = False,
        specifier: str = "",
        name: str = "",
    ) -> None:
        for attr, value in (
            ("raw", raw),
            ("source", source),
            ("kind", kind),
            ("implementation", implementation),
            ("release", tuple(release)),
            ("pre", pre),
            ("freethreaded", bool(freethreaded)),
            ("specifier", specifier),
            ("name", name),
            ("_spec", None),
            ("_clauses", None),
        ):
            object.__setattr__(self, attr, value)

    def _fields(self) -> tuple[object, ...]:
        return (
            self.raw,
            self.source,
            self.kind,
            self.implementation,
            self.release,
            self.pre,
            self.freethreaded,
            self.specifier,
            self.name,
        )

    def __repr__(self) -> str:
        return f"VersionRequest(raw={self.raw!r}, source={self.source!r}, kind={self.kind!r})"

    @property
    def is_exact(self) -> bool:
        """True for a full version such as ``3.12.1`` or ``3.13.0rc1``."""
        return self.kind == "version" and len(self.release) == 3

    @property
    def allows_prereleases(self) -> bool:
        """True when the request itself names a pre-release (``3.13.0rc1``, ``>=3.14.0a1``)."""
        if self.kind == "version":
            return bool(self.pre)
        if self.kind == "range":
            if self._clauses is not None:
                return clauses_allow_prereleases(self._clauses)
            return bool(self._specifier_set().prereleases)
        return False

    @property
    def canonical(self) -> str:
        """The request in a form ``uv python install`` and ``pyenv install`` understand."""
        if self.kind == "version":
            impl = "" if self.implementation == "cpython" else self.implementation
            ver = ".".join(str(p) for p in self.release) + self.pre
            return impl + ver + ("t" if self.freethreaded else "") or self.raw
        if self.kind == "named":
            return self.name
        return self.raw

    def _specifier_set(self) -> SpecifierSet:
        spec = self._spec
        if spec is None:
            from packaging.specifiers import SpecifierSet

            spec = SpecifierSet(self.specifier)
            object.__setattr__(self, "_spec", spec)
        return spec

    def matches(self, version: str, implementation: str = "cpython", freethreaded: bool = False) -> bool:
        """Whether an interpreter of this version/implementation/build satisfies the request.

        Implementation and free-threading must match exactly (``3.13`` does not match a
        free-threaded build, ``3.13t`` matches only one). A prefix matches pre-releases too
        (``3.13`` matches ``3.13.0rc1``; preferring stable is the selector's job), an exact
        version does not (``3.13.0`` is not ``3.13.0rc1``). ``system`` and named requests are
        resolved by location, not version: they match nothing here.
        """
        if self.kind not in ("version", "range"):
            return False
        if implementation != self.implementation or bool(freethreaded) != self.freethreaded:
            return False
        if self.kind == "range":
            if self._clauses is not None:
                return clauses_match(self._clauses, version)
            from packaging.version import InvalidVersion

            try:
                # prereleases=True: a range may be satisfied by a pre-release when nothing
                # stable is installed; PEP 440 still excludes 3.13.0rc1 from "<3.13".
                return self._specifier_set().contains(version, prereleases=True)
            except InvalidVersion:
                return False
        parsed = split_version(version)
        if parsed is None:
            return False
        release, pre = parsed
        want = self.release
        if release[: len(want)] != want:
            return False
        if self.pre:
            return pre == self.pre
        if len(want) == 3 and pre:
            return False
        return True


def _garbage(raw: str, source: str, why: str = "") -> VenvdError:
    shown = raw if len(raw) <= 80 else raw[:77] + "..."
    why = f" ({why})" if why else ""
    return VenvdError(f"unrecognised Python version {shown!r} in {source}{why}; {_ACCEPTED}")


def _parse_version_part(rest: str) -> tuple[tuple[int, ...], str, bool] | None:
    """``'3.13t'`` -> ``((3, 13), '', True)``; also ``3.12.*`` and ``+freethreaded``."""
    freethreaded = False
    if rest.endswith("+freethreaded"):
        rest, freethreaded = rest[: -len("+freethreaded")], True
    elif rest.endswith("t"):
        rest, freethreaded = rest[:-1], True
    if rest.endswith(".*"):
        rest = rest[:-2]
    parsed = split_version(rest)
    if parsed is None:
        return None
    return parsed[0], parsed[1], freethreaded


def _split_implementation(low: str) -> tuple[str, str, bool]:
    """``'pypy@3.10'`` -> ``('pypy', '3.10', True)``; no known prefix -> ``('cpython', low, False)``."""
    for prefix, impl in _IMPLEMENTATIONS:
        if low.startswith(prefix):
            rest = low[len(prefix) :]
            if rest[:1] in ("@", "-"):
                rest = rest[1:]
                if not rest:  # "pypy@" / "cpython-"
                    continue
            elif rest and rest[0] not in DIGITS:
                continue  # "cpu-env", "pythonic": not this implementation
            if prefix == "cp" and rest and "." not in rest:
                # cp312 -> 3.12, cp38 -> 3.8, cp3 -> 3 (wheel-tag style, no dot)
                digits = rest.rstrip("t")
                if len(digits) > 1 and all(c in DIGITS for c in digits):
                    rest = digits[0] + "." + digits[1:] + rest[len(digits) :]
            return impl, rest, True
    return "cpython", low, False


def _longest_number(text: str) -> int:
    """The length of the longest run of digits in *text*."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch in DIGITS else 0
        if run > longest:
            longest = run
    return longest


def parse_request(text: str, source: str) -> VersionRequest:
    """Parse a Python request as pyenv and uv accept it; raise VenvdError for anything else."""
    raw = text.strip()
    if not raw:
        raise VenvdError(f"empty Python version in {source}; {_ACCEPTED}")
    for ch in raw:
        if ch < " " or ch == "\x7f":
            raise _garbage(raw, source)
    if _longest_number(raw) > MAX_DIGITS:
        # int() refuses more than 4300 digits (ValueError); no real version comes close.
        raise _garbage(raw, source, f"a number of more than {MAX_DIGITS} digits")
    low = raw.lower()
    if low == "system":
        return VersionRequest(raw, source, "system", implementation="")

    for ch in _RANGE_CHARS:
        if ch in raw:
            return _parse_range(raw, source)

    impl, rest, prefixed = _split_implementation(low)
    if prefixed and not rest:  # "pypy", "cpython": any version of that implementation
        return VersionRequest(raw, source, "version", implementation=impl)
    parsed = _parse_version_part(rest)
    if parsed is not None:
        release, pre, freethreaded = parsed
        return VersionRequest(
            raw, source, "version", implementation=impl, release=release, pre=pre, freethreaded=freethreaded
        )
    return _parse_name(raw, rest, source)


def _parse_range(raw: str, source: str) -> VersionRequest:
    clauses = parse_clauses(raw)
    if clauses is not None:
        request = VersionRequest(raw, source, "range", specifier=format_clauses(clauses))
        object.__setattr__(request, "_clauses", clauses)
        return request
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:  # pragma: no cover - packaging is a dependency
        raise VenvdError(f"cannot read the version range {raw!r} in {source}: 'packaging' is not installed") from None
    try:
        spec = SpecifierSet(raw)
    except InvalidSpecifier:
        raise _garbage(raw, source, "not a valid version range") from None
    if not len(spec):  # "," alone would match everything
        raise _garbage(raw, source, "empty version range")
    request = VersionRequest(raw, source, "range", specifier=str(spec))
    object.__setattr__(request, "_spec", spec)
    return request


def is_safe_name(name: str) -> bool:
    """Whether ``name`` can be used as one path component under ``$PYENV_ROOT/versions``."""
    return (
        0 < len(name) <= 200
        and name[0] not in ".-"
        and ".." not in name
        and all(ch in _NAME_CHARS for ch in name)  # excludes "/", "\\", ":", spaces
    )


def _parse_name(raw: str, rest: str, source: str) -> VersionRequest:
    if "/" in raw or "\\" in raw or ".." in raw or raw.startswith("."):
        raise _garbage(raw, source, "a pyenv version name may not contain '/', '\\' or '..' or start with '.'")
    if not is_safe_name(raw):
        raise _garbage(raw, source)
    # Something that starts like a version must be one, or "<version>-<suffix>" as in
    # pyenv's 3.12-dev / pypy3.10-7.3.12; so "3.x" or "python3.x" is a typo, not a name.
    if rest[:1] in DIGITS:
        head, dash, _ = rest.partition("-")
        if not dash or _parse_version_part(head) is None:
            raise _garbage(raw, source)
    return VersionRequest(raw, source, "named", implementation="", name=raw)
