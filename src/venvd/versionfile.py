"""What Python a project asks for: ``.python-version`` and the request syntax pyenv and uv share.

Imported on every ``cd`` into a project, so only ``os`` is imported at module level (no
``dataclasses``: it pulls in ``re`` and ``inspect``, ~20 ms cold). Simple forms are parsed by
hand. PEP 440 ranges made of plain clauses (``>=3.9``, ``>=3.11,<3.13``, ``==3.12.*``,
``~=3.11``) are evaluated by hand too, because importing ``packaging.specifiers`` costs
~40 ms (packaging 26 pulls in ``packaging.tags``, ``subprocess``, ``logging``) and
``requires-python`` is read on every ``cd``; anything fancier (epochs, post/dev releases,
``===``) is handed to ``packaging``, imported only then.
"""

from __future__ import annotations

import os

from .errors import VenvdError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

VERSION_FILES = (".python-version", ".python-versions")

_ACCEPTED = (
    "expected a version (3, 3.12, 3.12.3, 3.13t, 3.13.0rc1), a range (>=3.11,<3.13), "
    "cpython@3.12, cp312, pypy3.10, python3.12, system, or a pyenv version name"
)
_RANGE_CHARS = "<>=!~,"
_DIGITS = "0123456789"
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
_PRE_TAGS = ("rc", "a", "b")
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
# The most digits in one number of a request (a year-like 20240101 is 8); more is garbage.
_MAX_DIGITS = 16


def split_version(version: str) -> tuple[tuple[int, ...], str] | None:
    """``'3.13.0rc1'`` -> ``((3, 13, 0), 'rc1')``; ``'3.12'`` -> ``((3, 12), '')``; None if invalid.

    1 to 3 numeric components, then optionally ``a``/``b``/``rc`` and a serial (only after
    at least major.minor).
    """
    i = 0
    n = len(version)
    while i < n and (version[i] in _DIGITS or version[i] == "."):
        i += 1
    head, tail = version[:i], version[i:]
    parts = head.split(".")
    if not 1 <= len(parts) <= 3:
        return None
    for part in parts:
        if not part or len(part) > _MAX_DIGITS:  # "", "3.", ".12", "3..1"; int() refuses 4300+ digits
            return None
    pre = ""
    if tail:
        if len(parts) < 2:
            return None
        for tag in _PRE_TAGS:
            if tail.startswith(tag):
                serial = tail[len(tag) :]
                if serial and len(serial) <= _MAX_DIGITS and all(c in _DIGITS for c in serial):
                    pre = tag + str(int(serial))
                break
        if not pre:
            return None
    return tuple(int(p) for p in parts), pre


def version_sort_key(version: str) -> tuple[tuple[int, ...], int, int]:
    """Order versions: ``3.13.0a1 < 3.13.0rc1 < 3.13.0 < 3.13.1``. Invalid sorts first."""
    parsed = split_version(version)
    if parsed is None:
        return ((), -1, 0)
    release, pre = parsed
    return (release,) + _pre_key(pre)  # type: ignore[return-value]


class VersionRequest:
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

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"VersionRequest is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"VersionRequest is immutable (cannot delete {name!r})")

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

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not VersionRequest:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

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
                # As packaging: a clause other than != naming a pre-release opts in.
                return any(pre and op != "!=" for op, _, pre, _ in self._clauses)
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
                parsed = split_version(version)
                return parsed is not None and all(_clause_matches(c, *parsed) for c in self._clauses)
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
            elif rest and rest[0] not in _DIGITS:
                continue  # "cpu-env", "pythonic": not this implementation
            if prefix == "cp" and rest and "." not in rest:
                # cp312 -> 3.12, cp38 -> 3.8, cp3 -> 3 (wheel-tag style, no dot)
                digits = rest.rstrip("t")
                if len(digits) > 1 and all(c in _DIGITS for c in digits):
                    rest = digits[0] + "." + digits[1:] + rest[len(digits) :]
            return impl, rest, True
    return "cpython", low, False


