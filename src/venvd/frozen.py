"""``Frozen``: the base of venvd's small immutable values (``VersionRequest``, ``Interpreter``).

Written out instead of ``@dataclass(frozen=True)`` because a request is parsed on every ``cd``
into a project and ``dataclasses`` pulls in ``re`` and ``inspect`` (~20 ms cold).
"""

from __future__ import annotations


class Frozen:
    """A value with ``__slots__``, each set once in ``__init__`` with ``object.__setattr__``.

    Equal (and hashed) by ``_fields()``, and only to a value of the very same class.
    """

    __slots__ = ()

    def _fields(self) -> tuple[object, ...]:
        raise NotImplementedError

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete {name!r})")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())
