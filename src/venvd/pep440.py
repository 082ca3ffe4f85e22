"""The part of PEP 440 venvd evaluates by hand: plain versions, their order, plain ranges.

A plain version is what a Python reports and what a request names: 1 to 3 numbers and
maybe a pre-release (``3``, ``3.12``, ``3.13.0rc1``). A plain range is made of clauses over
plain versions (``>=3.9``, ``>=3.11,<3.13``, ``==3.12.*``, ``~=3.11``). Both are read on every
``cd`` into a project (``.python-version``, ``requires-python``), so this module imports
nothing: ``packaging.specifiers`` costs ~40 ms (packaging 26 pulls in ``packaging.tags``,
``subprocess``, ``logging``). Anything fancier (epochs, post/dev releases, ``===``) is left
to ``packaging`` by the caller (versionrequest.py); ``tests/test_versionfile.py`` checks
that both agree on every plain range.
"""

from __future__ import annotations

DIGITS = "0123456789"
# The most digits in one number of a request (a year-like 20240101 is 8); more is garbage.
MAX_DIGITS = 16
_PRE_TAGS = ("rc", "a", "b")
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
# Longest first where one is a prefix of another ("===" before "==", "<=" before "<").
_OPERATORS = ("===", "~=", "==", "!=", "<=", ">=", "<", ">")


def split_version(version: str) -> tuple[tuple[int, ...], str] | None:
    """``'3.13.0rc1'`` -> ``((3, 13, 0), 'rc1')``; ``'3.12'`` -> ``((3, 12), '')``; None if invalid.

    1 to 3 numeric components, then optionally ``a``/``b``/``rc`` and a serial (only after
    at least major.minor).
    """
    i = 0
    n = len(version)
    while i < n and (version[i] in DIGITS or version[i] == "."):
        i += 1
    head, tail = version[:i], version[i:]
    parts = head.split(".")
    if not 1 <= len(parts) <= 3:
        return None
    for part in parts:
        if not part or len(part) > MAX_DIGITS:  # "", "3.", ".12", "3..1"; int() refuses 4300+ digits
            return None
    pre = ""
    if tail:
        if len(parts) < 2:
            return None
        for tag in _PRE_TAGS:
            if tail.startswith(tag):
                serial = tail[len(tag) :]
                if serial and len(serial) <= MAX_DIGITS and all(c in DIGITS for c in serial):
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


def _pre_key(pre: str) -> tuple[int, int]:
    if not pre:
        return (3, 0)
    tag = pre.rstrip(DIGITS)
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


# ---------------------------------------------------------------- plain ranges
# A clause is (operator, release, pre, wildcard): ">=3.11" is (">=", (3, 11), "", False).


def parse_clauses(text: str) -> tuple[tuple[str, tuple[int, ...], str, bool], ...] | None:
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


def format_clauses(clauses: tuple[tuple[str, tuple[int, ...], str, bool], ...]) -> str:
    """The clauses written out without spaces: ``'>=3.11,<3.13'``."""
    return ",".join(
        op + ".".join(str(p) for p in release) + pre + (".*" if wildcard else "")
        for op, release, pre, wildcard in clauses
    )


def clauses_allow_prereleases(clauses: tuple[tuple[str, tuple[int, ...], str, bool], ...]) -> bool:
    """As packaging: a clause other than ``!=`` naming a pre-release opts in."""
    return any(pre and op != "!=" for op, _, pre, _ in clauses)


def clauses_match(clauses: tuple[tuple[str, tuple[int, ...], str, bool], ...], version: str) -> bool:
    """Whether the plain ``version`` satisfies every clause (pre-releases allowed)."""
    parsed = split_version(version)
    return parsed is not None and all(_clause_matches(c, *parsed) for c in clauses)


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