def _longest_number(text: str) -> int:
    """The length of the longest run of digits in *text*."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch in _DIGITS else 0
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
    if _longest_number(raw) > _MAX_DIGITS:
        # int() refuses more than 4300 digits (ValueError); no real version comes close.
        raise _garbage(raw, source, f"a number of more than {_MAX_DIGITS} digits")
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


_OPERATORS = ("===", "~=", "==", "!=", "<=", ">=", "<", ">")


def _simple_clauses(text: str) -> tuple[tuple[str, tuple[int, ...], str, bool], ...] | None:
    """``'>=3.11, <3.13'`` -> its clauses, or None if packaging must judge it."""
    clauses = []
    for part in text.split(","):
        part = part.strip()
        if not part:  # packaging ignores empty pieces too (">=3.9,")
            continue
        for op in _OPERATORS:
            if part.startswith(op):
                break
        else:
            return None
        if op == "===":
            return None
        version = part[len(op) :].strip()
        wildcard = version.endswith(".*")
        if wildcard:
            if op not in ("==", "!="):
                return None
            version = version[:-2]
        parsed = split_version(version)
        if parsed is None:
            return None
        release, pre = parsed
        if (wildcard and pre) or (op == "~=" and len(release) < 2):
            return None
        clauses.append((op, release, pre, wildcard))
    return tuple(clauses) or None


def _pre_key(pre: str) -> tuple[int, int]:
    if not pre:
        return (3, 0)
    tag = pre.rstrip(_DIGITS)
    return (_PRE_RANK[tag], int(pre[len(tag) :]))


def _compare(release: tuple[int, ...], pre: str, other: tuple[int, ...], other_pre: str) -> int:
    n = max(len(release), len(other))
    a = release + (0,) * (n - len(release))  # PEP 440: 3.12 == 3.12.0
    b = other + (0,) * (n - len(other))
    if a != b:
        return -1 if a < b else 1
    ka, kb = _pre_key(pre), _pre_key(other_pre)
    return (ka > kb) - (ka < kb)


def _prefix_matches(release: tuple[int, ...], prefix: tuple[int, ...]) -> bool:
    padded = release + (0,) * (len(prefix) - len(release))
    return padded[: len(prefix)] == prefix


def _clause_matches(clause: tuple[str, tuple[int, ...], str, bool], release: tuple[int, ...], pre: str) -> bool:
    """PEP 440 for a plain version (no epoch/post/dev/local), pre-releases allowed."""
    op, spec_release, spec_pre, wildcard = clause
    if wildcard:
        return _prefix_matches(release, spec_release) == (op == "==")
    cmp = _compare(release, pre, spec_release, spec_pre)
    if op == "==":
        return cmp == 0
    if op == "!=":
        return cmp != 0
    if op == ">=":
        return cmp >= 0
    if op == "<=":
        return cmp <= 0
    if op == ">":
        return cmp > 0
    if op == "<":
        # "<3.13" must not admit 3.13.0rc1, a pre-release of the excluded version itself.
        return cmp < 0 and not (pre and not spec_pre and _compare(release, "", spec_release, "") == 0)
    # "~=3.11.2" is ">=3.11.2, ==3.11.*"
    return cmp >= 0 and _prefix_matches(release, spec_release[:-1])


def _parse_range(raw: str, source: str) -> VersionRequest:
    clauses = _simple_clauses(raw)
    if clauses is not None:
        normalized = ",".join(
            op + ".".join(str(p) for p in rel) + pre + (".*" if wild else "") for op, rel, pre, wild in clauses
        )
        request = VersionRequest(raw, source, "range", specifier=normalized)
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
    if rest[:1] in _DIGITS:
        head, dash, _ = rest.partition("-")
        if not dash or _parse_version_part(head) is None:
            raise _garbage(raw, source)
    return VersionRequest(raw, source, "named", implementation="", name=raw)


def _first_request_line(text: str) -> str | None:
    if text.startswith("\ufeff"):
        text = text[1:]
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line
    return None


def read_version_file(project_dir: str) -> VersionRequest | None:
    """The request in ``project_dir``'s ``.python-version`` (else ``.python-versions``).

    The first non-empty line that is not a ``#`` comment. None when neither file exists or
    has such a line (an empty ``.python-version`` falls through to ``.python-versions``).
    """
    from .safeio import LIMIT_SMALL, read_bytes

    for name in VERSION_FILES:
        path = os.path.join(project_dir, name)
        try:
            # Never blocks on a FIFO, never reads /dev/zero: safeio raises UnsafeFile (a line).
            data = read_bytes(path, LIMIT_SMALL)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as e:
            raise VenvdError(f"cannot read {path}: {e.strerror or e}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise VenvdError(f"cannot read {path}: not UTF-8 text") from None
        line = _first_request_line(text)
        if line is not None:
            return parse_request(line, path)
    return None
